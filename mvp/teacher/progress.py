"""Teacher: per section and assignment, the scores per criterion, who is below fair, the grades
for Canvas or Moodle (one row per student, by the teacher's rule) and the sessions CSV."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from backend.errors import AppError
from backend.models.enums import Role
from backend.reviews import gradebook_service, progress_service
from backend.reviews.indicators import MIN_TURNS_FOR_VERDICTS as MIN_TURNS
from backend.utils.formatting import plural, round_half_up
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
                "Mean": None if item.mean is None else float(round_half_up(item.mean, 2)),
            }
            for item in progress.distribution
        ],
        key="distribution_table",
    )


def left_out_because(progress: progress_service.ClassProgress) -> str:
    """Why sessions are left out, as counted: '1 with a risk the student passed over'."""
    because = {
        "demo": "an automatic demo review",
        "short": f"fewer than {MIN_TURNS} student turns",
        "risk": "a risk the client voiced that the student passed over",
    }
    return "; ".join(
        f"{count} with {because[reason]}"
        for reason, count in sorted(progress.left_out_because.items())
    )


def below_fair(progress: progress_service.ClassProgress) -> None:
    st.subheader("Below fair")
    if len(progress.points) == progress.left_out:
        st.info(
            "No session here counts for verdicts yet: all are left out of the averages and "
            f"this list ({left_out_because(progress)}).",
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


def grades(section_id: int, assignment_id: int | None) -> None:
    st.subheader("Grades for your LMS")
    st.caption(
        "One row per student, one column per assignment: the mean rating of a released review "
        "as points out of 100 (5 of 5 is 100), the teacher's version where you released one. "
        "Students with no released review get an empty cell; demo reviews count for nothing."
    )
    left, right = st.columns(2)
    rule = left.radio(
        "Grade from",
        list(gradebook_service.RULE_LABELS),
        format_func=gradebook_service.RULE_LABELS.__getitem__,
        key="grade_rule",
    )
    lms = right.radio(
        "File for",
        list(gradebook_service.LMS_LABELS),
        format_func=gradebook_service.LMS_LABELS.__getitem__,
        key="grade_lms",
        horizontal=True,
    )
    try:
        with store.transaction() as db:
            book = gradebook_service.section_grades(
                db, actor=actor, section_id=section_id, rule=rule, assignment_id=assignment_id
            )
    except AppError as error:
        ui.show_error(error)
        return
    st.download_button(
        "Download grades (CSV)",
        data=gradebook_service.grades_csv(book, lms=lms),
        file_name=f"grades-{lms}-section-{section_id}.csv",
        mime="text/csv",
        key="grades_csv",
        icon=":material/download:",
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
    f"; {progress.left_out} left out of the averages and the below-fair list "
    f"({left_out_because(progress)})"
    if progress.left_out
    else ""
)
st.caption(f"{plural(len(progress.points), 'reviewed session')}{left_out}")
distribution(progress)
below_fair(progress)
grades(section_id, assignment_id)
st.subheader("Sessions")
st.download_button(
    "Download sessions (CSV)",
    data=progress_service.gradebook_csv(progress),
    file_name=f"sessions-section-{section_id}.csv",
    mime="text/csv",
    key="sessions_csv",
    icon=":material/download:",
    help="One row per student and reviewed session, released or not, with every rating and "
    "indicator.",
)
