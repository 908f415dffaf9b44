"""Keeps the daily usage tables in step with sessions and messages, in the caller's transaction,
and can rebuild them from the messages (after an import, or to check them).

Client usage is appended as increments and folded into `client_daily_usage` every `FOLD_EVERY`
appends of a process (see `backend.models.usage`); `client_usage()` is what readers read."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import (
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from backend import event_log
from backend.db import add_to_rollup, at_commit, upsert_add, utc_date
from backend.llm.usage import Completion, Usage
from backend.models import (
    ClientDailyUsage,
    ClientUsageIncrement,
    ClosedHour,
    DailyUsage,
    Event,
    Message,
    PracticeSession,
    SessionReview,
)
from backend.models.base import Money, utcnow
from backend.models.enums import MessageRole, SessionMode
from backend.usage import purposes
from backend.usage.purposes import Purpose

NO_ASSIGNMENT = 0
CLIENT_KEYS = ("day", "client_id", "assignment_id", "model")
CLIENT_COUNTS = (
    "sessions",
    "messages",
    "replies",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_read_tokens",
    "cost",
)
#: A process folds the increments after this many appends (readers add at most a few hundred).
FOLD_EVERY = 32
#: Any constant: the PostgreSQL advisory lock one folding transaction holds at a time.
_FOLD_LOCK_KEY = 0x666F6C64  # "fold"
_appended = itertools.count(1)
#: Each conversation mode's cost column (what `rebuild` splits the replies' cost by).
MODE_PURPOSES = {mode: purposes.column(purposes.of_mode(mode)) for mode in SessionMode}


@functools.cache
def client_usage() -> type[ClientDailyUsage]:
    """Client usage rows as the dashboard reads them: the daily rollup and the increments not
    yet folded into it, with the rollup's columns (sum them by key: one key may have several)."""
    columns = CLIENT_KEYS + CLIENT_COUNTS
    rows = union_all(
        select(*(ClientDailyUsage.__table__.c[name] for name in columns)),
        select(*(ClientUsageIncrement.__table__.c[name] for name in columns)),
    ).subquery("client_usage")
    return aliased(ClientDailyUsage, rows)


def fold_client_usage(db: Session, *, wait: bool = False) -> int:
    """Move the committed increments into `client_daily_usage`; the number of rows moved.

    One folding transaction at a time: another one (unless `wait`) skips, the rows are left for
    the next fold. The increments are deleted and summed in one statement, so an increment
    committed meanwhile is never deleted uncounted."""
    if db.get_bind().dialect.name == "postgresql":
        lock = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
        if db.scalar(select(lock(_FOLD_LOCK_KEY))) is False:
            return 0
    columns = (getattr(ClientUsageIncrement, name) for name in CLIENT_KEYS + CLIENT_COUNTS)
    moved = db.execute(
        delete(ClientUsageIncrement)
        .returning(*columns)
        .execution_options(synchronize_session=False)
    ).all()
    totals: dict[tuple, dict[str, int | Decimal]] = {}
    for row in moved:
        counts = totals.setdefault(tuple(row[: len(CLIENT_KEYS)]), dict.fromkeys(CLIENT_COUNTS, 0))
        for name, value in zip(CLIENT_COUNTS, row[len(CLIENT_KEYS) :], strict=True):
            counts[name] += value or 0
    for key in sorted(totals):
        upsert_add(db, ClientDailyUsage, dict(zip(CLIENT_KEYS, key, strict=True)), totals[key])
    return len(moved)


class Conversation(Protocol):
    """What the usage tables key a conversation's usage by (a session row, or its keys)."""

    @property
    def user_id(self) -> int: ...
    @property
    def client_id(self) -> int: ...
    @property
    def assignment_id(self) -> int | None: ...
    @property
    def mode(self) -> SessionMode | str: ...


