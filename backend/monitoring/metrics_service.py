"""The admin dashboard's figures, summed in the database, never by loading sessions or messages
into Python (only replies' timings, as integers, for exact percentiles). Days and hours are UTC.

A period that has closed does not change (rows are stamped with the time they are written), so
the figures of closed hours and days are computed once per process and kept in a bounded cache:
each hour's messages, tokens and cost, and its replies' sorted timings (for exact nearest-rank
percentiles, merged here with the open part's); each day's usage and problems; the breakdowns'
sums over the closed days. Every refresh reads from the database only what is still open: the
current hour or day, and one that closed less than `GRACE` ago (a transaction may commit late).
A period is closed once it ended `GRACE` or more before the earlier of the `now` asked about
and the wall clock. The cache is keyed by database (and its first message, so an import into an
empty database is never served its old zeros); `forget_closed_periods()` empties it.

A closed hour is also kept in the database (`closed_hours`: its messages, tokens, cost and
sorted reply timings), written by the first refresh that needs it, so a new process reads one
small row per closed hour instead of the hour's messages; `usage_service.rebuild` (after an
import) empties that table.

The open parts read the daily rollups and covering indexes: the replies' timings and every
message's tokens and cost from the (role, created_at) index of `messages`, review costs from
that of `session_reviews`; a period is a range of such an index (`_per_period`)."""

from __future__ import annotations

import functools
import sys
import threading
from array import array
from bisect import bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Result,
    bindparam,
    exists,
    func,
    literal,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend import access, event_log
from backend.actor import UserRead
from backend.config import Settings
from backend.db import insert_if_missing, utc_date
from backend.models import (
    Assignment,
    ClientProfile,
    ClosedHour,
    DailyUsage,
    Event,
    Message,
    PracticeSession,
    Section,
    SessionReview,
    User,
)
from backend.models.base import Money
from backend.models.enums import MessageRole, SessionMode, SessionStatus, Severity
from backend.models.review import ReviewSource, ReviewStatus
from backend.usage import purposes, usage_service
from backend.usage.budget_service import start_of_utc_day
from backend.usage.purposes import Purpose
from backend.utils.formatting import Named, told_apart, whose_client

THOUSAND = Decimal(1000)


@dataclass(frozen=True)
class Percentiles:
    median_ms: float | None
    p95_ms: float | None
    count: int


@dataclass(frozen=True)
class CostParts:
    """THE cost of a period (every paid call), by purpose; `total` is the cost every figure
    shows. Read from `daily_usage` (`_cost_parts`), whose purpose columns add up to its cost."""

    practice: Decimal = Decimal(0)
    test_chat: Decimal = Decimal(0)
    check_turns: Decimal = Decimal(0)
    check_judge: Decimal = Decimal(0)
    review: Decimal = Decimal(0)
    drill_items: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    connection_test: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return sum((self.of(purpose) for purpose in Purpose), Decimal(0))

    @property
    def client_checks(self) -> Decimal:
        """A client check's probe turns and its judge calls."""
        return self.check_turns + self.check_judge

    def of(self, purpose: Purpose) -> Decimal:
        return Decimal(getattr(self, purpose.value))

    def labelled(self) -> list[tuple[str, Decimal]]:
        """(label, cost) of each purpose, in the order the pages show them."""
        return [(label, self.of(purpose)) for purpose, label in purposes.LABELS.items()]


@dataclass(frozen=True)
class NowFigures:
    """Today's figures. Sessions and messages count students' practice only (teachers' test
    chats and client checks are not practice); tokens and cost count every paid call."""

    active_sessions: int
    sessions_today: int
    messages_today: int
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost_parts: CostParts
    completed_today: int
    cost_completed_today: Decimal
    #: The completed sessions' conversations and their model-written reviews.
    practice_cost_completed_today: Decimal
    latency_last_hour: Percentiles
    latency_today: Percentiles
    first_token_last_hour: Percentiles
    first_token_today: Percentiles
    #: Practice conversations still open with no message for `ACTIVE_WITHIN` (a tab closed
    #: without "End session": nothing ends a conversation by itself).
    left_open_sessions: int = 0

    @property
    def tokens_today(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_write_tokens
            + self.cache_read_tokens
        )

    @property
    def cost_today(self) -> Decimal:
        return self.cost_parts.total

    @property
    def cost_per_1k_tokens(self) -> Decimal | None:
        return self.cost_today / self.tokens_today * THOUSAND if self.tokens_today else None

    @property
    def avg_cost_per_completed(self) -> Decimal | None:
        return self.cost_completed_today / self.completed_today if self.completed_today else None

    @property
    def avg_cost_per_practice_session(self) -> Decimal | None:
        """A completed practice session's conversation and its review (with the failed
        attempts it replaced), on average."""
        if not self.completed_today:
            return None
        return self.practice_cost_completed_today / self.completed_today

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
    """One hour or one day of usage: practice sessions started and their messages (a day's),
    every message stored (an hour's), tokens and cost billed (stored replies and replies cut
    off after billing, judge calls and reviews), and problems logged; a day's cost by purpose."""

    start: datetime
    sessions: int = 0
    messages: int = 0
    tokens: int = 0
    cost: Decimal = Decimal(0)
    problems: int = 0
    parts: CostParts | None = None


