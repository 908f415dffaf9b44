"""(An attack, 2026-12-06.) The admin's *Session reviews* figures: "N reviews by the review model" and "Cost per review"
(per model-written review). A review whose answer failed validation twice is stored as *failed*
(nothing shown, no review written) and still counts as a review written by the model: one review
written and one failed read "2 reviews by the review model", and the cost per review is halved.
(Once the failed one is replaced by a written one, it no longer counts: the same session is
then one review, so the figure also depends on whether someone clicked "Try again".)"""

from __future__ import annotations

import pytest

from backend.db import Database, unit_of_work
from backend.llm.pricing import calculate_cost
from backend.llm.usage import Usage
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.reviews import review_service
from backend.reviews.review_service import ReviewFailed
from tests.factories import make_user
from tests.integration.test_reviews import _quote_not_in_transcript, ended_session, valid_answer


def test_a_failed_review_is_not_counted_as_a_review_written_by_the_model(
    api, classroom, committed_engine
):
    written = ended_session(committed_engine, classroom)
    failed = ended_session(committed_engine, classroom)
    database = Database(committed_engine)
    api.tool_reply(valid_answer(), input_tokens=1000, output_tokens=500)
    review_service.create_review(database, actor=classroom.student, session_id=written)
    bad = valid_answer()
    _quote_not_in_transcript(bad)
    api.tool_reply(bad, times=2, input_tokens=1000, output_tokens=500)
    with pytest.raises(ReviewFailed):
        review_service.create_review(database, actor=classroom.student, session_id=failed)

    one_call = calculate_cost("claude-haiku-4-5", Usage(input_tokens=1000, output_tokens=500))
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
        today, _month = metrics_service.review_costs(db, actor=admin)
    assert today.cost == 3 * one_call  # every paid call, the failed attempt's two too
    assert today.reviews == 1, (
        f"the admin reads {today.reviews} reviews by the review model; one was written, "
        "one failed (nothing shown)"
    )