def _add_client_usage(db: Session, keys: dict, increments: dict) -> None:
    """Append at commit (never waits for another turn); fold now and then, also at commit."""
    add_to_rollup(db, ClientUsageIncrement, keys, increments)
    if next(_appended) % FOLD_EVERY == 0:
        at_commit(db, "fold client usage", fold_client_usage)


def _client_keys(session: Conversation, at: datetime, model: str | None = None) -> dict:
    """Rows are keyed by the reply's model; student messages and session starts use ""."""
    return {
        "day": at.date(),
        "client_id": session.client_id,
        "assignment_id": session.assignment_id or NO_ASSIGNMENT,
        "model": model or "",
    }


def record_session_started(db: Session, session: PracticeSession) -> None:
    _add_client_usage(db, _client_keys(session, session.started_at), {"sessions": 1})


def record_message(
    db: Session,
    session: Conversation,
    *,
    role: MessageRole | None,
    at: datetime,
    usage: Usage | None = None,
    cost: Decimal | None = None,
    model: str | None = None,
    purpose: Purpose | None = None,
) -> None:
    """Count a stored message (role None: usage without a message); replies add tokens and cost,
    the cost also to its purpose (`purpose`, else that of the conversation's mode)."""
    increments: dict[str, int | Decimal] = {"messages": 1} if role is not None else {}
    if usage is not None:
        increments |= {
            "replies": 1 if role == MessageRole.assistant else 0,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cost": cost or Decimal(0),
        }
        check = session.mode == SessionMode.check  # counts in the checks' own allowance
        add_to_rollup(
            db,
            DailyUsage,
            {"day": at.date(), "user_id": session.user_id},
            {
                "tokens": usage.total_tokens,
                "check_tokens": usage.total_tokens if check else 0,
                "cost": cost or Decimal(0),
                purposes.column(purpose or purposes.of_mode(session.mode)): cost or Decimal(0),
                "replies": 1 if role == MessageRole.assistant else 0,
            },
        )
    _add_client_usage(db, _client_keys(session, at, model if usage else None), increments)


def move_to_reply_day(
    db: Session,
    session: Conversation,
    *,
    usage: Usage,
    cost: Decimal | None,
    model: str | None,
    counted_at: datetime | None,
    at: datetime,
) -> None:
    """Usage counted when a reply started (`counted_at`) moves to the day of the rest of it
    (`at`): a reply started before midnight UTC and ended after it had its input on one day and
    the rest on the next, while the hourly figures and `rebuild` put it all on the later one
    (an attack, 2026-12-07)."""
    if counted_at is None or counted_at.date() == at.date():
        return
    taken_back = Usage(**{name: -getattr(usage, name) for name in Usage.model_fields})
    negative = None if cost is None else -cost
    record_message(
        db, session, role=None, at=counted_at, usage=taken_back, cost=negative, model=model
    )
    record_message(db, session, role=None, at=at, usage=usage, cost=cost, model=model)


def record_call(
    db: Session, *, purpose: Purpose, user_id: int, at: datetime, usage: Usage, cost: Decimal | None
) -> None:
    """A paid call that is no conversation's reply joins the user's budget row for the day under
    its purpose: a session review (the practising student's row; the dashboard reads reviews from
    their own table) or drill items a model drafted (the teacher's row; the call's event keeps its
    time for the hourly figures, and `rebuild` brings it back from that event)."""
    if usage.total_tokens == 0 and not cost:
        return
    add_to_rollup(
        db,
        DailyUsage,
        {"day": at.date(), "user_id": user_id},
        {
            "tokens": usage.total_tokens,
            "cost": cost or Decimal(0),
            purposes.column(purpose): cost or Decimal(0),
            "replies": 0,
        },
    )


