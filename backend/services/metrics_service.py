"""The admin dashboard's figures, each computed in the database, never by loading sessions or
messages into Python. Days and hours are UTC.

A full refresh reads the daily rollups and, for what needs finer time, only covering indexes:
the replies' timings and every message's tokens and cost from the (role, created_at) index of
`messages`, review costs from that of `session_reviews`; a period is a range of such an index
(`_per_period`), and related figures come from one statement (`benchmarks/bench_dashboard.py`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, func, literal, literal_column, select, true, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.models import (
    Assignment,
    ClientProfile,
    DailyUsage,
    Event,
    Message,
    PracticeSession,
    Section,
    SessionReview,
    User,
)
from backend.models.enums import MessageRole, SessionMode, SessionStatus, Severity
from backend.models.review import ReviewSource
from backend.schemas.accounts import UserRead
from backend.services import usage_service
from backend.services.budget_service import start_of_utc_day
from backend.services.permissions import require_admin

THOUSAND = Decimal(1000)


@dataclass(frozen=True)
class Percentiles:
    median_ms: float | None
    p95_ms: float | None
    count: int


@dataclass(frozen=True)
class NowFigures:
    active_sessions: int
    sessions_today: int
    messages_today: int
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost_today: Decimal
    completed_today: int
    cost_completed_today: Decimal
    latency_last_hour: Percentiles
    latency_today: Percentiles
    first_token_last_hour: Percentiles
    first_token_today: Percentiles

    @property
    def tokens_today(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_write_tokens
            + self.cache_read_tokens
        )

    @property
    def cost_per_1k_tokens(self) -> Decimal | None:
        return self.cost_today / self.tokens_today * THOUSAND if self.tokens_today else None

    @property
    def avg_cost_per_completed(self) -> Decimal | None:
        return self.cost_completed_today / self.completed_today if self.completed_today else None

    @property
    def completion_rate(self) -> float | None:
        """Share of today's sessions that were completed."""
        return self.completed_today / self.sessions_today if self.sessions_today else None


@dataclass(frozen=True)
class ActiveSession:
    session_id: int
    user: str
    client: str
    started_at: datetime
    messages: int
    cost: Decimal


@dataclass(frozen=True)
class UsageBucket:
    """One hour or one day of usage: sessions started, messages stored, tokens and cost billed
    (stored replies and replies cut off after billing), and problems logged."""

    start: datetime
    sessions: int = 0
    messages: int = 0
    tokens: int = 0
    cost: Decimal = Decimal(0)
    problems: int = 0


#: The severities the error log shows by default; a day's "problems" counts the same events.
PROBLEM_SEVERITIES = (Severity.warning, Severity.error, Severity.critical)
#: The conversation service logs each billed reply it did not keep (cut off, held back, too late)
#: as an event with that reply's usage: the only trace of those tokens with a time of day.
UNKEPT_REPLY_CATEGORY = "partial_reply"
UNKEPT_TOKEN_KEYS = ("input_tokens", "cache_write_tokens", "cache_read_tokens")
#: A client check's probe conversations are not sessions of practice (their cost still counts).
NOT_A_CHECK = PracticeSession.mode != SessionMode.check


@dataclass(frozen=True)
class Breakdown:
    label: str
    tokens: int
    cost: Decimal
    replies: int


@dataclass(frozen=True)
class BudgetStatus:
    spend_today: Decimal
    daily_cost_budget: Decimal
    user_token_budget: int
    alert_threshold: float
    near_limit: list[tuple[str, int]] = field(default_factory=list)  # (username, tokens today)

    @property
    def spend_share(self) -> float | None:
        return float(self.spend_today / self.daily_cost_budget) if self.daily_cost_budget else None


# Helpers ---------------------------------------------------------------------------------------
#: The reply timings the dashboard shows, as (figure name, column).
TIMINGS = (
    ("latency", Message.latency_ms),
    ("first_token", Message.time_to_first_token_ms),
)


