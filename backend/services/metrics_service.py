"""The admin dashboard's figures, each computed in the database (grouped queries over indexed
columns), never by loading sessions or messages into Python. Days and hours are UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.models import (
    Assignment,
    ClientDailyUsage,
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
def _percentiles(db: Session, column, *conditions) -> Percentiles:
    """Median and 95th percentile (nearest rank) in one ordered pass in the database."""
    ranked = (
        select(
            column.label("value"),
            func.row_number().over(order_by=column).label("rank"),
            func.count().over().label("total"),
        )
        .select_from(Message)
        .where(column.is_not(None), *conditions)
        .subquery()
    )
    # ceil(p * n) in integer arithmetic, the same on both backends.
    median_rank = (50 * ranked.c.total + 99) // 100
    p95_rank = (95 * ranked.c.total + 99) // 100
    rows = db.execute(
        select(ranked.c.value, ranked.c.rank, ranked.c.total, median_rank, p95_rank).where(
            or_(ranked.c.rank == median_rank, ranked.c.rank == p95_rank)
        )
    ).all()
    if not rows:
        return Percentiles(None, None, 0)
    by_rank = {int(rank): value for value, rank, _total, _m, _p in rows}
    total, median_at, p95_at = int(rows[0][2]), int(rows[0][3]), int(rows[0][4])
    return Percentiles(_ms(by_rank.get(median_at)), _ms(by_rank.get(p95_at)), total)


def _ms(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _bucket(db: Session, column, unit: str):
    """The start of the hour or day of `column`, as text the same on both backends."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(
            func.date_trunc(unit, func.timezone("UTC", column)),
            "YYYY-MM-DD HH24:00" if unit == "hour" else "YYYY-MM-DD",
        )
    return func.strftime("%Y-%m-%d %H:00" if unit == "hour" else "%Y-%m-%d", column)


def _parse_bucket(text: str) -> datetime:
    pattern = "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d"
    return datetime.strptime(text, pattern).replace(tzinfo=UTC)


