"""The Usage tab's charts, each with a text alternative (what a screen reader says instead of
"Vega visualization"): tokens and cost by hour, activity and cost by day."""

from __future__ import annotations

import altair as alt
import pandas as pd

from backend.monitoring.metrics_service import UsageBucket
from backend.utils.formatting import format_tokens, format_usd
from mvp import ui


def tokens_by_hour(frame: pd.DataFrame, hours: list[UsageBucket]) -> None:
    busiest = max(hours, key=lambda b: b.tokens)
    bar_chart(
        frame,
        "Hour (UTC)",
        "Tokens",
        color="#1f77b4",
        description=f"Bar chart of tokens per hour, last 24 hours (UTC): the most, "
        f"{format_tokens(busiest.tokens)}, at {busiest.start:%H}:00.",
    )


def cost_by_hour(frame: pd.DataFrame, hours: list[UsageBucket]) -> None:
    dearest = max(hours, key=lambda b: b.cost)
    bar_chart(
        frame,
        "Hour (UTC)",
        "Cost (USD)",
        color="#e07b39",
        description=f"Bar chart of cost per hour, last 24 hours (UTC): the most, "
        f"{format_usd(dearest.cost)}, at {dearest.start:%H}:00.",
    )


def activity_by_day(frame: pd.DataFrame, days: str) -> None:
    line_chart(
        frame,
        "Day",
        ["Sessions", "Messages", "Problems logged"],
        description=f"Line chart of sessions, messages and problems logged per day, last "
        f"{days}. The table below lists every day's figures.",
    )


def cost_by_day(frame: pd.DataFrame, days: str, purposes: list[str]) -> None:
    stacked_bars(
        frame,
        "Day",
        purposes,
        title="Cost (USD)",
        description=f"Stacked bar chart of cost per day by purpose ({', '.join(purposes)}), "
        f"last {days}. The table below lists every day's cost.",
    )


def bar_chart(frame: pd.DataFrame, x: str, y: str, *, description: str, color: str) -> None:
    """Bars of `y` by `x` (in the frame's order), with `description` as the text alternative."""
    bars = alt.Chart(frame).mark_bar(color=color).encode(x=alt.X(f"{x}:O", sort=None), y=f"{y}:Q")
    ui.chart(bars.properties(height=240), description=description, width="stretch")


def stacked_bars(
    frame: pd.DataFrame, x: str, ys: list[str], *, title: str, description: str
) -> None:
    """The columns `ys` stacked by `x`, one colour each, `description` the text alternative."""
    folded: list[str | alt.FieldName] = [*ys]
    bars = (
        alt.Chart(frame)
        .transform_fold(folded, as_=["Part", "Value"])
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:O", sort=None),
            y=alt.Y("sum(Value):Q", title=title),
            color=alt.Color("Part:N", sort=ys, title=None),
        )
    )
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
