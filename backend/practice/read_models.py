from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from backend.models.base import utcnow
from backend.models.enums import MessageRole, SessionMode, SessionStatus


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
    branch_of_id: int | None = None  # a branch ("Practise this moment") of that conversation
    branch_turn: int | None = None  # at that student turn of it

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
    #: The model refused to answer it (a student's message; `messages.refused`).
    refused: bool = False
