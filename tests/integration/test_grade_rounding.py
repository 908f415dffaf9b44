"""(An attack, 2026-12-06.) *Grade from: Mean of released reviews* gives the mean to one decimal. Eight graded sessions of
70 (seven) and 80 (one) average 71.25 exactly; the file says 71.2: Python's `round` rounds a half
to the even digit, where a teacher (and Canvas and Moodle, which round half up) reads 71.3.
Everything else the app rounds (dollars, shares) rounds half up (`ROUND_HALF_UP`)."""

from __future__ import annotations

from backend.db import Database
from backend.reviews import review_service
from backend.reviews.gradebook_service import GradeRule, LmsFormat
from tests.integration.test_gradebook_export import canvas_students, export
from tests.integration.test_progress import LONG_LINES, long_answer
from tests.integration.test_reviews import ended_session


def _reviewed(api, engine, room, scores: list[int]) -> None:
    session_id = ended_session(engine, room, LONG_LINES, actor=room.student)
    data = long_answer(3)
    for item, score in zip(data["scores"], scores, strict=True):
        item["score"] = score
    api.tool_reply(data, input_tokens=900, output_tokens=400)
    review_service.create_review(Database(engine), actor=room.student, session_id=session_id)


def test_the_mean_grade_rounds_a_half_up(api, classroom, committed_engine):
    for _ in range(7):
        _reviewed(api, committed_engine, classroom, [4, 4, 4, 3, 3, 3])  # 3.5 of 5: 70
    _reviewed(api, committed_engine, classroom, [4, 4, 4, 4, 4, 4])  # 80
    latest = canvas_students(
        export(committed_engine, classroom, GradeRule.latest, LmsFormat.canvas)
    )
    assert latest[0][classroom.assignment.title] == "80"
    (row,) = canvas_students(export(committed_engine, classroom, GradeRule.mean, LmsFormat.canvas))
    shown = row[classroom.assignment.title]
    assert shown == "71.3", f"the mean of 70 x7 and 80 (71.25) goes to the LMS as {shown}"
