"""(An attack, 2026-12-06.) (Attack S, 2026-12-06.) The notes the Reviews page now shows above the editor (commit e7bb6ba):
"codes in doubt (as History & metrics shows them)" (mvp/teacher/reviews.py)."""

from __future__ import annotations

from sqlalchemy import select

from backend.db import unit_of_work
from backend.models import SessionReview
from backend.models.review import ReviewSource
from backend.reviews import review_service, teacher_review_service
from tests.apps.helpers import assert_clean, open_page, teacher_app, texts
from tests.apps.test_reviews_app import _waiting_review
from tests.apps.test_reviews_page_warnings import TEN_TURNS_WITH_A_RISK


def _disagree(at) -> list[str]:
    return [text for text in texts(at, "warning") if "disagree" in text]


def test_codes_the_teacher_corrected_are_no_longer_called_in_doubt(app, app_db, teacher):
    """The model's codes give a counted score far above the offline coder's: both pages warn
    "Check the codes before you trust the figures". The teacher checks them and saves their
    version (its codes agree with the offline coder). History & metrics, which shows the
    teacher's version with its own counts, stops warning; the Reviews page, above the very
    codes the teacher saved, keeps warning for good: it weighs the teacher's version with the
    model's counts."""
    session_id, _student = _waiting_review(app_db, teacher, TEN_TURNS_WITH_A_RISK)
    with unit_of_work(app_db) as db:  # a model review whose codes overstate the counted score
        row = db.scalar(select(SessionReview).where(SessionReview.session_id == session_id))
        content = dict(row.content)
        content["demo"] = False
        row.content = content
        row.source = ReviewSource.model
        row.model = "claude-haiku-4-5"
        offline = row.indicators["offline_counted_score"]
        row.indicators = {**row.indicators, "counted_score": min(offline + 60, 100)}
        assert abs(row.indicators["counted_score"] - offline) > 20
    history = open_page(teacher_app(app), "History & metrics")
    history.session_state[f"conversation_{session_id}"] = True
    history.run()
    assert _disagree(history)  # control: History warns about the model's version

    with unit_of_work(app_db) as db:  # the teacher's version: the offline coder's codes
        review = review_service.get_review(db, actor=teacher, session_id=session_id)
        teacher_review_service.save_teacher_review(
            db,
            actor=teacher,
            session_id=session_id,
            edits=review.content.model_dump(exclude={"demo"}),
        )
        saved = review_service.get_review(db, actor=teacher, session_id=session_id)
    assert (
        saved.teacher_indicators["counted_score"]
        == saved.teacher_indicators["offline_counted_score"]
        or abs(
            saved.teacher_indicators["counted_score"]
            - saved.teacher_indicators["offline_counted_score"]
        )
        <= 20
    )

    history.run()
    assert not _disagree(history)  # History weighs the teacher's version with its own counts

    at = open_page(history, "Reviews")
    assert_clean(at)
    assert at.selectbox(key="review_session_id").value == session_id
    assert not _disagree(at), (
        "the Reviews page still says, above the teacher's saved codes: " + _disagree(at)[0]
    )


def test_a_teachers_own_codes_far_from_the_offline_coders_are_called_the_teachers(
    app, app_db, teacher
):
    """The teacher saves a version that codes every turn as a reflection of feeling (the offline
    coder's counts are far lower). Both pages still ask for a check of the codes, but the
    codes are the teacher's: the warning had said "from the model's codes" of a demo review
    no model ever read."""
    session_id, _student = _waiting_review(app_db, teacher, TEN_TURNS_WITH_A_RISK)
    with unit_of_work(app_db) as db:
        review = review_service.get_review(db, actor=teacher, session_id=session_id)
        edits = review.content.model_dump(exclude={"demo"})
        edits["codes"] = [{**code, "code": "reflection_of_feeling"} for code in edits["codes"]]
        saved = teacher_review_service.save_teacher_review(
            db, actor=teacher, session_id=session_id, edits=edits
        )
    figures = saved.teacher_indicators
    assert figures["counted_score"] - figures["offline_counted_score"] > 20

    history = open_page(teacher_app(app), "History & metrics")
    history.session_state[f"conversation_{session_id}"] = True
    history.run()
    reviews = open_page(history, "Reviews")
    for at in (history, reviews):
        assert_clean(at)
        (warning,) = _disagree(at)
        assert "model" not in warning, warning
        assert "the teacher's codes" in warning, warning
