"""Rubrics (versioned definitions) and the review of each ended practice session."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, Money, UTCDateTime, enum_type, utcnow
from backend.models.conversation import UsageColumns


class ReviewStatus(StrEnum):
    ready = "ready"
    failed = "failed"


class ReviewSource(StrEnum):
    model = "model"
    demo = "demo"


class ReviewRelease(StrEnum):
    """When students see their reviews (per assignment)."""

    immediately = "immediately"
    after_teacher_review = "after_teacher_review"


class Rubric(IdMixin, Base):
    """A rubric's identity; its content lives in versions (editing adds one)."""

    __tablename__ = "rubrics"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_present"),
        UniqueConstraint("owner_id", "key"),
        # Built-in rubrics (no owner) are seeded once per key, even when two first uses race.
        Index(
            "uq_rubrics_builtin_key",
            "key",
            unique=True,
            sqlite_where=text("owner_id IS NULL"),
            postgresql_where=text("owner_id IS NULL"),
        ),
    )

    key: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    # None: built in (read-only, everyone may use it); otherwise the teacher who owns it.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RubricVersion(IdMixin, Base):
    __tablename__ = "rubric_versions"
    __table_args__ = (
        UniqueConstraint("rubric_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionReview(IdMixin, UsageColumns, Base):
    """The review of one ended session: validated content, counted indicators, and its cost."""

    __tablename__ = "session_reviews"
    __table_args__ = (
        CheckConstraint(
            "hidden_information_turn IS NULL OR hidden_information_turn >= 1",
            name="hidden_turn_positive",
        ),
        CheckConstraint(
            "teacher_released_at IS NULL OR teacher_content IS NOT NULL",
            name="teacher_release_has_content",
        ),
        # By time, carrying source, status and cost: the admin's review costs (written reviews
        # counted apart from failed ones) read only this index, never the (wide) reviews.
        Index("ix_session_reviews_created_at", "created_at", "source", "status", "cost"),
    )

    session_id: Mapped[int] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"), unique=True
    )
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_versions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus, length=16, check="status_valid")
    )
    source: Mapped[ReviewSource] = mapped_column(
        enum_type(ReviewSource, length=16, check="source_valid")
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The validated review (None when it failed validation: invalid feedback is never kept).
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The client reply that first shared a run of words with the hidden information, if any.
    hidden_information_turn: Mapped[int | None] = mapped_column(Integer)
    # The teacher's version beside the model's first one (`content` is never overwritten): what
    # students read once `teacher_released_at` is set; agreement compares the two versions' scores.
    teacher_content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    teacher_indicators: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    teacher_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    model: Mapped[str | None] = mapped_column(String(80))
    cost: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BatchStatus(StrEnum):
    """A review's Message Batch request: waiting at the API, collected into the stored review,
    or written with a normal call after the batch request errored, expired or was canceled."""

    pending = "pending"
    collected = "collected"
    fell_back = "fell_back"


class ReviewBatch(IdMixin, Base):
    """A held review's request in a Message Batch: its batch id is kept so a process that dies
    while the batch runs is followed by one that collects the same batch (no second request)."""

    __tablename__ = "review_batches"
    __table_args__ = (Index("ix_review_batches_status_session_id", "status", "session_id"),)

    session_id: Mapped[int] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True
    )
    #: Who asked for the review: a resumed collection acts for them.
    requested_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    batch_id: Mapped[str] = mapped_column(String(120))
    custom_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[BatchStatus] = mapped_column(
        enum_type(BatchStatus, length=16, check="status_valid"), default=BatchStatus.pending
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
