"""Drills: a teacher's sets of short one-skill exercises, the sections they are assigned to, and
every attempt a student makes at an item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from backend.models.enums import DrillItemStatus, DrillSkill


class DrillSet(IdMixin, TimestampMixin, Base):
    __tablename__ = "drill_sets"
    __table_args__ = (CheckConstraint("length(title) > 0", name="title_present"),)

    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The one skill every item trains; None: a mixed set.
    skill: Mapped[DrillSkill | None] = mapped_column(
        enum_type(DrillSkill, length=32, check="skill_valid")
    )


class DrillSetItem(IdMixin, Base):
    """One item of a set: a copy of a bank item, the teacher's own, or a model's draft (so an
    item a student answered never changes under their attempts)."""

    __tablename__ = "drill_set_items"
    __table_args__ = (CheckConstraint("length(statement) > 0", name="statement_present"),)

    set_id: Mapped[int] = mapped_column(ForeignKey("drill_sets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    skill: Mapped[DrillSkill] = mapped_column(enum_type(DrillSkill, length=32, check="skill_valid"))
    context: Mapped[str] = mapped_column(Text)  # one line: who the client is, what came before
    statement: Mapped[str] = mapped_column(Text)  # what the client says
    model_answer: Mapped[str] = mapped_column(Text)
    # Where it came from: "bank:<key>", "own", or "generated:<client name>".
    source: Mapped[str] = mapped_column(String(200))
    status: Mapped[DrillItemStatus] = mapped_column(
        enum_type(DrillItemStatus, length=16, check="status_valid"),
        default=DrillItemStatus.accepted,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DrillAssignment(IdMixin, Base):
    __tablename__ = "drill_assignments"
    __table_args__ = (UniqueConstraint("set_id", "section_id"),)

    set_id: Mapped[int] = mapped_column(ForeignKey("drill_sets.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DrillAttempt(IdMixin, Base):
    """One reply a student typed to an item, as the offline coder coded it. Items of an assigned
    set name the set and item; practice on one's own names the built-in bank's item."""

    __tablename__ = "drill_attempts"
    __table_args__ = (
        CheckConstraint(
            "(set_item_id IS NOT NULL AND set_id IS NOT NULL AND bank_key IS NULL) "
            "OR (set_item_id IS NULL AND set_id IS NULL AND bank_key IS NOT NULL)",
            name="item_or_bank",
        ),
    )

    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    set_id: Mapped[int | None] = mapped_column(
        ForeignKey("drill_sets.id", ondelete="CASCADE"), index=True
    )
    set_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("drill_set_items.id", ondelete="CASCADE"), index=True
    )
    bank_key: Mapped[str | None] = mapped_column(String(40))
    skill: Mapped[DrillSkill] = mapped_column(enum_type(DrillSkill, length=32, check="skill_valid"))
    reply: Mapped[str] = mapped_column(Text)
    codes: Mapped[list[str]] = mapped_column(JSON)  # the rubric's code keys
    hit: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
