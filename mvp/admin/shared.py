"""Parts the admin pages share: read-only tables, the clock, the Accounts page's notice."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from mvp import ui

NUMBER = st.column_config.NumberColumn(format="localized")
LABEL = st.column_config.TextColumn(width="medium")


def utc_now() -> datetime:
    return datetime.now(UTC)


def table(rows: list[dict], key: str, **columns: ColumnConfig | str | None) -> None:
    """A read-only table (formula-safe for its CSV download); money arrives formatted."""
    ui.table(rows, key=key, column_config=columns)


def notice(level: str, message: str) -> None:
    """Say how the last change went, at the top of the next run (`show_notice`)."""
    st.session_state["accounts_notice"] = (level, message)


def show_notice() -> None:
    level, message = st.session_state.pop("accounts_notice", (None, None))
    if message:
        {"success": st.success, "warning": st.warning}.get(level, st.error)(message)
