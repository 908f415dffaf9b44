"""A failed review that a later attempt replaces stays counted when and as it was billed: on its
own day and hour, once (a cost review, 2026-12-06: its cost moved onto the new review's day, so
"Review cost today" counted it again, and the last 24 hours twice in a process that kept the
failed attempt's hour)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.db import Database, unit_of_work
from backend.llm.usage import Usage
from backend.models import (
    ClientDailyUsage,
    ClientUsageIncrement,
    DailyUsage,
    Event,
    Message,
    PracticeSession,
    SessionReview,
)
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import session_service
from backend.reviews import review_service
from backend.usage import usage_service
from tests.factories import add_message, add_reply, make_user

LINES = [
    ("Hi, I'm Sam. What brings you in today?", "Work has been rough lately."),
    ("It sounds like work has been wearing you down.", "Yeah. I don't know what to do."),
    ("Have you tried talking to your boss?", "Not really."),
]


def _admin(engine):
    with unit_of_work(engine) as db:
        return make_user(db, role=Role.admin)


def _usd(*parts: tuple[int, str]) -> Decimal:
    """Tokens times USD per million tokens, summed: the arithmetic of a bill."""
    return sum((tokens * Decimal(price) for tokens, price in parts), Decimal(0)) / 1_000_000


def _ended_session(engine, room) -> int:
    """An ended practice conversation of the room's student, its replies priced ($0.001 each)."""
    with unit_of_work(engine) as db:
        session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
        for said, answered in LINES:
            add_message(db, actor=room.student, session_id=session.id, content=said)
            add_reply(
                db,
                session_id=session.id,
                content=answered,
                usage=Usage(input_tokens=500, output_tokens=100),
                cost=Decimal("0.001"),
            )
        session_service.end_session(db, actor=room.student, session_id=session.id)
    return session.id


def _review_fails(engine, api, room, session_id: int) -> Decimal:
    """The review model answers twice with a review that does not validate (a quote not in the
    transcript, then the same after the repair): a failed review, both calls billed."""
    from tests.integration.test_reviews import valid_answer

    bad = valid_answer()
    bad["strengths"][0]["quote"] = "words the student never said"
    api.tool_reply(bad, input_tokens=1000, output_tokens=100, times=2)
    with pytest.raises(review_service.ReviewFailed):
        review_service.create_review(Database(engine), actor=room.student, session_id=session_id)
    return 2 * _usd((1000, "1"), (100, "5"))


def _review_succeeds(engine, api, room, session_id: int) -> Decimal:
    from tests.integration.test_reviews import valid_answer

    api.tool_reply(valid_answer(), input_tokens=1000, output_tokens=500)
    review = review_service.create_review(
        Database(engine), actor=room.student, session_id=session_id
    )
    assert review.status == "ready"
    return _usd((1000, "1"), (500, "5"))


def _as_if_earlier(engine, delta: timedelta) -> None:
    """Everything written so far happened `delta` earlier (the clock moved on by `delta`): every
    time stamp, and the daily rollups' days with them."""
    with unit_of_work(engine) as db:
        usage_service.fold_client_usage(db, wait=True)
    with unit_of_work(engine) as db:
        for model, columns in (
            (Message, ("created_at",)),
            (PracticeSession, ("started_at", "ended_at")),
            (SessionReview, ("created_at",)),
            (Event, ("created_at",)),
        ):
            for row in db.scalars(select(model)):
                for column in columns:
                    value = getattr(row, column)
                    if value is not None:
                        setattr(row, column, value - delta)
        if delta.days:
            for model in (DailyUsage, ClientDailyUsage, ClientUsageIncrement):
                for row in db.scalars(select(model)):
                    row.day = row.day - timedelta(days=delta.days)


def test_a_failed_review_retried_the_next_day_is_not_counted_again_in_review_cost_today(
    committed_engine, api, classroom
):
    """Yesterday the review failed after a repair (2 calls: 2 x (1,000 in x $1 + 100 out x $5)
    per million = $0.0030, on yesterday's daily sheet under Reviews); today the student presses
    Try again and the review is written ($0.0010 + $0.0025 = $0.0035).

    Today's "Reviews" by purpose (the daily budget rows) is $0.0035, but "Review cost today"
    (which its help says is the same figure) reads $0.0065: the failed attempt's cost moved onto
    today's row and is counted a second time, on a day it was not billed. Over the two days the
    Reviews column and Review cost today add to $0.0095 for $0.0065 billed."""
    session_id = _ended_session(committed_engine, classroom)
    yesterday = _review_fails(committed_engine, api, classroom, session_id)
    _as_if_earlier(committed_engine, timedelta(days=1))
    today = _review_succeeds(committed_engine, api, classroom, session_id)
    assert (yesterday, today) == (Decimal("0.0030"), Decimal("0.0035"))
    assert api.billed_usd() == yesterday + today

    admin = _admin(committed_engine)
    with unit_of_work(committed_engine, write=False) as db:
        now = metrics_service.now_figures(db, actor=admin)
        days = metrics_service.daily_usage(db, actor=admin, days=2)
        review_today, _month = metrics_service.review_costs(db, actor=admin)
    assert (days[0].parts.review, days[1].parts.review) == (yesterday, today)
    assert now.cost_parts.review == today
    assert review_today.cost == now.cost_parts.review  # "as Review cost today below"


def test_the_last_24_hours_do_not_count_a_retried_reviews_failed_attempt_twice(
    committed_engine, api, classroom
):
    """A review failed two hours ago ($0.0030, both calls); the admin's dashboard has shown the
    Usage tab since (its closed hours are kept by the process); now the student retries and the
    review is written ($0.0035). The conversation cost $0.0030.

    "Cost today" is $0.0095. "Cost, last 24 hours" in the same process reads $0.0125: the hour
    of the failed attempt still holds its $0.0030 (kept when that hour closed) and the new review
    row carries it again. A new process shows $0.0095: the figure depends on which process
    serves the page."""
    session_id = _ended_session(committed_engine, classroom)
    failed = _review_fails(committed_engine, api, classroom, session_id)
    _as_if_earlier(committed_engine, timedelta(hours=2))
    admin = _admin(committed_engine)
    with unit_of_work(committed_engine, write=False) as db:  # the admin looks at the Usage tab
        before = metrics_service.hourly_usage(db, actor=admin)
    assert sum((bucket.cost for bucket in before), Decimal(0)) == Decimal("0.003") + failed
    written = _review_succeeds(committed_engine, api, classroom, session_id)

    with unit_of_work(committed_engine, write=False) as db:
        today = metrics_service.now_figures(db, actor=admin)
        hours = metrics_service.hourly_usage(db, actor=admin)
    billed = Decimal("0.003") + failed + written
    assert billed == Decimal("0.0095")
    assert today.cost_today == billed  # the daily rows (hours moved, days kept)
    assert sum((bucket.cost for bucket in hours), Decimal(0)) == billed
