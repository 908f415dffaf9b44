from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from backend.models.base import utcnow
from backend.models.enums import MessageRole, SessionMode, SessionStatus, Severity


class Usage(BaseModel):
    """Token usage as the API reports it; cache writes split by lifetime."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def prompt_tokens(self) -> int:
        """Everything sent: `input_tokens` excludes cached tokens."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens

    def minus(self, other: Usage) -> Usage:
        """What this usage adds over `other` (never below zero)."""
        return Usage(
            **{
                name: max(getattr(self, name) - getattr(other, name), 0)
                for name in Usage.model_fields
            }
        )

    def plus(self, other: Usage) -> Usage:
        return Usage(
            **{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields}
        )


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    client_id: int
    assignment_id: int | None
    mode: SessionMode
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    model: str | None
    prompt_version: str | None
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    total_tokens: int
    estimated_cost: Decimal
    unpriced_replies: int
    message_count: int
    reply_claimed_until: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == SessionStatus.active

    @property
    def reply_pending(self) -> bool:
        """A reply is being generated now (its claim has not expired)."""
        return self.reply_claimed_until is not None and self.reply_claimed_until > utcnow()


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: int
    sequence_number: int
    role: MessageRole
    content: str
    created_at: datetime
    token_count: int
    model: str | None
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost: Decimal | None
    latency_ms: int | None
    time_to_first_token_ms: int | None


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
