"""An attack on `refuse_unpriced` (bcb2421): "A model without a price ... gets no
reply while the dollar budget is on: counted as $0 such replies passed every limit unseen"
(README); its docstring: "costs are known to the cent, or not spent"."""

from __future__ import annotations

from backend.db import Database
from backend.errors import AppError
from backend.reviews import review_service
from tests.integration.test_reviews import ended_session, valid_answer

UNPRICED = "claude-opus-4-1"  # as in tests/integration/test_costs_to_the_cent.py: not in the table


def test_a_review_by_a_model_without_a_price_is_not_paid_for_while_the_dollar_budget_is_on(
    committed_engine, api, configure, classroom
):
    """REVIEW_MODEL without a price: a review is a paid call like a reply (about 4,000 output
    tokens each, the most expensive call of a session), and `create_review` checks the budgets
    without the unpriced refusal, so the review is asked for and recorded as $0: every review
    passes the dollar budget unseen, which is what the change set out to stop."""
    configure(review_model=UNPRICED, global_daily_cost_budget_usd="20")
    session_id = ended_session(committed_engine, classroom)
    api.tool_reply(valid_answer(), input_tokens=1000, output_tokens=500)
    try:
        review_service.create_review(
            Database(committed_engine), actor=classroom.student, session_id=session_id
        )
    except AppError:
        pass  # a refusal is what this asks for
    assert [r.body["model"] for r in api.messages_requests()] == []
