"""Teacher: per section and assignment, the scores per criterion, who is below fair, and the
gradebook CSV (one row per student and session)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from backend.errors import AppError
from backend.models.enums import Role
from backend.reviews import progress_service
from backend.reviews.indicators import MIN_TURNS_FOR_VERDICTS as MIN_TURNS
from backend.utils.formatting import plural
from mvp import auth, store, ui

actor = auth.require_role(Role.teacher, Role.admin)
ALL = 0  # every assignment of the section (ids start at 1)


def filters(choices: list[progress_service.SectionChoice]) -> tuple[int, int | None]:
    by_id = {choice.id: choice for choice in choices}
    left, right = st.columns(2)
    section_id = left.selectbox(
        "Section", list(by_id), format_func=lambda i: by_id[i].name, key="progress_section"
    )
    assignments = {ALL: "All assignments", **by_id[section_id].assignments}
    assignment_id = right.selectbox(
        "Assignment",
        list(assignments),
        format_func=lambda i: assignments[i],
        key=f"progress_assignment_{section_id}",
    )
    return section_id, (assignment_id or None)


def distribution(progress: progress_service.ClassProgress) -> None:
    st.subheader("Scores per criterion")
    counts = [
        {"Criterion": item.name, "Score": score, "Sessions": count}
        for item in progress.distribution
        for score, count in item.counts.items()
    ]
    bars = (
        alt.Chart(pd.DataFrame(counts))
        .mark_bar()
        .encode(
            x=alt.X("Score:O"),
            y=alt.Y("Sessions:Q", axis=alt.Axis(tickMinStep=1, format="d")),
            column=alt.Column("Criterion:N", title=None),
            tooltip=["Criterion", "Score", "Sessions"],
        )
    )
    ui.chart(
        bars,
        description="Bar charts, one per criterion: how many sessions got each score from 1 "
        "to 5. The table below lists the same counts.",
        key="distribution_chart",
    )
    ui.table(
        [
            {
                "Criterion": item.name,
                **{str(score): count for score, count in item.counts.items()},
                "Mean": None if item.mean is None else round(item.mean, 2),
            }
            for item in progress.distribution
        ],
        key="distribution_table",
    )


def below_fair(progress: progress_service.ClassProgress) -> None:
    st.subheader("Below fair")
    if len(progress.points) == progress.left_out:
        st.info(
            "No session here counts for verdicts yet: automatic demo reviews and sessions "
            f"shorter than {MIN_TURNS} student turns are left out of averages and this list.",
            icon=":material/straighten:",
        )
        return
    if not progress.below_fair:
        st.success("Every student is at or above fair on every criterion and indicator.")
        return
    st.caption("Averaged over each student's reviewed sessions in this selection.")
    ui.table(
        [
            {
                "Student": item.student,
                "Measure": item.measure,
                "Average": item.value,
                "Fair from": item.fair,
                "Sessions": item.sessions,
            }
            for item in progress.below_fair
        ],
        key="below_fair_table",
    )


# The page ------------------------------------------------------------------------------------
st.title("Class progress")
with store.transaction() as db:
    choices = progress_service.class_choices(db, actor=actor)
if not choices:
    st.info(
        "No sections yet. Create one on **Sections & assignments**; your students' reviewed "
        "sessions appear here.",
        icon=":material/school:",
    )
    st.stop()
section_id, assignment_id = filters(choices)
try:
    with store.transaction() as db:
        progress = progress_service.class_progress(
            db, actor=actor, section_id=section_id, assignment_id=assignment_id
        )
except AppError as error:
    ui.show_error(error)
    st.stop()
if not progress.points:
    st.info(
        "No reviewed sessions here yet. Reviews are written when students end their sessions; "
        "they show up here at once, released or not.",
        icon=":material/trending_up:",
    )
    st.stop()
left_out = (
    f"; {progress.left_out} left out of the averages and the below-fair list (automatic demo "
    f"reviews, or fewer than {MIN_TURNS} student turns)"
    if progress.left_out
    else ""
)
st.caption(f"{plural(len(progress.points), 'reviewed session')}{left_out}")
distribution(progress)
below_fair(progress)
st.download_button(
    "Download gradebook (CSV)",
    data=progress_service.gradebook_csv(progress),
    file_name=f"gradebook-section-{section_id}.csv",
    mime="text/csv",
    key="gradebook_csv",
    icon=":material/download:",
)