#: The severities the error log shows by default; a day's "problems" counts the same events.
PROBLEM_SEVERITIES = (Severity.warning, Severity.error, Severity.critical)
#: Sessions of practice: students'. Teachers' test chats and client checks' probe conversations
#: are not practice (their cost still counts, under their own purpose).
PRACTICE = PracticeSession.mode == SessionMode.practice


@dataclass(frozen=True)
class Breakdown:
    label: str
    tokens: int
    cost: Decimal
    replies: int


@dataclass(frozen=True)
class BudgetStatus:
    spend_parts: CostParts
    daily_cost_budget: Decimal
    user_token_budget: int
    alert_threshold: float
    near_limit: list[tuple[str, int]] = field(default_factory=list)  # (username, tokens today)
    check_token_budget: int = 0  # each teacher's daily allowance for client checks (0: none)
    #: (username, check tokens today) near or past the client check allowance, enforced apart
    #: (a teacher refused there had read "Nobody is close": an attack, 2026-12-07).
    near_check_limit: list[tuple[str, int]] = field(default_factory=list)

    @property
    def spend_today(self) -> Decimal:
        return self.spend_parts.total

    @property
    def spend_share(self) -> float | None:
        return float(self.spend_today / self.daily_cost_budget) if self.daily_cost_budget else None


# Closed periods --------------------------------------------------------------------------------
#: A period is closed (cached) once it ended this long before the moment asked about and before
#: the wall clock: a transaction that wrote into it may still be committing.
GRACE = timedelta(minutes=10)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
#: Entries kept at most, least recently used dropped first. A refresh uses about 80 per
#: database (24 hours twice, 30 days, two sums); the largest, an hour's reply timings, is two
#: arrays of 8-byte ints (a busy hour of 1,500 replies: 24 kB).
CACHE_ENTRIES = 512

_closed: OrderedDict[tuple, Any] = OrderedDict()
_closed_lock = threading.Lock()


def forget_closed_periods() -> None:
    """Empty the cache of closed periods (tests; after rows were written with past times)."""
    with _closed_lock:
        _closed.clear()


def _closed_until(now: datetime) -> datetime:
    """Periods that ended by this moment are closed."""
    return min(now, datetime.now(UTC)) - GRACE


def _database(db: Session) -> tuple:
    """What the cache is kept per: the database, and its first message (one index probe), so a
    database refilled from empty (an import, a new test) does not meet figures of the old one."""
    return (str(db.get_bind().engine.url), db.scalar(select(func.min(Message.id))))


def _cached(database: tuple, kind: str, keys: list, compute: Callable[[list], dict]) -> dict:
    """{key: figures} for closed periods of `kind`, in the order of `keys`; `compute(missing
    keys)` fills what is not cached yet (a dict with every key it was given)."""
    found = {}
    with _closed_lock:
        for key in keys:
            entry = (database, kind, key)
            if entry in _closed:
                _closed.move_to_end(entry)
                found[key] = _closed[entry]
    missing = [key for key in keys if key not in found]
    if missing:
        computed = compute(missing)
        with _closed_lock:
            for key in missing:
                _closed[database, kind, key] = computed[key]
            while len(_closed) > CACHE_ENTRIES:
                _closed.popitem(last=False)
        found |= {key: computed[key] for key in missing}
    return {key: found[key] for key in keys}


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


# Helpers ---------------------------------------------------------------------------------------
#: The reply timings the dashboard shows, as (figure name, column).
TIMINGS = (
    ("latency", Message.latency_ms),
    ("first_token", Message.time_to_first_token_ms),
)


