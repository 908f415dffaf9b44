"""What session reviews cost, for the admin dashboard: read from `session_reviews`, today and over
30 days, per model-written review (automatic demo reviews are counted apart and cost nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from backend.db import Database, unit_of_work
from backend.errors import PermissionDeniedError
from backend.llm.pricing import calculate_cost
from backend.llm.usage import Usage
from backend.models import SessionReview
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.reviews import review_service
from tests.factories import make_user
from tests.integration.test_reviews import ended_session, valid_answer

# Both backends: costs summed over UTC days from the rollups.
pytestmark = pytest.mark.both_backends


def test_review_costs_today_and_over_30_days_per_model_review(api, classroom, committed_engine):
    model_id = ended_session(committed_engine, classroom)
    older_id = ended_session(committed_engine, classroom)
    ancient_id = ended_session(committed_engine, classroom)
    demo_id = ended_session(committed_engine, classroom)
    api.tool_reply(valid_answer(), input_tokens=1000, output_tokens=500, times=3)
    for session_id in (model_id, older_id, ancient_id):
        review_service.create_review(
            Database(committed_engine), actor=classroom.student, session_id=session_id
        )
    now = datetime.now(UTC)
    with unit_of_work(committed_engine) as db:
        review_service.create_demo_review(db, actor=classroom.student, session_id=demo_id)
        for session_id, age in ((older_id, 10), (ancient_id, 40)):
            db.execute(
                update(SessionReview)
                .where(SessionReview.session_id == session_id)
                .values(created_at=now - timedelta(days=age))
            )
        admin = make_user(db, role=Role.admin)
        today, month = metrics_service.review_costs(db, actor=admin, now=now)

    one = calculate_cost("claude-haiku-4-5", Usage(input_tokens=1000, output_tokens=500))
    assert one is not None and one > 0
    assert (today.reviews, today.demo_reviews, today.cost) == (1, 1, one)
    assert today.per_review == one
    assert (month.reviews, month.demo_reviews, month.cost) == (2, 1, 2 * one)
    assert month.per_review == one


def test_review_costs_without_reviews_and_only_for_admins(db):
    admin = make_user(db, role=Role.admin)
    today, month = metrics_service.review_costs(db, actor=admin)
    assert (today.reviews, today.cost, today.per_review) == (0, Decimal(0), None)
    assert (month.reviews, month.cost, month.per_review) == (0, Decimal(0), None)
    teacher = make_user(db, role=Role.teacher)
    with pytest.raises(PermissionDeniedError):
        metrics_service.review_costs(db, actor=teacher)
