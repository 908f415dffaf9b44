"""Grades for Canvas and Moodle: one row per student, one 0-100 column per assignment, from
released reviews only (the teacher's version where released), by the teacher's rule."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import update

from backend.db import Database, unit_of_work
from backend.errors import PermissionDeniedError
from backend.models import SessionReview
from backend.models.enums import Role
from backend.practice import branch_service, session_service
from backend.reviews import (
    gradebook_service,
    progress_service,
    review_service,
    risk,
    rubric_service,
)
from backend.reviews.gradebook_service import (
    Grade,
    Gradebook,
    GradeRule,
    LmsFormat,
    StudentGrades,
    grades_csv,
)
from backend.reviews.progress_service import SectionNotFound
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    hold_reviews,
    make_assignment,
    make_client,
    make_user,
)
from tests.integration.test_progress import LONG_LINES, answer, long_answer
from tests.integration.test_reviews import ended_session

pytestmark = pytest.mark.both_backends  # the section's reviews, students and assignments joined

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def reviewed(api, engine, room, score: int, *, client=None, student=None) -> int:
    """An ended conversation (of `client`, default the room's), long enough for verdicts, with
    a model review scoring `score` on every criterion."""
    student = student or room.student
    room = room if client is None else _with_client(room, client)
    session_id = ended_session(engine, room, LONG_LINES, actor=student)
    api.tool_reply(long_answer(score), input_tokens=900, output_tokens=400)
    review_service.create_review(Database(engine), actor=student, session_id=session_id)
    return session_id


def _with_client(room, client):
    from dataclasses import replace

    return replace(room, client=client)


def second_assignment(engine, room):
    with unit_of_work(engine) as db:
        client = make_client(db, teacher=room.teacher)
        assignment = make_assignment(
            db, teacher=room.teacher, section=room.section, clients=[client], title="Week 2"
        )
    return client, assignment


def export(engine, room, rule: GradeRule, lms: LmsFormat, actor=None) -> str:
    with unit_of_work(engine) as db:
        book = gradebook_service.section_grades(
            db, actor=actor or room.teacher, section_id=room.section.id, rule=rule
        )
    return gradebook_service.grades_csv(book, lms=lms)


def canvas_students(text: str) -> list[dict[str, str]]:
    """The student rows as Canvas reads them: the header, then every row but "Points Possible"."""
    return [row for row in csv.DictReader(io.StringIO(text)) if row["Student"] != "Points Possible"]


def test_canvas_file_has_one_row_per_student_and_points_possible(api, classroom, committed_engine):
    client2, week2 = second_assignment(committed_engine, classroom)
    with unit_of_work(committed_engine) as db:
        quiet = make_user(db, role=Role.student, display_name="Quiet Student")
        enroll(db, section=classroom.section, student=quiet)
    reviewed(api, committed_engine, classroom, 4)  # 80 out of 100
    reviewed(api, committed_engine, classroom, 2)  # 40, the latest
    reviewed(api, committed_engine, classroom, 5, client=client2)

    text = export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas)
    rows = list(csv.reader(io.StringIO(text)))
    header, possible, students = rows[0], rows[1], rows[2:]
    week1 = classroom.assignment.title
    # Canvas reads a custom column (its "Notes") between Section and the assignments only.
    assert header == [*CANVAS_IDENTITY, "Notes", week1, "Week 2"]
    assert possible[0] == "Points Possible"
    assert [float(possible[header.index(t)]) for t in (week1, "Week 2")] == [100.0, 100.0]
    # One row per enrolled student, the one with no released review too (empty, not 0).
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in students}
    assert sorted(by_name) == sorted([classroom.student.display_name, "Quiet Student"])
    mine = by_name[classroom.student.display_name]
    assert float(mine[week1]) == 40.0 and float(mine["Week 2"]) == 100.0
    assert mine["SIS Login ID"] == classroom.student.username
    assert mine["Section"] == classroom.section.name
    assert mine["Notes"] == "model"
    quiet_row = by_name["Quiet Student"]
    assert quiet_row[week1] == "" and quiet_row["Week 2"] == "" and quiet_row["Notes"] == ""

    best = canvas_students(export(committed_engine, classroom, GradeRule.best, LmsFormat.canvas))
    mean = canvas_students(export(committed_engine, classroom, GradeRule.mean, LmsFormat.canvas))
    assert (
        float(next(r for r in best if r["Student"] == classroom.student.display_name)[week1])
        == 80.0
    )
    assert (
        float(next(r for r in mean if r["Student"] == classroom.student.display_name)[week1])
        == 60.0
    )
    assert week2.title == "Week 2"


def test_moodle_file_names_the_student_and_states_the_maximum(api, classroom, committed_engine):
    with unit_of_work(committed_engine) as db:
        quiet = make_user(db, role=Role.student, display_name="Quiet Student")
        enroll(db, section=classroom.section, student=quiet)
    reviewed(api, committed_engine, classroom, 3)
    reviewed(api, committed_engine, classroom, 5)

    text = export(committed_engine, classroom, GradeRule.best, LmsFormat.moodle)
    reader = csv.DictReader(io.StringIO(text))
    column = f"{classroom.assignment.title} (out of 100)"
    assert reader.fieldnames == [
        "Full name",
        "Username",
        "Email address",
        "Section",
        column,
        "Figures from",
    ]
    # No "Points Possible" row: Moodle would look it up as a student and refuse the file.
    by_username = {row["Username"]: row for row in reader}
    assert sorted(by_username) == sorted([classroom.student.username, quiet.username])
    row = by_username[classroom.student.username]
    assert float(row[column]) == 100.0 and row["Figures from"] == "model"
    # Moodle's "no grade" ("-"; an empty cell would give a new grade item a grade of 0).
    assert by_username[quiet.username][column] == "-"
    assert by_username[quiet.username]["Figures from"] == ""


def test_only_released_reviews_count_and_the_teachers_released_version_wins(
    api, classroom, committed_engine
):
    with unit_of_work(committed_engine) as db:
        hold_reviews(db, classroom)
    session_id = reviewed(api, committed_engine, classroom, 2)
    title = classroom.assignment.title

    def grade_and_source(rule=GradeRule.latest) -> tuple[str, str]:
        (row,) = canvas_students(export(committed_engine, classroom, rule, LmsFormat.canvas))
        return row[title], row["Notes"]

    assert grade_and_source() == ("", "")  # held for the teacher: no grade yet
    with unit_of_work(committed_engine) as db:
        db.execute(
            update(SessionReview)
            .where(SessionReview.session_id == session_id)
            .values(teacher_content=answer(5) | {"demo": False})
        )
    assert grade_and_source() == ("", "")  # the teacher's draft is not released either
    with unit_of_work(committed_engine) as db:
        review_service.release_review(db, actor=classroom.teacher, session_id=session_id)
    grade, source = grade_and_source()
    assert (float(grade), source) == (100.0, "teacher")

    # A second session whose model review is released while a teacher draft waits: the model's.
    with unit_of_work(committed_engine) as db:
        rubric_service.set_assignment_rubric(
            db,
            actor=classroom.teacher,
            assignment_id=classroom.assignment.id,
            rubric_id=None,
            release_reviews="immediately",
        )
    second = reviewed(api, committed_engine, classroom, 3)
    with unit_of_work(committed_engine) as db:
        db.execute(
            update(SessionReview)
            .where(SessionReview.session_id == second)
            .values(teacher_content=answer(1) | {"demo": False})
        )
    grade, source = grade_and_source()
    assert (float(grade), source) == (60.0, "model")
    grade, source = grade_and_source(GradeRule.mean)
    assert (float(grade), source) == (80.0, "teacher and model")


def test_only_a_teacher_of_the_section_may_export(api, classroom, committed_engine):
    reviewed(api, committed_engine, classroom, 3)
    with unit_of_work(committed_engine) as db:
        other_teacher = make_user(db, role=Role.teacher)
        admin = make_user(db, role=Role.admin)
    with pytest.raises(SectionNotFound):
        export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas, other_teacher)
    with pytest.raises(PermissionDeniedError):
        export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas, classroom.student)
    rows = list(
        csv.reader(
            io.StringIO(
                export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas, admin)
            )
        )
    )
    assert len(rows) == 3 and float(rows[2][6]) == 60.0


def test_automatic_demo_reviews_give_no_grade(api, classroom, committed_engine):
    session_id = ended_session(committed_engine, classroom)
    with unit_of_work(committed_engine) as db:
        review_service.create_demo_review(db, actor=classroom.student, session_id=session_id)
    (row,) = canvas_students(export(committed_engine, classroom, GradeRule.best, LmsFormat.canvas))
    assert row[classroom.assignment.title] == "" and row["Notes"] == ""


def _titled(engine, classroom, title: str) -> None:
    """One more assignment of the classroom's section, titled `title`, with a client of its own."""
    with unit_of_work(engine) as db:
        client = make_client(db, teacher=classroom.teacher)
        make_assignment(
            db, teacher=classroom.teacher, section=classroom.section, clients=[client], title=title
        )


def test_assignment_titles_in_the_headers_are_formula_safe(api, classroom, committed_engine):
    """A title a spreadsheet would run as a formula is shown as typed in both files' headers."""
    _titled(committed_engine, classroom, '=HYPERLINK("http://evil.example","Week 2")')
    for lms in LmsFormat:
        header = next(
            csv.reader(io.StringIO(export(committed_engine, classroom, GradeRule.latest, lms)))
        )
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in header), (lms, header)


