"""Sections (classes), their students, and the assignments published in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from backend.models.enums import AssignmentStatus


class Section(IdMixin, TimestampMixin, Base):
    __tablename__ = "sections"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_present"),
        CheckConstraint("seat_limit IS NULL OR seat_limit > 0", name="seat_limit_positive"),
    )

    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Optional: most students the section takes, and when its join code stops working.
    seat_limit: Mapped[int | None] = mapped_column(Integer)
    join_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The rubric reviews use when an assignment names none (None: the built-in micro-skills).
    rubric_id: Mapped[int | None] = mapped_column(
        ForeignKey("rubrics.id", ondelete="SET NULL"), index=True
    )


class Enrollment(IdMixin, Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("section_id", "student_id"),)

    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(IdMixin, TimestampMixin, Base):
    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_present"),
        CheckConstraint(
            "release_reviews IN ('immediately', 'after_teacher_review')",
            name="release_reviews_valid",
        ),
    )

    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_type(AssignmentStatus, length=16, check="status_valid"),
        default=AssignmentStatus.draft,
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reviews: the rubric (None: the section's default), and when students see them.
    rubric_id: Mapped[int | None] = mapped_column(
        ForeignKey("rubrics.id", ondelete="SET NULL"), index=True
    )
    release_reviews: Mapped[str] = mapped_column(
        String(24), default="immediately", server_default="immediately"
    )
    # A continuing client: the same student meets the same client over several sessions, and
    # the client remembers the earlier ones (`backend.practice.memory_service`). Last, after
    # the timestamps, as its migration added it (`sort_order`).
    continuing_client: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), sort_order=1
    )


class AssignmentClient(Base):
    __tablename__ = "assignment_clients"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("client_profiles.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
