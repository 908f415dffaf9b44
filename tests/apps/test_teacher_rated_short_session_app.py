"""A teacher's own ratings of a short session: the Reviews editor invites them ("Leave them
empty, or rate every criterion with a reason"), so once released the student reads them."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, log_in, open_page, texts
from tests.apps.test_history_teacher_version import teachers_version
from tests.factories import builtin_criteria

THREE_TURNS = (
    ("What brings you in today?", "Work has been rough."),
    ("It sounds like work is wearing you down.", "Yeah, it is."),
    ("What would you like to be different?", "More time for myself."),
)


def _rate_every_criterion(edits: dict) -> None:
    assert edits["scores"] == []  # too short for automatic ratings
    edits["scores"] = [
        {"criterion": key, "score": 5, "reasoning": "Excellent pacing for a first talk.",
         "turns": [3]}
        for key in builtin_criteria()
    ]  # fmt: skip


def test_ratings_a_teacher_gives_a_short_session_reach_the_student_once_released(
    app, app_db, teacher
):
    session_id, sam = teachers_version(
        app_db, teacher, THREE_TURNS, edit=_rate_every_criterion, release=True
    )
    with unit_of_work(app_db) as db:
        seen = review_service.get_review(db, actor=sam, session_id=session_id)
    assert seen.by_teacher and {s.score for s in seen.content.scores} == {5}

    at = open_page(log_in(app.run(), "sam.student"), "My sessions")
    at.session_state[f"my_session_{session_id}"] = True
    at.run()
    assert_clean(at)
    shown = "\n".join(texts(at) + texts(at, "info") + texts(at, "success"))
    assert "Reviewed by your teacher" in shown
    assert "**Empathy: 5/5**" in shown, (
        "the teacher's released ratings are not shown to the student; the page says: "
        + next((line for line in texts(at, "info") if "Too short" in line), "")
    )
