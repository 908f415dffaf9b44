"""The API circuit breaker's state, shared by every app process when there is no Redis."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class CircuitBreakerState(Base):
    """One row per breaker; times are wall-clock epoch seconds (processes share no monotonic
    clock). No row is the same as a closed breaker with no failures."""

    __tablename__ = "circuit_breakers"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    opened_at: Mapped[float | None] = mapped_column(Float)
    # A half-open trial is running until then (it expires if its process dies), held by the token.
    trial_until: Mapped[float | None] = mapped_column(Float)
    trial_token: Mapped[str | None] = mapped_column(String(32))
