"""(An attack, 2026-12-06.) `usage_service.rebuild` after a failed review that a retry replaced."""

from __future__ import annotations

from decimal import Decimal

from backend.db import unit_of_work
from backend.monitoring import metrics_service
from backend.usage import usage_service
from tests.integration.test_costs_to_the_cent import (
    _admin,
    _ended_session,
    _review_fails,
    _review_succeeds,
)


def test_a_rebuild_does_not_add_a_replaced_review_attempt_to_the_by_model_and_by_client_costs(
    committed_engine, api, classroom
):
    """A student's review failed (two billed calls, kept as a `review_call` event once a retry
    replaced it), then the retry succeeded. Before a rebuild, the Breakdowns tab's "by model" and
    "by client" rows and Tokens today count the conversation's replies only (reviews are never in
    the client usage rows; the README: the breakdowns "count the conversations' replies and judge
    calls"). `_rebuild_paid_calls` now adds every paid-call event with a session to the client
    rows, the `review_call` event included: after `usage_service.rebuild` (run by every import,
    offered "to check the tables", promised to change no figure) the model's and the client's
    cost rise by the failed review's cost and Tokens today by its 2,200 tokens, with no call
    made. The admin sees the by-model cost differ from the provider's bill for the model's
    replies, and figures jump after a maintenance command."""
    session_id = _ended_session(committed_engine, classroom)
    _review_fails(committed_engine, api, classroom, session_id)
    _review_succeeds(committed_engine, api, classroom, session_id)
    admin = _admin(committed_engine)

    def figures():
        with unit_of_work(committed_engine, write=False) as db:
            now = metrics_service.now_figures(db, actor=admin)
            by_model = metrics_service.breakdown(db, actor=admin, by="model")
            by_client = metrics_service.breakdown(db, actor=admin, by="client")
        return {
            "cost today": now.cost_today,
            "tokens today": now.tokens_today,
            "by model": sorted((row.label, row.tokens, row.cost) for row in by_model),
            "by client cost": sum((row.cost for row in by_client), Decimal(0)),
        }

    before = figures()
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    metrics_service.forget_closed_periods()
    assert figures() == before
