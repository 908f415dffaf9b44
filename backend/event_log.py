"""The persisted event log: errors and notable events for the admin dashboard."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.config import get_settings
from backend.db import older_than, set_event_recorder
from backend.models import Event
from backend.models.enums import Severity
from backend.utils.text import bounded

if TYPE_CHECKING:
    from backend.llm.errors import GatewayError


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    severity: Severity
    category: str
    message: str
    user_id: int | None
    session_id: int | None
    details: dict[str, Any]


REDACTED = "[redacted]"
#: Anything that looks like a credential in text an API, a proxy or a person sent back: Anthropic
#: keys, bearer tokens, and the value of an x-api-key or authorization header (in any quoting).
_SECRET_PATTERNS = (
    re.compile(r"sk-ant-[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=\-]+"),
    re.compile(
        r"(?i)(\b(?:x-api-key|api[_-]?key|authorization)[\"']?\s*[:=]\s*[\"']?)"
        r"(?:bearer\s+)?[^\s\"',;}]+"
    ),
)
#: The longest message and detail value stored (whatever the caller passes: one place).
MAX_MESSAGE_CHARS = 1000
MAX_DETAIL_CHARS = 500
MAX_DETAIL_ITEMS = 50
_MAX_DEPTH = 4


def redact(text: str) -> str:
    """`text` without anything that looks like a key or token, nor the configured key itself."""
    text = str(text)
    key = get_settings().anthropic_api_key
    if key is not None and key.get_secret_value():
        text = text.replace(key.get_secret_value(), REDACTED)
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:  # a pattern with a group keeps its label ("x-api-key: ")
            text = pattern.sub(lambda found: found.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def _clean(value: Any, depth: int = 0) -> Any:
    """A details value as stored: secrets scrubbed, text bounded, lists and nesting cut short."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= _MAX_DEPTH:
        return bounded(redact(str(value)), MAX_DETAIL_CHARS)
    if isinstance(value, dict):
        items = list(value.items())[:MAX_DETAIL_ITEMS]
        return {bounded(str(k), 100): _clean(v, depth + 1) for k, v in items}
    if isinstance(value, (list, tuple)):
        return [_clean(v, depth + 1) for v in list(value)[:MAX_DETAIL_ITEMS]]
    return bounded(redact(str(value)), MAX_DETAIL_CHARS)


