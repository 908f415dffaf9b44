"""Admin figures, the Now tab: today's activity, tokens, reply times, review costs and the
conversations open right now."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.monitoring import metrics_service
from backend.practice import rating_service
from backend.utils import formatting
from backend.utils.formatting import format_tokens, format_usd
from mvp import store
from mvp.admin.active_sessions import ACTIVE_MINUTES, active_sessions
from mvp.admin.shared import PRACTICE_ONLY, metric_row, percent


def seconds(ms: float | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.2f} s"


# Figures (one fragment: the auto-refresh reruns only these) ------------------------------------
def now_tab(actor: UserRead) -> None:
    with store.transaction() as db:
        now = metrics_service.now_figures(db, actor=actor)
        active = metrics_service.active_sessions(db, actor=actor)
        feedback, _by_client = rating_service.rating_shares(db, actor=actor)
        reviews = metrics_service.review_costs(db, actor=actor)
    if not now.messages_today:
        st.info(
            "No students' practice yet today. These figures fill in as students talk to their "
            "clients (teachers' test chats and client checks count only in the costs); 'today' "
            "starts at midnight UTC.",
            icon=":material/schedule:",
        )
    today_figures(now, feedback)
    token_figures(now)
    latency_figures(now)
    review_figures(*reviews)
    active_sessions(active, now.left_open_sessions)


def review_figures(today: metrics_service.ReviewCost, month: metrics_service.ReviewCost) -> None:
    """Session reviews on their own (their cost is also in Cost today above)."""
    per_review = (
        "Per review the model wrote, with what failed attempts cost; automatic demo reviews "
        "cost nothing"
    )
    metric_row(
        "**Session reviews**",
        [
            (
                "Review cost today",
                format_usd(today.cost),
                f"{today.reviews} reviews by the review model and {today.demo_reviews} automatic "
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
                f"{month.reviews} reviews by the review model and {month.demo_reviews} automatic "
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
        "**Today** · students' practice",
        [
            (
                "Active sessions",
                now.active_sessions,
                f"Conversations with a message in the last {ACTIVE_MINUTES} minutes, "
                f"{PRACTICE_ONLY}.",
            ),
            (
                "Sessions today",
                now.sessions_today,
                f"Conversations started since midnight UTC, {PRACTICE_ONLY}.",
            ),
            (
                "Messages today",
                f"{now.messages_today:,}",
                f"Student messages and client replies stored since midnight UTC, {PRACTICE_ONLY} "
                "(their cost is under Cost today by purpose).",
            ),
            (
                "Completion rate",
                percent(now.completion_rate),
                f"Share of today's sessions that were ended: {now.completed_today} of "
                f"{now.sessions_today}.",
            ),
        ],
    )
    cost_figures(now)
    metric_row(
        "**Feedback**",
        [
            (
                "Positive feedback",
                feedback.shown,
                f"All time: {feedback.positive} of {feedback.total} reply thumbs and end-of-session "
                "forms (4 or 5 out of 5) are positive.",
            )
        ],
    )


def cost_figures(now: metrics_service.NowFigures) -> None:
    sessions = formatting.plural(now.completed_today, "practice session")
    completed = f"the {sessions} started and completed today"
    metric_row(
        "**Cost today**",
        [
            (
                "Cost today",
                format_usd(now.cost_today),
                "Every paid call since midnight UTC: replies in practice, teachers' test chats and "
                "client checks (stored, or cut off after billing), the checks' judge calls, "
                "model-written reviews and drill items, continuing clients' memory summaries and "
                "admins' connection tests. "
                "The sum of the purposes below; the same total as Spent today and today's row of "
                "the daily sheet.",
            ),
            (
                "Cost per 1K tokens",
                format_usd(now.cost_per_1k_tokens, unpriced_label="—"),
                "Cost today (reviews included) over today's conversation tokens below, cache "
                "included.",
            ),
            (
                "Avg cost per conversation",
                format_usd(now.avg_cost_per_completed, unpriced_label="—"),
                "The conversation: its replies and, for a continuing client, the memory summary "
                f"written when it ended; on average over {completed}.",
            ),
            (
                "Avg cost per practice session",
                format_usd(now.avg_cost_per_practice_session, unpriced_label="—"),
                "The conversation (with its memory summary) and its model-written review (with "
                f"any failed attempts before it), on average over {completed}.",
            ),
        ],
    )
    parts = now.cost_parts
    metric_row(
        "**Cost today by purpose**",
        [
            ("Practice", format_usd(parts.practice), "Students' conversations since midnight UTC."),
            (
                "Test chats",
                format_usd(parts.test_chat),
                "Teachers' and admins' chats with their own clients since midnight UTC.",
            ),
            (
                "Client checks",
                format_usd(parts.client_checks),
                f"Client checks since midnight UTC: {format_usd(parts.check_turns)} for the "
                f"probe conversations' turns and {format_usd(parts.check_judge)} for the judge "
                "calls that score them.",
            ),
            (
                "Reviews",
                format_usd(parts.review),
                "Model-written session reviews since midnight UTC (as Review cost today below).",
            ),
            (
                "Drill items",
                format_usd(parts.drill_items),
                "Drill items a model drafted for teachers' drill sets since midnight UTC.",
            ),
            (
                "Client memory",
                format_usd(parts.memory),
                "Continuing clients' memory summaries, written when a session ends, since "
                "midnight UTC.",
            ),
            (
                "Connection tests",
                format_usd(parts.connection_test),
                "Admins' calls from Test connection on the Health page since midnight UTC.",
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
                f"Prompt tokens written to the cache (1.25x input price for 5 minutes, 2x for "
                f"an hour: the shared role-play guide), {billed}.",
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
