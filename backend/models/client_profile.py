"""Simulated clients that a teacher authors and students interview."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, TimestampMixin, enum_type
from backend.models.enums import CommunicationStyle, Difficulty


class ClientProfile(IdMixin, TimestampMixin, Base):
    __tablename__ = "client_profiles"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_present"),
        CheckConstraint("age IS NULL OR (age >= 5 AND age <= 110)", name="age_range"),
    )

    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(60))
    occupation: Mapped[str | None] = mapped_column(String(120))
    cultural_background: Mapped[str | None] = mapped_column(String(200))
    background: Mapped[str] = mapped_column(Text, default="")
    presenting_concern: Mapped[str] = mapped_column(Text, default="")
    challenges: Mapped[str] = mapped_column(Text, default="")
    personality_traits: Mapped[list[str]] = mapped_column(JSON, default=list)
    communication_style: Mapped[CommunicationStyle] = mapped_column(
        enum_type(CommunicationStyle, length=16, check="style_valid")
    )
    difficulty: Mapped[Difficulty] = mapped_column(
        enum_type(Difficulty, length=16, check="difficulty_valid")
    )
    learning_goals: Mapped[str] = mapped_column(Text, default="")
    hidden_information: Mapped[str] = mapped_column(Text, default="")
    opening_line: Mapped[str | None] = mapped_column(Text)
    # When the client may repeat its hidden information word for word: after this many student
    # turns; None means never verbatim (the output guard stops a reply that does it earlier).
    hidden_reveal_after_turns: Mapped[int | None] = mapped_column(Integer)
    # Short rules for playing this client, part of the system prompt (versioned with the profile).
    principles: Mapped[list[str]] = mapped_column(JSON, default=list)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on every edit, so a conversation records which version of the client it met.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