def record(
    db: Session,
    severity: str | Severity,
    category: str,
    message: str,
    *,
    user_id: int | None = None,
    session_id: int | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> None:
    """Add an event to the caller's transaction (secrets scrubbed, every value bounded); `at`
    dates it when it happened earlier (a paid call logged when its row goes)."""
    db.add(
        Event(
            **({"created_at": at} if at is not None else {}),
            severity=Severity(severity),
            category=category[:40],
            message=bounded(redact(message), MAX_MESSAGE_CHARS),
            user_id=user_id,
            session_id=session_id,
            details=_clean(dict(details or {})),
        )
    )


def record_api_failure(
    db: Session,
    error: GatewayError,
    message: str,
    *,
    purpose: str,
    user_id: int | None = None,
    session_id: int | None = None,
) -> None:
    """A model call the API failed, for the admin's Error log: `api_<category>` at the error's
    severity, with what the log shows of it (status, request id, the API's words; no secret)."""
    record(
        db,
        error.severity,
        f"api_{error.category}",
        message,
        user_id=user_id,
        session_id=session_id,
        details=error.event_details(purpose=purpose),
    )


def list_events(
    db: Session,
    *,
    actor: UserRead | None,
    severities: list[str] | None = None,
    categories: list[str] | None = None,
    since: datetime | None = None,
    limit: int = 200,
    before: tuple[datetime, int] | None = None,
) -> list[EventRead]:
    """Newest first, for the admin's error log; `before` (an event's time and id): the page of
    older ones, so that every event can be reached whatever the page size."""
    access.require(db, actor, "administration", "use")
    query = select(Event).order_by(Event.created_at.desc(), Event.id.desc()).limit(limit)
    if before is not None:
        query = query.where(older_than(Event.created_at, Event.id, before))
    if severities:
        query = query.where(Event.severity.in_(severities))
    if categories:
        query = query.where(Event.category.in_(categories))
    if since is not None:
        query = query.where(Event.created_at >= since)
    return [EventRead.model_validate(event) for event in db.scalars(query)]


def event_categories(db: Session, *, actor: UserRead | None) -> list[str]:
    """Every category logged so far, for the error log's filter."""
    access.require(db, actor, "administration", "use")
    return list(db.scalars(select(Event.category).distinct().order_by(Event.category)))


def event_exists_since(db: Session, *, category: str, key: str, since: datetime) -> bool:
    """Whether an event of `category` with `details.key == key` was recorded since `since`."""
    rows = db.scalars(
        select(Event.details).where(Event.category == category, Event.created_at >= since)
    )
    return any(details.get("key") == key for details in rows)


# Reading the log --------------------------------------------------------------------------------
#: Readable names for the categories the product logs (API failures are named by the gateway).
CATEGORY_LABELS = {
    "auth": "Log-in",
    "accounts": "Accounts",
    "budget": "Budget",
    "pricing": "Pricing",
    "partial_reply": "Cut-off reply",
    "judge_call": "Judge call",
    "drill_items_call": "Drill items drafted",
    "memory_call": "Client memory",
    "review_call": "Failed review attempt",
    "connection_test_call": "Connection test",
    "output_guard": "Reply held back",
    "refusal": "Reply refused by the model",
    "redis": "Redis",
    "readiness": "Readiness",
    "alert": "Alert to the operator",
}


#: Paid calls stored as no message leave an info event with their usage (tokens, "cost"): a
#: reply cut off after billing, a client check's judge call, a model drafting drill items, a
#: continuing client's memory summary, a failed review attempt a later one replaced, an admin's
#: connection test. With the stored replies and the reviews they are every paid call, with its
#: time of day (the dashboard's hourly figures).
PAID_CALL_CATEGORIES = (
    "partial_reply",
    "judge_call",
    "drill_items_call",
    "memory_call",
    "review_call",
    "connection_test_call",
)
#: Of those, the calls whose tokens are a conversation's (as "Tokens today" and the daily sheet
#: count them); the others add cost only.
CONVERSATION_CALL_CATEGORIES = ("partial_reply", "judge_call", "memory_call")


def paid_usage(details: dict | None) -> dict[str, int]:
    """A paid call's tokens of each kind as its event keeps them (a cut-off reply's output is
    estimated); 0 for what the event does not hold."""
    details = details or {}
    kept = {
        key: details.get(key) for key in ("input_tokens", "cache_write_tokens", "cache_read_tokens")
    }
    kept["output_tokens"] = details.get("output_tokens_estimated", details.get("output_tokens"))
    return {
        key: int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
        for key, value in kept.items()
    }


def paid_tokens(details: dict | None) -> int:
    """A paid call's tokens, all kinds together."""
    return sum(paid_usage(details).values())


def paid_cost(details: dict | None) -> Decimal:
    """A paid call's cost as its event keeps it ("None" for an unpriced model: nothing known)."""
    try:
        cost = Decimal(str((details or {}).get("cost")))
    except ArithmeticError:
        return Decimal(0)
    return cost if cost.is_finite() else Decimal(0)


def category_label(category: str) -> str:
    """'api_server_error' -> 'API: server error'; 'partial_reply' -> 'Cut-off reply'."""
    if category.startswith("api_"):
        from backend.llm import ErrorCategory
        from backend.llm.errors import CATEGORY_LABELS as API_LABELS

        kind = category.removeprefix("api_")
        try:
            return f"API: {API_LABELS[ErrorCategory(kind)]}"
        except (KeyError, ValueError):
            return f"API: {kind.replace('_', ' ')}"
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())


def headline(event: EventRead) -> str:
    """One line for the error log: the readable category, the HTTP status, and what happened
    (for a failed API call, the API's own words; secrets were scrubbed when it was stored)."""
    status = event.details.get("status")
    label = category_label(event.category) + (f" (HTTP {status})" if status else "")
    if event.category.startswith("api_"):
        detail = str(event.details.get("detail") or "").strip()
        return f"{label} · {detail}" if detail else label
    return f"{label} · {event.message}"


set_event_recorder(record)  # errors that roll their action back still reach the log
