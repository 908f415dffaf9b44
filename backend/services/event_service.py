"""The persisted event log: errors and notable events for the admin dashboard."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.models import Event
from backend.models.enums import Severity
from backend.schemas.accounts import UserRead
from backend.schemas.conversations import EventRead
from backend.services.permissions import require_admin

_KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Remove anything that looks like an Anthropic key, and the configured key itself."""
    text = _KEY_PATTERN.sub(REDACTED, text)
    key = get_settings().anthropic_api_key
    if key is not None and key.get_secret_value():
        text = text.replace(key.get_secret_value(), REDACTED)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(v) for v in value]
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return redact(str(value))


def record(
    session: Session, severity: str | Severity, category: str, message: str, *,
    user_id: int | None = None, session_id: int | None = None, details: dict | None = None,
) -> None:
    """Add an event to the caller's transaction (secrets are scrubbed first)."""
    session.add(Event(
        severity=Severity(severity).value, category=category[:40], message=redact(message),
        user_id=user_id, session_id=session_id, details=_redact_value(details or {}),
    ))


def list_events(
    session: Session, *, actor: UserRead | None, severities: list[str] | None = None,
    categories: list[str] | None = None, since: datetime | None = None, limit: int = 200,
) -> list[EventRead]:
    """Newest first, for the admin's error log."""
    require_admin(actor)
    query = select(Event).order_by(Event.created_at.desc(), Event.id.desc()).limit(limit)
    if severities:
        query = query.where(Event.severity.in_(severities))
    if categories:
        query = query.where(Event.category.in_(categories))
    if since is not None:
        query = query.where(Event.created_at >= since)
    return [EventRead.model_validate(event) for event in session.scalars(query)]


def event_categories(session: Session, *, actor: UserRead | None) -> list[str]:
    """Every category logged so far, for the error log's filter."""
    require_admin(actor)
    return list(session.scalars(select(Event.category).distinct().order_by(Event.category)))


def event_exists_since(session: Session, *, category: str, key: str, since: datetime) -> bool:
    """Whether an event of `category` with `details.key == key` was recorded since `since`."""
    rows = session.scalars(
        select(Event.details).where(Event.category == category, Event.created_at >= since)
    )
    return any(details.get("key") == key for details in rows)
