"""Messages addressed to the person reading them (an attack, 2026-12-06). A review of a session
not in English (the automatic demo review) told its reader "Ask your teacher to go through it
with you." - on the teacher's own History page, too."""

from __future__ import annotations

from backend.db import unit_of_work
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app, texts
from tests.apps.test_history_teacher_version import demo_reviewed
from tests.apps.test_student_review import SPANISH


def _spanish_session_reviewed(app_db, teacher) -> int:
    with unit_of_work(app_db) as db:
        _student, session, review = demo_reviewed(db, teacher, SPANISH)
        assert review.content is not None and review.content.not_english
    return session.id


def test_a_teacher_reading_a_not_english_review_is_not_told_to_ask_their_teacher(
    app, app_db, teacher
):
    session_id = _spanish_session_reviewed(app_db, teacher)
    at = open_page(teacher_app(app), "History & metrics")
    at.session_state[f"conversation_{session_id}"] = True
    at.run()
    assert_clean(at)
    warnings = texts(at, "warning")
    assert any("reads English only" in text for text in warnings), everything(at)
    told = [text for text in warnings if "your teacher" in text]
    assert not told, f"the teacher is told: {told}"
