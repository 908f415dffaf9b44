"""Usage rollups under load: a turn never waits for another turn's rollup row, budget checks far
from the limit never wait for each other, and the dashboard's figures stay exact throughout."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from backend.config import get_settings
from backend.db import Database, add_to_rollup, new_session, unit_of_work
from backend.models import ClientDailyUsage, ClientUsageIncrement, DailyUsage, User
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import conversation_service
from backend.usage import budget_service, usage_service
from backend.usage.budget_service import start_of_utc_day
from tests.factories import make_classroom, make_user

# Both backends: rollups are upserts, written per UTC day.
pytestmark = pytest.mark.both_backends

ROLLUP_WRITE = re.compile(r"^\s*INSERT INTO (client_usage_increments|daily_usage)\b", re.I)


def _turn(engine, classroom, session_id: int, content: str):
    outcome = conversation_service.send_message(
        Database(engine), actor=classroom.student, session_id=session_id, content=content
    )
    assert outcome.ok, outcome.notice
    return outcome


def _dashboard(engine):
    """What the admin sees of today's client usage, and the breakdown by client."""
    with unit_of_work(engine, write=False) as db:
        admin = make_user(db, role=Role.admin)
        today = metrics_service.daily_usage(db, actor=admin, days=1)[-1]
        by_client = metrics_service.breakdown(db, actor=admin, by="client")
        db.rollback()  # the admin made here is not kept
    return (today.sessions, today.messages, today.tokens, today.cost), [
        (row.label, row.tokens, row.cost, row.replies) for row in by_client
    ]


def test_each_turn_transaction_writes_its_usage_last_and_appends_instead_of_updating(
    committed_engine, api, classroom, monkeypatch
):
    monkeypatch.setattr(usage_service, "FOLD_EVERY", 10**9)  # no fold during this turn
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    _turn(committed_engine, classroom, session.id, "Hello.")  # warm caches
    transactions: list[list[str]] = [[]]

    def on_statement(_conn, _cursor, statement, *_args) -> None:
        transactions[-1].append(statement)

    def on_commit(_conn) -> None:
        transactions.append([])

    def on_rollback(_conn) -> None:  # e.g. a write retried after "database is locked" (busy CI)
        transactions[-1] = []

    event.listen(committed_engine, "before_cursor_execute", on_statement)
    event.listen(committed_engine, "commit", on_commit)
    event.listen(committed_engine, "rollback", on_rollback)
    try:
        _turn(committed_engine, classroom, session.id, "How has your week been?")
    finally:
        event.remove(committed_engine, "before_cursor_execute", on_statement)
        event.remove(committed_engine, "commit", on_commit)
        event.remove(committed_engine, "rollback", on_rollback)

    writing = [t for t in transactions if any(ROLLUP_WRITE.search(s) for s in t)]
    assert len(writing) == 3  # the message, the usage at message_start, the reply
    for statements in writing:
        first_rollup = next(i for i, s in enumerate(statements) if ROLLUP_WRITE.search(s))
        assert all(ROLLUP_WRITE.search(s) for s in statements[first_rollup:]), [
            s[:60] for s in statements
        ]
    every = [s for t in transactions for s in t]
    assert not [s for s in every if "client_daily_usage" in s]  # the hot row is not touched


def test_folding_moves_the_increments_and_changes_no_figure(
    committed_engine, api, classroom, monkeypatch
):
    monkeypatch.setattr(usage_service, "FOLD_EVERY", 10**9)
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    for content in ("Hello.", "How are you?", "Tell me more."):
        _turn(committed_engine, classroom, session.id, content)
    before = _dashboard(committed_engine)
    assert before[0][1] == 6 and before[0][3] > 0  # three messages and three replies, billed

    with unit_of_work(committed_engine) as db:
        assert usage_service.fold_client_usage(db) > 0
    with unit_of_work(committed_engine, write=False) as db:
        assert db.scalar(select(func.count()).select_from(ClientUsageIncrement)) == 0
        assert db.scalar(select(func.count()).select_from(ClientDailyUsage)) > 0
    assert _dashboard(committed_engine) == before

    with unit_of_work(committed_engine) as db:  # and the rollup equals a rebuild
        usage_service.rebuild(db)
    assert _dashboard(committed_engine) == before


def test_a_writer_folds_every_so_often_at_its_own_commit(
    committed_engine, api, classroom, monkeypatch
):
    monkeypatch.setattr(usage_service, "FOLD_EVERY", 1)  # every append asks for a fold
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    _turn(committed_engine, classroom, session.id, "Hello.")
    with unit_of_work(committed_engine, write=False) as db:
        assert db.scalar(select(func.count()).select_from(ClientUsageIncrement)) == 0
        messages = db.scalar(select(func.sum(ClientDailyUsage.messages)))
    assert messages == 2


def test_a_rolled_back_turn_leaves_no_usage(committed_engine, api, classroom, monkeypatch):
    monkeypatch.setattr(usage_service, "FOLD_EVERY", 10**9)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    before = _dashboard(committed_engine)
    with pytest.raises(RuntimeError), unit_of_work(committed_engine) as db:
        from backend.practice import session_service

        locked = session_service.lock_for_turn(db, actor=classroom.student, session_id=session.id)
        session_service.append_message(db, locked, "This is never kept.")
        raise RuntimeError("the action failed after the message was added")
    assert _dashboard(committed_engine) == before


