"""(An attack, 2026-12-06.) Attack E: what the teacher is told on the Reviews page, where a held review is released.

README: a voiced risk "is shown at the top of the review (to the teacher always ...)"; "A review
giving the top score on every criterion to a session that is too short ... is flagged to the
teacher" (the flag itself says "Read the transcript before you release it"). Both are drawn by
`review_render.render_review` on History & metrics only; the Reviews page, where the teacher
reads a held review and presses *Release to student*, draws neither.
"""

from __future__ import annotations

from sqlalchemy import select

from backend.db import unit_of_work
from backend.models import SessionReview
from backend.models.review import ReviewSource
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app, texts
from tests.apps.test_reviews_app import _waiting_review
from tests.factories import (
    builtin_criteria,
)

RISK_LINE = "Honestly, sometimes I think about killing myself."
TEN_TURNS_WITH_A_RISK = (
    ("What brings you in today?", "Work has been rough."),
    ("It sounds like work is wearing you down.", RISK_LINE),
    *[("What else is going on at work?", "The usual, really.")] * 8,
)
THREE_TURNS = (
    ("What brings you in today?", "Work has been rough."),
    ("You should just quit.", "I can't."),
    ("Why not?", "Money."),
)


def _warnings(at) -> str:
    return "\n".join(texts(at, "error") + texts(at, "warning") + texts(at, "info"))


def test_the_reviews_page_tells_the_teacher_a_risk_was_passed_over(app, app_db, teacher):
    """The client said they think about killing themself and the student moved on. On the
    Reviews page the teacher reads the transcript and an editor full of score boxes, rates and
    releases; nothing on the page says the review found a risk passed over (nor that the
    ratings they type will not be shown to the student because of it)."""
    session_id, _student = _waiting_review(app_db, teacher, TEN_TURNS_WITH_A_RISK)
    with unit_of_work(app_db) as db:
        review = review_service.get_review(db, actor=teacher, session_id=session_id)
    assert review.content.risk and not review.content.risk[0].responded  # the review found it

    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    assert at.selectbox(key="review_session_id").value == session_id
    shown = _warnings(at)
    assert "risk" in shown.lower(), (
        "the Reviews page shows no word of the passed-over risk before release; its notices: "
        + repr(shown)
    )


def test_the_reviews_page_flags_top_scores_on_a_short_session(app, app_db, teacher):
    """A model review gave 5/5 on every criterion to a three-turn session (the pattern of a
    coaxed or forged review). History & metrics warns "Read the transcript before you release
    it"; the Reviews page, where the release button is, says nothing."""
    session_id, _student = _waiting_review(app_db, teacher, THREE_TURNS)
    with unit_of_work(app_db) as db:  # the model's answer: every criterion 5/5
        row = db.scalar(select(SessionReview).where(SessionReview.session_id == session_id))
        content = dict(row.content)
        content["scores"] = [
            {"criterion": key, "turns": [1], "reasoning": "Outstanding work.", "score": 5}
            for key in builtin_criteria()
        ]
        content["demo"] = False
        row.content = content
        row.source = ReviewSource.model
        row.model = "claude-haiku-4-5"
        assert row.indicators.get("enough_evidence") is False

    history = open_page(teacher_app(app), "History & metrics")
    history.session_state[f"conversation_{session_id}"] = True
    history.run()
    assert "Every criterion got the top score" in everything(history)  # History does flag it

    at = open_page(history, "Reviews")
    assert_clean(at)
    assert at.selectbox(key="review_session_id").value == session_id
    assert "Every criterion got the top score" in everything(at), (
        "the Reviews page (where Release to student is) does not flag 5/5 on every criterion "
        "of a three-turn session; its notices: " + repr(_warnings(at))
    )