def test_a_session_too_short_for_ratings_gives_no_grade(api, classroom, committed_engine):
    """Under 10 turns the review page shows no ratings ("too short for verdicts") and class
    progress leaves the session out: the LMS grade does not come from those ratings either."""
    session_id = ended_session(committed_engine, classroom)  # three student turns
    api.tool_reply(answer(4))
    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    (row,) = canvas_students(
        export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas)
    )
    assert row[classroom.assignment.title] == ""


def test_a_practised_moment_does_not_replace_the_grade(api, classroom, committed_engine):
    """A branch ("Practise this moment") practises one moment of a graded conversation: its
    own review, even of ten turns, is no new session for the grade (it became the "latest"
    one) nor for class progress (the copied turns counted twice)."""
    original = reviewed(api, committed_engine, classroom, 4)
    with unit_of_work(committed_engine) as db:
        branch = branch_service.start_branch(
            db, actor=classroom.student, session_id=original, turn=5
        )
        for _ in range(8):  # with the two copied, ten student turns: long enough for ratings
            add_message(db, actor=classroom.student, session_id=branch.id, content=LONG_LINES[1][0])
            add_reply(db, session_id=branch.id, content=LONG_LINES[1][1])
        session_service.end_session(db, actor=classroom.student, session_id=branch.id)
    api.tool_reply(long_answer(1))
    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=branch.id
    )
    (row,) = canvas_students(
        export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas)
    )
    assert row[classroom.assignment.title] == "80"
    with unit_of_work(committed_engine, write=False) as db:
        progress = progress_service.class_progress(
            db, actor=classroom.teacher, section_id=classroom.section.id
        )
    assert [point.session_id for point in progress.points] == [original]  # not two sessions


