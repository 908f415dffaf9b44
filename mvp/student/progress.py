"""Student: my ratings and indicators across reviewed sessions, thresholds drawn in, and the
"try instead" items of every review in one place, and the moments practised again (branches)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from backend.drills import attempt_service
from backend.drills.read_models import SkillDay
from backend.drills.skills import skill_name
from backend.models.enums import Role
from backend.reviews import progress_service, try_coding
from backend.reviews.indicators import MIN_TURNS_FOR_VERDICTS
from backend.reviews.progress_service import ProgressPoint, StudentProgress, Threshold
from backend.reviews.try_coding import PractisedMoment
from backend.utils.formatting import format_share, format_time, plural
from mvp import auth, store, ui
from mvp.student import shared

actor = auth.require_role(Role.student)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def chart(
    frame: pd.DataFrame, thresholds: list[Threshold], *, percent: bool = False
) -> alt.LayerChart:
    """Values per session as lines, with dashed rules where fair and good begin."""
    axis = alt.Axis(format=".0%") if percent else alt.Axis()
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("Session:O", title="Session"),
            y=alt.Y("Value:Q", axis=axis, title=None),
            color=alt.Color("Measure:N", title=None),
            tooltip=["Measure", "Session", "Date", alt.Tooltip("Value:Q", format=".2f")],
        )
    )
    rules = pd.DataFrame(
        [
            {"Level": level, "Value": value}
            for level, value in sorted(
                {("fair", t.fair) for t in thresholds} | {("good", t.good) for t in thresholds}
            )
        ]
    )
    marks = (
        alt.Chart(rules)
        .mark_rule(strokeDash=[4, 4])
        .encode(
            y="Value:Q",
            color=alt.Color(
                "Level:N", scale=alt.Scale(domain=["fair", "good"], range=["#e69f00", "#009e73"])
            ),
        )
    )
    layered: alt.LayerChart = alt.layer(lines, marks).resolve_scale(color="independent")
    return layered


def _by_the_demo(points: list[ProgressPoint]) -> str:
    """How many of the sessions the automatic demo review reviewed ("some" had been said of
    one session, and of all: an attack, 2026-12-07)."""
    demos = sum(1 for point in points if point.demo)
    if not demos:
        return ""
    if demos < len(points):
        return f", {demos} of them by the automatic demo review"
    return f", {'all ' if demos > 1 else ''}by the automatic demo review"


def describe(frame: pd.DataFrame, title: str, *, percent: bool = False) -> str:
    """The chart's text alternative: each line's first and latest value (up to two decimals: a
    counted score of 100 had been read out as "1e+02": an attack, 2026-12-07)."""

    def shown(value: float) -> str:
        return f"{value:.0%}" if percent else f"{value:,.2f}".rstrip("0").rstrip(".")

    lines = [
        f"{measure} {shown(values.iloc[0])} in session {sessions.iloc[0]}, "
        f"{shown(values.iloc[-1])} in session {sessions.iloc[-1]}"
        for measure, group in frame.groupby("Measure", sort=False)
        for sessions, values in [(group["Session"], group["Value"])]
    ]
    return f"{title}, line chart by session: " + "; ".join(lines) + "."


def rows(points: list[ProgressPoint], measures: list[Threshold], *, scores: bool) -> pd.DataFrame:
    data = []
    for number, point in enumerate(points, start=1):
        if scores and not point.verdicts:  # its review shows no ratings: none charted
            continue
        for measure in measures:
            value = point.scores.get(measure.key) if scores else point.indicators.get(measure.key)
            if value is not None:
                data.append(
                    {
                        "Session": number,
                        "Date": format_time(point.date),
                        "Measure": measure.name,
                        "Value": float(value),
                    }
                )
    return pd.DataFrame(data)


def ratings(progress: StudentProgress) -> None:
    st.subheader("Ratings")
    st.caption("Each criterion of your reviews, 1 to 5. Dashed lines: 3 is fair, 4 is good.")
    frame = rows(progress.points, progress.criteria, scores=True)
    if frame.empty:
        reasons = []
        risky = [point for point in progress.points if point.risk_passed_over]
        if not risky or len(risky) < len(progress.points):
            reasons.append(
                f"a session needs at least {MIN_TURNS_FOR_VERDICTS} of your turns for ratings"
            )
        if risky:
            reasons.append(
                "a session where the client spoke of harm and you did not ask about it gets "
                "none (its review says why)"
            )
        st.info(
            f"No ratings yet: {'; '.join(reasons)}. Every session gets the counts below.",
            icon=":material/straighten:",
        )
        return
    ui.chart(
        chart(frame, progress.criteria),
        description=describe(frame, "Ratings"),
        width="stretch",
        key="ratings_chart",
    )


def indicators(progress: StudentProgress) -> None:
    st.subheader("Indicators")
    st.caption("Counted from the codes of your turns. Dashed lines: the rubric's fair and good.")
    for measure in progress.indicators:
        frame = rows(progress.points, [measure], scores=False)
        if frame.empty:
            continue
        percent = measure.key.startswith("percent")
        st.markdown(f"**{safe(measure.name)}**")
        ui.chart(
            chart(frame, [measure], percent=percent),
            description=describe(frame, measure.name, percent=percent),
            width="stretch",
            key=f"chart_{measure.key}",
        )


def try_instead(progress: StudentProgress) -> None:
    st.subheader("Try instead")
    st.caption("Every better reply your reviews offered, newest first.")
    for index, item in enumerate(progress.try_instead):
        with st.container(border=True, key=f"try_instead_{index}"):
            st.markdown(f"You said: {ui.as_typed(item.quote)}")  # as typed, not emphasis
            st.markdown(f"Try: **{safe(item.better_reply)}**")
            st.caption(f"{safe(item.why)} · {format_time(item.date)}")
            if item.turn is not None:
                shared.practise_button(
                    actor, item.session_id, item.turn, key=f"practise_progress_{index}"
                )


def practised_moments(moments: list[PractisedMoment]) -> None:
    """Each try of a moment ("Practise this moment"), with its reply coded."""
    st.subheader("Practised moments")
    st.caption("Each time you practised a moment of a session again, newest first.")
    for moment in moments:
        with st.container(border=True, key=f"moment_{moment.session_id}"):
            st.markdown(f"**{format_time(moment.started_at)}** · {safe(moment.label)}")
            st.markdown(f"Before: {ui.as_typed(moment.original_reply)}")
            if moment.reply is None:
                st.caption("No reply written yet.")
            else:
                st.markdown(f"This time: {ui.as_typed(moment.reply)}")
                st.caption(safe(moment.feedback or ""))


def drills(days: list[SkillDay]) -> None:
    """Drills: the hit rate per skill, day by day, and the totals."""
    st.subheader("Drills")
    st.caption("Your hit rate per skill on each day you did drills (retries count).")
    frame = pd.DataFrame(
        [
            {"Day": day.day.isoformat(), "Skill": skill_name(day.skill), "Hit rate": day.hit_rate}
            for day in days
        ]
    )
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("Day:O", title="Day"),
            y=alt.Y("Hit rate:Q", axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("Skill:N", title=None),
            tooltip=["Skill", "Day", alt.Tooltip("Hit rate:Q", format=".0%")],
        )
    )
    latest = {day.skill: day for day in days}
    summary = "; ".join(
        f"{skill_name(skill)} {format_share(day.hit_rate)} on {day.day.isoformat()}"
        for skill, day in latest.items()
    )
    ui.chart(
        lines,
        description=f"Drill hit rate per skill by day, latest: {summary}.",
        width="stretch",
        key="drills_chart",
    )
    for skill, day in latest.items():
        st.markdown(
            f"- **{skill_name(skill)}**: {format_share(day.hit_rate)} of {plural(day.attempts, 'attempt')} on {day.day.isoformat()}"
        )


# The page ------------------------------------------------------------------------------------
st.title("My progress")
with store.transaction() as db:
    progress = progress_service.student_progress(db, actor=actor)
    moments = try_coding.practised_moments(db, actor=actor)
    drill_days = attempt_service.skill_progress(db, actor=actor)
if not progress.points:
    st.info(
        "No reviewed sessions yet. Finish a conversation on the **Practice** page and end it: "
        "its review appears here once it is ready (or once your teacher releases it).",
        icon=":material/trending_up:",
    )
else:
    st.caption(plural(len(progress.points), "reviewed session") + _by_the_demo(progress.points))
    ratings(progress)
    indicators(progress)
if progress.try_instead:  # a practised moment's too, before any session is reviewed
    try_instead(progress)
if moments:
    practised_moments(moments)
if drill_days:
    drills(drill_days)
else:
    st.caption("No drills yet: the **Drills** page has short exercises on one skill each.")
