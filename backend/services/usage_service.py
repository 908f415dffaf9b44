"""Keeps the daily usage tables in step with sessions and messages, in the caller's transaction,
and can rebuild them from the messages (after an import, or to check them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from backend.db import upsert_add
from backend.models import ChatSession, ClientDailyUsage, DailyUsage, Message
from backend.models.enums import MessageRole
from backend.schemas.conversations import Usage

NO_ASSIGNMENT = 0


def _client_keys(chat: ChatSession, at: datetime, model: str | None = None) -> dict:
    """Rows are keyed by the reply's model; student messages and session starts use ""."""
    return {
        "day": at.date(),
        "client_id": chat.client_id,
        "assignment_id": chat.assignment_id or NO_ASSIGNMENT,
        "model": model or "",
    }


def record_session_started(session: Session, chat: ChatSession) -> None:
    upsert_add(session, ClientDailyUsage, _client_keys(chat, chat.started_at), {"sessions": 1})


def record_message(
    session: Session,
    chat: ChatSession,
    *,
    role: MessageRole | None,
    at: datetime,
    usage: Usage | None = None,
    cost: Decimal | None = None,
    model: str | None = None,
) -> None:
    """Count a stored message (role None: usage without a message); replies add tokens and cost."""
    increments = {"messages": 1} if role is not None else {}
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
            session,
            DailyUsage,
            {"day": at.date(), "user_id": chat.user_id},
            {
                "tokens": usage.total_tokens,
                "cost": cost or Decimal(0),
                "replies": 1 if role == MessageRole.assistant else 0,
            },
        )
    upsert_add(
        session, ClientDailyUsage, _client_keys(chat, at, model if usage else None), increments
    )


def rebuild(session: Session) -> None:
    """Recompute both tables from sessions and messages (grouped in the database)."""
    session.execute(delete(DailyUsage))
    session.execute(delete(ClientDailyUsage))
    day = (
        func.date(Message.created_at)
        if _sqlite(session)
        else func.cast(func.timezone("UTC", Message.created_at), ClientDailyUsage.day.type)
    )
    reply = case((Message.role == MessageRole.assistant.value, 1), else_=0)
    tokens = (
        Message.input_tokens
        + Message.output_tokens
        + Message.cache_write_tokens
        + Message.cache_read_tokens
    )
    session.execute(
        insert(DailyUsage).from_select(
            ["day", "user_id", "tokens", "cost", "replies"],
            select(
                day,
                ChatSession.user_id,
                func.sum(tokens),
                func.coalesce(func.sum(Message.cost), 0),
                func.sum(reply),
            )
            .join(ChatSession, ChatSession.id == Message.session_id)
            .where(Message.role == MessageRole.assistant.value)
            .group_by(day, ChatSession.user_id),
        )
    )
    assignment = func.coalesce(ChatSession.assignment_id, NO_ASSIGNMENT)
    model = func.coalesce(Message.model, "")
    session.execute(
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
                ChatSession.client_id,
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
            .join(ChatSession, ChatSession.id == Message.session_id)
            .group_by(day, ChatSession.client_id, assignment, model),
        )
    )
    started_day = (
        func.date(ChatSession.started_at)
        if _sqlite(session)
        else func.cast(func.timezone("UTC", ChatSession.started_at), ClientDailyUsage.day.type)
    )
    for day_value, client_id, assignment_id, count in session.execute(
        select(started_day, ChatSession.client_id, assignment, func.count(ChatSession.id)).group_by(
            started_day, ChatSession.client_id, assignment
        )
    ).all():
        day_value = (
            day_value
            if not isinstance(day_value, str)
            else datetime.strptime(day_value, "%Y-%m-%d").date()
        )
        upsert_add(
            session,
            ClientDailyUsage,
            {"day": day_value, "client_id": client_id, "assignment_id": assignment_id, "model": ""},
            {"sessions": count},
        )


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
