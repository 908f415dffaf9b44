"""Admin: the event log (failed API calls, budget alerts, account changes), filtered, and the
problems people reported from any page."""

from __future__ import annotations

import streamlit as st

from backend import event_log
from backend.accounts import account_service
from backend.models.enums import Role, Severity
from backend.utils.formatting import format_time
from mvp import auth, store, ui
from mvp.admin.problem_reports import problem_reports
from mvp.admin.shared import Pager

actor = auth.require_role(Role.admin)

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


def error_log_page() -> None:
    st.session_state.setdefault("_kept_log_severity", ["warning", "error", "critical"])
    st.session_state.setdefault("_kept_log_limit", 50)
    left, middle, right = st.columns([3, 3, 1])
    with left:
        severities = ui.sticky(
            st.multiselect,
            "Severity",
            [s.value for s in Severity],
            key="log_severity",
            placeholder="All severities",
        )
    with store.transaction() as db:
        categories = event_log.event_categories(db, actor=actor)
        with middle:
            chosen = ui.sticky(
                st.multiselect,
                "Category",
                categories,
                key="log_category",
                placeholder="All categories",
                format_func=event_log.category_label,
            )
        with right:
            limit = ui.sticky(st.selectbox, "Show", [25, 50, 100, 200], key="log_limit")
        # Older pages: from the last event shown, while the filters stay as they were.
        pager = Pager("log", "events", (tuple(severities or ()), tuple(chosen or ()), limit))
        events = event_log.list_events(
            db,
            actor=actor,
            severities=severities or None,
            categories=chosen or None,
            limit=limit,
            before=pager.before,
        )
        names = {user.id: user.username for user in account_service.list_users(db, actor=actor)}
    pager.newest_button()
    if not events:
        st.info(
            "No older events match."
            if pager.before
            else "No events match. Failed API calls (errors), budget alerts (warnings) and "
            "account changes (info) are logged here as they happen.",
            icon=":material/check_circle:",
        )
        return
    st.caption(pager.caption(len(events)))
    for event in events:
        severity = f":{SEVERITY_COLOURS[event.severity]}[{event.severity.value}]"
        label = (
            f"{format_time(event.created_at)} · {severity} · "
            f"{ui.safe_markdown(event_log.headline(event))}"
        )
        with st.expander(label, icon=SEVERITY_ICONS[event.severity]):
            st.markdown(f"{ui.safe_markdown(event.message)} · category `{event.category}`")
            request_id = event.details.get("request_id")
            user = names.get(event.user_id, f"#{event.user_id}") if event.user_id else "—"
            st.markdown(
                f"**Request id** {f'`{request_id}`' if request_id else '—'} · **Session** "
                f"{f'#{event.session_id}' if event.session_id else '—'} · **User** "
                f"{ui.safe_markdown(user)}"
            )
            rest = {key: value for key, value in event.details.items() if key != "request_id"}
            if rest:
                st.json(rest)
    pager.older_button(events, limit)


# The page ------------------------------------------------------------------------------------
st.title("Error log")
events_tab, reports_tab = st.tabs(["Events", "Problem reports"])
with events_tab:
    error_log_page()
with reports_tab:
    problem_reports(actor)
