"""What one student message costs the database, held so it can only get cheaper (both backends)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from backend.db import Database
from backend.practice import conversation_service

# Both backends: the statements and transactions of a turn differ per dialect.
pytestmark = pytest.mark.both_backends

MOST_TRANSACTIONS = 4
MOST_SESSION_ROW_LOADS = 3
# A read of one practice session's row by its id (not the budget's sum over sessions).
_SESSION_ROW = re.compile(r"FROM practice_sessions\s+WHERE practice_sessions\.id = ", re.IGNORECASE)


def test_one_turn_stays_within_its_transactions_and_session_row_loads(
    committed_engine, api, classroom
):
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Hello."
    )  # warm: the first turn builds caches
    statements: list[str] = []
    transactions: list[int] = []

    def on_statement(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    def on_begin(_conn) -> None:
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
    assert 1 <= len(loads) <= MOST_SESSION_ROW_LOADS  # 0: the pattern no longer finds them