# PostgreSQL: who waits for whom ------------------------------------------------------------------
@pytest.fixture
def checks(committed_postgresql):
    """`check(user_id, ...)`: a transaction that passed the budget check and stays open (as a
    claim does until it commits); every one is rolled back and closed at the end."""
    opened = []

    def check(user_id: int, *, reserve: str, most: str | None = "0.02", wait_ms: int = 0):
        db = new_session(committed_postgresql)
        opened.append(db)
        db.begin()
        if wait_ms:  # give up waiting for a lock after this long
            db.execute(text(f"SET LOCAL lock_timeout = '{wait_ms}ms'"))
        budget_service.check_budgets(
            db,
            get_settings(),
            user_id=user_id,
            reserve_cost=Decimal(reserve),
            most_per_reply=None if most is None else Decimal(most),
        )
        return db

    yield check
    for db in opened:
        db.close()


def _students(engine, count: int) -> list[int]:
    with unit_of_work(engine) as db:
        return [make_user(db).id for _ in range(count)]


@pytest.mark.parametrize("budget", ["1000", "0"])  # margin: 100 connections x $0.02 = $2; none
def test_far_from_the_limit_two_students_checks_do_not_wait_for_each_other(
    committed_postgresql, configure, checks, budget
):
    configure(global_daily_cost_budget_usd=budget)
    first, second = _students(committed_postgresql, 2)
    checks(first, reserve="0.01")
    checks(second, reserve="0.01", wait_ms=300)  # passes while the first is still open


@pytest.mark.parametrize(
    ("budget", "reserve"),
    [
        ("1", "0.01"),  # near the limit: 100 connections x $0.02 could pass 80% of $1
        ("1000", "0.05"),  # a reservation above the most one reply reserves
    ],
)
def test_near_the_limit_or_for_a_large_reservation_checks_queue(
    committed_postgresql, configure, checks, budget, reserve
):
    configure(global_daily_cost_budget_usd=budget)
    first, second = _students(committed_postgresql, 2)
    checks(first, reserve=reserve)
    with pytest.raises(OperationalError, match="lock timeout"):
        checks(second, reserve="0.01", wait_ms=300)


def test_one_students_checks_always_queue(committed_postgresql, configure, checks):
    configure(global_daily_cost_budget_usd="1000")
    (student,) = _students(committed_postgresql, 1)
    checks(student, reserve="0.01")
    with pytest.raises(OperationalError, match="lock timeout"):
        checks(student, reserve="0.01", wait_ms=300)


def test_a_fold_under_way_is_skipped_not_waited_for(committed_postgresql, api, monkeypatch):
    monkeypatch.setattr(usage_service, "FOLD_EVERY", 10**9)
    with unit_of_work(committed_postgresql) as db:
        classroom = make_classroom(db)
    session = conversation_service.start_conversation(
        Database(committed_postgresql), actor=classroom.student, client_id=classroom.client.id
    )
    _turn(committed_postgresql, classroom, session.id, "Hello.")
    with new_session(committed_postgresql) as folding, folding.begin():
        assert usage_service.fold_client_usage(folding) > 0
        with unit_of_work(committed_postgresql) as db:
            db.execute(text("SET LOCAL lock_timeout = '300ms'"))
            assert usage_service.fold_client_usage(db) == 0  # skipped at once
        _turn(committed_postgresql, classroom, session.id, "Appends go on meanwhile.")
    assert _dashboard(committed_postgresql)[0][1] == 4


def test_usage_added_before_a_check_near_the_limit_is_still_written(
    committed_postgresql, configure
):
    """The check near the limit rolls its shared attempt back; what the transaction had added
    to the per-user rollup before it must survive that rollback."""
    configure(global_daily_cost_budget_usd="1")  # near: the shared attempt is given back
    (student,) = _students(committed_postgresql, 1)
    with unit_of_work(committed_postgresql) as db:
        add_to_rollup(
            db,
            DailyUsage,
            {"day": start_of_utc_day().date(), "user_id": student},
            {"tokens": 100, "cost": Decimal("0.05"), "replies": 0},
        )
        budget_service.check_budgets(
            db,
            get_settings(),
            user_id=student,
            reserve_cost=Decimal("0.01"),
            most_per_reply=Decimal("0.02"),
        )
    with unit_of_work(committed_postgresql, write=False) as db:
        assert db.scalar(select(DailyUsage.tokens).where(DailyUsage.user_id == student)) == 100


def test_a_savepoint_left_open_at_commit_is_reported_not_silently_dropped(committed_engine):
    with unit_of_work(committed_engine) as db:
        student = make_user(db)
    with pytest.raises(RuntimeError, match="savepoint still open"):
        with unit_of_work(committed_engine) as db:
            add_to_rollup(
                db,
                DailyUsage,
                {"day": start_of_utc_day().date(), "user_id": student.id},
                {"tokens": 7, "cost": Decimal(0), "replies": 0},
            )
            db.begin_nested()  # never closed: the commit below ends it


def test_a_failed_flush_inside_a_savepoint_keeps_the_usage_already_billed(committed_engine):
    """Issue 19, item 6: a failed insert in begin_nested() discarded the transaction's pending
    rollups (five racing reviews billed five calls and counted one)."""
    with unit_of_work(committed_engine) as db:
        student = make_user(db)
        taken = make_user(db)
    with unit_of_work(committed_engine) as db:
        add_to_rollup(
            db,
            DailyUsage,
            {"day": start_of_utc_day().date(), "user_id": student.id},
            {"tokens": 7, "cost": Decimal("0.01"), "replies": 0},
        )
        with pytest.raises(IntegrityError), db.begin_nested():
            db.add(User(**_account_like(taken)))  # the same username: the flush fails
            db.flush()
    with unit_of_work(committed_engine, write=False) as db:
        assert db.scalar(select(DailyUsage.tokens).where(DailyUsage.user_id == student.id)) == 7


def _account_like(user) -> dict:
    return {
        "username": user.username,
        "display_name": "Copy",
        "role": Role.student,
        "password_hash": "x",
    }