# Figures ---------------------------------------------------------------------------------------
def now_figures(db: Session, *, actor: UserRead | None, now: datetime | None = None) -> NowFigures:
    require_admin(actor)
    now = now or datetime.now(UTC)
    today, hour_ago = start_of_utc_day(now), now - timedelta(hours=1)
    active = (
        db.scalar(
            select(func.count(PracticeSession.id)).where(
                PracticeSession.status == SessionStatus.active, NOT_A_CHECK
            )
        )
        or 0
    )
    started, completed, completed_cost = db.execute(
        select(
            func.count(PracticeSession.id),
            func.count(PracticeSession.id).filter(
                PracticeSession.status == SessionStatus.completed
            ),
            func.sum(PracticeSession.estimated_cost).filter(
                PracticeSession.status == SessionStatus.completed
            ),
        ).where(PracticeSession.started_at >= today, PracticeSession.started_at <= now, NOT_A_CHECK)
    ).one()
    rollup = ClientDailyUsage
    usage = db.execute(
        select(
            func.sum(rollup.messages),
            func.sum(rollup.input_tokens),
            func.sum(rollup.output_tokens),
            func.sum(rollup.cache_write_tokens),
            func.sum(rollup.cache_read_tokens),
            func.sum(rollup.cost),
        ).where(rollup.day == today.date())
    ).one()
    replies_today = and_(
        Message.role == MessageRole.assistant,
        Message.created_at >= today,
        Message.created_at <= now,
    )
    replies_hour = and_(
        Message.role == MessageRole.assistant,
        Message.created_at >= hour_ago,
        Message.created_at <= now,
    )
    return NowFigures(
        active_sessions=int(active),
        sessions_today=int(started or 0),
        messages_today=int(usage[0] or 0),
        input_tokens=int(usage[1] or 0),
        output_tokens=int(usage[2] or 0),
        cache_write_tokens=int(usage[3] or 0),
        cache_read_tokens=int(usage[4] or 0),
        cost_today=Decimal(usage[5] or 0),
        completed_today=int(completed or 0),
        cost_completed_today=Decimal(completed_cost or 0),
        latency_last_hour=_percentiles(db, Message.latency_ms, replies_hour),
        latency_today=_percentiles(db, Message.latency_ms, replies_today),
        first_token_last_hour=_percentiles(db, Message.time_to_first_token_ms, replies_hour),
        first_token_today=_percentiles(db, Message.time_to_first_token_ms, replies_today),
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
    bucket = _bucket(db, Message.created_at, "hour")
    rows = db.execute(
        select(bucket, func.count(Message.id), func.sum(Message.all_tokens), func.sum(Message.cost))
        .where(Message.created_at >= first, Message.created_at <= now)
        .group_by(bucket)
    ).all()
    found = {
        _parse_bucket(b): UsageBucket(
            _parse_bucket(b), messages=int(n), tokens=int(t or 0), cost=Decimal(c or 0)
        )
        for b, n, t, c in rows
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
    rollup = ClientDailyUsage
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
    error_day = _bucket(db, Event.created_at, "day")
    problems = {
        _parse_bucket(day).date(): count
        for day, count in db.execute(
            select(error_day, func.count(Event.id))
            .where(
                Event.created_at >= first,
                Event.created_at <= now,
                Event.severity.in_(PROBLEM_SEVERITIES),
            )
            .group_by(error_day)
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
    now = now or datetime.now(UTC)
    since = (start_of_utc_day(now) - timedelta(days=days - 1)).date()
    if by == "student":
        query = (
            select(
                User.display_name,
                func.sum(DailyUsage.tokens),
                func.sum(DailyUsage.cost),
                func.sum(DailyUsage.replies),
            )
            .join(User, User.id == DailyUsage.user_id)
            .where(DailyUsage.day >= since, DailyUsage.day <= now.date(), User.role == "student")
            .group_by(User.id, User.display_name)
            .order_by(func.sum(DailyUsage.cost).desc())
        )
        return _breakdown_rows(db, query.limit(limit))
    rollup = ClientDailyUsage
    labels = {
        "model": rollup.model,
        "client": ClientProfile.name,
        "teacher": User.display_name,
        "section": func.coalesce(Section.name, literal_column("'(no section: teacher tests)'")),
    }
    if by not in labels:
        raise ValueError(f"unknown breakdown {by!r}")
    label = labels[by]
    query = select(
        label, func.sum(_rollup_tokens()), func.sum(rollup.cost), func.sum(rollup.replies)
    ).where(rollup.day >= since, rollup.day <= now.date(), rollup.replies > 0)
    if by in {"client", "teacher"}:
        query = query.join(ClientProfile, ClientProfile.id == rollup.client_id)
    if by == "teacher":
        query = query.join(User, User.id == ClientProfile.owner_id)
    if by == "section":
        query = query.outerjoin(Assignment, Assignment.id == rollup.assignment_id).outerjoin(
            Section, Section.id == Assignment.section_id
        )
    return _breakdown_rows(
        db, query.group_by(label).order_by(func.sum(rollup.cost).desc()).limit(limit)
    )


def _breakdown_rows(db: Session, query) -> list[Breakdown]:
    return [
        Breakdown(str(name), int(tokens or 0), Decimal(cost or 0), int(count or 0))
        for name, tokens, cost, count in db.execute(query)
    ]


def _rollup_tokens():
    rollup = ClientDailyUsage
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
    """What session reviews cost today and over the last 30 days (UTC), from `session_reviews`."""
    require_admin(actor)
    now = now or datetime.now(UTC)
    today = start_of_utc_day(now)
    return _review_cost(db, today), _review_cost(db, today - timedelta(days=29))


def _review_cost(db: Session, since: datetime) -> ReviewCost:
    model = SessionReview.source == ReviewSource.model
    reviews, demo, cost = db.execute(
        select(
            func.count(SessionReview.id).filter(model),
            func.count(SessionReview.id).filter(SessionReview.source == ReviewSource.demo),
            func.sum(SessionReview.cost).filter(model),
        ).where(SessionReview.created_at >= since)
    ).one()
    return ReviewCost(reviews=reviews or 0, demo_reviews=demo or 0, cost=Decimal(cost or 0))