def _timing_percentiles(
    db: Session, database: tuple, *, now: datetime
) -> dict[tuple[str, str], Percentiles]:
    """Median and 95th percentile (nearest rank: the value at rank ceil(p * n)) of each timing
    over the replies stored today and in the last hour, keyed (timing, "today" or "hour").

    Today's closed hours come sorted from the cache, or else from `closed_hours`; the rest
    of today and the last hour are read in one statement (two ranges of the (role, created_at)
    index, which carries the timings); the ranks are then found across those sorted parts."""
    today, hour_ago = start_of_utc_day(now), now - HOUR
    open_from = max(today, _hour_floor(_closed_until(now)))
    closed_hours = [today + HOUR * n for n in range((open_from - today) // HOUR)]
    cached = _cached(
        database,
        "reply timings",
        closed_hours,
        lambda hours: {hour: kept.timings for hour, kept in _kept_hours(db, hours, now).items()},
    )
    today_open, last_hour = _sorted_timings(db, [(open_from, None), (hour_ago, None)], now)
    return {
        (name, window): _nearest_ranks(parts)
        for position, (name, _column) in enumerate(TIMINGS)
        for window, parts in (
            ("today", [*(timings[position] for timings in cached.values()), today_open[position]]),
            ("hour", [last_hour[position]]),
        )
    }


@dataclass(frozen=True)
class KeptHour:
    """A closed hour as `closed_hours` keeps it: its messages, their tokens and cost (cut-off
    replies are added from the event log), and each of `TIMINGS` of its replies, sorted."""

    messages: int
    tokens: int
    cost: Decimal
    timings: tuple[array[int], ...]


#: A range of kept hours (built once: compiled once per process).
_KEPT_HOURS = select(
    ClosedHour.hour,
    ClosedHour.messages,
    ClosedHour.tokens,
    ClosedHour.cost,
    *(getattr(ClosedHour, f"{name}_ms") for name, _column in TIMINGS),
).where(ClosedHour.hour >= bindparam("first"), ClosedHour.hour <= bindparam("last"))


def _kept_hours(db: Session, hours: list[datetime], now: datetime) -> dict[datetime, KeptHour]:
    """These closed hours as kept in `closed_hours` (one range read); those not kept yet are
    read from the messages (two reads of their index) and kept there for every process."""
    kept = {
        hour: KeptHour(messages, tokens, cost, tuple(_unpack(values) for values in timings))
        for hour, messages, tokens, cost, *timings in db.execute(
            _KEPT_HOURS, {"first": hours[0], "last": hours[-1]}
        )
    }
    missing = [hour for hour in hours if hour not in kept]
    if missing:
        periods: list[tuple[datetime, datetime | None]] = [(h, h + HOUR) for h in missing]
        read = {
            hour: KeptHour(int(count or 0), int(tokens or 0), Decimal(cost or 0), timings)
            for hour, (count, tokens, cost), timings in zip(
                missing,
                _per_period(db, "messages", periods, now),
                _sorted_timings(db, periods, now),
                strict=True,
            )
        }
        _keep_hours(db, read)
        kept |= read
    return {hour: kept[hour] for hour in hours}


def _keep_hours(db: Session, hours: dict[datetime, KeptHour]) -> None:
    """Store closed hours; one already stored (by another process) is left as it is. Keeping
    them only saves later reads, so a write the database refuses now (SQLite: another
    transaction wrote since this one began reading) is given up: a later refresh keeps them."""
    rows = [
        {
            "hour": hour,
            "messages": kept.messages,
            "tokens": kept.tokens,
            "cost": kept.cost,
            **{
                f"{name}_ms": _pack(values)
                for (name, _column), values in zip(TIMINGS, kept.timings, strict=True)
            },
        }
        for hour, kept in hours.items()
    ]
    if not rows:
        return
    try:
        with db.begin_nested():
            insert_if_missing(db, ClosedHour, rows, "hour")
    except OperationalError:
        pass


def _pack(values: array[int]) -> bytes:
    if sys.byteorder == "big":
        values = array("q", values)
        values.byteswap()
    return values.tobytes()


def _unpack(data: bytes) -> array[int]:
    values = array("q", data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _sorted_timings(
    db: Session, periods: list[tuple[datetime, datetime | None]], now: datetime
) -> list[tuple[array[int], ...]]:
    """Each timing's values (not null) in each period, sorted, one tuple per period."""
    values: list[tuple[list[int], ...]] = [tuple([] for _ in TIMINGS) for _ in periods]
    if periods:
        for index, *timings in _period_rows(db, "reply timing values", periods, now).all():
            for column, value in zip(values[index], timings, strict=True):
                if value is not None:
                    column.append(value)
    return [tuple(array("q", sorted(column)) for column in columns) for columns in values]


def _nearest_ranks(parts: list[array[int]]) -> Percentiles:
    """Median and 95th percentile, by nearest rank, of the values of several sorted parts: the
    smallest value with at least `rank` values at or below it (a search over the values)."""
    parts = [part for part in parts if part]
    total = sum(len(part) for part in parts)
    if not total:
        return Percentiles(None, None, 0)

    def at_rank(rank: int) -> int:
        low, high = min(part[0] for part in parts), max(part[-1] for part in parts)
        while low < high:
            middle = (low + high) // 2
            if sum(bisect_right(part, middle) for part in parts) >= rank:
                high = middle
            else:
                low = middle + 1
        return low

    median, p95 = (at_rank(-(-total * p // 100)) for p in (50, 95))  # ceil(p * n), exactly
    return Percentiles(_ms(median), _ms(p95), total)


def _ms(value: float | None) -> float | None:
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
    rows = {row[0]: tuple(row[1:]) for row in _period_rows(db, kind, periods, now)}
    return [rows[index] for index in range(len(periods))]


def _period_rows(
    db: Session, kind: str, periods: list[tuple[datetime, datetime | None]], now: datetime
) -> Result[*tuple[Any, ...]]:
    """The rows of `kind` in each period, each led by the period's index in `periods`."""
    shape = tuple(end is None for _start, end in periods)
    params: dict[str, datetime] = {"now": now}
    for index, (start, end) in enumerate(periods):
        params[f"start_{index}"] = start
        if end is not None:
            params[f"end_{index}"] = end
    return db.execute(_period_statement(kind, shape), params)


#: A message a branch ("Practise this moment") copied from its original: before the turn it tries.
_COPIED_TURN = (
    select(PracticeSession.id)
    .where(
        PracticeSession.id == Message.session_id,
        PracticeSession.branch_turn > Message.sequence_number,
    )
    .exists()
)

#: What `_per_period` reads: (aggregates, time column, conditions); `:now` is the moment.
PERIODS: dict[str, Callable[[], tuple[list, Any, list]]] = {
    "messages": lambda: (
        [func.count(), func.sum(Message.all_tokens), func.sum(Message.cost)],
        Message.created_at,
        # Every message written: the role lets the read use the (role, created_at) index; the
        # turns a branch copied from its original were counted when they were said.
        [
            Message.created_at <= bindparam("now"),
            Message.role.in_(list(MessageRole)),
            ~_COPIED_TURN,
        ],
    ),
    "reply timing values": lambda: (
        [column for _name, column in TIMINGS],
        Message.created_at,
        [Message.created_at <= bindparam("now"), Message.role == MessageRole.assistant],
    ),
    "reviews": lambda: (
        [
            # Written: a failed review (nothing shown) is no review, though its cost counts.
            func.count().filter(
                SessionReview.source == ReviewSource.model,
                SessionReview.status == ReviewStatus.ready,
            ),
            func.count().filter(SessionReview.source == ReviewSource.demo),
            func.sum(SessionReview.cost).filter(SessionReview.source == ReviewSource.model),
        ],
        SessionReview.created_at,
        [],  # no upper bound: every review since the start
    ),
}


@functools.cache
def _period_statement(kind: str, open_ends: tuple[bool, ...]) -> CompoundSelect:
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


# Figures ---------------------------------------------------------------------------------------
def now_figures(db: Session, *, actor: UserRead | None, now: datetime | None = None) -> NowFigures:
    access.require(db, actor, "administration", "use")
    now = now or datetime.now(UTC)
    today = start_of_utc_day(now)
    # Sessions open now and started today, and today's usage rollup: one statement (three
    # one-row reads, each on its own index).
    practising = _practising_since(now - ACTIVE_WITHIN)
    active = (
        select(func.count(PracticeSession.id))
        .where(PracticeSession.status == SessionStatus.active, PRACTICE, practising)
        .scalar_subquery()
    )
    left_open = (
        select(func.count(PracticeSession.id))
        .where(PracticeSession.status == SessionStatus.active, PRACTICE, ~practising)
        .scalar_subquery()
    )
    completed = PracticeSession.status == SessionStatus.completed
    started = (
        select(
            func.count(PracticeSession.id).label("started"),
            func.count(PracticeSession.id).filter(completed).label("completed"),
            func.sum(PracticeSession.estimated_cost).filter(completed).label("completed_cost"),
            func.sum(type_coerce(func.coalesce(SessionReview.cost, 0), Money))
            .filter(completed)
            .label("reviewed_cost"),
        )
        # At most one review per session: the join adds its cost, never a row.
        .outerjoin(SessionReview, SessionReview.session_id == PracticeSession.id)
        .where(
            PracticeSession.started_at >= today,
            PracticeSession.started_at <= now,
            PRACTICE,
            # A moment practised again is no session of its own, as everywhere else: three
            # had read as three sessions abandoned (an attack, 2026-12-07).
            PracticeSession.branch_of_id.is_(None),
        )
        .subquery()
    )
    rollup = usage_service.client_usage()
    billed = (
        select(
            func.sum(rollup.messages).filter(_in_practice()).label("messages"),
            func.sum(rollup.input_tokens).label("input_tokens"),
            func.sum(rollup.output_tokens).label("output_tokens"),
            func.sum(rollup.cache_write_tokens).label("cache_write_tokens"),
            func.sum(rollup.cache_read_tokens).label("cache_read_tokens"),
        )
        .where(rollup.day == today.date())
        .subquery()
    )
    row = db.execute(
        select(active.label("active"), left_open.label("left_open"), started, billed).select_from(
            started.join(billed, true())
        )
    ).one()
    # Review attempts a later one replaced: billed for these sessions, kept in events, not rows.
    replaced = db.scalars(
        select(Event.details)
        .join(PracticeSession, PracticeSession.id == Event.session_id)
        .where(
            Event.category == "review_call",
            completed,
            PracticeSession.started_at >= today,
            PracticeSession.started_at <= now,
            PRACTICE,
        )
    )
    replaced_cost = sum((event_log.paid_cost(details) for details in replaced), Decimal(0))
    timings = _timing_percentiles(db, _database(db), now=now)
    return NowFigures(
        active_sessions=int(row.active or 0),
        sessions_today=int(row.started or 0),
        messages_today=int(row.messages or 0),
        input_tokens=int(row.input_tokens or 0),
        output_tokens=int(row.output_tokens or 0),
        cache_write_tokens=int(row.cache_write_tokens or 0),
        cache_read_tokens=int(row.cache_read_tokens or 0),
        cost_parts=_costs_by_day(db, today.date(), today.date()).get(today.date(), CostParts()),
        completed_today=int(row.completed or 0),
        cost_completed_today=Decimal(row.completed_cost or 0),
        practice_cost_completed_today=Decimal(row.completed_cost or 0)
        + Decimal(row.reviewed_cost or 0)
        + replaced_cost,
        latency_last_hour=timings["latency", "hour"],
        latency_today=timings["latency", "today"],
        first_token_last_hour=timings["first_token", "hour"],
        first_token_today=timings["first_token", "today"],
        left_open_sessions=int(row.left_open or 0),
    )


#: A practice conversation is active while its student practises: it started, or a message was
#: stored, this recently. One left open longer (its tab closed without "End session") is not.
ACTIVE_WITHIN = timedelta(minutes=30)


def _practising_since(since: datetime) -> ColumnElement[bool]:
    """The conversation started, has a message, or had a reply on its way (its claim, renewed
    while it streams) since `since` (the messages' session index)."""
    recent = exists().where(Message.session_id == PracticeSession.id, Message.created_at >= since)
    # Never NULL (no claim is no reply on its way): "left open" is this condition's negation.
    answering = func.coalesce(PracticeSession.reply_claimed_until >= since, False)
    return (PracticeSession.started_at >= since) | answering | recent


def active_sessions(
    db: Session, *, actor: UserRead | None, now: datetime | None = None
) -> list[ActiveSession]:
    """Every practice conversation active now (`ACTIVE_WITHIN`), latest started first: the Now
    tab counts them all, so it lists them all (it listed 100 of a class of 150 unsaid; an
    attack, 2026-12-07)."""
    access.require(db, actor, "administration", "use")
    since = (now or datetime.now(UTC)) - ACTIVE_WITHIN
    rows = db.execute(
        select(
            PracticeSession.id,
            User.display_name,
            ClientProfile.name,
            PracticeSession.started_at,
            PracticeSession.message_count,
            PracticeSession.estimated_cost,
            User.id,
            User.username,
        )
        .join(User, User.id == PracticeSession.user_id)
        .join(ClientProfile, ClientProfile.id == PracticeSession.client_id)
        .where(PracticeSession.status == SessionStatus.active, PRACTICE, _practising_since(since))
        .order_by(PracticeSession.started_at.desc())
    ).all()
    # Two people of one name told apart by username, as Breakdowns and Feedback do (two "Sam
    # Lee" rows had said nothing of whose was whose: an attack, 2026-12-07).
    people = {row[6]: Named(row[6], row[1], row[7]) for row in rows}
    names = dict(zip(people, told_apart(list(people.values())), strict=True))
    return [ActiveSession(row[0], names[row[6]], *row[2:6]) for row in rows]


def hourly_usage(
    db: Session, *, actor: UserRead | None, now: datetime | None = None
) -> list[UsageBucket]:
    """The last 24 hours, one bucket per hour (empty hours included): messages stored, and every
    billed token and cent (stored replies, and replies cut off after billing), like "today"."""
    access.require(db, actor, "administration", "use")
    now = now or datetime.now(UTC)
    hours = [_hour_floor(now) - HOUR * back for back in range(23, -1, -1)]
    closed_until = _closed_until(now)
    closed = [hour for hour in hours if hour + HOUR <= closed_until]
    found = _cached(
        _database(db),
        "hour",
        closed,
        lambda missing: _hours(db, missing, now, counted=_kept_hours(db, missing, now)),
    )
    return [*found.values(), *_hours(db, hours[len(closed) :], now).values()]


def _hours(
    db: Session,
    hours: list[datetime],
    now: datetime,
    counted: dict[datetime, KeptHour] | None = None,
) -> dict[datetime, UsageBucket]:
    """The usage of each of these hours (up to `now`): their messages (`counted`, else one read
    of the messages' index) and cut-off replies (one read)."""
    if not hours:
        return {}
    if counted is None:
        periods = [(hour, hour + HOUR if hour + HOUR <= now else None) for hour in hours]
        rows = _per_period(db, "messages", periods, now)
    else:
        rows = [
            (counted[hour].messages, counted[hour].tokens, counted[hour].cost) for hour in hours
        ]
    unkept = _unkept_replies(db, hours[0], now)
    reviews = _per_period(
        db, "reviews", [(hour, hour + HOUR if hour + HOUR <= now else None) for hour in hours], now
    )
    result = {}
    for hour, (count, tokens, cost), (*_reviews, review_cost) in zip(
        hours, rows, reviews, strict=True
    ):
        extra_tokens, extra_cost = unkept.get(hour, (0, Decimal(0)))
        result[hour] = UsageBucket(
            hour,
            messages=int(count or 0),
            tokens=int(tokens or 0) + extra_tokens,
            cost=Decimal(cost or 0) + extra_cost + Decimal(review_cost or 0),
        )
    return result


def _unkept_replies(
    db: Session, first: datetime, now: datetime
) -> dict[datetime, tuple[int, Decimal]]:
    """Tokens and cost of billed replies that were not kept, by hour (few rows: read in Python)."""
    by_hour: dict[datetime, tuple[int, Decimal]] = {}
    for at, category, details in db.execute(
        select(Event.created_at, Event.category, Event.details).where(
            Event.category.in_(event_log.PAID_CALL_CATEGORIES),
            Event.created_at >= first,
            Event.created_at <= now,
        )
    ):
        details = details or {}
        # Conversations' tokens only, as in Today's figures: reviews, drill drafts and
        # connection tests add their cost to an hour, never tokens (an attack, 2026-12-07).
        conversation = category in event_log.CONVERSATION_CALL_CATEGORIES
        tokens = event_log.paid_tokens(details) if conversation else 0
        cost = event_log.paid_cost(details)
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        before_tokens, before_cost = by_hour.get(hour, (0, Decimal(0)))
        by_hour[hour] = (before_tokens + tokens, before_cost + cost)
    return by_hour


def daily_usage(
    db: Session, *, actor: UserRead | None, days: int = 7, now: datetime | None = None
) -> list[UsageBucket]:
    """The daily tracking sheet: practice sessions started and their messages, tokens of every
    conversation (cut-off replies and judge calls included), the cost of every paid call by
    purpose, and problems logged (warning, error or critical events, as in the error log's
    default view), per UTC day."""
    access.require(db, actor, "administration", "use")
    now = now or datetime.now(UTC)
    starts = [start_of_utc_day(now) - DAY * back for back in range(days - 1, -1, -1)]
    closed_until = _closed_until(now)
    closed = [start for start in starts if start + DAY <= closed_until]
    found = _cached(_database(db), "day", closed, lambda missing: _days(db, missing, now))
    return [*found.values(), *_days(db, starts[len(closed) :], now).values()]


def _days(db: Session, starts: list[datetime], now: datetime) -> dict[datetime, UsageBucket]:
    """The usage of each of these days (up to `now`): one grouped read of the client usage
    rollup, one of the problems."""
    if not starts:
        return {}
    rollup = usage_service.client_usage()
    first, last = starts[0].date(), min(starts[-1].date(), now.date())
    usage = {
        row[0]: row[1:]
        for row in db.execute(
            select(
                rollup.day,
                func.sum(rollup.sessions).filter(_in_practice()),
                func.sum(rollup.messages).filter(_in_practice()),
                func.sum(_rollup_tokens()),
            )
            .where(rollup.day >= first, rollup.day <= last)
            .group_by(rollup.day)
        )
    }
    day = utc_date(db, Event.created_at)
    problems = {
        _as_date(value): count
        for value, count in db.execute(
            select(day, func.count())
            .where(
                Event.created_at >= starts[0],
                Event.created_at < starts[-1] + DAY,
                Event.created_at <= now,
                Event.severity.in_(PROBLEM_SEVERITIES),
            )
            .group_by(day)
        )
    }
    costs = _costs_by_day(db, first, last)
    result = {}
    for start in starts:
        sessions, messages, tokens = usage.get(start.date(), (0, 0, 0))
        parts = costs.get(start.date(), CostParts())
        result[start] = UsageBucket(
            start,
            sessions=int(sessions or 0),
            messages=int(messages or 0),
            tokens=int(tokens or 0),
            cost=parts.total,
            problems=int(problems.get(start.date(), 0)),
            parts=parts,
        )
    return result


def _as_date(value: date | str) -> date:
    """A day as SQL returns it (SQLite: text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


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
    access.require(db, actor, "administration", "use")
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
    access.require(db, actor, "administration", "use")
    if by not in {*BREAKDOWNS, "student"}:
        raise ValueError(f"unknown breakdown {by!r}")
    now = now or datetime.now(UTC)
    since = (start_of_utc_day(now) - timedelta(days=days - 1)).date()
    if by == "student":
        return _student_breakdown(db, since, now, limit)
    return _client_breakdowns(db, since, now, limit)[by]


def _student_breakdown(db: Session, since: date, now: datetime, limit: int) -> list[Breakdown]:
    """Summed per user (the per-user rollup), ranked, then named: the top `limit` students."""
    summed = _sums(db, "students", since, now, _user_sums)
    ranked = sorted(summed, key=lambda user_id: summed[user_id][1], reverse=True)
    result: list[tuple[Named, list]] = []
    for offset in range(0, len(ranked), 100):
        chunk = ranked[offset : offset + 100]
        names = {
            user: Named(user, name, username)
            for user, name, username in db.execute(
                select(User.id, User.display_name, User.username).where(
                    User.id.in_(chunk), User.role == "student"
                )
            )
        }
        result += [(names[user], summed[user]) for user in chunk if user in names]
        if len(result) >= limit:
            break
    top = result[:limit]
    # A student named like one ranked lower (or not at all) is told apart too.
    namesakes = _namesakes(db, {named.name for named, _values in top})
    labels = [
        f"{named.name} ({named.whose})" if namesakes[named.name] > 1 else named.name
        for named, _values in top
    ]
    return [Breakdown(label, *values) for label, (_n, values) in zip(labels, top, strict=True)]


def _namesakes(db: Session, names: set[str]) -> Counter[str]:
    """How many students bear each of `names`."""
    rows = db.execute(
        select(User.display_name, func.count())
        .where(User.display_name.in_(names), User.role == "student")
        .group_by(User.display_name)
    )
    return Counter(dict(rows.all()))


def _user_sums(db: Session, first: date, last: date) -> dict[Any, list]:
    rows = db.execute(
        select(
            DailyUsage.user_id,
            func.sum(DailyUsage.tokens),
            func.sum(DailyUsage.cost),
            func.sum(DailyUsage.replies),
        )
        .where(DailyUsage.day >= first, DailyUsage.day <= last)
        .group_by(DailyUsage.user_id)
    )
    return {user: _totals(tokens, cost, replies) for user, tokens, cost, replies in rows}


def _client_breakdowns(
    db: Session, since: date, now: datetime, limit: int
) -> dict[str, list[Breakdown]]:
    """The four client breakdowns from the usage rollup summed per (client, assignment, model) -
    as many as those combinations, whatever the traffic - then named, then summed per teacher,
    section or client here. Two of one name are two rows, told apart by whose they are."""
    summed = _sums(db, "clients", since, now, _client_sums)
    clients = {
        client: (Named(owner, teacher, username), Named(client, name, whose_client(username, gone)))
        for client, name, owner, teacher, username, gone in db.execute(
            select(
                ClientProfile.id,
                ClientProfile.name,
                User.id,
                User.display_name,
                User.username,
                ClientProfile.archived,
            )
            .join(User, User.id == ClientProfile.owner_id)
            .where(ClientProfile.id.in_({client for client, _, _ in summed}))
        )
    }
    no_section = Named(None, NO_SECTION, "")
    sections = {
        assignment: Named(section, name, teacher) if section is not None else no_section
        for assignment, section, name, teacher in db.execute(
            select(Assignment.id, Section.id, Section.name, User.username)
            .outerjoin(Section, Section.id == Assignment.section_id)
            .outerjoin(User, User.id == Section.teacher_id)
            .where(Assignment.id.in_({assignment for _, assignment, _ in summed}))
        )
    }
    rows = [
        (
            (
                Named(model, model, ""),
                clients[client][0],
                sections.get(assignment, no_section),
                clients[client][1],
            ),
            values,
        )
        for (client, assignment, model), values in summed.items()
        if client in clients
    ]
    result = {}
    for position, by in enumerate(BREAKDOWNS):
        totals: dict[Named, list] = {}
        for keys, values in rows:
            total = totals.setdefault(keys[position], [0, Decimal(0), 0])
            for index, value in enumerate(values):
                total[index] += value
        ranked = sorted(totals.items(), key=lambda item: item[1][1], reverse=True)
        labels = told_apart([named for named, _total in ranked])[:limit]  # names told apart first
        result[by] = [
            Breakdown(label, *total)
            for label, (_n, total) in zip(labels, ranked[:limit], strict=True)
        ]
    return result


def _client_sums(db: Session, first: date, last: date) -> dict[Any, list]:
    rollup = usage_service.client_usage()
    rows = db.execute(
        select(
            rollup.client_id,
            rollup.assignment_id,
            rollup.model,
            func.sum(_rollup_tokens()),
            func.sum(rollup.cost),
            func.sum(rollup.replies),
        )
        # Rows of a model: replies, and replies billed but not kept (student messages have none).
        .where(rollup.day >= first, rollup.day <= last, rollup.model != "")
        .group_by(rollup.client_id, rollup.assignment_id, rollup.model)
    )
    return {
        (client, assignment, model): _totals(tokens, cost, replies)
        for client, assignment, model, tokens, cost, replies in rows
    }


def _totals(tokens: int | None, cost: Decimal | None, replies: int | None) -> list:
    return [int(tokens or 0), Decimal(cost or 0), int(replies or 0)]


def _sums(
    db: Session,
    kind: str,
    since: date,
    now: datetime,
    read: Callable[[Session, date, date], dict[Any, list]],
) -> dict[Any, list]:
    """[tokens, cost, replies] per key from `since` to today: `read(db, first, last)` sums a
    range of days; that of the closed days is cached (one entry per range)."""
    open_from = start_of_utc_day(_closed_until(now)).date()  # the days before it are closed
    totals: dict[Any, list] = {}
    parts = [read(db, max(since, open_from), now.date())]
    if since < open_from:
        closed = (since, open_from - DAY)
        cached = _cached(_database(db), kind, [closed], lambda _: {closed: read(db, *closed)})
        parts.append(cached[closed])
    for part in parts:
        for key, values in part.items():
            total = totals.setdefault(key, [0, Decimal(0), 0])
            for index, value in enumerate(values):
                total[index] += value
    return totals


def _in_practice() -> ColumnElement[bool]:
    """Rows of the client usage rollup that are students' practice: only practice has an
    assignment (test chats and client checks have none)."""
    return usage_service.client_usage().assignment_id != usage_service.NO_ASSIGNMENT


def _rollup_tokens() -> ColumnElement[int]:
    rollup = usage_service.client_usage()
    return (
        rollup.input_tokens
        + rollup.output_tokens
        + rollup.cache_write_tokens
        + rollup.cache_read_tokens
    )


#: Each purpose's cost column of `daily_usage`, in `Purpose` order.
_PURPOSE_COSTS = [getattr(DailyUsage, purposes.column(purpose)) for purpose in Purpose]


def _costs_by_day(db: Session, first: date, last: date) -> dict[date, CostParts]:
    """THE cost of each UTC day from `first` to `last`, by purpose: every paid call - replies
    stored or cut off after billing, in practice, teachers' test chats and client checks, the
    checks' judge calls, and model-written reviews - as the budgets count it (`daily_usage`,
    written in the same transaction as each call). Every cost of a day on the dashboard is read
    here."""
    return {
        _as_date(day): CostParts(*(Decimal(cost or 0) for cost in costs))
        for day, *costs in db.execute(
            select(DailyUsage.day, *(func.sum(column) for column in _PURPOSE_COSTS))
            .where(DailyUsage.day >= first, DailyUsage.day <= last)
            .group_by(DailyUsage.day)
        )
    }


def purpose_costs(
    db: Session, *, actor: UserRead | None, days: int = 30, now: datetime | None = None
) -> CostParts:
    """THE cost of the last `days` UTC days (today included), by purpose (closed days cached)."""
    access.require(db, actor, "administration", "use")
    now = now or datetime.now(UTC)
    since = (start_of_utc_day(now) - timedelta(days=days - 1)).date()
    summed = _sums(db, "purposes", since, now, _purpose_sums)
    return CostParts(*(summed.get(purpose, [0, Decimal(0), 0])[1] for purpose in Purpose))


def _purpose_sums(db: Session, first: date, last: date) -> dict[Any, list]:
    """[0, cost, 0] of each purpose over a range of days (the shape `_sums` adds up)."""
    costs = db.execute(
        select(*(func.sum(column) for column in _PURPOSE_COSTS)).where(
            DailyUsage.day >= first, DailyUsage.day <= last
        )
    ).one()
    return {purpose: _totals(0, cost, 0) for purpose, cost in zip(Purpose, costs, strict=True)}


def budget_status(
    db: Session, settings: Settings, *, actor: UserRead | None, now: datetime | None = None
) -> BudgetStatus:
    access.require(db, actor, "administration", "use")
    day = start_of_utc_day(now).date()
    spend = _costs_by_day(db, day, day).get(day, CostParts())
    practice = DailyUsage.tokens - DailyUsage.check_tokens  # client checks have their own

    def near(
        used: ColumnElement[int] | InstrumentedAttribute[int], budget: int
    ) -> list[tuple[str, int]]:
        if not budget:
            return []
        rows = db.execute(
            select(User.username, used)
            .join(User, User.id == DailyUsage.user_id)
            .where(DailyUsage.day == day, used >= budget * settings.budget_alert_threshold)
            .order_by(used.desc())
            .limit(50)
        ).all()
        return [(name, int(tokens)) for name, tokens in rows]

    return BudgetStatus(
        spend,
        settings.global_daily_cost_budget_usd,
        settings.user_daily_token_budget,
        settings.budget_alert_threshold,
        near(practice, settings.user_daily_token_budget),
        settings.check_daily_token_budget,
        near(DailyUsage.check_tokens, settings.check_daily_token_budget),
    )


# Reviews (their own purpose: not part of the client usage figures) ------------------------------
@dataclass(frozen=True)
class ReviewCost:
    reviews: int  # written by the review model (automatic demo reviews cost nothing)
    demo_reviews: int
    cost: Decimal

    @property
    def per_review(self) -> Decimal | None:
        return self.cost / self.reviews if self.reviews else None


def review_costs(
    db: Session, *, actor: UserRead | None, now: datetime | None = None
) -> tuple[ReviewCost, ReviewCost]:
    """What session reviews cost today and over the last 30 days (UTC), from `session_reviews`,
    in one read of its index on `created_at` (which carries the source and the cost), and the
    failed attempts later ones replaced, on the day they were billed (their events)."""
    access.require(db, actor, "administration", "use")
    now = now or datetime.now(UTC)
    today = start_of_utc_day(now)
    month = today - timedelta(days=29)
    today_row, month_row = _per_period(db, "reviews", [(today, None), (month, None)], now)
    replaced = [
        (at.astimezone(UTC), event_log.paid_cost(details))
        for at, details in db.execute(
            select(Event.created_at, Event.details).where(
                Event.category == "review_call", Event.created_at >= month
            )
        )
    ]
    return (
        _review_cost(
            *today_row, replaced=sum((c for at, c in replaced if at >= today), Decimal(0))
        ),
        _review_cost(*month_row, replaced=sum((c for _at, c in replaced), Decimal(0))),
    )


def _review_cost(
    reviews: int | None, demo_reviews: int | None, cost: Decimal | None, *, replaced: Decimal
) -> ReviewCost:
    return ReviewCost(
        reviews=reviews or 0, demo_reviews=demo_reviews or 0, cost=Decimal(cost or 0) + replaced
    )
