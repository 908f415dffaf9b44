"""Admin: the problems people reported from any page (a tab of the error log)."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.monitoring import problem_report_service
from backend.utils.formatting import format_time
from mvp import store, ui
from mvp.admin.shared import Pager

PREVIEW_CHARS = 80
REPORTS_PER_PAGE = 100


def problem_reports(actor: UserRead) -> None:
    """Newest first; what people typed is shown as typed (no Markdown, links or HTML)."""
    pager = Pager("reports", "reports")
    with store.transaction() as db:
        reports = problem_report_service.list_reports(
            db, actor=actor, limit=REPORTS_PER_PAGE, before=pager.before
        )
    pager.newest_button()
    if not reports:
        st.info(
            "No older reports."
            if pager.before
            else "No problems reported yet. Everyone signed in can send one with **Report a "
            "problem** in the sidebar; the page and the time come with it.",
            icon=":material/check_circle:",
        )
        return
    st.caption(pager.caption(len(reports)))
    for report in reports:
        first_line = report.text.splitlines()[0] if report.text else ""
        # "…" whenever more is there: a long first line cut short too (an attack, 2026-12-07).
        cut = len(first_line) > PREVIEW_CHARS or len(report.text) > len(first_line)
        preview = first_line[:PREVIEW_CHARS] + ("…" if cut else "")
        label = (
            f"{format_time(report.created_at)} · {ui.safe_markdown(report.reporter or '—')} "
            f"· {ui.safe_markdown(report.page)} · {ui.safe_markdown(preview)}"
        )
        with st.expander(label, icon=":material/flag:"):
            st.text(report.text)  # plain text: nothing typed is rendered as markup
    pager.older_button(reports, REPORTS_PER_PAGE)
