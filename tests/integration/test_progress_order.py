"""(An attack, 2026-12-06.) A student's *My progress* numbers sessions 1, 2, ... and says "latest" of the last one; the
teacher's gradebook "Latest released review" goes by when sessions ended. Two sessions that
overlap (a student may have one open conversation per client) must be in the same order for both:
the progress points are dated by when the session ended and promised "in date order"."""

from __future__ import annotations

import csv
import io

from backend.db import Database, unit_of_work
from backend.practice import session_service
from backend.reviews import gradebook_service, progress_service, review_service
from backend.reviews.gradebook_service import GradeRule, LmsFormat
from tests.factories import add_message, add_reply, make_client
from tests.integration.test_progress import LONG_LINES, long_answer


def _assign_second_client(engine, room):
    from backend.classes import assignment_service
    from backend.classes.read_models import AssignmentInput

    with unit_of_work(engine) as db:
        client = make_client(db, teacher=room.teacher, name="Jordan Lee")
        data = AssignmentInput(
            title=room.assignment.title,
            client_ids=[room.client.id, client.id],
        )
        assignment_service.update_assignment(
            db, actor=room.teacher, assignment_id=room.assignment.id, data=data
        )
    return client


def _talk(engine, room, session_id):
    with unit_of_work(engine) as db:
        for student_line, client_line in LONG_LINES:
            add_message(db, actor=room.student, session_id=session_id, content=student_line)
            add_reply(db, session_id=session_id, content=client_line)


def test_my_progress_runs_in_the_order_sessions_ended_as_the_latest_grade_does(
    api, classroom, committed_engine
):
    other = _assign_second_client(committed_engine, classroom)
    with unit_of_work(committed_engine) as db:
        # Session A opens first; B opens while A is still open.
        first = session_service.create_session(
            db, actor=classroom.student, client_id=classroom.client.id
        ).id
        second = session_service.create_session(db, actor=classroom.student, client_id=other.id).id
    _talk(committed_engine, classroom, first)
    _talk(committed_engine, classroom, second)
    # B ends (and is reviewed: 2 of 5) before A, which ends last (and gets 5 of 5).
    for session_id, score in ((second, 2), (first, 5)):
        with unit_of_work(committed_engine) as db:
            session_service.end_session(db, actor=classroom.student, session_id=session_id)
        api.tool_reply(long_answer(score), input_tokens=900, output_tokens=400)
        review_service.create_review(
            Database(committed_engine), actor=classroom.student, session_id=session_id
        )

    with unit_of_work(committed_engine) as db:
        progress = progress_service.student_progress(db, actor=classroom.student)
        book = gradebook_service.section_grades(
            db, actor=classroom.teacher, section_id=classroom.section.id, rule=GradeRule.latest
        )
    (row,) = [
        r
        for r in csv.DictReader(
            io.StringIO(gradebook_service.grades_csv(book, lms=LmsFormat.canvas))
        )
        if r["Student"] == classroom.student.display_name
    ]
    # The teacher's "latest" grade is A's (it ended last): 100.
    assert row[classroom.assignment.title] == "100"
    dates = [point.date for point in progress.points]
    # My progress: "Session 2" (its latest) must be that same session, dated after session 1.
    assert dates == sorted(dates), (
        f"My progress lists sessions {[p.session_id for p in progress.points]} dated {dates}: "
        "session 2 ended before session 1"
    )
    assert progress.points[-1].session_id == first
    assert progress.points[-1].scores["empathy"] == 5
    # "Try instead, newest first": the newest review's items come first.
    assert progress.try_instead[0].session_id == first
