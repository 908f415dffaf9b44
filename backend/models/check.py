"""Client checks: the scorecard of a client's scripted probe conversations, per client version
and the system prompt that version gave the model."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, Money, UTCDateTime, utcnow


class ClientCheck(IdMixin, Base):
    """One run of the check: the client's version it tested, the scorecard and what it cost."""

    __tablename__ = "client_checks"
    __table_args__ = (
        CheckConstraint("overall IN ('pass', 'warn', 'fail')", name="overall_valid"),
        Index("ix_client_checks_client_id_created_at", "client_id", "created_at"),
    )

    client_id: Mapped[int] = mapped_column(ForeignKey("client_profiles.id", ondelete="CASCADE"))
    client_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    overall: Mapped[str] = mapped_column(String(8))
    dimensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    probes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Money)
    cost: Mapped[Decimal | None] = mapped_column(Money)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: sha256 of the system prompt the probes were played with; None for checks made before
    #: 2026-12-07, which go stale with the version instead. Last, after the id, as its migration
    #: added it (`sort_order`).
    prompt_digest: Mapped[str | None] = mapped_column(String(64), sort_order=1)
