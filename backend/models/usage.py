"""Usage totals per UTC day, kept in step with the messages stored (same transaction).

Budget checks and the admin dashboard read these small tables instead of summing every message,
so a busy month costs no more per check or refresh than a quiet one. `usage_service.rebuild`
recomputes them from the messages.

Every turn with a client would update that client's row of the day, and on PostgreSQL a row lock
queues every such turn behind the one before it. So a turn appends its client usage as a new row
of `client_usage_increments` (appends never wait for each other), and every so often a writer
folds those rows into `client_daily_usage`; readers add the few not yet folded
(`usage_service.client_usage`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, Money


class DailyUsage(Base):
    """Per user and day: what budgets and the top-students list read."""

    __tablename__ = "daily_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    replies: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ClientUsageCounts:
    """What is counted of a client's usage (the rollup and its increments alike)."""

    sessions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    messages: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    replies: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")


class ClientDailyUsage(ClientUsageCounts, Base):
    """Per day, client, assignment and model: the dashboard's timelines and breakdowns."""

    __tablename__ = "client_daily_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("client_profiles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # 0 for conversations outside any assignment (teacher tests); no foreign key for that reason.
    assignment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(80), primary_key=True)


class ClientUsageIncrement(ClientUsageCounts, Base):
    """Client usage not yet folded into `client_daily_usage` (same keys and counts)."""

    __tablename__ = "client_usage_increments"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    day: Mapped[date] = mapped_column(Date)
    client_id: Mapped[int] = mapped_column(ForeignKey("client_profiles.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(80))
