"""Per-user, per-UTC-day usage totals, kept in step with the replies stored.

Budget checks read one day's rows instead of summing every message of the day, so a busy day costs
no more per message than a quiet one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, Money


class DailyUsage(Base):
    __tablename__ = "daily_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    replies: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
