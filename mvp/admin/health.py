"""Admin: the health of the database, the Anthropic API and Redis, and a connection test."""

from __future__ import annotations

import streamlit as st

from backend.config import get_settings
from backend.models.enums import Role
from backend.monitoring import health_service
from backend.monitoring.health_service import HealthStatus
from mvp import auth, store, ui
from mvp.admin.shared import utc_now

actor = auth.require_role(Role.admin)
settings = get_settings()

STATUS_BADGES = {
    HealthStatus.healthy: ":green-badge[:material/check_circle: Healthy]",
    HealthStatus.degraded: ":orange-badge[:material/warning: Degraded]",
    HealthStatus.unavailable: ":red-badge[:material/error: Unavailable]",
}


def health_page() -> None:
    checks = [
        (check.name, STATUS_BADGES[check.status], check.detail)
        for check in health_service.all_health(store.database())
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
            st.caption(ui.safe_markdown(detail))  # may quote another service's error
    st.caption(
        f"Checked at {utc_now():%H:%M:%S} UTC. These checks spend no tokens. The API is "
        "Unavailable while its circuit breaker is open (repeated failures), Degraded when "
        "20% or more of the recent calls (of every app process) failed or their median reply "
        "took over 10 seconds, or while the breaker waits for a trial call after an outage; "
        "old calls age out, so the status recovers by itself once a call succeeds."
    )

    st.subheader("Connection test", anchor=False)
    st.write(
        "Makes one minimal API call (a few tokens, well under a cent) to check the key, "
        "the model and the network. Its cost counts in Figures, under Connection tests."
    )
    failed_before = st.session_state.get("api_check", (None, True))[1] is False
    if st.button(
        "Test connection again" if failed_before else "Test connection",
        key="test_connection",
        icon=":material/network_check:",
    ):
        with st.spinner("Calling the Anthropic API…"):
            report = health_service.run_connection_test(store.database(), actor=actor)
        st.session_state["api_check"] = (utc_now(), report.ok, report.summary)
        st.rerun()  # the button's label follows the outcome
    if "api_check" in st.session_state:
        at, ok, summary = st.session_state["api_check"]
        show = st.success if ok else st.info if settings.demo_mode else st.error
        show(f"{at:%H:%M:%S} UTC · {ui.safe_markdown(summary)}")


# The page ------------------------------------------------------------------------------------
st.title("Service health")
health_page()
