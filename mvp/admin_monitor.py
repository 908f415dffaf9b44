"""Admin monitor: live usage, cost, latency, service health, errors, budgets and accounts.

Every figure comes from `metrics_service` (grouped queries in the database). Only the open tab
runs; the figures tabs draw inside one fragment, so the auto-refresh reruns them, not the page.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from backend.config import get_settings
from backend.errors import AppError
from backend.models.enums import Role, Severity
from backend.services import (
    account_service,
    event_service,
    feedback_service,
    health_service,
    metrics_service,
)
from backend.services.anthropic_service import HealthStatus
from backend.utils.formatting import format_duration, format_time, format_tokens, format_usd
from mvp import utils

actor = utils.require_role(Role.admin)
settings = get_settings()

TABS = ["Now", "Usage", "Breakdowns", "Budgets", "Service health", "Error log", "Accounts"]
STATUS_BADGES = {
    HealthStatus.healthy: ":green-badge[:material/check_circle: Healthy]",
    HealthStatus.degraded: ":orange-badge[:material/warning: Degraded]",
    HealthStatus.unavailable: ":red-badge[:material/error: Unavailable]",
}
SEVERITY_ICONS = {
    Severity.info: ":material/info:",
    Severity.warning: ":material/warning:",
    Severity.error: ":material/error:",
    Severity.critical: ":material/report:",
}
SEVERITY_COLOURS = {
    Severity.info: "gray",
    Severity.warning: "orange",
    Severity.error: "red",
    Severity.critical: "red",
}
NUMBER = st.column_config.NumberColumn(format="localized")
LABEL = st.column_config.TextColumn(width="medium")


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def seconds(ms: float | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.2f} s"


def utc_now() -> datetime:
    return datetime.now(UTC)


def table(rows: list[dict], key: str, **columns) -> None:
    """A read-only table (formula-safe for its CSV download); money arrives formatted."""
    utils.table(rows, key=key, column_config=columns)


def metric_row(title: str, figures: list[tuple[str, object, str | None]]) -> None:
    """A titled row of four bordered metrics (five would cut money values short)."""
    st.markdown(title)
    for column, (label, value, help_text) in zip(st.columns(4), figures, strict=False):
        column.metric(label, value, help=help_text, border=True)


# Figures (one fragment: the auto-refresh reruns only these) ------------------------------------
def now_tab() -> None:
    with utils.transaction() as db:
        now = metrics_service.now_figures(db, actor=actor)
        active = metrics_service.active_sessions(db, actor=actor)
        feedback, _by_client = feedback_service.feedback_shares(db, actor=actor)
    if not now.messages_today:
        st.info(
            "No messages yet today. These figures fill in as students talk to their clients; "
            "'today' starts at midnight UTC.",
            icon=":material/schedule:",
        )
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
    with utils.transaction() as db:
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

    st.subheader("Daily", help="The daily tracking sheet, by UTC day.")
    st.session_state.setdefault("_kept_daily_range", "7 days")
    days = (
        utils.sticky(
            st.segmented_control,
            "Days",
            ["7 days", "30 days"],
            key="daily_range",
            label_visibility="collapsed",
        )
        or "7 days"
    )
    with utils.transaction() as db:
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
    with utils.transaction() as db:
        parts = {
            f"By {by}": (by.capitalize(), metrics_service.breakdown(db, actor=actor, by=by))
            for by in ("model", "teacher", "section", "client")
        }
        parts["Top 10 students by cost"] = (
            "Student",
            metrics_service.breakdown(db, actor=actor, by="student", limit=10),
        )
        _overall, by_client = feedback_service.feedback_shares(db, actor=actor)
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
    with utils.transaction() as db:
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
            format_usd(max(budget.daily_cost_budget - budget.spend_today, 0)),
            border=True,
            help="The daily cost budget minus what was spent today.",
        )
        st.progress(min(share, 1.0), text=f"{share:.0%} of the daily budget used")
        st.caption(
            f"An alert is logged at {threshold:.0%}; at 100% replies stop for everyone "
            "until midnight UTC."
        )

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
    utils.require_login()  # its own reruns skip the page's check: stop once the log-in ended
    st.caption(
        f"Updated {utc_now():%H:%M:%S} UTC"
        + (" · refreshes every 30 seconds" if st.session_state.get("auto_refresh") else "")
    )
    try:
        FIGURE_TABS[tab]()
    except AppError as error:
        utils.show_error(error)


# Health, errors and accounts -------------------------------------------------------------------
def health_tab() -> None:
    checks = [
        (check.name, STATUS_BADGES[check.status], check.detail)
        for check in health_service.all_health(utils.database())
    ]
    if not settings.redis_url:
        checks.append(
            (
                "Redis",
                ":gray-badge[Not configured]",
                "Rate limits are counted per app "
                "process; set REDIS_URL to share them between processes.",
            )
        )
    for column, (name, badge, detail) in zip(st.columns(3), checks, strict=False):
        with column.container(border=True, height="stretch"):
            st.markdown(f"**{name}** {badge}")
            st.caption(detail)
    st.caption(
        f"Checked at {utc_now():%H:%M:%S} UTC. These checks spend no tokens. The API is "
        "Unavailable while its circuit breaker is open (repeated failures), Degraded when "
        "20% or more of this app process's recent calls failed or their median reply "
        "took over 10 seconds; old calls age out, so the status recovers by itself."
    )

    st.subheader("Connection test", anchor=False)
    st.write(
        "Makes one minimal API call (a few tokens, well under a cent) to check the key, "
        "the model and the network."
    )
    failed_before = st.session_state.get("api_check", (None, True))[1] is False
    if st.button(
        "Test connection again" if failed_before else "Test connection",
        key="test_connection",
        icon=":material/network_check:",
    ):
        with st.spinner("Calling the Anthropic API…"):
            report = health_service.check_connection()
        st.session_state["api_check"] = (utc_now(), report.ok, report.summary)
        st.rerun()  # the button's label follows the outcome
    if "api_check" in st.session_state:
        at, ok, summary = st.session_state["api_check"]
        show = st.success if ok else st.info if settings.demo_mode else st.error
        show(f"{at:%H:%M:%S} UTC · {utils.safe_markdown(summary)}")


def error_log_tab() -> None:
    st.session_state.setdefault("_kept_log_severity", ["warning", "error", "critical"])
    st.session_state.setdefault("_kept_log_limit", 50)
    left, middle, right = st.columns([3, 3, 1])
    with left:
        severities = utils.sticky(
            st.multiselect,
            "Severity",
            [s.value for s in Severity],
            key="log_severity",
            placeholder="All severities",
        )
    with utils.transaction() as db:
        categories = event_service.event_categories(db, actor=actor)
        with middle:
            chosen = utils.sticky(
                st.multiselect,
                "Category",
                categories,
                key="log_category",
                placeholder="All categories",
                format_func=event_service.category_label,
            )
        with right:
            limit = utils.sticky(st.selectbox, "Show", [25, 50, 100, 200], key="log_limit")
        events = event_service.list_events(
            db,
            actor=actor,
            severities=severities or None,
            categories=chosen or None,
            limit=limit,
        )
        names = {user.id: user.username for user in account_service.list_users(db, actor=actor)}
    if not events:
        st.info(
            "No events match. Failed API calls (errors), budget alerts (warnings) and "
            "account changes (info) are logged here as they happen.",
            icon=":material/check_circle:",
        )
        return
    more = " (there may be more: show more, or narrow the filters)" if len(events) == limit else ""
    st.caption(f"{len(events)} events, newest first{more}.")
    for event in events:
        severity = f":{SEVERITY_COLOURS[event.severity]}[{event.severity.value}]"
        label = (
            f"{format_time(event.created_at)} · {severity} · "
            f"{utils.escape_markdown(event_service.headline(event))}"
        )
        with st.expander(label, icon=SEVERITY_ICONS[event.severity]):
            st.markdown(f"{utils.safe_markdown(event.message)} · category `{event.category}`")
            request_id = event.details.get("request_id")
            st.markdown(
                f"**Request id** {f'`{request_id}`' if request_id else '—'} · **Session** "
                f"{f'#{event.session_id}' if event.session_id else '—'} · **User** "
                f"{names.get(event.user_id, f'#{event.user_id}') if event.user_id else '—'}"
            )
            rest = {key: value for key, value in event.details.items() if key != "request_id"}
            if rest:
                st.json(rest)


def _notice(level: str, message: str) -> None:
    st.session_state["accounts_notice"] = (level, message)


def _show_notice() -> None:
    level, message = st.session_state.pop("accounts_notice", (None, None))
    if message:
        {"success": st.success, "warning": st.warning}.get(level, st.error)(message)


def _create_account() -> None:
    state = st.session_state
    state["account_errors"] = {}
    try:
        with utils.transaction(write=True) as db:
            user = account_service.create_user(
                db,
                actor=actor,
                username=state["account_username"],
                display_name=state["account_display_name"],
                password=state["account_password"],
                role=Role(state["account_role"]),
            )
    except AppError as error:
        state["account_errors"] = getattr(error, "field_errors", {})
        _notice(error.level, error.message)
        return
    for key in ("account_username", "account_display_name", "account_password"):
        state[key] = ""
    _notice(
        "success",
        f"Created the {user.role.value} account '{user.username}'. Give them the "
        "password you chose; they can change it after logging in.",
    )


def _reset_password(user_id: int, username: str) -> None:
    try:
        with utils.transaction(write=True) as db:
            account_service.reset_password(
                db,
                actor=actor,
                user_id=user_id,
                new_password=st.session_state["reset_password"],
            )
    except AppError as error:
        _notice(error.level, error.message)
        return
    st.session_state["reset_password"] = ""
    _notice("success", f"New password set for '{username}'; their other log-ins were ended.")


def _set_active(user_id: int, username: str, active: bool) -> None:
    try:
        with utils.transaction(write=True) as db:
            account_service.set_active(db, actor=actor, user_id=user_id, active=active)
    except AppError as error:
        _notice(error.level, error.message)
        return
    _notice(
        "success",
        f"'{username}' is {'active again' if active else 'deactivated'}: "
        + ("they can log in." if active else "they are logged out everywhere and cannot log in."),
    )


def accounts_tab() -> None:
    _show_notice()
    errors = st.session_state.get("account_errors", {})
    roles = [role.value for role in (Role.teacher, Role.admin, Role.student)]
    with st.form("account_form"):
        st.markdown("**New account**")
        left, right = st.columns(2)
        with left:
            st.text_input("Username", key="account_username")
            utils.field_error(errors, "username")
            st.text_input("Display name", key="account_display_name")
            utils.field_error(errors, "display_name")
        with right:
            st.selectbox(
                "Role",
                roles,
                key="account_role",
                format_func=str.capitalize,
                help="Students usually sign up themselves with their section's join code.",
            )
            st.text_input(
                "Password",
                key="account_password",
                type="password",
                help=f"At least {account_service.MIN_PASSWORD_LENGTH} characters.",
            )
            utils.field_error(errors, "password")
        st.form_submit_button(
            "Create account",
            key="create_account",
            type="primary",
            on_click=utils.guarded(_create_account),
        )

    st.markdown("**Everyone with an account**")
    st.session_state.setdefault("_kept_accounts_role", "All")
    shown = (
        utils.sticky(
            st.segmented_control,
            "Role",
            ["All", "Admins", "Teachers", "Students"],
            key="accounts_role",
            label_visibility="collapsed",
        )
        or "All"
    )
    role = None if shown == "All" else Role(shown[:-1].lower())
    with utils.transaction() as db:
        users = account_service.list_users(db, actor=actor, role=role)
    table(
        [
            {
                "Username": user.username,
                "Name": user.display_name,
                "Role": user.role.value,
                "Active": user.is_active,
                "Created": format_time(user.created_at),
                "Last log-in": format_time(user.last_login_at),
            }
            for user in users
        ],
        "accounts_table",
        Username=LABEL,
        Name=LABEL,
        Role=st.column_config.TextColumn(width="small"),
        Active=st.column_config.CheckboxColumn(width="small"),
    )

    st.markdown("**Change an account**")
    by_name = {user.username: user for user in users}
    chosen = st.selectbox(
        "Account",
        list(by_name),
        key="manage_account",
        index=None,
        placeholder="Choose an account (type to search)",
    )
    if chosen is None:
        return
    user = by_name[chosen]
    left, right = st.columns(2)
    with left.container(border=True):
        st.text_input(
            "New password",
            key="reset_password",
            type="password",
            help=f"At least {account_service.MIN_PASSWORD_LENGTH} characters. Their "
            "other log-ins end.",
        )
        st.button(
            "Reset password",
            key="reset_password_button",
            on_click=utils.guarded(_reset_password),
            args=(user.id, user.username),
        )
    with right.container(border=True):
        st.markdown(
            f"**{utils.safe_markdown(user.display_name)}** is "
            f"{'active' if user.is_active else 'deactivated'}."
        )
        label = "Deactivate" if user.is_active else "Reactivate"
        st.button(
            label,
            key="toggle_active",
            on_click=utils.guarded(_set_active),
            args=(user.id, user.username, not user.is_active),
            disabled=user.id == actor.id,
            help="You cannot deactivate yourself."
            if user.id == actor.id
            else "Deactivating logs them out everywhere; their history stays.",
        )


OTHER_TABS = {"Service health": health_tab, "Error log": error_log_tab, "Accounts": accounts_tab}


# The page --------------------------------------------------------------------------------------
st.title("Admin")
top = st.columns([1, 3], vertical_alignment="center")
top[0].button(
    "Refresh",
    key="refresh",
    icon=":material/refresh:",
    help="Recompute everything on this tab now.",
)  # a click reruns the page
top[1].toggle(
    "Auto-refresh every 30 seconds",
    key="auto_refresh",
    help="Reruns only the figures (Now, Usage, Breakdowns, Budgets), not the page.",
)
for tab, name in zip(st.tabs(TABS, key="admin_tab", on_change="rerun"), TABS, strict=False):
    with tab:
        if not tab.open:
            continue
        if name in FIGURE_TABS:
            figures(name)
            continue
        try:
            OTHER_TABS[name]()
        except AppError as error:
            utils.show_error(error)
