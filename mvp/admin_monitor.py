"""Admin monitor: live usage, cost, latency, service health, errors, budgets and accounts.

Every figure comes from `metrics_service` (grouped queries in the database). The metrics live in a
fragment, so the auto-refresh reruns only them, not the page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.config import get_settings
from backend.errors import AppError, ValidationError
from backend.models.enums import Role, Severity
from backend.services import (
    account_service, anthropic_service, event_service, feedback_service, health_service,
    metrics_service,
)
from backend.services.anthropic_service import HealthStatus
from backend.utils.formatting import format_time, format_tokens, format_usd
from mvp import utils

actor = utils.require_role(Role.admin)
settings = get_settings()
STATUS_BADGES = {HealthStatus.healthy: ":green-badge[Healthy]",
                 HealthStatus.degraded: ":orange-badge[Degraded]",
                 HealthStatus.unavailable: ":red-badge[Unavailable]"}


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value / 1000:.2f} s"


# Metrics (rerun alone by the auto-refresh) -----------------------------------------------------
def now_panel() -> None:
    with utils.db() as session:
        now = metrics_service.now_figures(session, actor=actor)
        active = metrics_service.active_sessions(session, actor=actor)
        overall, _by_client = feedback_service.feedback_shares(session, actor=actor)
    st.subheader("Now")
    row = st.columns(4)
    row[0].metric("Active sessions", now.active_sessions)
    row[1].metric("Sessions today", now.sessions_today)
    row[2].metric("Messages today", now.messages_today)
    row[3].metric("Cost today", format_usd(now.cost_today))
    row = st.columns(4)
    row[0].metric("Tokens today", format_tokens(now.tokens_today),
                  help=f"input {format_tokens(now.input_tokens)} · output "
                       f"{format_tokens(now.output_tokens)} · cache write "
                       f"{format_tokens(now.cache_write_tokens)} · cache read "
                       f"{format_tokens(now.cache_read_tokens)}")
    row[1].metric("Cost per 1K tokens", format_usd(now.cost_per_1k_tokens, unpriced_label="—"))
    row[2].metric("Avg cost per completed conversation",
                  format_usd(now.avg_cost_per_completed, unpriced_label="—"))
    row[3].metric("Completion rate (today)", percent(now.completion_rate))
    row = st.columns(4)
    row[0].metric("Reply time, last hour", ms(now.latency_last_hour.median_ms),
                  help=f"median; p95 {ms(now.latency_last_hour.p95_ms)} over "
                       f"{now.latency_last_hour.count} replies")
    row[1].metric("Reply time, today", ms(now.latency_today.median_ms),
                  help=f"median; p95 {ms(now.latency_today.p95_ms)} over "
                       f"{now.latency_today.count} replies")
    row[2].metric("First token, last hour / today",
                  f"{ms(now.first_token_last_hour.median_ms)} / {ms(now.first_token_today.median_ms)}",
                  help=f"medians; p95 {ms(now.first_token_last_hour.p95_ms)} / "
                       f"{ms(now.first_token_today.p95_ms)}")
    row[3].metric("Positive feedback", "—" if overall.percent is None else f"{overall.percent}%",
                  help=f"{overall.positive} of {overall.total} ratings and forms")
    st.caption(f"Token split today: input {format_tokens(now.input_tokens)} · output "
               f"{format_tokens(now.output_tokens)} · cache write "
               f"{format_tokens(now.cache_write_tokens)} · cache read "
               f"{format_tokens(now.cache_read_tokens)}. Latency p95: last hour "
               f"{ms(now.latency_last_hour.p95_ms)}, today {ms(now.latency_today.p95_ms)}.")

    st.subheader("Active sessions")
    if not active:
        st.info("Nobody is talking to a client right now. Open conversations appear here.",
                icon=":material/forum:")
    else:
        st.dataframe(pd.DataFrame([{
            "Who": a.user, "Client": a.client, "Since": format_time(a.started_at),
            "Messages": a.messages, "Cost": format_usd(a.cost)} for a in active]),
            hide_index=True, width="stretch", key="active_table")


def usage_panel() -> None:
    with utils.db() as session:
        hours = metrics_service.hourly_usage(session, actor=actor)
        week = metrics_service.daily_usage(session, actor=actor, days=7)
        month = metrics_service.daily_usage(session, actor=actor, days=30)
    st.subheader("Last 24 hours")
    by_hour = pd.DataFrame({"hour": [b.start.strftime("%H:00") for b in hours],
                            "tokens": [b.tokens for b in hours],
                            "cost (USD)": [float(b.cost) for b in hours]}).set_index("hour")
    left, right = st.columns(2)
    left.markdown(f"**Tokens** · {format_tokens(sum(b.tokens for b in hours))} in total")
    left.bar_chart(by_hour["tokens"], height=220)
    right.markdown(f"**Cost** · {format_usd(sum((b.cost for b in hours), start=0))} in total")
    right.bar_chart(by_hour["cost (USD)"], height=220)

    st.subheader("Daily")
    days = st.segmented_control("Days", ["7 days", "30 days"], default="7 days",
                                key="daily_range", label_visibility="collapsed") or "7 days"
    buckets = week if days == "7 days" else month
    table = pd.DataFrame([{
        "Day": b.start.strftime("%Y-%m-%d"), "Sessions": b.sessions, "Messages": b.messages,
        "Tokens": b.tokens, "Cost": format_usd(b.cost), "Errors": b.errors} for b in buckets])
    st.line_chart(table.set_index("Day")[["Sessions", "Messages", "Errors"]], height=220)
    st.dataframe(table, hide_index=True, width="stretch", key="daily_table")


def breakdown_panel() -> None:
    st.subheader("Where the money goes (last 30 days)")
    with utils.db() as session:
        parts = {by: metrics_service.breakdown(session, actor=actor, by=by)
                 for by in ("model", "teacher", "section", "client")}
        students = metrics_service.breakdown(session, actor=actor, by="student", limit=10)
    columns = st.columns(2)
    for index, (by, rows) in enumerate([*parts.items(), ("top 10 students", students)]):
        with columns[index % 2]:
            st.markdown(f"**By {by}**")
            if not rows:
                st.caption("No replies in the last 30 days.")
                continue
            st.dataframe(pd.DataFrame([{
                by.capitalize(): r.label, "Replies": r.replies, "Tokens": r.tokens,
                "Cost": format_usd(r.cost)} for r in rows]),
                hide_index=True, width="stretch", key=f"breakdown_{by.replace(' ', '_')}")


def budget_panel() -> None:
    with utils.db() as session:
        budget = metrics_service.budget_status(session, settings, actor=actor)
    st.subheader("Budgets")
    share = budget.spend_share or 0.0
    st.progress(min(share, 1.0), text=f"Today's spend {format_usd(budget.spend_today)} of "
                                      f"{format_usd(budget.daily_cost_budget)} ({share:.0%})")
    st.caption(f"Per-user budget: {format_tokens(budget.user_token_budget)} tokens a day. Alerts "
               f"at {budget.alert_threshold:.0%}; replies stop at 100% until midnight UTC.")
    if budget.near_limit:
        st.dataframe(pd.DataFrame([{
            "User": name, "Tokens today": tokens,
            "Share of budget": f"{tokens / budget.user_token_budget:.0%}"}
            for name, tokens in budget.near_limit]), hide_index=True, width="stretch",
            key="near_limit_table")
    else:
        st.caption("Nobody is close to their daily limit.")


@st.fragment(run_every="30s" if st.session_state.get("auto_refresh") else None)
def metrics() -> None:
    """Everything that changes with use; the auto-refresh reruns only this."""
    st.caption(f"Updated {pd.Timestamp.now(tz='UTC'):%H:%M:%S} UTC")
    now_tab, usage_tab, breakdown_tab, budget_tab = st.tabs(
        ["Now", "Usage", "Breakdowns", "Budgets"])
    with now_tab:
        now_panel()
    with usage_tab:
        usage_panel()
    with breakdown_tab:
        breakdown_panel()
    with budget_tab:
        budget_panel()


# Health, errors and accounts -------------------------------------------------------------------
def health_panel() -> None:
    st.subheader("Service health")
    for check in health_service.all_health(utils.get_engine()):
        st.markdown(f"**{check.name}** {STATUS_BADGES[check.status]}  \n{check.detail}")
    if not settings.redis_url:
        st.caption("Redis is not configured: rate limits are kept per app process.")
    if st.button("Test connection", key="test_connection", icon=":material/network_check:",
                 help="Makes one minimal API call (a few tokens)."):
        with st.spinner("Calling the API…"):
            report = anthropic_service.check_api()
        (st.success if report.ok else st.error)(report.summary)


def error_log() -> None:
    st.subheader("Error log")
    left, right = st.columns(2)
    severities = left.multiselect("Severity", [s.value for s in Severity],
                                  default=["warning", "error", "critical"], key="log_severity")
    with utils.db() as session:
        categories = event_service.event_categories(session, actor=actor)
        chosen = right.multiselect("Category", categories, key="log_category",
                                   placeholder="All categories")
        events = event_service.list_events(session, actor=actor, severities=severities or None,
                                           categories=chosen or None, limit=100)
    if not events:
        st.info("No events match. Failed API calls, budget alerts and account changes are "
                "logged here as they happen.", icon=":material/check_circle:")
    for event in events:
        with st.expander(f"{format_time(event.created_at)} · {event.severity.value} · "
                         f"{event.category} · {event.message}"):
            st.json({"request id": event.details.get("request_id"), "session": event.session_id,
                     "user": event.user_id, **event.details})


def _create_account() -> None:
    state = st.session_state
    state["account_errors"] = {}
    try:
        with utils.db(write=True) as session:
            user = account_service.create_user(
                session, actor=actor, username=state["account_username"],
                display_name=state["account_display_name"], password=state["account_password"],
                role=Role(state["account_role"]))
    except ValidationError as error:
        state["account_errors"] = error.field_errors
        utils.flash(error.message, "warning")
        return
    for key in ("account_username", "account_display_name", "account_password"):
        state[key] = ""
    utils.flash(f"Created the {user.role.value} account '{user.username}'. Give them the password "
                "you chose; they can change it after logging in.")


def _reset_password(user_id: int, username: str) -> None:
    with utils.db(write=True) as session:
        account_service.reset_password(session, actor=actor, user_id=user_id,
                                       new_password=st.session_state["reset_password"])
    st.session_state["reset_password"] = ""
    utils.flash(f"New password set for '{username}'; their other log-ins were ended.")


def _set_active(user_id: int, username: str, active: bool) -> None:
    with utils.db(write=True) as session:
        account_service.set_active(session, actor=actor, user_id=user_id, active=active)
    utils.flash(f"'{username}' is {'active again' if active else 'deactivated'}.")


def accounts() -> None:
    st.subheader("Accounts")
    errors = st.session_state.get("account_errors", {})
    with st.form("account_form"):
        st.markdown("**New account**")
        left, right = st.columns(2)
        with left:
            st.text_input("Username", key="account_username")
            utils.field_error(errors, "username")
            st.text_input("Display name", key="account_display_name")
            utils.field_error(errors, "display_name")
        with right:
            st.selectbox("Role", [role.value for role in Role], key="account_role",
                         format_func=str.capitalize)
            st.text_input("Password", key="account_password", type="password",
                          help=f"At least {account_service.MIN_PASSWORD_LENGTH} characters.")
            utils.field_error(errors, "password")
        st.form_submit_button("Create account", key="create_account", type="primary",
                              on_click=utils.guarded(_create_account))

    with utils.db() as session:
        users = account_service.list_users(session, actor=actor)
    st.dataframe(pd.DataFrame([{
        "Username": user.username, "Name": user.display_name, "Role": user.role.value,
        "Active": user.is_active, "Created": format_time(user.created_at),
        "Last log-in": format_time(user.last_login_at),
    } for user in users]), hide_index=True, width="stretch", key="accounts_table")

    st.markdown("**Change an account**")
    by_name = {user.username: user for user in users}
    chosen = st.selectbox("Account", list(by_name), key="manage_account", index=None,
                          placeholder="Choose an account")
    if chosen is None:
        return
    user = by_name[chosen]
    left, right = st.columns(2)
    with left:
        st.text_input("New password", key="reset_password", type="password")
        st.button("Reset password", key="reset_password_button",
                  on_click=utils.guarded(_reset_password), args=(user.id, user.username))
    with right:
        label = "Deactivate" if user.is_active else "Reactivate"
        st.button(label, key="toggle_active", on_click=utils.guarded(_set_active),
                  args=(user.id, user.username, not user.is_active),
                  disabled=user.id == actor.id, help="You cannot deactivate yourself.")


# The page --------------------------------------------------------------------------------------
st.title("Admin")
top = st.columns([1, 2, 3], vertical_alignment="center")
if top[0].button("Refresh", key="refresh", icon=":material/refresh:"):
    st.rerun()
top[1].toggle("Auto-refresh (30 s)", key="auto_refresh")
try:
    metrics()
    with st.expander("Service health", expanded=True):
        health_panel()
    error_log()
    accounts()
except AppError as error:
    utils.show_error(error)
