"""Keeps the daily usage tables in step with sessions and messages, in the caller's transaction,
and can rebuild them from the messages (after an import, or to check them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, delete, func, insert, literal, select, type_coerce
from sqlalchemy.orm import Session

from backend.db import upsert_add, utc_date
from backend.models import ClientDailyUsage, DailyUsage, Message, PracticeSession, SessionReview
from backend.models.base import Money
from backend.models.enums import MessageRole, SessionMode
from backend.schemas.conversations import Usage

NO_ASSIGNMENT = 0


def _client_keys(session: PracticeSession, at: datetime, model: str | None = None) -> dict:
    """Rows are keyed by the reply's model; student messages and session starts use ""."""
    return {
        "day": at.date(),
        "client_id": session.client_id,
        "assignment_id": session.assignment_id or NO_ASSIGNMENT,
        "model": model or "",
    }


def record_session_started(db: Session, session: PracticeSession) -> None:
    upsert_add(db, ClientDailyUsage, _client_keys(session, session.started_at), {"sessions": 1})


def record_message(
    db: Session,
    session: PracticeSession,
    *,
    role: MessageRole | None,
    at: datetime,
    usage: Usage | None = None,
    cost: Decimal | None = None,
    model: str | None = None,
) -> None:
    """Count a stored message (role None: usage without a message); replies add tokens and cost."""
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
        upsert_add(
            db,
            DailyUsage,
            {"day": at.date(), "user_id": session.user_id},
            {
                "tokens": usage.total_tokens,
                "cost": cost or Decimal(0),
                "replies": 1 if role == MessageRole.assistant else 0,
            },
        )
    upsert_add(
        db, ClientDailyUsage, _client_keys(session, at, model if usage else None), increments
    )


def record_review(
    db: Session, *, user_id: int, at: datetime, usage: Usage, cost: Decimal | None
) -> None:
    """A session review's API usage joins the practising user's budget row for the day (it is not a
    reply, and not a client's conversation cost: the dashboard reads reviews from their own table)."""
    if usage.total_tokens == 0 and not cost:
        return
    upsert_add(
        db,
        DailyUsage,
        {"day": at.date(), "user_id": user_id},
        {"tokens": usage.total_tokens, "cost": cost or Decimal(0), "replies": 0},
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
            {"tokens": int(tokens or 0), "cost": cost or Decimal(0), "replies": 0},
        )


def rebuild(db: Session) -> None:
    """Recompute both tables from sessions and messages (grouped in the database)."""
    db.execute(delete(DailyUsage))
    db.execute(delete(ClientDailyUsage))
    day = utc_date(db, Message.created_at)
    reply = case((Message.role == MessageRole.assistant, 1), else_=0)
    tokens = Message.all_tokens
    db.execute(
        insert(DailyUsage).from_select(
            ["day", "user_id", "tokens", "cost", "replies"],
            select(
                day,
                PracticeSession.user_id,
                func.sum(tokens),
                func.coalesce(func.sum(Message.cost), 0),
                func.sum(reply),
            )
            .join(PracticeSession, PracticeSession.id == Message.session_id)
            .where(Message.role == MessageRole.assistant)
            .group_by(day, PracticeSession.user_id),
        )
    )
    assignment = func.coalesce(PracticeSession.assignment_id, NO_ASSIGNMENT)
    model = func.coalesce(Message.model, "")
    db.execute(
        insert(ClientDailyUsage).from_select(
            [
                "day",
                "client_id",
                "assignment_id",
                "model",
                "sessions",
                "messages",
                "replies",
                "input_tokens",
                "output_tokens",
                "cache_write_tokens",
                "cache_read_tokens",
                "cost",
            ],
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
            .group_by(day, PracticeSession.client_id, assignment, model),
        )
    )
    started_day = utc_date(db, PracticeSession.started_at)
    for day_value, client_id, assignment_id, count in db.execute(
        select(started_day, PracticeSession.client_id, assignment, func.count(PracticeSession.id))
        .where(PracticeSession.mode != SessionMode.check)  # probes of a client check
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
