"""What one student message costs the database, held so it can only get cheaper (both backends)."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import event

from backend.db import Database
from backend.practice import conversation_service
from backend.usage import usage_service

# Both backends: the statements and transactions of a turn differ per dialect.
pytestmark = pytest.mark.both_backends

# The claim, the usage billed at message_start, the reply stored (this budget was 4 before
# issue 21).
MOST_TRANSACTIONS = 3
# Statements besides BEGIN and PostgreSQL's advisory locks (23 and 25 before issue 21); PostgreSQL
# adds the savepoint around the budget check and its release.
MOST_STATEMENTS = {"sqlite": 17, "postgresql": 19}
# The row is read once, by the claim that locks it; the other two write it without reading it.
MOST_SESSION_ROW_LOADS = 1
# A read of one practice session's row by its id (not the budget's sum over sessions).
_SESSION_ROW = re.compile(
    r"^\s*SELECT\b.*\bFROM practice_sessions\b.*\bWHERE practice_sessions\.id = ",
    re.IGNORECASE | re.DOTALL,
)


def _the_turns(_conn: object) -> bool:
    """Not the heartbeat thread's (every 5 s, it writes the heartbeat of the jobs under way)."""
    return threading.current_thread().name != "job-heartbeat"


def test_one_turn_stays_within_its_transactions_and_session_row_loads(
    committed_engine, api, classroom, monkeypatch
):
    # A process folds the client usage now and then, at some turn's commit (usage_service); not
    # during this one, whose statements are counted.
    monkeypatch.setattr(usage_service, "FOLD_EVERY", 10**9)
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Hello."
    )  # warm: the first turn builds caches
    statements: list[str] = []
    transactions: list[int] = []

    def on_statement(conn, _cursor, statement, *_args) -> None:
        if _the_turns(conn):
            statements.append(statement)

    def on_begin(conn) -> None:
        if _the_turns(conn):
            transactions.append(1)

    event.listen(committed_engine, "before_cursor_execute", on_statement)
    event.listen(committed_engine, "begin", on_begin)
    try:
        outcome = conversation_service.send_message(
            database,
            actor=classroom.student,
            session_id=session.id,
            content="How has your week been?",
        )
    finally:
        event.remove(committed_engine, "before_cursor_execute", on_statement)
        event.remove(committed_engine, "begin", on_begin)
    assert outcome.ok
    loads = [s for s in statements if _SESSION_ROW.search(s)]
    real = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SELECT PG_"))]
    print(
        f"\nper turn: {len(transactions)} transactions, {len(real)} statements, "
        f"{len(loads)} session row loads"
    )
    assert len(transactions) <= MOST_TRANSACTIONS
    assert len(real) <= MOST_STATEMENTS[committed_engine.dialect.name], [s[:60] for s in real]
    assert 1 <= len(loads) <= MOST_SESSION_ROW_LOADS  # 0: the pattern no longer finds them
    # The client's prompt comes from the cache (built once per version of the client).
    assert not [s for s in statements if s.lstrip().startswith("SELECT client_profiles.")]
