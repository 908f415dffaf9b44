"""Backend jobs: long model work (a reply, a review, a client check) any process can follow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, UTCDateTime, enum_type, utcnow
from backend.models.enums import JobStatus

#: The statuses of a job still in progress; at most one such job per kind and subject.
ACTIVE_STATUSES = (JobStatus.queued, JobStatus.running)
_ACTIVE = text("status IN (" + ", ".join(f"'{status.value}'" for status in ACTIVE_STATUSES) + ")")


class Job(IdMixin, Base):
    """One piece of long work: what it is about, who asked, how far it got and how it ended."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_kind_subject_id", "kind", "subject", "id"),
        Index(
            "uq_jobs_active_kind_subject",
            "kind",
            "subject",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
    )

    kind: Mapped[str] = mapped_column(String(32))
    #: What the job is about, by the kind's own id: a session for replies and reviews, a client
    #: for a client check.
    subject: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus, length=16, check="status_valid"), default=JobStatus.queued
    )
    #: A short line for the page ("Probe 3 of 7 finished: ..."), or a reply's text so far.
    progress: Mapped[str | None] = mapped_column(Text)
    progress_fraction: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Why it failed, written for the person who will read it.
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
