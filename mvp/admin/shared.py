"""Parts the admin pages share: rows of metrics, read-only tables, cost by purpose, the clock,
the Accounts page's notice."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from backend.monitoring.metrics_service import CostParts
from backend.utils.formatting import format_share, format_usd
from mvp import ui

NUMBER = st.column_config.NumberColumn(format="localized")
LABEL = st.column_config.TextColumn(width="medium")


def percent(share: float | None) -> str:
    return "—" if share is None else format_share(share)


def utc_now() -> datetime:
    return datetime.now(UTC)


def metric_row(title: str, figures: list[tuple[str, str | int | float | None, str | None]]) -> None:
    """A titled row of bordered metrics, four a line (five would cut money values short)."""
    st.markdown(title)
    for start in range(0, len(figures), 4):
        for column, (label, value, help_text) in zip(
            st.columns(4), figures[start : start + 4], strict=False
        ):
            column.metric(label, value, help=help_text, border=True)


def table(rows: list[dict], key: str, **columns: ColumnConfig | str | None) -> None:
    """A read-only table (formula-safe for its CSV download); money arrives formatted."""
    ui.table(rows, key=key, column_config=columns)


#: What each purpose counts (the help of a by-purpose table or figure).
PURPOSES_HELP = (
    "Practice: students' conversations. Test chats: teachers' and admins' chats with their own "
    "clients. Client checks: the probe conversations (turns) and the judge calls that score "
    "them. Reviews: model-written session reviews (demo reviews cost nothing). Drill items: "
    "items a model drafted for a teacher's drill set. Client memory: continuing clients' "
    "summaries of a session, written when it ends. Connection tests: admins' Test connection "
    "on the Health page. Replies cut off after billing count under their conversation's purpose."
)


def purpose_table(parts: CostParts, key: str) -> None:
    """A cost by purpose, each purpose a row, and the total they add up to."""
    rows = [{"Purpose": label, "Cost": format_usd(cost)} for label, cost in parts.labelled()]
    table(
        [*rows, {"Purpose": "Total", "Cost": format_usd(parts.total)}],
        key,
        Purpose=st.column_config.TextColumn(width="medium", help=PURPOSES_HELP),
    )


def notice(level: str, message: str) -> None:
    """Say how the last change went, at the top of the next run (`show_notice`)."""
    st.session_state["accounts_notice"] = (level, message)


def show_notice() -> None:
    level, message = st.session_state.pop("accounts_notice", (None, None))
    if message:
        {"success": st.success, "warning": st.warning}.get(level, st.error)(message)


PRACTICE_ONLY = "students' practice only: teachers' test chats and client checks are not practice"


class Pager:
    """A newest-first list read a page at a time from the last row shown ("Older ..."), back to
    the newest ("Newest ..."); changing the filters (`filters`) goes back to the newest."""

    def __init__(self, key: str, noun: str, filters: object = None) -> None:
        self.name, self.key, self.noun, self.filters = key, f"_{key}_before", noun, filters
        kept = st.session_state.get(self.key)
        if kept and kept[0] != filters:  # other filters: the newest page, and no way back
            st.session_state.pop(self.key, None)
            kept = None
        self.before: tuple[datetime, int] | None = kept[1] if kept else None

    def newest_button(self) -> None:
        """Back to the newest page, when on an older one."""
        if self.before is not None:
            st.button(
                f"Newest {self.noun}",
                key=f"{self.name}_newest",
                icon=":material/first_page:",
                on_click=lambda: st.session_state.pop(self.key, None),
            )

    def older_button(self, shown: list, limit: int) -> None:
        """On to the page after the last row shown, when this page is full."""
        if len(shown) == limit:
            last = (shown[-1].created_at, shown[-1].id)
            st.button(
                f"Older {self.noun}",
                key=f"{self.name}_older",
                icon=":material/navigate_next:",
                on_click=lambda: st.session_state.update({self.key: (self.filters, last)}),
            )

    def caption(self, shown: int) -> str:
        """ "50 events, newest first"; on an older page "10 older events, newest first" (the
        page starts after the last one shown before, maybe within the same minute)."""
        return f"{shown} {'older ' if self.before else ''}{self.noun}, newest first."
