"""The admin's Budgets tab shows the client check allowance it enforces, and who is near it (an
attack, 2026-12-07)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from backend.config import get_settings
from backend.db import unit_of_work
from backend.errors import BudgetExceededError
from backend.models import DailyUsage
from backend.models.enums import Role
from backend.usage import budget_service
from tests.apps.helpers import everything
from tests.apps.test_admin_app import admin, admin_app, open_tab  # noqa: F401 (a fixture)
from tests.factories import make_user


def test_a_teacher_whose_client_checks_are_refused_is_listed_near_their_limit(
    app,
    app_db,
    admin,  # noqa: F811 (the fixture)
    monkeypatch,
):
    """A teacher has used 1,200 of the 1,000-token client-check allowance: their checks are
    refused. The Budgets tab reads "Nobody is close to their daily limit", as its list counts
    only practice tokens (`metrics_service.budget_status`: tokens - check_tokens). (An attack, 2026-12-07.)"""
    monkeypatch.setenv("USER_DAILY_TOKEN_BUDGET", "100000")
    monkeypatch.setenv("CHECK_DAILY_TOKEN_BUDGET", "1000")
    get_settings.cache_clear()
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username="tess.teacher")
        db.add(
            DailyUsage(
                day=datetime.now(UTC).date(),
                user_id=teacher.id,
                tokens=1200,
                check_tokens=1200,
                cost=Decimal("0.002"),
                check_turns_cost=Decimal("0.002"),
                replies=1,
            )
        )
    with pytest.raises(BudgetExceededError, match="allowance for client checks"):
        with unit_of_work(app_db) as db:
            budget_service.check_budgets(db, get_settings(), user_id=teacher.id, check=True)

    at = admin_app(app)
    open_tab(at, "Budgets")
    page = "\n".join([everything(at), *(frame.value.to_string() for frame in at.dataframe)])
    assert "Nobody is close to their daily limit" not in page and "tess.teacher" in page, page


def test_the_check_allowance_is_shown_when_there_is_no_practice_allowance(
    app,
    app_db,
    admin,  # noqa: F811 (the fixture)
    monkeypatch,
):
    """USER_DAILY_TOKEN_BUDGET=0 with CHECK_DAILY_TOKEN_BUDGET on: the tab says only "No per-user
    token budget is set" and returns (`figures_budgets.user_budget`), while each teacher's checks
    still stop at their allowance. (An attack, 2026-12-07.)"""
    monkeypatch.setenv("USER_DAILY_TOKEN_BUDGET", "0")
    monkeypatch.setenv("CHECK_DAILY_TOKEN_BUDGET", "150000")
    get_settings.cache_clear()
    at = admin_app(app)
    open_tab(at, "Budgets")
    page = everything(at)
    assert "150,000" in page and "client check" in page.lower(), page
