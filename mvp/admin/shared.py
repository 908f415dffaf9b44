"""Parts the admin pages share: read-only tables, the clock, the Accounts page's notice."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd
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


def bar_chart(frame: pd.DataFrame, x: str, y: str, *, description: str, color: str) -> None:
    """Bars of `y` by `x` (in the frame's order), with `description` as the text alternative."""
    bars = alt.Chart(frame).mark_bar(color=color).encode(x=alt.X(f"{x}:O", sort=None), y=f"{y}:Q")
    ui.chart(bars.properties(height=240), description=description, width="stretch")


def line_chart(frame: pd.DataFrame, x: str, ys: list[str], *, description: str) -> None:
    """One line per column of `ys` by `x`, with `description` as the text alternative."""
    folded: list[str | alt.FieldName] = [*ys]
    lines = (
        alt.Chart(frame)
        .transform_fold(folded, as_=["Series", "Count"])
        .mark_line()
        .encode(x=alt.X(f"{x}:O", sort=None), y="Count:Q", color=alt.Color("Series:N", sort=ys))
    )
    ui.chart(lines.properties(height=240), description=description, width="stretch")


def notice(level: str, message: str) -> None:
    """Say how the last change went, at the top of the next run (`show_notice`)."""
    st.session_state["accounts_notice"] = (level, message)


def show_notice() -> None:
    level, message = st.session_state.pop("accounts_notice", (None, None))
    if message:
        {"success": st.success, "warning": st.warning}.get(level, st.error)(message)
