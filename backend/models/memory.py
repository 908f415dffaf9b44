"""A continuing client's memory of one student: what the next session's prompt carries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, UTCDateTime


class ClientMemory(IdMixin, Base):
    """One per student, assignment and client: the summary of their sessions so far (written by
    the memory job when a session ends, or as a teacher edited it), and which hidden information
    the student earned in one of those sessions: it stays earned while the client's hidden
    information is still that text (a teacher who rewrites it makes a new secret, not earned)."""

    __tablename__ = "client_memories"
    __table_args__ = (UniqueConstraint("user_id", "assignment_id", "client_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("client_profiles.id", ondelete="CASCADE"), index=True
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    # `memory_service.secret_fingerprint` of the hidden information earned (None: none earned).
    hidden_earned_for: Mapped[str | None] = mapped_column(String(64))
    # The session the summary was last written from (None once that session is deleted).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="SET NULL"), index=True
    )
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
