"""Parts the admin pages share: read-only tables and the clock."""

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
