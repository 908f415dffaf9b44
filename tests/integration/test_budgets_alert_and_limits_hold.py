"""Budgets alert the operator however they are reached, and rate limits are what they say (an
attack, 2026-12-07)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from backend import alerts
from backend.config import get_settings
from backend.db import unit_of_work
from backend.errors import BudgetExceededError, SettingsError
from backend.models import DailyUsage
from backend.models.enums import Role
from backend.usage import budget_service
from backend.utils.rate_limiter import RateLimiter
from tests.factories import make_user


def _spent_today(db, user_id: int, *, tokens: int = 0, cost: str = "0") -> None:
    db.add(
        DailyUsage(
            day=datetime.now(UTC).date(),
            user_id=user_id,
            tokens=tokens,
            cost=Decimal(cost),
            practice_cost=Decimal(cost),
            replies=1,
        )
    )


def test_a_budget_used_up_in_one_step_still_alerts_the_operator(
    committed_engine, alerting, webhook
):
    """One reply (or one review: 4,000 output tokens, reserving nothing) takes the day's spend
    from under the 80% threshold to past the whole budget. The next check refuses everyone, and
    returns before `_alert_once`: the operator's webhook never hears that the budget passed its
    threshold, nor that it is used up (the refusal's event is in the app's log only). (An attack, 2026-12-07.)"""
    alerting(global_daily_cost_budget_usd="0.02", budget_alert_threshold=0.8)
    with unit_of_work(committed_engine) as db:
        student = make_user(db, role=Role.student)
        _spent_today(db, student.id, tokens=1000, cost="0.025")  # 125% of $0.02
    with pytest.raises(BudgetExceededError, match="spending limit"):
        with unit_of_work(committed_engine) as db:
            budget_service.check_budgets(db, get_settings(), user_id=student.id)
    assert alerts.wait_idle(30)
    texts = webhook.texts()
    assert any("budget" in text for text in texts), (
        f"replies stopped for everyone at 125% of the daily budget; alerts sent: {texts}"
    )


def test_an_alert_threshold_of_one_is_refused_at_start(monkeypatch):
    """BUDGET_ALERT_THRESHOLD=1 was accepted and the Budgets tab then said "An alert is logged at
    100%; at 100% replies stop", but at 100% the refusal came first and below it the share was
    under the threshold: no threshold alert was ever logged or sent. A budget used up alerts by
    itself now; a threshold must be below it. (An attack, 2026-12-07.)"""
    monkeypatch.setenv("BUDGET_ALERT_THRESHOLD", "1")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="BUDGET_ALERT_THRESHOLD"):
            get_settings()
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GLOBAL_RATE_LIMIT", "300/minute;2000/hour"),  # only 300/minute is ever applied
        ("USER_RATE_LIMIT", "0/minute"),  # every message refused: "faster than 0 per minute"
    ],
)
def test_a_rate_limit_the_app_cannot_honour_is_refused_at_start(monkeypatch, variable, value):
    """The setting is accepted as it stands, but `limits.parse` keeps only the first of several
    limits (an hourly cap the operator wrote is silently dropped), and 0 refuses every message
    with "You are sending messages faster than 0 per minute". (An attack, 2026-12-07.)"""
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except SettingsError as error:
        assert variable in str(error)
        return
    finally:
        get_settings.cache_clear()
    limiter = RateLimiter.from_settings(settings)
    item = limiter.global_limit if variable == "GLOBAL_RATE_LIMIT" else limiter.user_limit
    pytest.fail(f"{variable}={value!r} was accepted and is applied as {item} (see the docstring)")
