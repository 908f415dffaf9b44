"""A client check's cost, as the teacher reads it, is the cost: rounded as every dollar figure is,
and never $0 or "no cost" for calls whose price is unknown (an attack, 2026-12-07)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from backend.config import get_settings
from backend.db import unit_of_work
from backend.models import ClientCheck
from backend.utils.formatting import format_usd
from tests.apps.helpers import assert_clean, everything, teacher_app
from tests.apps.test_client_check_app import add_client, check_from_card, run_check
from tests.fakes.misbehave import judge_answers, passing_judgement


def test_a_scorecards_cost_rounds_a_half_up_as_every_other_dollar_figure(app, app_db, teacher):
    """A check that cost $0.01225 (estimated $0.00125): the scorecard's header read "cost
    $0.0122 (estimated $0.0012)", rounded half to even by `money` in the check page, while the
    admin's figures show the same check as $0.0123 under Client checks (`format_usd`, half up)
    and $0.001250 for the estimate. A teacher comparing the two sees two prices for one check.
    (An attack, 2026-12-07.)"""
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = run_check(check_from_card(teacher_app(app), client.id))
    cost, estimated = Decimal("0.01225"), Decimal("0.00125")
    with unit_of_work(app_db) as db:
        db.execute(update(ClientCheck).values(cost=cost, estimated_cost=estimated))
    at.run()
    assert_clean(at)
    page = everything(at)
    assert "### Scorecard" in page
    assert f"cost {format_usd(cost)} (estimated {format_usd(estimated)})" in page, [
        line for line in page.splitlines() if "cost" in line
    ]


UNPRICED = "claude-opus-4-1"  # a real model id the price table does not list


def test_a_check_on_a_model_without_a_price_says_its_cost_is_unknown(
    app, app_db, teacher, app_api, monkeypatch
):
    """The daily dollar budget is off (GLOBAL_DAILY_COST_BUDGET_USD=0), so a model without a
    price may be used (its calls count $0, the admin's Figures page warns). With an API key set,
    the check page offered "Run the check (demo: no cost)": `estimate_check_cost` is None both in
    demo mode and for an unpriced model, and the page reads None as demo mode. Pressed, it made
    28 paid calls to the API, and the scorecard then said "cost $0.0055": the judge call's price
    alone, the 27 probe replies (whose cost is unknown) counted as $0 without a word, where the
    History page says "N replies came from a model without a price". (An attack, 2026-12-07.)"""
    monkeypatch.setenv("ANTHROPIC_MODEL", UNPRICED)
    monkeypatch.setenv("GLOBAL_DAILY_COST_BUDGET_USD", "0")
    get_settings.cache_clear()
    judge_answers(app_api, passing_judgement())
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = check_from_card(teacher_app(app), client.id)
    label = at.button(key="run_check").label
    at = run_check(at)
    paid = len(app_api.messages_requests())
    header = next(line for line in everything(at).splitlines() if line.startswith("Checked "))
    assert paid > 0
    # 27 probe replies of the unpriced model and one judge call (priced): the header gave the
    # judge's $0.0055 as the check's cost, with nothing saying the replies' cost is unknown.
    assert "demo" not in label and "no cost" not in label, label
    assert "cost unknown" in label, label
    assert "cost unknown (a model has no price)" in header, header
