"""Class progress's "Mean" per criterion rounds a half up, as the rest of the app does: eight
sessions rated 3 (seven) and 4 (one) on every criterion average 3.125, which Python's `round`
showed as 3.12 (a half to the even digit; an attack noticed it, 2026-12-06)."""

from __future__ import annotations

from backend.db import Database, unit_of_work
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, open_page, teacher_app
from tests.apps.test_admin_app import table
from tests.factories import make_classroom
from tests.integration.test_progress import LONG_LINES, long_answer
from tests.integration.test_reviews import ended_session


def test_the_class_mean_of_a_criterion_rounds_a_half_up(app, app_db, app_api):
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
    for score in [3] * 7 + [4]:
        session_id = ended_session(app_db, room, LONG_LINES)
        app_api.tool_reply(long_answer(score), input_tokens=900, output_tokens=400)
        review_service.create_review(Database(app_db), actor=room.student, session_id=session_id)
    at = teacher_app(app, room.teacher.username)
    open_page(at, "Class progress")
    assert_clean(at)
    means = set(table(at, "Mean")["Mean"])
    assert means == {3.13}, means
