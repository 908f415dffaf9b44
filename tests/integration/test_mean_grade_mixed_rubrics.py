"""(An attack, 2026-12-06.) *Grade from: Mean of released reviews* rounds "a half up, as an LMS does: 71.25 is 71.3"
(README; 5c1338e). `round_half_up` reads the float's shortest decimal form, but the mean it is
given is already off: each session's grade is `mean(ratings) / 5 * 100` in floats, so a MITI
session rated 1, 1, 1, 2 is 25, and micro-skills sessions rated 8/6 and 26/6 are 26.666... and
86.666...; the four average 56.25 exactly, computed as 56.24999999999999, which goes to the LMS
as 56.2 (an attack). The assignment's rubric changed between sessions (the teacher switched it to
MITI; reviews already made keep their rubric), as the Rubric picker allows."""

from __future__ import annotations

from backend.db import Database, unit_of_work
from backend.reviews import review_service, rubric_service
from backend.reviews.gradebook_service import GradeRule, LmsFormat
from tests.factories import builtin_criteria
from tests.integration.test_gradebook_export import canvas_students, export
from tests.integration.test_progress import LONG_LINES, long_answer
from tests.integration.test_reviews import ended_session


def _reviewed(api, engine, room, scores: list[int], *, miti: bool = False) -> None:
    session_id = ended_session(engine, room, LONG_LINES, actor=room.student)
    data = long_answer(3)
    if miti:
        data["scores"] = [
            {"criterion": key, "score": 3, "reasoning": "A fair start.", "turns": [1, 3]}
            for key in builtin_criteria("miti")
        ]
        data["codes"] = [{"turn": 1, "code": "complex_reflection"}] + [
            {"turn": turn, "code": "open_question"} for turn in range(3, 20, 2)
        ]
    for item, score in zip(data["scores"], scores, strict=True):
        item["score"] = score
    api.tool_reply(data, input_tokens=900, output_tokens=400)
    review_service.create_review(Database(engine), actor=room.student, session_id=session_id)


def _use_rubric(engine, room, key: str) -> None:
    with unit_of_work(engine) as db:
        rubric = next(
            r for r in rubric_service.list_rubrics(db, actor=room.teacher) if r.key == key
        )
        rubric_service.set_assignment_rubric(
            db,
            actor=room.teacher,
            assignment_id=room.assignment.id,
            rubric_id=rubric.id,
            release_reviews="immediately",
        )


def test_the_mean_grade_of_sessions_under_two_rubrics_rounds_a_half_up(
    api, classroom, committed_engine
):
    _reviewed(api, committed_engine, classroom, [1, 1, 2, 2, 1, 1])  # 8/6 of 5: 26.67
    _reviewed(api, committed_engine, classroom, [5, 5, 4, 4, 4, 4])  # 26/6: 86.67
    _reviewed(api, committed_engine, classroom, [5, 5, 4, 4, 4, 4])  # 86.67
    _use_rubric(committed_engine, classroom, "miti")
    _reviewed(api, committed_engine, classroom, [1, 1, 1, 2], miti=True)  # 1.25 of 5: 25
    # (26.666... + 86.666... + 86.666... + 25) / 4 = 225 / 4 = 56.25 exactly
    (row,) = canvas_students(export(committed_engine, classroom, GradeRule.mean, LmsFormat.canvas))
    shown = row[classroom.assignment.title]
    assert shown == "56.3", f"the mean of the four sessions (56.25) goes to the LMS as {shown}"
