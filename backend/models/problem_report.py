"""What testers and users report from any page ("Report a problem"), read by admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, UTCDateTime, utcnow


class ProblemReport(IdMixin, Base):
    __tablename__ = "problem_reports"

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The reporter; the report stays when their account is deleted.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    page: Mapped[str] = mapped_column(String(200))  # the page it was sent from
    text: Mapped[str] = mapped_column(Text)