def record_paid_call(
    db: Session,
    *,
    purpose: Purpose,
    user_id: int,
    completion: Completion,
    category: str,
    message: str,
    **details: object,
) -> None:
    """A paid call no message or review holds, in full: on the user's budget row for the day
    (`record_call`) and as an info event of `category` (one of `event_log.PAID_CALL_CATEGORIES`)
    that keeps its time, tokens and cost for the hourly figures and `rebuild`."""
    record_call(
        db,
        purpose=purpose,
        user_id=user_id,
        at=utcnow(),
        usage=completion.usage,
        cost=completion.cost,
    )
    event_log.record(
        db,
        "info",
        category,
        message,
        user_id=user_id,
        details={
            **details,
            "model": completion.model,
            "input_tokens": completion.usage.input_tokens,
            "output_tokens": completion.usage.output_tokens,
            "cache_write_tokens": completion.usage.cache_write_tokens,
            "cache_read_tokens": completion.usage.cache_read_tokens,
            "cost": str(completion.cost),
        },
    )


def _rebuild_reviews(db: Session) -> None:
    """Add every review's usage back to the budget rows (`rebuild` starts from the messages)."""
    day = utc_date(db, SessionReview.created_at)
    rows = db.execute(
        select(
            day,
            PracticeSession.user_id,
            func.sum(SessionReview.all_tokens),
            type_coerce(func.coalesce(func.sum(SessionReview.cost), 0), Money),
        )
        .join(PracticeSession, PracticeSession.id == SessionReview.session_id)
        .group_by(day, PracticeSession.user_id)
    ).all()
    for day_value, user_id, tokens, cost in rows:
        if isinstance(day_value, str):
            day_value = datetime.strptime(day_value, "%Y-%m-%d").date()
        if not tokens and not cost:
            continue
        upsert_add(
            db,
            DailyUsage,
            {"day": day_value, "user_id": user_id},
            {
                "tokens": int(tokens or 0),
                "cost": cost or Decimal(0),
                purposes.column(Purpose.review): cost or Decimal(0),
                "replies": 0,
            },
        )


#: The purpose of a paid call logged as an event (no message or review holds it); a cut-off
#: reply's is its conversation's.
_EVENT_PURPOSES = {
    "judge_call": Purpose.check_judge,
    "memory_call": Purpose.memory,
    "drill_items_call": Purpose.drill_items,
    "review_call": Purpose.review,
    "connection_test_call": Purpose.connection_test,
}


#: The paid calls a conversation's client rows hold (`session_service.record_usage` adds them
#: there as they are made); a review's is the practising student's budget only.
_CLIENT_ROW_CATEGORIES = frozenset({"partial_reply", "judge_call", "memory_call"})


def _rebuild_paid_calls(db: Session) -> None:
    """Add back the paid calls no message or review holds (cut-off replies, judge calls, memory
    summaries, drill drafts), from the events that keep their time, tokens and cost: to the
    budget rows, and a conversation's (as `record_usage` adds them) to the client rows under
    their model (the conversation's latest, for an event that does not name it). A rebuild of a
    database's own tables then changes no figure. (A course file carries no events: an imported
    course's such calls are not in its rebuilt days.)"""
    rows = db.execute(
        select(
            Event.created_at,
            Event.category,
            Event.details,
            func.coalesce(PracticeSession.user_id, Event.user_id),
            PracticeSession.mode,
            PracticeSession.client_id,
            PracticeSession.assignment_id,
            PracticeSession.model,
        )
        .outerjoin(PracticeSession, PracticeSession.id == Event.session_id)
        .where(Event.category.in_(event_log.PAID_CALL_CATEGORIES))
    ).all()
    for at, category, details, user_id, mode, client_id, assignment_id, model in rows:
        if user_id is None:
            continue
        tokens, cost = event_log.paid_tokens(details), event_log.paid_cost(details)
        if client_id is not None and category in _CLIENT_ROW_CATEGORIES:
            keys = {
                "day": at.astimezone(UTC).date(),
                "client_id": client_id,
                "assignment_id": assignment_id or NO_ASSIGNMENT,
                "model": (details or {}).get("model") or model or "",
            }
            upsert_add(db, ClientDailyUsage, keys, {**event_log.paid_usage(details), "cost": cost})
        purpose = _EVENT_PURPOSES.get(category) or purposes.of_mode(mode or SessionMode.practice)
        check = mode == SessionMode.check
        upsert_add(
            db,
            DailyUsage,
            {"day": at.astimezone(UTC).date(), "user_id": user_id},
            {
                "tokens": tokens,
                "check_tokens": tokens if check else 0,
                "cost": cost,
                purposes.column(purpose): cost,
                "replies": 0,
            },
        )


