"""Admin figures: today, usage over time, breakdowns and budgets.

Every figure comes from `metrics_service` (grouped queries in the database). Only the open tab
queries its figures; they draw inside one fragment, so the auto-refresh reruns them, not the page.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from backend.config import get_settings
from backend.errors import AppError
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import rating_service
from backend.utils.formatting import format_duration, format_time, format_tokens, format_usd
from mvp import auth, store, ui
from mvp.admin.shared import LABEL, NUMBER, table, utc_now

actor = auth.require_role(Role.admin)
settings = get_settings()

TABS = ["Now", "Usage", "Breakdowns", "Budgets"]


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def seconds(ms: float | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.2f} s"


def metric_row(title: str, figures: list[tuple[str, str | int | float | None, str | None]]) -> None:
    """A titled row of four bordered metrics (five would cut money values short)."""
    st.markdown(title)
    for column, (label, value, help_text) in zip(st.columns(4), figures, strict=False):
        column.metric(label, value, help=help_text, border=True)


# Figures (one fragment: the auto-refresh reruns only these) ------------------------------------
def now_tab() -> None:
    with store.transaction() as db:
        now = metrics_service.now_figures(db, actor=actor)
        active = metrics_service.active_sessions(db, actor=actor)
        feedback, _by_client = rating_service.rating_shares(db, actor=actor)
        reviews = metrics_service.review_costs(db, actor=actor)
    if not now.messages_today:
        st.info(
            "No messages yet today. These figures fill in as students talk to their clients; "
            "'today' starts at midnight UTC.",
            icon=":material/schedule:",
        )
    today_figures(now, feedback)
    token_figures(now)
    latency_figures(now)
    review_figures(*reviews)
    active_sessions(active)


def review_figures(today: metrics_service.ReviewCost, month: metrics_service.ReviewCost) -> None:
    """Session reviews are their own purpose: not in the conversation figures above."""
    per_review = "Model-written reviews only; automatic demo reviews cost nothing"
    metric_row(
        "**Session reviews**",
        [
            (
                "Review cost today",
                format_usd(today.cost),
                f"{today.reviews} reviews by the feedback model and {today.demo_reviews} automatic "
                "demo reviews since midnight UTC.",
            ),
            (
                "Cost per review today",
                format_usd(today.per_review, unpriced_label="—"),
                f"{per_review}.",
            ),
            (
                "Review cost, 30 days",
                format_usd(month.cost),
                f"{month.reviews} reviews by the feedback model and {month.demo_reviews} automatic "
                "demo reviews in the last 30 days (today included).",
            ),
            (
                "Cost per review, 30 days",
                format_usd(month.per_review, unpriced_label="—"),
                f"{per_review}.",
            ),
        ],
    )


def today_figures(now: metrics_service.NowFigures, feedback: rating_service.RatingShare) -> None:
    metric_row(
        "**Today**",
        [
            ("Active sessions", now.active_sessions, "Conversations open right now."),
            ("Sessions today", now.sessions_today, "Conversations started since midnight UTC."),
            (
                "Messages today",
                f"{now.messages_today:,}",
                "Student messages and client replies stored since midnight UTC.",
            ),
            (
                "Completion rate",
                percent(now.completion_rate),
                f"Share of today's sessions that were ended: {now.completed_today} of "
                f"{now.sessions_today}.",
            ),
        ],
    )
    metric_row(
        "**Cost and feedback**",
        [
            (
                "Cost today",
                format_usd(now.cost_today),
                "Everything billed since midnight UTC: stored replies, and replies cut off after the "
                "API started billing them.",
            ),
            (
                "Cost per 1K tokens",
                format_usd(now.cost_per_1k_tokens, unpriced_label="—"),
                "Today's cost over today's billed tokens, cache included.",
            ),
            (
                "Avg cost per conversation",
                format_usd(now.avg_cost_per_completed, unpriced_label="—"),
                f"Average over the {now.completed_today} conversations started and completed today.",
            ),
            (
                "Positive feedback",
                "—" if feedback.percent is None else f"{feedback.percent:.0f}%",
                f"All time: {feedback.positive} of {feedback.total} reply thumbs and end-of-session "
                "forms (4 or 5 out of 5) are positive.",
            ),
        ],
    )


def token_figures(now: metrics_service.NowFigures) -> None:
    billed = "billed since midnight UTC (cut-off replies included)"
    metric_row(
        f"**Tokens today** · {format_tokens(now.tokens_today)} in total",
        [
            (
                "Input tokens",
                format_tokens(now.input_tokens),
                f"Prompt tokens not read from the cache, {billed}.",
            ),
            (
                "Output tokens",
                format_tokens(now.output_tokens),
                f"The clients' replies, {billed}; a cut-off reply's output is estimated.",
            ),
            (
                "Cache write tokens",
                format_tokens(now.cache_write_tokens),
                f"Prompt tokens written to the cache (1.25x input price), {billed}.",
            ),
            (
                "Cache read tokens",
                format_tokens(now.cache_read_tokens),
                f"Prompt tokens read from the cache (0.1x input price), {billed}.",
            ),
        ],
    )


def latency_figures(now: metrics_service.NowFigures) -> None:
    for title, name, hour, day, measured in (
        (
            "Reply time",
            "Reply",
            now.latency_last_hour,
            now.latency_today,
            "from the request to the last word of a stored reply",
        ),
        (
            "Time to first token",
            "First token",
            now.first_token_last_hour,
            now.first_token_today,
            "from the request to the first word of a stored reply",
        ),
    ):
        metric_row(
            f"**{title}** · over {hour.count} replies in the last hour, {day.count} today",
            [
                (
                    f"{name} median, last hour",
                    seconds(hour.median_ms),
                    f"Half of the replies stored in the last 60 minutes took less, {measured}.",
                ),
                (
                    f"{name} p95, last hour",
                    seconds(hour.p95_ms),
                    f"95% of the replies stored in the last 60 minutes took less, {measured}.",
                ),
                (
                    f"{name} median, today",
                    seconds(day.median_ms),
                    f"Half of the replies stored since midnight UTC took less, {measured}.",
                ),
                (
                    f"{name} p95, today",
                    seconds(day.p95_ms),
                    f"95% of the replies stored since midnight UTC took less, {measured}.",
                ),
            ],
        )


def active_sessions(active: list[metrics_service.ActiveSession]) -> None:
    st.subheader("Active sessions")
    if not active:
        st.info(
            "Nobody is talking to a client right now. Each open conversation appears here "
            "with its student, client, messages and cost until it ends.",
            icon=":material/forum:",
        )
        return
    moment = utc_now()
    table(
        [
            {
                "Who": a.user,
                "Client": a.client,
                "Since": format_time(a.started_at),
                "Open for": format_duration(moment - a.started_at),
                "Messages": a.messages,
                "Cost": format_usd(a.cost),
            }
            for a in active
        ],
        "active_table",
        Who=LABEL,
        Client=LABEL,
        Messages=NUMBER,
    )


def usage_tab() -> None:
    with store.transaction() as db:
        hours = metrics_service.hourly_usage(db, actor=actor)
    st.subheader("Last 24 hours", help="By hour, UTC; the last bar is the hour now under way.")
    if not any(bucket.messages for bucket in hours):
        st.info(
            "No messages in the last 24 hours. Tokens and cost per hour appear here as "
            "conversations happen.",
            icon=":material/schedule:",
        )
    else:
        by_hour = pd.DataFrame(
            {
                "Hour (UTC)": [b.start.strftime("%H:00") for b in hours],
                "Tokens": [b.tokens for b in hours],
                "Cost (USD)": [float(b.cost) for b in hours],
            }
        )
        left, right = st.columns(2)
        left.metric(
            "Tokens, last 24 hours",
            format_tokens(sum(b.tokens for b in hours)),
            help="Every billed token in the last 24 hours: stored replies, and replies "
            "cut off after the API started billing them (as in Today's figures).",
        )
        left.bar_chart(by_hour, x="Hour (UTC)", y="Tokens", sort=False, height=240)
        right.metric(
            "Cost, last 24 hours",
            format_usd(sum((b.cost for b in hours), start=0)),
            help="The cost of those tokens (cut-off replies included).",
        )
        right.bar_chart(
            by_hour, x="Hour (UTC)", y="Cost (USD)", sort=False, height=240, color="#e07b39"
        )
    daily_usage()


def daily_usage() -> None:
    st.subheader("Daily", help="The daily tracking sheet, by UTC day.")
    st.session_state.setdefault("_kept_daily_range", "7 days")
    days = (
        ui.sticky(
            st.segmented_control,
            "Days",
            ["7 days", "30 days"],
            key="daily_range",
            label_visibility="collapsed",
        )
        or "7 days"
    )
    with store.transaction() as db:
        buckets = metrics_service.daily_usage(db, actor=actor, days=int(days.split()[0]))
    if not any(b.sessions or b.messages or b.problems for b in buckets):
        st.info(
            f"Nothing recorded in the last {days}. Each day's sessions, messages, tokens, "
            "cost and problems appear here from the first conversation on.",
            icon=":material/calendar_month:",
        )
        return
    chart = pd.DataFrame(
        {
            "Day": [b.start.strftime("%Y-%m-%d") for b in buckets],
            "Sessions": [b.sessions for b in buckets],
            "Messages": [b.messages for b in buckets],
            "Problems logged": [b.problems for b in buckets],
            "Cost (USD)": [float(b.cost) for b in buckets],
        }
    )
    left, right = st.columns(2)
    left.line_chart(chart, x="Day", y=["Sessions", "Messages", "Problems logged"], height=240)
    right.bar_chart(chart, x="Day", y="Cost (USD)", sort=False, height=240, color="#e07b39")
    table(
        [
            {
                "Day": b.start.strftime("%a %Y-%m-%d"),
                "Sessions": b.sessions,
                "Messages": b.messages,
                "Tokens": b.tokens,
                "Cost": format_usd(b.cost),
                "Problems logged": b.problems,
            }
            for b in reversed(buckets)
        ],
        "daily_table",
        Sessions=NUMBER,
        Messages=NUMBER,
        Tokens=st.column_config.NumberColumn(
            format="localized", help="Billed tokens, cut-off replies included."
        ),
        **{
            "Problems logged": st.column_config.NumberColumn(
                help="Events of severity warning, error or critical that day, as the Error log "
                "shows by default: failed API calls (warnings when a retry can help), budget "
                "alerts, set-up errors."
            )
        },
    )


def breakdowns_tab() -> None:
    with store.transaction() as db:
        found = metrics_service.breakdowns(db, actor=actor, students=10)
        _overall, by_client = rating_service.rating_shares(db, actor=actor)
    parts = {
        f"By {by}": (by.capitalize(), found[by]) for by in ("model", "teacher", "section", "client")
    }
    parts["Top 10 students by cost"] = ("Student", found["student"])
    st.caption("Replies over the last 30 days (UTC), most costly first.")
    columns = st.columns(2)
    for index, (title, (label, rows)) in enumerate(parts.items()):
        with columns[index % 2]:
            st.markdown(f"**{title}**")
            if not rows:
                st.caption("No replies in the last 30 days. Rows appear after the first reply.")
                continue
            table(
                [
                    {
                        label: r.label,
                        "Replies": r.replies,
                        "Tokens": r.tokens,
                        "Cost": format_usd(r.cost),
                    }
                    for r in rows
                ],
                f"breakdown_{label.lower()}",
                **{label: LABEL, "Replies": NUMBER, "Tokens": NUMBER},
            )
    with columns[len(parts) % 2]:
        st.markdown("**Feedback by client** (all time)")
        if not by_client:
            st.caption(
                "No ratings yet. Students' thumbs on replies and their end-of-session "
                "forms are counted here."
            )
            return
        table(
            [
                {
                    "Client": share.label,
                    "Positive": share.positive,
                    "Ratings": share.total,
                    "Share positive": (share.percent or 0) / 100,
                }
                for share in by_client
            ],
            "feedback_table",
            Client=LABEL,
            **{
                "Share positive": st.column_config.ProgressColumn(
                    format="percent", min_value=0, max_value=1
                )
            },
        )


def budgets_tab() -> None:
    with store.transaction() as db:
        budget = metrics_service.budget_status(db, settings, actor=actor)
    threshold = budget.alert_threshold
    st.subheader("Today's spend")
    left, middle, right = st.columns(3)
    left.metric(
        "Spent today",
        format_usd(budget.spend_today),
        border=True,
        help="Everything billed since midnight UTC, as Cost today on the Now tab.",
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
    user_budget(budget)


def user_budget(budget: metrics_service.BudgetStatus) -> None:
    threshold = budget.alert_threshold
    st.subheader("Per-user token budget")
    if not budget.user_token_budget:
        st.caption("No per-user token budget is set (USER_DAILY_TOKEN_BUDGET is 0).")
        return
    alert_at = int(budget.user_token_budget * threshold)
    st.markdown(
        f"Each user may use **{format_tokens(budget.user_token_budget)} tokens a day**. "
        f"At {threshold:.0%} ({format_tokens(alert_at)} tokens) an alert is logged; at "
        "100% their replies stop until midnight UTC."
    )
    if not budget.near_limit:
        st.info(
            f"Nobody is close to their daily limit. Users who pass {threshold:.0%} today "
            "are listed here; the list starts afresh at midnight UTC.",
            icon=":material/check_circle:",
        )
        return
    table(
        [
            {
                "User": name,
                "Tokens today": tokens,
                "Share of budget": min(tokens / budget.user_token_budget, 1.0),
            }
            for name, tokens in budget.near_limit
        ],
        "near_limit_table",
        **{
            "Tokens today": NUMBER,
            "Share of budget": st.column_config.ProgressColumn(
                format="percent", min_value=0, max_value=1
            ),
        },
    )


FIGURE_TABS = {
    "Now": now_tab,
    "Usage": usage_tab,
    "Breakdowns": breakdowns_tab,
    "Budgets": budgets_tab,
}


@st.fragment(run_every="30s" if st.session_state.get("auto_refresh") else None)
def figures(tab: str) -> None:
    """The open figures tab; the auto-refresh reruns only this, not the page."""
    auth.require_login()  # its own reruns skip the page's check: stop once the log-in ended
    st.caption(
        f"Updated {utc_now():%H:%M:%S} UTC"
        + (" · refreshes every 30 seconds" if st.session_state.get("auto_refresh") else "")
    )
    try:
        FIGURE_TABS[tab]()
    except AppError as error:
        ui.show_error(error)


# The page ------------------------------------------------------------------------------------
st.title("Figures")
top = st.columns([1, 3], vertical_alignment="center")
top[0].button(
    "Refresh",
    key="refresh",
    icon=":material/refresh:",
    help="Recompute the figures of this tab now.",
)  # a click reruns the page
top[1].toggle(
    "Auto-refresh every 30 seconds",
    key="auto_refresh",
    help="Reruns only the figures, not the page.",
)
for tab, name in zip(st.tabs(TABS, key="admin_tab", on_change="rerun"), TABS, strict=False):
    with tab:
        if tab.open:
            figures(name)
