"""Conversations (table `practice_sessions`) and their messages, with usage and cost per reply."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, Money, UTCDateTime, enum_type, utcnow
from backend.models.enums import MessageRole, SessionMode, SessionStatus


class UsageColumns:
    """Token counts and cost; on a session they are the sums over its replies."""

    input_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    output_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @hybrid_property
    def all_tokens(self) -> int:
        """Every token billed: input, output, cache writes and cache reads (also in SQL)."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_write_tokens
            + self.cache_read_tokens
        )


ONE_ACTIVE_WHERE = "status = 'active' AND mode <> 'check' AND branch_of_id IS NULL"


class PracticeSession(IdMixin, UsageColumns, Base):
    """One conversation between a user (student, or teacher testing) and a client."""

    __tablename__ = "practice_sessions"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        CheckConstraint(
            "(branch_of_id IS NULL AND branch_turn IS NULL) "
            "OR (branch_of_id IS NOT NULL AND branch_turn >= 1)",
            name="branch_has_turn",
        ),
        Index("ix_practice_sessions_started_at_status", "started_at", "status"),
        Index("ix_practice_sessions_reply_claimed_until", "reply_claimed_until"),
        # At most one unfinished conversation per person and client, even when two starts race
        # (a client check's probes run side by side, one session each; a branch is a try of one
        # moment beside the conversations, not one of them).
        Index(
            "uq_practice_sessions_one_active_per_client",
            "user_id",
            "client_id",
            unique=True,
            sqlite_where=text(ONE_ACTIVE_WHERE),
            postgresql_where=text(ONE_ACTIVE_WHERE),
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("client_profiles.id", ondelete="RESTRICT"), index=True
    )
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL"), index=True
    )
    mode: Mapped[SessionMode] = mapped_column(
        enum_type(SessionMode, length=16, check="mode_valid"), default=SessionMode.practice
    )
    status: Mapped[SessionStatus] = mapped_column(
        enum_type(SessionStatus, length=16, check="status_valid"), default=SessionStatus.active
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    model: Mapped[str | None] = mapped_column(String(80))
    prompt_version: Mapped[str | None] = mapped_column(String(40))
    total_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    estimated_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    # Kept under the session's row lock: the next message's sequence number, and a cheap count.
    message_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Replies whose model has no price: their cost is unknown, not zero.
    unpriced_replies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The reply being generated now (at most one): who claimed it, until when the claim holds (a
    # crashed process cannot hold it forever), and what it reserved of the daily budgets.
    reply_claim_id: Mapped[str | None] = mapped_column(String(32))
    reply_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reserved_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reserved_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    # A branch ("Practise this moment"): the conversation it tries again, and the student turn of
    # that conversation (its sequence number, the turn reviews cite) it rewinds to.
    # Last, after the usage columns, as their migration added them (`sort_order`).
    branch_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True, sort_order=1
    )
    branch_turn: Mapped[int | None] = mapped_column(Integer, sort_order=2)
    # When a continuing client's memory took this session in (None: not yet, or not such a
    # session): a session whose memory job was lost is written by the next one's job, once.
    remembered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, sort_order=3)


class Message(IdMixin, UsageColumns, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("session_id", "sequence_number"),
        CheckConstraint("sequence_number >= 1", name="sequence_positive"),
        Index("ix_messages_session_id_created_at", "session_id", "created_at"),
        # Replies (or student messages) by time, carrying what the admin figures read (timings,
        # tokens, cost): today's percentiles and the 24-hour view read only this index, and a
        # reply-only range skips the student messages. Key columns rather than PostgreSQL's
        # INCLUDE so that SQLite covers them too; PostgreSQL truncates the extra keys out of its
        # inner pages, so the index is no bigger there.
        Index(
            "ix_messages_role_created_at",
            "role",
            "created_at",
            "latency_ms",
            "time_to_first_token_ms",
            "input_tokens",
            "output_tokens",
            "cache_write_tokens",
            "cache_read_tokens",
            "cost",
        ),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    sequence_number: Mapped[int] = mapped_column(Integer)
    role: Mapped[MessageRole] = mapped_column(enum_type(MessageRole, length=16, check="role_valid"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    token_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    model: Mapped[str | None] = mapped_column(String(80))
    cost: Mapped[Decimal | None] = mapped_column(Money)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    time_to_first_token_ms: Mapped[int | None] = mapped_column(Integer)
    #: A student message whose reply the model refused: once another student message follows
    #: it, the model is sent that one and not this again (`session_service.recent_turns`). Last,
    #: after the usage columns, as its migration added it (`sort_order`).
    refused: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), sort_order=1
    )


class UnsentMessage(IdMixin, Base):
    """Words a student sent that were refused (too soon, over a budget, the service down), kept
    with their log-in so that "Send again" survives a reload; they go when the log-in ends (a
    shared computer's next person never sees them)."""

    __tablename__ = "unsent_messages"
    __table_args__ = (UniqueConstraint("login_session_id", "session_id", "position"),)

    login_session_id: Mapped[int] = mapped_column(
        ForeignKey("login_sessions.id", ondelete="CASCADE")
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
