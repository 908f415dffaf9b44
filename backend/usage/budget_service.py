"""Daily budgets: tokens per user and dollars for the whole product, by UTC day.

A user's tokens fall in two allowances: practice (every conversation but a client check's) and
client checks (`CHECK_DAILY_TOKEN_BUDGET`, per teacher): a check never uses up the practice
allowance, nor practice the checks'. The dollar budget counts both.

At the alert threshold an event is written once per day and budget; at 100% new replies are
refused with a clear message. Spending is kept per user and UTC day in `daily_usage`, written in the
same transaction as each reply, so every process agrees and a check reads one day's rows.

A reply in flight counts too: its claim reserves its estimated tokens and cost until it is stored,
and checks are serialized, so concurrent requests cannot all pass on the same remaining allowance.
A budget is exceeded by at most the one reply that was admitted last. Reviews, memory summaries,
drill drafts and a client check's judge call are checked before they are asked for but reserve
nothing: near the limit, several of them at once may each pass.

On SQLite the write lock serializes them. On PostgreSQL a user's checks are serialized by that
user's advisory lock, and the global budget's by a global one, taken *shared* while the day is far
from the limit: then even every connection the server allows, each reserving the most one reply
may reserve, could not pass the alert threshold together, so checks need not wait for each other
(a global lock taken exclusively queued every turn of every student behind the one before). Near
the limit, or for a larger reservation, the lock is taken exclusively, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, case, func, select, text, true
from sqlalchemy.orm import Session

from backend import alerts, event_log
from backend.config import Settings
from backend.db import write_pending_rollups
from backend.errors import BudgetExceededError
from backend.llm.pricing import price_for
from backend.models import DailyUsage, PracticeSession, User
from backend.models.base import utcnow
from backend.models.enums import SessionMode
from backend.utils.formatting import format_usd, plural

BUDGET_CATEGORY = "budget"


def start_of_utc_day(moment: datetime | None = None) -> datetime:
    moment = moment or datetime.now(UTC)
    return datetime.combine(moment.astimezone(UTC).date(), time.min, tzinfo=UTC)


def seconds_until_utc_midnight(moment: datetime | None = None) -> int:
    moment = moment or datetime.now(UTC)
    return int((start_of_utc_day(moment) + timedelta(days=1) - moment).total_seconds())


class CheckAllowanceUsedUp(BudgetExceededError):
    def __init__(self, limit: int, wait: str) -> None:
        super().__init__(
            f"You have used today's allowance for client checks ({limit:,} tokens), so checks "
            f"stop until it resets at midnight UTC, {wait}. Your practice allowance is not "
            "affected: you can still try your clients."
        )


@dataclass(frozen=True)
class BudgetUse:
    used: Decimal
    limit: Decimal

    @property
    def share(self) -> float:
        return float(self.used / self.limit) if self.limit else 0.0


_MINE = DailyUsage.user_id == bindparam("user_id")
_USED = (
    select(
        func.sum(case((_MINE, DailyUsage.tokens - DailyUsage.check_tokens), else_=0)),
        func.sum(case((_MINE, DailyUsage.check_tokens), else_=0)),
        func.sum(DailyUsage.cost),
    )
    .where(DailyUsage.day == bindparam("day"))
    .subquery()
)
_MY_SESSION = PracticeSession.user_id == bindparam("user_id")
_A_CHECK = PracticeSession.mode == SessionMode.check
_RESERVED = (  # replies in flight: claimed and not yet stored
    select(
        func.sum(case((_MY_SESSION & ~_A_CHECK, PracticeSession.reserved_tokens), else_=0)),
        func.sum(case((_MY_SESSION & _A_CHECK, PracticeSession.reserved_tokens), else_=0)),
        func.sum(PracticeSession.reserved_cost),
    )
    .where(PracticeSession.reply_claimed_until > bindparam("now"))
    .subquery()
)
#: Built once: it runs before every message. One statement, so one snapshot: a reply stored
#: meanwhile (its reservation becoming spending) is counted once, never missed.
_TODAY = select(_USED, _RESERVED).select_from(_USED.join(_RESERVED, true()))
#: Any constant: the key of the PostgreSQL advisory lock that serializes budget checks.
_BUDGET_LOCK_KEY = 0x6275646765  # "budge"


def usage_today(
    db: Session, settings: Settings, user_id: int, *, check: bool = False
) -> tuple[BudgetUse, BudgetUse]:
    """(the user's tokens in their practice allowance, or with `check` in their client checks'
    allowance; everyone's cost) since UTC midnight, replies in flight included."""
    write_pending_rollups(db, DailyUsage)
    practice, checks, cost, reserved_practice, reserved_checks, reserved_cost = db.execute(
        _TODAY, {"user_id": user_id, "day": start_of_utc_day().date(), "now": utcnow()}
    ).one()
    tokens = (checks, reserved_checks) if check else (practice, reserved_practice)
    limit = settings.check_daily_token_budget if check else settings.user_daily_token_budget
    return (
        BudgetUse(Decimal(sum(int(part or 0) for part in tokens)), Decimal(limit)),
        BudgetUse(
            Decimal(cost or 0) + Decimal(reserved_cost or 0), settings.global_daily_cost_budget_usd
        ),
    )


_LOCKS = {
    "exclusive": text(
        "SELECT pg_advisory_xact_lock(:user_class, :user_id), pg_advisory_xact_lock(:key)"
    ),
    "shared": text(
        "SELECT pg_advisory_xact_lock(:user_class, :user_id), pg_advisory_xact_lock_shared(:key)"
    ),
}
#: The first half of a user's advisory lock key (the second is the user's id).
_USER_LOCK_CLASS = 0x62756467  # "budg"


def check_budgets(
    db: Session,
    settings: Settings,
    *,
    user_id: int,
    reserve_cost: Decimal = Decimal(0),
    most_per_reply: Decimal | None = None,
    check: bool = False,
    owner_name: str | None = None,
    asker_is_admin: bool = False,
    practice: bool = True,
) -> None:
    """Refuse a new reply when a budget is used up (replies in flight count): the user's practice
    allowance, or with `check` (a client check's reply) their allowance for checks, and the
    product's dollars; write the alert event at the threshold. `owner_name`: the user's name
    when someone else asks (a teacher's review of a student's session), so the refusal says
    whose allowance it is (and, to an admin, the setting that raises it); `practice` False: not a
    conversation's reply (a teacher's drill drafts), so it speaks of no practice or messages. The locks it takes make the transaction's check and its reservation (of
    `reserve_cost`; `most_per_reply` is the most any reply reserves) one step against every other
    check; keep the transaction short after it."""
    write_pending_rollups(db, DailyUsage)  # before the savepoint, whose rollback would undo it
    if db.get_bind().dialect.name == "postgresql":
        if most_per_reply is not None and reserve_cost <= most_per_reply:
            attempt = db.begin_nested()  # its rollback gives the shared lock back
            user, overall = _locked_usage(db, settings, user_id, "shared", check)
            margin = most_per_reply * _max_connections(db)
            alert_at = overall.limit * Decimal(settings.budget_alert_threshold)
            if not overall.limit or overall.used + margin <= alert_at:  # 0: no global budget
                attempt.commit()
                _judge(
                    db,
                    settings,
                    user_id,
                    user,
                    overall,
                    check,
                    (owner_name, asker_is_admin),
                    practice,
                )
                return
            attempt.rollback()
        user, overall = _locked_usage(db, settings, user_id, "exclusive", check)
    else:
        user, overall = usage_today(db, settings, user_id, check=check)
    _judge(db, settings, user_id, user, overall, check, (owner_name, asker_is_admin), practice)


def refuse_unpriced(settings: Settings, *models: str) -> None:
    """A paid call whose cost cannot be known is refused while the dollar budget is on: counted
    as free it would pass every limit unseen (costs are known to the cent, or not spent). For a
    reply, a review, a client check (its replies and its judge), a drill draft and a client's
    memory (which then writes its free summary)."""
    if not settings.global_daily_cost_budget_usd:
        return
    unpriced = unpriced_models(settings, *models)
    if not unpriced:
        return
    raise BudgetExceededError(
        "The AI model is paused: what its calls cost cannot be counted against today's spending "
        "limit. An admin has been told; everything so far is saved."
    ).log_event(
        "critical",
        BUDGET_CATEGORY,
        f"Model {unpriced[0]} has no price, so its calls are refused while the daily dollar "
        "budget is on: add its price to MODEL_PRICES_JSON, or set GLOBAL_DAILY_COST_BUDGET_USD=0.",
        details={"key": "global:unpriced", "model": unpriced[0]},
    )


def unpriced_models(settings: Settings, *models: str) -> list[str]:
    """Of `models` (default: every model the settings name), those without a price, whose calls
    count $0 in every figure and budget ([] in demo mode: it makes no paid call)."""
    if settings.demo_mode:
        return []
    named = models or (settings.anthropic_model, settings.review_model, settings.judge_model)
    return [
        model
        for model in dict.fromkeys(named)
        if price_for(model, settings.model_prices_json) is None
    ]


def _locked_usage(
    db: Session, settings: Settings, user_id: int, mode: str, check: bool
) -> tuple[BudgetUse, BudgetUse]:
    db.execute(
        _LOCKS[mode], {"user_class": _USER_LOCK_CLASS, "user_id": user_id, "key": _BUDGET_LOCK_KEY}
    )
    return usage_today(db, settings, user_id, check=check)


_max_connections_by_url: dict[str, int] = {}


def _max_connections(db: Session) -> int:
    """How many transactions the PostgreSQL server can run at once (read once per database)."""
    url = str(db.get_bind().engine.url)
    if url not in _max_connections_by_url:
        _max_connections_by_url[url] = int(db.scalar(text("SHOW max_connections")) or 100)
    return _max_connections_by_url[url]


def until_reset() -> str:
    """When the daily budgets reset, for a message: "in about 3 hours"; in the last hour and a
    half, in minutes ("in about 10 minutes"), as "in about 1 hour" had sent people away for an
    hour at 23:50 (an attack, 2026-12-07)."""
    seconds = seconds_until_utc_midnight()
    if seconds >= 90 * 60:
        return f"in about {plural(int(seconds / 3600 + 0.5), 'hour')}"  # a half up
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > 10:
        minutes = 5 * int(minutes / 5 + 0.5)  # "in about 25 minutes", not 23
    return f"in about {plural(minutes, 'minute')}"


def _judge(
    db: Session,
    settings: Settings,
    user_id: int,
    user: BudgetUse,
    overall: BudgetUse,
    check: bool = False,
    asked_for: tuple[str | None, bool] = (None, False),
    practice: bool = True,
) -> None:
    """Refuse at 100% of a budget; alert once at the threshold. `asked_for`: (the user's name
    when someone else asks, whether that is an admin); `practice`: a conversation's reply (the
    refusal says the messages so far are kept)."""
    wait = until_reset()
    kept = "; your messages so far are saved." if practice and not check else "."
    since = start_of_utc_day()

    def used_up(key: str, text: str) -> None:
        """The operator hears of a budget used up, once a UTC day, however it was reached (one
        call past the whole budget had skipped the threshold's alert: an attack, 2026-12-07)."""
        alerts.notify(f"budget:{key}:{since:%Y-%m-%d}", f"Budget: {text}", window=timedelta(days=1))

    if check and user.limit and user.share >= 1:
        who = _who(db, user_id)
        used_up(f"user:{user_id}:checks:full", f"{who} used up the client check budget.")
        raise CheckAllowanceUsedUp(int(user.limit), wait).log_event(
            "warning",
            BUDGET_CATEGORY,
            "User daily client check budget reached.",
            user_id=user_id,
            details={"key": f"user:{user_id}:checks:full", "used": int(user.used)},
        )
    if user.limit and user.share >= 1:
        used_up(f"user:{user_id}:full", f"{_who(db, user_id)} used up the daily token budget.")
        allowance = (
            f"today's {'practice ' if practice else ''}allowance ({int(user.limit):,} tokens)"
        )
        owner_name, asker_is_admin = asked_for
        raise_it = (
            "raise USER_DAILY_TOKEN_BUDGET (a restart applies it)"
            if asker_is_admin
            else "ask an admin to raise the allowance"
        )
        raise BudgetExceededError(
            f"You have used {allowance}. It resets at midnight UTC, {wait}{kept}"
            if owner_name is None
            else f"{owner_name} has used {allowance}, and a review of their session counts in "
            f"it. It resets at midnight UTC, {wait}: ask for the review then, or {raise_it}."
        ).log_event(
            "warning",
            BUDGET_CATEGORY,
            "User daily token budget reached.",
            user_id=user_id,
            details={"key": f"user:{user_id}:full", "used": int(user.used)},
        )
    if overall.limit and overall.share >= 1:
        used_up("global:full", f"today's spend {format_usd(overall.used)} used up the budget.")
        raise BudgetExceededError(
            f"The {'practice ' if practice and not check else ''}service has reached today's "
            f"spending limit. It resets at midnight UTC, {wait}{kept}"
        ).log_event(
            "critical",
            BUDGET_CATEGORY,
            "Global daily cost budget reached.",
            details={"key": "global:full", "used": str(overall.used)},
        )
    _alert_once(db, settings, user_id, user, overall, check)


def _who(db: Session, user_id: int) -> str:
    """The person as the admin pages name them, by username: an alert naming "user 7" told the
    person on call nothing they could look up (an attack, 2026-12-07). Not their display name,
    which they chose themselves and which a Slack or Teams channel would read as markup (a
    "<!channel>" in it pinged everyone: an attack on the fix)."""
    username = db.scalar(select(User.username).where(User.id == user_id))
    return username or f"user {user_id}"


def _alert_once(
    db: Session,
    settings: Settings,
    user_id: int,
    user: BudgetUse,
    overall: BudgetUse,
    check: bool,
) -> None:
    since = start_of_utc_day()
    threshold = settings.budget_alert_threshold
    if user.limit and user.share >= threshold:
        key = f"user:{user_id}:checks:alert" if check else f"user:{user_id}:alert"
        what = "client check" if check else "daily token"
        if not event_log.event_exists_since(db, category=BUDGET_CATEGORY, key=key, since=since):
            who = _who(db, user_id)
            event_log.record(
                db,
                "warning",
                BUDGET_CATEGORY,
                f"{who} has used {user.share:.0%} of the {what} budget.",
                user_id=user_id,
                details={"key": key, "used": int(user.used), "limit": int(user.limit)},
            )
            alerts.notify(
                f"budget:{key}:{since:%Y-%m-%d}",
                f"Budget: {who} has used {user.share:.0%} of the {what} budget "
                f"({int(user.used):,} of {int(user.limit):,} tokens) today (UTC).",
            )
    if overall.limit and overall.share >= threshold:
        key = "global:alert"
        if not event_log.event_exists_since(db, category=BUDGET_CATEGORY, key=key, since=since):
            event_log.record(
                db,
                "warning",
                BUDGET_CATEGORY,
                f"Today's spend {format_usd(overall.used)} is {overall.share:.0%} of the "
                f"{format_usd(overall.limit)} daily budget.",
                details={"key": key, "used": str(overall.used), "limit": str(overall.limit)},
            )
            alerts.notify(
                f"budget:{key}:{since:%Y-%m-%d}",
                f"Budget: today's spend {format_usd(overall.used)} is {overall.share:.0%} of "
                f"the {format_usd(overall.limit)} daily budget (UTC day).",
            )
