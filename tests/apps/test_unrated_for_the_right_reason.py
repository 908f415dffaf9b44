"""Empty states that gave the wrong reason (an attack, 2026-12-06). A ten-turn session whose client voiced self-harm the
student passed over gets a review with no ratings (README: a passed-over risk removes every
verdict). The pages then explain the missing ratings by length alone:

- the student's *My progress*: "No ratings yet: a session needs at least 10 of your turns" - the
  student had ten turns, and is sent to write longer sessions instead of to the risk;
- the teacher's *Class progress*: "1 left out of the averages ... (automatic demo reviews, or
  fewer than 10 student turns)" and "No session here counts for verdicts yet: automatic demo
  reviews and sessions shorter than 10 student turns are left out" - neither is the case, and
  the one real reason a teacher must know about (a risk passed over) is not named."""

from __future__ import annotations

from backend.db import Database, unit_of_work
from backend.practice import session_service
from backend.reviews import review_service, risk
from tests.apps.helpers import assert_clean, everything, log_in, open_page, teacher_app, texts
from tests.factories import add_message, add_reply, make_classroom
from tests.integration.test_gradebook_export import RISK_LINES
from tests.integration.test_progress import long_answer


def _risk_passed_over(app_db, api):
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
        for student_line, client_line in RISK_LINES:
            add_message(db, actor=room.student, session_id=session.id, content=student_line)
            add_reply(db, session_id=session.id, content=client_line)
        session_service.end_session(db, actor=room.student, session_id=session.id)
    api.tool_reply(long_answer(5), input_tokens=900, output_tokens=400)
    review = review_service.create_review(
        Database(app_db), actor=room.student, session_id=session.id
    )
    # The set-up: a model review, released, of ten student turns, its risk passed over.
    assert review.source == "model" and review.released_at is not None
    assert review.content is not None and risk.passed_over(review.content.risk)
    assert review.indicators.get("student_turns") == 10
    return room


def test_my_progress_does_not_blame_length_for_ratings_a_passed_over_risk_removed(
    app, app_db, app_api
):
    room = _risk_passed_over(app_db, app_api)
    at = open_page(log_in(app.run(), room.student.username), "My progress")
    assert_clean(at)
    assert "Ratings" in texts(at, "subheader")
    info = texts(at, "info")
    wrong = [t for t in info if "needs at least 10 of your turns" in t]
    assert not wrong, f"a ten-turn session's student is told: {wrong}"


def test_class_progress_does_not_call_a_ten_turn_session_too_short(app, app_db, app_api):
    room = _risk_passed_over(app_db, app_api)
    at = teacher_app(app, room.teacher.username)
    open_page(at, "Class progress")
    assert_clean(at)
    shown = everything(at)
    assert "1 reviewed session" in shown
    wrong = [
        line
        for line in shown.splitlines()
        if "fewer than 10 student turns" in line or "shorter than 10 student turns" in line
    ]
    assert not wrong, f"the teacher reads, of a ten-turn session with a risk passed over: {wrong}"
