"""Admin figures, the Budgets tab: today's spend against the daily cost budget, and who is near
the per-user token budget."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from backend.actor import UserRead
from backend.config import get_settings
from backend.monitoring import metrics_service
from backend.utils.formatting import format_tokens, format_usd
from mvp import store
from mvp.admin.shared import NUMBER, purpose_table, table


def budgets_tab(actor: UserRead) -> None:
    with store.transaction() as db:
        budget = metrics_service.budget_status(db, get_settings(), actor=actor)
    threshold = budget.alert_threshold
    st.subheader("Today's spend")
    left, middle, right = st.columns(3)
    left.metric(
        "Spent today",
        format_usd(budget.spend_today),
        border=True,
        help="Every paid call since midnight UTC (replies, judge calls, reviews): the total "
        "the daily budget is checked against, equal to Cost today on the Now tab; by purpose "
        "below.",
    )
    if not budget.daily_cost_budget:
        middle.metric(
            "Daily cost budget",
            "none",
            border=True,
            help="GLOBAL_DAILY_COST_BUDGET_USD: 0 means no budget.",
        )
        st.caption(
            "No daily cost budget is set (GLOBAL_DAILY_COST_BUDGET_USD is 0), so "
            "replies never stop for cost."
        )
    else:
        share = budget.spend_share or 0.0
        middle.metric(
            "Daily cost budget",
            format_usd(budget.daily_cost_budget),
            border=True,
            help="GLOBAL_DAILY_COST_BUDGET_USD: replies stop for everyone when it is "
            "spent, until midnight UTC.",
        )
        right.metric(
            "Left today",
            format_usd(max(budget.daily_cost_budget - budget.spend_today, Decimal(0))),
            border=True,
            help="The daily cost budget minus what was spent today.",
        )
        st.progress(min(share, 1.0), text=f"{share:.0%} of the daily budget used")
        st.caption(
            f"An alert is logged at {threshold:.0%}; at 100% replies stop for everyone "
            "until midnight UTC."
        )
    st.markdown("**Spent today by purpose**")
    purpose_table(budget.spend_parts, "spend_purpose")
    user_budget(budget)


SHARE = "Share of budget"


def user_budget(budget: metrics_service.BudgetStatus) -> None:
    """Each user's daily allowances, practice and client checks (each enforced on its own), and
    who is near or past either today."""
    threshold = budget.alert_threshold
    practice, checks = budget.user_token_budget, budget.check_token_budget
    st.subheader("Per-user token budgets")
    if practice:
        st.markdown(
            f"Each user may use **{format_tokens(practice)} tokens a day** in practice. At "
            f"{threshold:.0%} ({format_tokens(int(practice * threshold))} tokens) an alert is "
            "logged; at 100% their replies stop until midnight UTC."
        )
    else:
        st.caption("No per-user token budget is set (USER_DAILY_TOKEN_BUDGET is 0).")
    # The client check allowance is enforced whatever the practice one is (it had gone unsaid,
    # and a teacher refused there had read "Nobody is close": an attack, 2026-12-07).
    st.markdown(
        f"Client checks have an allowance of their own: **{format_tokens(checks)} tokens a day "
        "per teacher**, with its own alert."
        if checks
        else "Client checks have no allowance of their own (CHECK_DAILY_TOKEN_BUDGET is 0)."
    )

    if not practice and not checks:
        return  # nobody can be near a limit that is not set

    def listed(near: list[tuple[str, int]], allowance: str, limit: int) -> list[dict]:
        return [
            {
                "User": name,
                "Allowance": allowance,
                "Tokens today": tokens,
                SHARE: min(tokens / limit, 1),
            }
            for name, tokens in near
        ]

    rows = listed(budget.near_limit, "practice", practice) + listed(
        budget.near_check_limit, "client checks", checks
    )
    if not rows:
        st.info(
            f"Nobody is close to their daily limit. Users who pass {threshold:.0%} of one today "
            "are listed here; the list starts afresh at midnight UTC.",
            icon=":material/check_circle:",
        )
        return
    table(
        [{**row, SHARE: min(row[SHARE], 1.0)} for row in rows],
        "near_limit_table",
        **{
            "Tokens today": NUMBER,
            SHARE: st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        },
    )
