"""Admin, the Now tab: the practice conversations active now, and how many were left open."""

from __future__ import annotations

import streamlit as st

from backend.monitoring import metrics_service
from backend.utils.formatting import format_duration, format_time, format_usd
from mvp.admin.shared import LABEL, NUMBER, PRACTICE_ONLY, table, utc_now

ACTIVE_MINUTES = int(metrics_service.ACTIVE_WITHIN.total_seconds() // 60)


def active_sessions(active: list[metrics_service.ActiveSession], left_open: int) -> None:
    st.subheader(
        "Active sessions",
        help=f"Conversations with a message in the last {ACTIVE_MINUTES} minutes, {PRACTICE_ONLY}.",
    )
    if left_open:
        st.caption(
            f"{left_open} more conversation{'s were' if left_open != 1 else ' was'} left open "
            f"with no message for over {ACTIVE_MINUTES} minutes (a tab closed without End "
            "session): not counted as active."
        )
    if not active:
        st.info(
            f"No student is practising right now. Each practice conversation with a message in "
            f"the last {ACTIVE_MINUTES} minutes appears here with its student, client, messages "
            "and cost.",
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
