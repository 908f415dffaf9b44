"""Daily budgets: tokens per user and dollars for the whole product, by UTC day.

At the alert threshold an event is written once per day and budget; at 100% new replies are
refused with a clear message. Spending is kept per user and UTC day in `daily_usage`, written in the
same transaction as each reply, so every process agrees and a check reads one day's rows.

A reply in flight counts too: its claim reserves its estimated tokens and cost until it is stored,
and checks are serialized (SQLite's write lock; an advisory lock on PostgreSQL), so concurrent
requests cannot all pass on the same remaining allowance. A budget is exceeded by at most the one
reply that was admitted last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, case, func, select, text
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import BudgetExceededError
from backend.models import DailyUsage, PracticeSession
from backend.models.base import utcnow
from backend.services import event_service
from backend.utils.formatting import format_usd

BUDGET_CATEGORY = "budget"


def start_of_utc_day(moment: datetime | None = None) -> datetime:
    moment = moment or datetime.now(UTC)
    return datetime.combine(moment.astimezone(UTC).date(), time.min, tzinfo=UTC)


def seconds_until_utc_midnight(moment: datetime | None = None) -> int:
    moment = moment or datetime.now(UTC)
    return int((start_of_utc_day(moment) + timedelta(days=1) - moment).total_seconds())


@dataclass(frozen=True)
class BudgetUse:
    used: Decimal
    limit: Decimal

    @property
    def share(self) -> float:
        return float(self.used / self.limit) if self.limit else 0.0


_TODAY = (  # built once: it runs before every message
    select(
        func.sum(case((DailyUsage.user_id == bindparam("user_id"), DailyUsage.tokens), else_=0)),
        func.sum(DailyUsage.cost),
    ).where(DailyUsage.day == bindparam("day"))
)


_RESERVED = (  # replies in flight: claimed and not yet stored
    select(
        func.sum(
            case(
                (PracticeSession.user_id == bindparam("user_id"), PracticeSession.reserved_tokens),
                else_=0,
            )
        ),
        func.sum(PracticeSession.reserved_cost),
    ).where(PracticeSession.reply_claimed_until > bindparam("now"))
)
#: Any constant: the key of the PostgreSQL advisory lock that serializes budget checks.
_BUDGET_LOCK_KEY = 0x6275646765  # "budge"


def usage_today(db: Session, settings: Settings, user_id: int) -> tuple[BudgetUse, BudgetUse]:
    """(the user's tokens, everyone's cost) since UTC midnight, replies in flight included."""
    user_tokens, cost = db.execute(
        _TODAY, {"user_id": user_id, "day": start_of_utc_day().date()}
    ).one()
    reserved_tokens, reserved_cost = db.execute(
        _RESERVED, {"user_id": user_id, "now": utcnow()}
    ).one()
    return (
        BudgetUse(
            Decimal(int(user_tokens or 0) + int(reserved_tokens or 0)),
            Decimal(settings.user_daily_token_budget),
        ),
        BudgetUse(
            Decimal(cost or 0) + Decimal(reserved_cost or 0), settings.global_daily_cost_budget_usd
        ),
    )


def serialize_checks(db: Session) -> None:
    """Make this transaction's check-and-reserve atomic against every other one."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BUDGET_LOCK_KEY})


def check_budgets(db: Session, settings: Settings, *, user_id: int) -> None:
    """Refuse a new reply when a budget is used up (replies in flight count); write the alert event
    at the threshold. Call `serialize_checks` first in the transaction that then reserves."""
    user, overall = usage_today(db, settings, user_id)
    wait_hours = max(1, round(seconds_until_utc_midnight() / 3600))
    if user.limit and user.share >= 1:
        raise BudgetExceededError(
            f"You have used today's practice allowance ({int(user.limit):,} tokens). It resets at "
            f"midnight UTC, in about {wait_hours} hours; your messages so far are saved."
        ).log_event(
            "warning",
            BUDGET_CATEGORY,
            "User daily token budget reached.",
            user_id=user_id,
            details={"key": f"user:{user_id}:full", "used": int(user.used)},
        )
    if overall.limit and overall.share >= 1:
        raise BudgetExceededError(
            "The practice service has reached today's spending limit. It resets at midnight UTC, "
            f"in about {wait_hours} hours; your messages so far are saved."
        ).log_event(
            "critical",
            BUDGET_CATEGORY,
            "Global daily cost budget reached.",
            details={"key": "global:full", "used": str(overall.used)},
        )
    _alert_once(db, settings, user_id, user, overall)


def _alert_once(
    db: Session, settings: Settings, user_id: int, user: BudgetUse, overall: BudgetUse
) -> None:
    since = start_of_utc_day()
    threshold = settings.budget_alert_threshold
    if user.limit and user.share >= threshold:
        key = f"user:{user_id}:alert"
        if not event_service.event_exists_since(db, category=BUDGET_CATEGORY, key=key, since=since):
            event_service.record(
                db,
                "warning",
                BUDGET_CATEGORY,
                f"User {user_id} has used {user.share:.0%} of the daily token budget.",
                user_id=user_id,
                details={"key": key, "used": int(user.used), "limit": int(user.limit)},
            )
    if overall.limit and overall.share >= threshold:
        key = "global:alert"
        if not event_service.event_exists_since(db, category=BUDGET_CATEGORY, key=key, since=since):
            event_service.record(
                db,
                "warning",
                BUDGET_CATEGORY,
                f"Today's spend {format_usd(overall.used)} is {overall.share:.0%} of the "
                f"{format_usd(overall.limit)} daily budget.",
                details={"key": key, "used": str(overall.used), "limit": str(overall.limit)},
            )
