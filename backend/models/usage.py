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

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, Money, UTCDateTime


class DailyUsage(Base):
    """Per user and day: what budgets and the top-students list read, and THE cost of every
    paid call, whole (`cost`) and by purpose (the `*_cost` columns, which add up to it).
    `tokens` counts every call; `check_tokens` the part of them spent by client checks (whose
    allowance is their own)."""

    __tablename__ = "daily_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    replies: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # By purpose (`backend.usage.purposes`): students' practice, teachers' test chats, client
    # checks' probe turns and judge calls, model-written reviews, drill items a model drafted,
    # continuing clients' memories, admins' connection tests.
    practice_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    test_chat_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    check_turns_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    check_judge_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    review_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    check_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # After check_tokens: revision 0010 added it last (the migrated column order).
    drill_items_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    # Added after drill_items_cost (migration 0011), so its place among the columns is here.
    memory_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    # Migration 0013: admins' "Test connection" calls.
    connection_test_cost: Mapped[Decimal] = mapped_column(
        Money, default=Decimal(0), server_default="0"
    )


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


class ClosedHour(Base):
    """Per closed UTC hour: the messages stored in it, their tokens and cost, and its replies'
    timings, each sorted (little-endian 8-byte integers), so the dashboard reads a closed hour's
    messages once: its last 24 hours and today's exact percentiles then read these rows.

    Written by the dashboard the first time it needs an hour that has closed (and stays closed:
    only an import writes past rows, and `usage_service.rebuild` then empties this table)."""

    __tablename__ = "closed_hours"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger)
    tokens: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[Decimal] = mapped_column(Money)
    latency_ms: Mapped[bytes] = mapped_column(LargeBinary)
    first_token_ms: Mapped[bytes] = mapped_column(LargeBinary)
