"""Admin figures, the Usage and Breakdowns tabs (the Budgets tab: figures_budgets)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from backend.actor import UserRead
from backend.monitoring import metrics_service
from backend.practice import rating_service
from backend.utils.formatting import format_tokens, format_usd
from mvp import store, ui
from mvp.admin import usage_charts
from mvp.admin.shared import LABEL, NUMBER, PURPOSES_HELP, purpose_table, table

#: The daily sheet's columns of cost by purpose (client checks: turns and judge calls).
DAILY_PURPOSES = (
    "Practice",
    "Test chats",
    "Client checks",
    "Reviews",
    "Drill items",
    "Client memory",
    "Connection tests",
)


def daily_parts(parts: metrics_service.CostParts | None) -> list[Decimal]:
    """A day's cost in the order of `DAILY_PURPOSES`."""
    parts = parts or metrics_service.CostParts()
    return [
        parts.practice,
        parts.test_chat,
        parts.client_checks,
        parts.review,
        parts.drill_items,
        parts.memory,
        parts.connection_test,
    ]


def usage_tab(actor: UserRead) -> None:
    with store.transaction() as db:
        hours = metrics_service.hourly_usage(db, actor=actor)
    st.subheader("Last 24 hours", help="By hour, UTC; the last bar is the hour now under way.")
    # 24 clock hours: from the top of the hour 23 hours before this one, not 24 hours to the
    # minute (a call 23 h 59 min ago may be before the first bar).
    first = hours[0].start if hours else None
    day = "today" if first and first.date() == hours[-1].start.date() else "yesterday"
    since = f"since {first:%H:00} UTC {day}" if first else "in the last 24 hours"
    st.caption(f"Every paid call {since}, by clock hour; the last bar is the hour under way.")
    if not any(bucket.messages or bucket.tokens or bucket.cost for bucket in hours):
        st.info(
            f"Nothing billed {since}. Tokens and cost per hour appear here as conversations "
            "happen.",
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
            help=f"Every billed token {since}: stored replies, and replies cut off after the "
            "API started billing them (as in Today's figures).",
        )
        with left:
            usage_charts.tokens_by_hour(by_hour, hours)
        right.metric(
            "Cost, last 24 hours",
            format_usd(sum((b.cost for b in hours), start=0)),
            help=f"Every paid call {since}, by hour: replies (cut-off ones included), "
            "client checks' judge calls, reviews, drill items, memory summaries and connection "
            "tests, as Cost today counts them.",
        )
        with right:
            usage_charts.cost_by_hour(by_hour, hours)
    daily_usage(actor)


def daily_usage(actor: UserRead) -> None:
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
    if not any(b.sessions or b.messages or b.cost or b.problems for b in buckets):
        st.info(
            f"Nothing recorded in the last {days}. Each day's sessions, messages, tokens, "
            "cost and problems appear here from the first conversation on.",
            icon=":material/calendar_month:",
        )
        return
    costs = [daily_parts(b.parts) for b in buckets]
    chart = pd.DataFrame(
        {
            "Day": [b.start.strftime("%Y-%m-%d") for b in buckets],
            "Sessions": [b.sessions for b in buckets],
            "Messages": [b.messages for b in buckets],
            "Problems logged": [b.problems for b in buckets],
            **{
                name: [float(day[index]) for day in costs]
                for index, name in enumerate(DAILY_PURPOSES)
            },
        }
    )
    left, right = st.columns(2)
    with left:
        usage_charts.activity_by_day(chart, days)
    with right:
        usage_charts.cost_by_day(chart, days, list(DAILY_PURPOSES))
    table(
        [
            {
                "Day": b.start.strftime("%a %Y-%m-%d"),
                "Sessions": b.sessions,
                "Messages": b.messages,
                "Tokens": b.tokens,
                "Cost": format_usd(b.cost),
                **dict(zip(DAILY_PURPOSES, map(format_usd, daily_parts(b.parts)), strict=True)),
                "Problems logged": b.problems,
            }
            for b in reversed(buckets)
        ],
        "daily_table",
        Sessions=st.column_config.NumberColumn(
            format="localized", help="Students' practice conversations started that day."
        ),
        Messages=st.column_config.NumberColumn(
            format="localized",
            help="Messages stored that day in students' practice conversations (test chats "
            "and client checks are not practice; their cost is in the columns by purpose).",
        ),
        Tokens=st.column_config.NumberColumn(
            format="localized",
            help="Billed tokens of every conversation (practice, test chats, client checks and "
            "their judge calls), cut-off replies included; reviews' are not in them.",
        ),
        Cost=st.column_config.TextColumn(
            help="Every paid call that day: replies, judge calls and reviews, as Cost today; "
            "the sum of the purposes beside it."
        ),
        **{name: st.column_config.TextColumn(help=PURPOSES_HELP) for name in DAILY_PURPOSES},
        **{
            "Problems logged": st.column_config.NumberColumn(
                help="Events of severity warning, error or critical that day, as the Error log "
                "shows by default: failed API calls (warnings when a retry can help), budget "
                "alerts, set-up errors."
            )
        },
    )


def breakdowns_tab(actor: UserRead) -> None:
    with store.transaction() as db:
        found = metrics_service.breakdowns(db, actor=actor, students=10)
        by_purpose = metrics_service.purpose_costs(db, actor=actor, days=30)
        _overall, by_client = rating_service.rating_shares(db, actor=actor)
    st.markdown("**By purpose**")
    st.caption("Every paid call over the last 30 days (UTC), reviews and judge calls included.")
    purpose_table(by_purpose, "breakdown_purpose")
    parts = {
        f"By {by}": (by.capitalize(), found[by]) for by in ("model", "teacher", "section", "client")
    }
    parts["Top 10 students by cost"] = ("Student", found["student"])
    st.caption(
        "Conversations over the last 30 days (UTC), most costly first: the replies of practice, "
        "test chats and client checks (their judge calls too) and continuing clients' memory "
        "summaries; reviews are only in By purpose."
    )
    columns = st.columns(2)
    for index, (title, (label, rows)) in enumerate(parts.items()):
        with columns[index % 2]:
            st.markdown(f"**{title}**")
            if label == "Student":
                st.caption(
                    "Everything billed to each student, as their daily budget counts it: their "
                    "conversations and the reviews of their conversations."
                )
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
                    "Share positive": share.positive / share.total if share.total else 0,
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