def _timing_percentiles(
    db: Session, *, windows: dict[str, datetime], now: datetime
) -> dict[tuple[str, str], Percentiles]:
    """Median and 95th percentile (nearest rank: the value at rank ceil(p * n)) of each timing
    over the replies stored since each window's start, keyed (timing, window).

    Both read only the replies' range of the (role, created_at) index, which carries the
    timings. PostgreSQL's `percentile_disc` is that nearest rank and computes everything in one
    statement; SQLite counts first, then reads each percentile as the value at an offset of the
    ordered timings (the 95th from the top end, so its sort keeps only the last 5%)."""
    if db.get_bind().dialect.name == "postgresql":
        columns = [
            aggregate.filter(Message.created_at >= start)
            for _name, column in TIMINGS
            for start in windows.values()
            for aggregate in (
                func.count(column),
                func.percentile_disc(postgresql.array([0.5, 0.95])).within_group(column),
            )
        ]
        since = _replies_since(min(windows.values()), now)
        found = iter(db.execute(select(*columns).where(*since)).one())
        return {
            (name, window): _percentiles(int(next(found)), *(next(found) or (None, None)))
            for name, _column in TIMINGS
            for window in windows
        }
    counts = _per_period(db, "reply timings", [(start, None) for start in windows.values()], now)
    result = {}
    for position, (name, column) in enumerate(TIMINGS):
        for (window, start), row in zip(windows.items(), counts, strict=True):
            total = int(row[position])
            ranks = [-(-total * p // 100) for p in (50, 95)]  # ceil(p * n), exactly
            values = [
                db.scalar(
                    select(column)
                    .where(*_replies_since(start, now), column.is_not(None))
                    .order_by(column.desc() if p == 95 else column)
                    .limit(1)
                    .offset(total - rank if p == 95 else rank - 1)
                )
                if total
                else None
                for p, rank in zip((50, 95), ranks, strict=True)
            ]
            result[name, window] = _percentiles(total, *values)
    return result


def _replies_since(start: datetime, now: datetime) -> list:
    """Replies stored from `start` to `now` (one range of the (role, created_at) index)."""
    return [
        Message.role == MessageRole.assistant,
        Message.created_at >= start,
        Message.created_at <= now,
    ]


def _percentiles(total: int, median, p95) -> Percentiles:
    return Percentiles(_ms(median), _ms(p95), total) if total else Percentiles(None, None, 0)


def _ms(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _per_period(
    db: Session, kind: str, periods: list[tuple[datetime, datetime | None]], now: datetime
) -> list[tuple]:
    """The aggregates of `kind` (see `PERIODS`) over each [start, end) period (end None: open),
    one row per period, in one statement.

    Each period is a range read of an index that carries what the aggregates read: no per-row
    bucket arithmetic, no grouping, the same on both backends. The statement is built once per
    shape (building a 30-branch union costs more than running it) and takes the times as
    parameters."""
    shape = tuple(end is None for _start, end in periods)
    params: dict[str, datetime] = {"now": now}
    for index, (start, end) in enumerate(periods):
        params[f"start_{index}"] = start
        if end is not None:
            params[f"end_{index}"] = end
    rows = {row[0]: tuple(row[1:]) for row in db.execute(_period_statement(kind, shape), params)}
    return [rows[index] for index in range(len(periods))]


#: What `_per_period` reads: (aggregates, time column, conditions); `:now` is the moment.
PERIODS: dict[str, Callable[[], tuple[list, Any, list]]] = {
    "messages": lambda: (
        [func.count(), func.sum(Message.all_tokens), func.sum(Message.cost)],
        Message.created_at,
        # Every message: the role lets the read use the (role, created_at) index.
        [Message.created_at <= bindparam("now"), Message.role.in_(list(MessageRole))],
    ),
    "reply timings": lambda: (
        [func.count(column) for _name, column in TIMINGS],
        Message.created_at,
        [Message.created_at <= bindparam("now"), Message.role == MessageRole.assistant],
    ),
    "problems": lambda: (
        [func.count()],
        Event.created_at,
        [Event.created_at <= bindparam("now"), Event.severity.in_(PROBLEM_SEVERITIES)],
    ),
    "reviews": lambda: (
        [
            func.count().filter(SessionReview.source == ReviewSource.model),
            func.count().filter(SessionReview.source == ReviewSource.demo),
            func.sum(SessionReview.cost).filter(SessionReview.source == ReviewSource.model),
        ],
        SessionReview.created_at,
        [],  # no upper bound: every review since the start
    ),
}


@functools.cache
def _period_statement(kind: str, open_ends: tuple[bool, ...]):
    aggregates, time_column, conditions = PERIODS[kind]()
    return union_all(
        *[
            select(literal(index, Integer).label("period"), *aggregates).where(
                time_column >= bindparam(f"start_{index}"),
                *([] if open_end else [time_column < bindparam(f"end_{index}")]),
                *conditions,
            )
            for index, open_end in enumerate(open_ends)
        ]
    )


def _consecutive(starts: list[datetime]) -> list[tuple[datetime, datetime | None]]:
    """Periods from each start to the next, the last one open."""
    return list(zip(starts, [*starts[1:], None], strict=True))


# Figures ---------------------------------------------------------------------------------------
def now_figures(db: Session, *, actor: UserRead | None, now: datetime | None = None) -> NowFigures:
    require_admin(actor)
    now = now or datetime.now(UTC)
    today, hour_ago = start_of_utc_day(now), now - timedelta(hours=1)
    # Sessions open now and started today, and today's usage rollup: one statement (three
    # one-row reads, each on its own index).
    active = (
        select(func.count(PracticeSession.id))
        .where(PracticeSession.status == SessionStatus.active, NOT_A_CHECK)
        .scalar_subquery()
    )
    completed = PracticeSession.status == SessionStatus.completed
    started = (
        select(
            func.count(PracticeSession.id).label("started"),
            func.count(PracticeSession.id).filter(completed).label("completed"),
            func.sum(PracticeSession.estimated_cost).filter(completed).label("completed_cost"),
        )
        .where(PracticeSession.started_at >= today, PracticeSession.started_at <= now, NOT_A_CHECK)
        .subquery()
    )
    rollup = usage_service.client_usage()
    billed = (
        select(
            func.sum(rollup.messages).label("messages"),
            func.sum(rollup.input_tokens).label("input_tokens"),
            func.sum(rollup.output_tokens).label("output_tokens"),
            func.sum(rollup.cache_write_tokens).label("cache_write_tokens"),
            func.sum(rollup.cache_read_tokens).label("cache_read_tokens"),
            func.sum(rollup.cost).label("cost"),
        )
        .where(rollup.day == today.date())
        .subquery()
    )
    row = db.execute(
        select(active.label("active"), started, billed).select_from(started.join(billed, true()))
    ).one()
    timings = _timing_percentiles(db, windows={"hour": hour_ago, "today": today}, now=now)
    return NowFigures(
        active_sessions=int(row.active or 0),
        sessions_today=int(row.started or 0),
        messages_today=int(row.messages or 0),
        input_tokens=int(row.input_tokens or 0),
        output_tokens=int(row.output_tokens or 0),
        cache_write_tokens=int(row.cache_write_tokens or 0),
        cache_read_tokens=int(row.cache_read_tokens or 0),
        cost_today=Decimal(row.cost or 0),
        completed_today=int(row.completed or 0),
        cost_completed_today=Decimal(row.completed_cost or 0),
        latency_last_hour=timings["latency", "hour"],
        latency_today=timings["latency", "today"],
        first_token_last_hour=timings["first_token", "hour"],
        first_token_today=timings["first_token", "today"],
    )


def active_sessions(
    db: Session, *, actor: UserRead | None, limit: int = 100
) -> list[ActiveSession]:
    require_admin(actor)
    rows = db.execute(
        select(
            PracticeSession.id,
            User.display_name,
            ClientProfile.name,
            PracticeSession.started_at,
            PracticeSession.message_count,
            PracticeSession.estimated_cost,
        )
        .join(User, User.id == PracticeSession.user_id)
        .join(ClientProfile, ClientProfile.id == PracticeSession.client_id)
        .where(PracticeSession.status == SessionStatus.active, NOT_A_CHECK)
        .order_by(PracticeSession.started_at.desc())
        .limit(limit)
    ).all()
    return [ActiveSession(*row) for row in rows]


def hourly_usage(
    db: Session, *, actor: UserRead | None, now: datetime | None = None
) -> list[UsageBucket]:
    """The last 24 hours, one bucket per hour (empty hours included): messages stored, and every
    billed token and cent (stored replies, and replies cut off after billing), like "today"."""
    require_admin(actor)
    now = now or datetime.now(UTC)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    hours = [first + timedelta(hours=h) for h in range(24)]
    counted = _per_period(db, "messages", _consecutive(hours), now)
    found = {
        hour: UsageBucket(hour, messages=int(n), tokens=int(t or 0), cost=Decimal(c or 0))
        for hour, (n, t, c) in zip(hours, counted, strict=True)
        if n
    }
    for hour, (tokens, cost) in _unkept_replies(db, first, now).items():
        kept = found.get(hour, UsageBucket(hour))
        found[hour] = UsageBucket(
            hour, messages=kept.messages, tokens=kept.tokens + tokens, cost=kept.cost + cost
        )
    return [
        found.get(first + timedelta(hours=h), UsageBucket(first + timedelta(hours=h)))
        for h in range(24)
    ]


def _unkept_replies(
    db: Session, first: datetime, now: datetime
) -> dict[datetime, tuple[int, Decimal]]:
    """Tokens and cost of billed replies that were not kept, by hour (few rows: read in Python)."""
    by_hour: dict[datetime, tuple[int, Decimal]] = {}
    for at, details in db.execute(
        select(Event.created_at, Event.details).where(
            Event.category == UNKEPT_REPLY_CATEGORY,
            Event.created_at >= first,
            Event.created_at <= now,
        )
    ):
        details = details or {}
        tokens = sum(_number(details.get(key)) for key in UNKEPT_TOKEN_KEYS) + _number(
            details.get("output_tokens_estimated", details.get("output_tokens"))
        )
        try:
            cost = Decimal(str(details.get("cost")))
        except ArithmeticError:  # "None": an unpriced model
            cost = Decimal(0)
        if not cost.is_finite():
            cost = Decimal(0)
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        before_tokens, before_cost = by_hour.get(hour, (0, Decimal(0)))
        by_hour[hour] = (before_tokens + tokens, before_cost + cost)
    return by_hour


def _number(value) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def daily_usage(
    db: Session, *, actor: UserRead | None, days: int = 7, now: datetime | None = None
) -> list[UsageBucket]:
    """The daily tracking sheet: sessions started, messages, tokens and cost billed (the usage
    rollups, cut-off replies included) and problems logged (warning, error or critical events,
    as in the error log's default view), per UTC day."""
    require_admin(actor)
    now = now or datetime.now(UTC)
    first = start_of_utc_day(now) - timedelta(days=days - 1)
    rollup = usage_service.client_usage()
    usage = {
        row[0]: row[1:]
        for row in db.execute(
            select(
                rollup.day,
                func.sum(rollup.sessions),
                func.sum(rollup.messages),
                func.sum(_rollup_tokens()),
                func.sum(rollup.cost),
            )
            .where(rollup.day >= first.date(), rollup.day <= now.date())
            .group_by(rollup.day)
        )
    }
    day_starts = [first + timedelta(days=offset) for offset in range(days)]
    problems = {
        start.date(): count
        for start, (count,) in zip(
            day_starts,
            _per_period(db, "problems", _consecutive(day_starts), now),
            strict=True,
        )
    }
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        sessions, messages, tokens, cost = usage.get(day.date(), (0, 0, 0, 0))
        result.append(
            UsageBucket(
                day,
                sessions=int(sessions or 0),
                messages=int(messages or 0),
                tokens=int(tokens or 0),
                cost=Decimal(cost or 0),
                problems=int(problems.get(day.date(), 0)),
            )
        )
    return result


#: The breakdowns of client usage (the usage rollup), and of students (the per-user rollup).
BREAKDOWNS = ("model", "teacher", "section", "client")
NO_SECTION = "(no section: teacher tests)"


def breakdowns(
    db: Session,
    *,
    actor: UserRead | None,
    days: int = 30,
    now: datetime | None = None,
    limit: int = 50,
    students: int = 10,
) -> dict[str, list[Breakdown]]:
    """Every breakdown the dashboard shows (by model, teacher, section, client, and the top
    `students`), most costly first, in two statements."""
    require_admin(actor)
    now = now or datetime.now(UTC)
    since = (start_of_utc_day(now) - timedelta(days=days - 1)).date()
    return _client_breakdowns(db, since, now, limit) | {
        "student": _student_breakdown(db, since, now, students)
    }


def breakdown(
    db: Session,
    *,
    actor: UserRead | None,
    by: str,
    days: int = 30,
    now: datetime | None = None,
    limit: int = 50,
) -> list[Breakdown]:
    """Cost and tokens of replies by model, teacher, section, client or student, most costly first."""
    require_admin(actor)
    if by not in {*BREAKDOWNS, "student"}:
        raise ValueError(f"unknown breakdown {by!r}")
    now = now or datetime.now(UTC)
    since = (start_of_utc_day(now) - timedelta(days=days - 1)).date()
    if by == "student":
        return _student_breakdown(db, since, now, limit)
    return _client_breakdowns(db, since, now, limit)[by]


def _student_breakdown(db: Session, since: date, now: datetime, limit: int) -> list[Breakdown]:
    """Summed per user first (one pass over the rollup), then named and ranked."""
    per_user = (
        select(
            DailyUsage.user_id,
            func.sum(DailyUsage.tokens).label("tokens"),
            func.sum(DailyUsage.cost).label("cost"),
            func.sum(DailyUsage.replies).label("replies"),
        )
        .where(DailyUsage.day >= since, DailyUsage.day <= now.date())
        .group_by(DailyUsage.user_id)
        .subquery()
    )
    query = (
        select(User.display_name, per_user.c.tokens, per_user.c.cost, per_user.c.replies)
        .join(per_user, per_user.c.user_id == User.id)
        .where(User.role == "student")
        .order_by(per_user.c.cost.desc())
        .limit(limit)
    )
    return [
        Breakdown(str(name), int(tokens or 0), Decimal(cost or 0), int(count or 0))
        for name, tokens, cost, count in db.execute(query)
    ]


def _client_breakdowns(
    db: Session, since: date, now: datetime, limit: int
) -> dict[str, list[Breakdown]]:
    """The four client breakdowns from one read of the usage rollup: its rows summed per
    (client, assignment, model) - as many as those combinations, whatever the traffic - then
    named, then summed per label here. Labels are names, as shown (two clients of one name share
    a row)."""
    rollup = usage_service.client_usage()
    summed = (
        select(
            rollup.client_id,
            rollup.assignment_id,
            rollup.model,
            func.sum(_rollup_tokens()).label("tokens"),
            func.sum(rollup.cost).label("cost"),
            func.sum(rollup.replies).label("replies"),
        )
        # Rows of a model: replies, and replies billed but not kept (student messages have none).
        .where(rollup.day >= since, rollup.day <= now.date(), rollup.model != "")
        .group_by(rollup.client_id, rollup.assignment_id, rollup.model)
        .subquery()
    )
    rows = db.execute(
        select(
            summed.c.model,
            User.display_name,
            func.coalesce(Section.name, literal_column(f"'{NO_SECTION}'")),
            ClientProfile.name,
            summed.c.tokens,
            summed.c.cost,
            summed.c.replies,
        )
        .select_from(summed)
        .join(ClientProfile, ClientProfile.id == summed.c.client_id)
        .join(User, User.id == ClientProfile.owner_id)
        .outerjoin(Assignment, Assignment.id == summed.c.assignment_id)
        .outerjoin(Section, Section.id == Assignment.section_id)
    ).all()
    result = {}
    for position, by in enumerate(BREAKDOWNS):
        totals: dict[str, list] = {}
        for row in rows:
            total = totals.setdefault(str(row[position]), [0, Decimal(0), 0])
            total[0] += int(row[4] or 0)
            total[1] += Decimal(row[5] or 0)
            total[2] += int(row[6] or 0)
        ranked = sorted(totals.items(), key=lambda item: item[1][1], reverse=True)
        result[by] = [Breakdown(label, *total) for label, total in ranked[:limit]]
    return result


def _rollup_tokens():
    rollup = usage_service.client_usage()
    return (
        rollup.input_tokens
        + rollup.output_tokens
        + rollup.cache_write_tokens
        + rollup.cache_read_tokens
    )


def budget_status(
    db: Session, settings: Settings, *, actor: UserRead | None, now: datetime | None = None
) -> BudgetStatus:
    require_admin(actor)
    day = start_of_utc_day(now).date()
    spend = db.scalar(select(func.sum(DailyUsage.cost)).where(DailyUsage.day == day))
    near = db.execute(
        select(User.username, DailyUsage.tokens)
        .join(User, User.id == DailyUsage.user_id)
        .where(
            DailyUsage.day == day,
            DailyUsage.tokens >= settings.user_daily_token_budget * settings.budget_alert_threshold,
        )
        .order_by(DailyUsage.tokens.desc())
        .limit(50)
    ).all()
    return BudgetStatus(
        Decimal(spend or 0),
        settings.global_daily_cost_budget_usd,
        settings.user_daily_token_budget,
        settings.budget_alert_threshold,
        [(name, int(tokens)) for name, tokens in near],
    )


# Reviews (their own purpose: not part of the client usage figures) ------------------------------
@dataclass(frozen=True)
class ReviewCost:
    reviews: int  # written by the feedback model (automatic demo reviews cost nothing)
    demo_reviews: int
    cost: Decimal

    @property
    def per_review(self) -> Decimal | None:
        return self.cost / self.reviews if self.reviews else None


def review_costs(
    db: Session, *, actor: UserRead | None, now: datetime | None = None
) -> tuple[ReviewCost, ReviewCost]:
    """What session reviews cost today and over the last 30 days (UTC), from `session_reviews`,
    in one read of its index on `created_at` (which carries the source and the cost)."""
    require_admin(actor)
    now = now or datetime.now(UTC)
    today = start_of_utc_day(now)
    today_row, month_row = _per_period(
        db, "reviews", [(today, None), (today - timedelta(days=29), None)], now
    )
    return _review_cost(*today_row), _review_cost(*month_row)


def _review_cost(reviews, demo_reviews, cost) -> ReviewCost:
    return ReviewCost(reviews=reviews or 0, demo_reviews=demo_reviews or 0, cost=Decimal(cost or 0))