# Ten student turns (long enough for ratings); the client voices self-harm at turn 2 and the
# student's next turn moves on to something else.
RISK_LINES = [
    ("It sounds like work has been wearing you down.", "It has. Some days I want to die."),
    *LONG_LINES[1:],
]


def test_a_session_whose_risk_was_passed_over_gets_no_grade_as_it_shows_no_ratings(
    api, classroom, committed_engine
):
    """A passed-over risk "removes every verdict" (README): the review page draws no ratings for
    it (`review_render._verdicts`), to the student or the teacher. The LMS file must not then
    carry a grade made of those hidden ratings (a full 100 here), as it carries none for a
    session too short for ratings; nor may class progress average them in."""
    session_id = ended_session(committed_engine, classroom, RISK_LINES)
    api.tool_reply(long_answer(5), input_tokens=900, output_tokens=400)  # the model saw no risk
    review = review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    # The rules keep the risk as passed over: the review page shows no ratings for it.
    assert review.content is not None and risk.passed_over(review.content.risk)
    assert review.released_at is not None

    with unit_of_work(committed_engine) as db:
        book = gradebook_service.section_grades(
            db, actor=classroom.teacher, section_id=classroom.section.id, rule=GradeRule.latest
        )
        progress = progress_service.class_progress(
            db, actor=classroom.teacher, section_id=classroom.section.id
        )
    rows = [
        row
        for row in csv.DictReader(
            io.StringIO(gradebook_service.grades_csv(book, lms=LmsFormat.canvas))
        )
        if row["Student"] == classroom.student.display_name
    ]
    grade = rows[0][classroom.assignment.title]
    assert grade == "", f"the LMS gets {grade}/100 from ratings the review page does not show"
    assert progress.left_out == 1, "class averages count ratings the review page does not show"


# Canvas: app/models/assignment.rb, Assignment.title_and_id, which its GradebookImporter reads
# every assignment header with: "title (its Canvas assignment id)".
CANVAS_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.DOTALL)


def test_a_title_ending_in_a_number_in_brackets_does_not_reach_canvas_as_an_id(
    api, classroom, committed_engine
):
    """A teacher titles an assignment as people do, "Intake interview (2)". The Canvas file's
    header was the title as typed, which Canvas reads as its own assignment 2: the grades went
    into whichever assignment has that id, or the column was refused (an attack, 2026-12-07).
    The number keeps its place in square brackets; Moodle's file keeps the title."""
    _titled(committed_engine, classroom, "Intake interview (2)")
    canvas = export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas)
    headers = next(csv.reader(io.StringIO(canvas)))[6:]  # after the identity columns and Notes
    assert "Intake interview [2]" in headers
    assert not [header for header in headers if CANVAS_TITLE_AND_ID.match(header)], headers
    moodle = export(committed_engine, classroom, GradeRule.latest, LmsFormat.moodle)
    assert "Intake interview (2) (out of 100)" in next(csv.reader(io.StringIO(moodle)))


def test_a_bracketed_number_and_a_square_bracketed_one_stay_two_columns() -> None:
    """Two assignments "Role play (2)" and "Role play [2]" had one Canvas header once the first's
    number went in square brackets (an attack on that fix, 2026-12-07): a repeated header is one
    assignment to Canvas's importer, and one's grades went astray. Titles are told apart after."""
    book = Gradebook(
        section="Counseling 101",
        rule=GradeRule.latest,
        assignments={11: "Role play (2)", 12: "Role play [2]"},
        students=[
            StudentGrades(
                student_id=1,
                name="Ada",
                username="ada",
                email="ada@example.edu",
                grades={
                    11: Grade(value=80.0, source="model", sessions=1),
                    12: Grade(value=40.0, source="teacher", sessions=1),
                },
            )
        ],
    )
    rows = list(csv.reader(io.StringIO(grades_csv(book, lms=LmsFormat.canvas))))
    headers = rows[0][6:]
    assert len(set(headers)) == 2, f"Canvas columns collide: {headers}"
    # The Notes column names each assignment as its column does.
    note = rows[2][5]
    assert all(f"{header}: " in note for header in headers), note