def rebuild(db: Session) -> None:
    """Recompute both tables from sessions and messages (grouped in the database), and drop the
    dashboard's kept reply timings of closed hours (read again from the replies when next
    needed). For a database no one is writing to (after an import, or to check the tables): a
    turn committed meanwhile could be counted twice."""
    fold_client_usage(db, wait=True)  # holds the fold lock: no fold runs beside the rebuild
    db.execute(delete(DailyUsage))
    db.execute(delete(ClientDailyUsage))
    db.execute(delete(ClosedHour))
    day = utc_date(db, Message.created_at)
    # A branch's copies of its original's messages were counted once, with the original.
    not_copied = or_(
        PracticeSession.branch_turn.is_(None),
        Message.sequence_number >= PracticeSession.branch_turn,
    )
    reply = case((Message.role == MessageRole.assistant, 1), else_=0)
    tokens = Message.all_tokens
    cost = func.coalesce(func.sum(Message.cost), 0)
    by_mode = [
        func.coalesce(func.sum(Message.cost).filter(PracticeSession.mode == mode), 0)
        for mode in MODE_PURPOSES
    ]
    db.execute(
        insert(DailyUsage).from_select(
            [
                "day",
                "user_id",
                "tokens",
                "cost",
                "replies",
                *MODE_PURPOSES.values(),
                "check_tokens",
            ],
            select(
                day,
                PracticeSession.user_id,
                func.sum(tokens),
                cost,
                func.sum(reply),
                *by_mode,
                func.sum(case((PracticeSession.mode == SessionMode.check, tokens), else_=0)),
            )
            .join(PracticeSession, PracticeSession.id == Message.session_id)
            .where(Message.role == MessageRole.assistant, not_copied)
            .group_by(day, PracticeSession.user_id),
        )
    )
    assignment = func.coalesce(PracticeSession.assignment_id, NO_ASSIGNMENT)
    model = func.coalesce(Message.model, "")
    db.execute(
        insert(ClientDailyUsage).from_select(
            [*CLIENT_KEYS, *CLIENT_COUNTS],
            select(
                day,
                PracticeSession.client_id,
                assignment,
                model,
                literal(0),
                func.count(Message.id),
                func.sum(reply),
                func.sum(Message.input_tokens),
                func.sum(Message.output_tokens),
                func.sum(Message.cache_write_tokens),
                func.sum(Message.cache_read_tokens),
                func.coalesce(func.sum(Message.cost), 0),
            )
            .join(PracticeSession, PracticeSession.id == Message.session_id)
            .where(not_copied)
            .group_by(day, PracticeSession.client_id, assignment, model),
        )
    )
    started_day = utc_date(db, PracticeSession.started_at)
    for day_value, client_id, assignment_id, count in db.execute(
        select(started_day, PracticeSession.client_id, assignment, func.count(PracticeSession.id))
        .where(  # a check's probes and a moment practised again are no sessions
            PracticeSession.mode != SessionMode.check, PracticeSession.branch_of_id.is_(None)
        )
        .group_by(started_day, PracticeSession.client_id, assignment)
    ).all():
        day_value = (
            day_value
            if not isinstance(day_value, str)
            else datetime.strptime(day_value, "%Y-%m-%d").date()
        )
        upsert_add(
            db,
            ClientDailyUsage,
            {"day": day_value, "client_id": client_id, "assignment_id": assignment_id, "model": ""},
            {"sessions": count},
        )
    _rebuild_reviews(db)
    _rebuild_paid_calls(db)
