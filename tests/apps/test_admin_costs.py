"""One definition of cost on every admin figure: a day with every purpose (a practice
conversation, a teacher's test chat, a client check with a judge call, a review) shows the same
total wherever a cost of that day is shown, through the pages and the services alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.checks import check_service
from backend.config import get_settings
from backend.db import unit_of_work
from backend.llm.usage import Usage
from backend.models import PracticeSession, RubricVersion, SessionReview
from backend.models.enums import Role, SessionMode
from backend.models.review import ReviewSource, ReviewStatus
from backend.monitoring import metrics_service
from backend.practice import session_service
from backend.reviews import rubric_service
from backend.usage import usage_service
from backend.usage.purposes import Purpose
from tests.apps.test_admin_app import admin_app, metric, open_tab, reply, table
from tests.factories import make_classroom, make_user, start_session

PRACTICE, TEST_CHAT, CHECK_REPLY, JUDGE, REVIEW = "0.0030", "0.0020", "0.0010", "0.0007", "0.0005"
TOTAL = Decimal("0.0072")
#: The day's cost by purpose, as every breakdown must show it.
PARTS = metrics_service.CostParts(
    practice=Decimal(PRACTICE),
    test_chat=Decimal(TEST_CHAT),
    check_turns=Decimal(CHECK_REPLY),
    check_judge=Decimal(JUDGE),
    review=Decimal(REVIEW),
)


@pytest.fixture
def every_purpose(app_db):
    if datetime.now(UTC) - datetime.now(UTC).replace(hour=0, minute=0) < timedelta(minutes=2):
        pytest.skip("too close to midnight UTC: the day would change under the test")
    with unit_of_work(app_db) as db:
        admin = make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")
        room = make_classroom(db)
        practice = start_session(db, user=room.student, client=room.client)
        timing = {"latency_ms": 1000, "first_token_ms": 300}
        reply(db, room.student, practice, usage=Usage(input_tokens=100), cost=PRACTICE, **timing)
        session_service.end_session(db, actor=room.student, session_id=practice.id)
        test_chat = start_session(db, user=room.teacher, client=room.client)  # left open
        reply(db, room.teacher, test_chat, usage=Usage(input_tokens=100), cost=TEST_CHAT, **timing)
        probe = session_service.create_session(
            db, actor=room.teacher, client_id=room.client.id, mode=SessionMode.check
        )
        reply(db, room.teacher, probe, usage=Usage(input_tokens=100), cost=CHECK_REPLY, **timing)
        check_service.record_judge_call(
            db,
            session_id=probe.id,
            usage=Usage(input_tokens=300, output_tokens=50),
            cost=Decimal(JUDGE),
            model="claude-haiku-4-5",
        )
        rubric_service.seed_builtin_rubrics(db)
        review_usage = Usage(input_tokens=200, output_tokens=40)
        db.add(
            SessionReview(
                session_id=practice.id,
                rubric_version_id=db.scalar(select(RubricVersion.id).limit(1)),
                status=ReviewStatus.ready,
                source=ReviewSource.model,
                model="claude-haiku-4-5",
                cost=Decimal(REVIEW),
                input_tokens=review_usage.input_tokens,
                output_tokens=review_usage.output_tokens,
            )
        )
        usage_service.record_call(
            db,
            purpose=Purpose.review,
            user_id=room.student.id,
            at=datetime.now(UTC),
            usage=review_usage,
            cost=Decimal(REVIEW),
        )
        assert db.get(PracticeSession, probe.id).mode == SessionMode.check
    return admin


def test_every_cost_of_a_day_agrees_in_the_services(app_db, every_purpose):
    admin = every_purpose
    with unit_of_work(app_db) as db:
        now = metrics_service.now_figures(db, actor=admin)
        hours = metrics_service.hourly_usage(db, actor=admin)
        days = metrics_service.daily_usage(db, actor=admin)
        budget = metrics_service.budget_status(db, get_settings(), actor=admin)
        month = metrics_service.purpose_costs(db, actor=admin, days=30)
    assert now.cost_today == TOTAL
    assert sum((bucket.cost for bucket in hours), Decimal(0)) == TOTAL
    assert days[-1].cost == TOTAL
    assert budget.spend_today == TOTAL
    # Every breakdown by purpose is the same parts, and they add up to the total.
    assert PARTS.total == TOTAL
    assert now.cost_parts == days[-1].parts == budget.spend_parts == month == PARTS


def test_session_figures_count_practice_only(app_db, every_purpose):
    """The open test chat and the check's probe are not practice: not active, not started today,
    their messages not counted; the practice session's cost is its conversation and its review."""
    admin = every_purpose
    with unit_of_work(app_db) as db:
        now = metrics_service.now_figures(db, actor=admin)
        days = metrics_service.daily_usage(db, actor=admin)
        active = metrics_service.active_sessions(db, actor=admin)
    assert (now.active_sessions, now.sessions_today, now.messages_today) == (0, 1, 2)
    assert active == []
    assert (days[-1].sessions, days[-1].messages) == (1, 2)
    assert now.avg_cost_per_completed == Decimal(PRACTICE)
    assert now.avg_cost_per_practice_session == Decimal(PRACTICE) + Decimal(REVIEW)


def test_every_cost_figure_of_a_day_agrees_on_the_pages(app, every_purpose):
    at = admin_app(app)
    shown = "$0.007200"
    by_purpose = {
        "Practice": "$0.003000",
        "Test chats": "$0.002000",
        "Client checks": "$0.001700",
        "Reviews": "$0.000500",
    }
    assert metric(at, "Cost today") == shown
    assert {label: metric(at, label) for label in by_purpose} == by_purpose
    assert metric(at, "Review cost today") == by_purpose["Reviews"]
    assert metric(at, "Avg cost per conversation") == "$0.003000"
    assert metric(at, "Avg cost per practice session") == "$0.003500"
    assert metric(at, "Active sessions") == "0"
    assert (metric(at, "Sessions today"), metric(at, "Messages today")) == ("1", "2")
    open_tab(at, "Usage")
    assert metric(at, "Cost, last 24 hours") == shown
    today = table(at, "Problems logged").iloc[0]
    assert today["Cost"] == shown
    assert {label: today[label] for label in by_purpose} == by_purpose
    assert (today["Sessions"], today["Messages"]) == (1, 2)
    open_tab(at, "Breakdowns")
    assert purposes(table(at, "Purpose")) == PURPOSE_ROWS
    open_tab(at, "Budgets")
    assert metric(at, "Spent today") == shown
    assert purposes(table(at, "Purpose")) == PURPOSE_ROWS
    assert not at.exception


#: The by-purpose tables (Breakdowns: 30 days; Budgets: today), to the cent, adding up.
PURPOSE_ROWS = {
    "Practice": "$0.003000",
    "Test chats": "$0.002000",
    "Client checks: turns": "$0.001000",
    "Client checks: judge calls": "$0.000700",
    "Reviews": "$0.000500",
    "Drill items": "$0.00",
    "Client memory": "$0.00",
    "Connection tests": "$0.00",
    "Total": "$0.007200",
}


def purposes(frame) -> dict[str, str]:
    return dict(zip(frame["Purpose"], frame["Cost"], strict=True))


def test_a_day_of_test_chats_only_shows_its_cost_and_no_practice(app, app_db):
    """Nothing practised yet, but a teacher's test chat was paid for: the Now tab says there is
    no practice yet and still shows the cost; the daily sheet shows the day with its cost."""
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")
        room = make_classroom(db)
        test_chat = start_session(db, user=room.teacher, client=room.client)
        timing = {"latency_ms": 1000, "first_token_ms": 300}
        reply(db, room.teacher, test_chat, usage=Usage(input_tokens=100), cost=TEST_CHAT, **timing)
    at = admin_app(app)
    assert any("No students' practice yet today" in info.value for info in at.info)
    assert (metric(at, "Cost today"), metric(at, "Test chats")) == ("$0.002000", "$0.002000")
    open_tab(at, "Usage")
    today = table(at, "Problems logged").iloc[0]
    assert (today["Sessions"], today["Messages"]) == (0, 0)
    assert (today["Cost"], today["Test chats"]) == ("$0.002000", "$0.002000")
    assert not at.exception


def test_each_cost_figure_says_what_it_counts(app, app_db):
    """A continuing client's memory summary is billed to its conversation, and a review to the
    student: the figures that count them say so (the help said "the conversation alone (its
    replies)" and the students' table "reviews are only in By purpose", both counted them)."""
    if datetime.now(UTC) - datetime.now(UTC).replace(hour=0, minute=0) < timedelta(minutes=2):
        pytest.skip("too close to midnight UTC: the day would change under the test")
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")
        room = make_classroom(db)
        practice = start_session(db, user=room.student, client=room.client)
        timing = {"latency_ms": 1000, "first_token_ms": 300}
        reply(db, room.student, practice, usage=Usage(input_tokens=100), cost=PRACTICE, **timing)
        session_service.end_session(db, actor=room.student, session_id=practice.id)
        session_service.record_usage(
            db,
            session_id=practice.id,
            usage=Usage(input_tokens=900, output_tokens=120),
            cost=Decimal("0.0015"),
            model="claude-haiku-4-5",
            purpose=Purpose.memory,
        )
        usage_service.record_call(
            db,
            purpose=Purpose.review,
            user_id=room.student.id,
            at=datetime.now(UTC),
            usage=Usage(input_tokens=200, output_tokens=40),
            cost=Decimal(REVIEW),
        )
    at = admin_app(app)
    [average] = [m for m in at.metric if m.label == "Avg cost per conversation"]
    assert average.value == "$0.004500"  # the replies and the memory summary
    assert "memory summary" in average.proto.help
    open_tab(at, "Breakdowns")
    assert table(at, "Student").iloc[0]["Cost"] == "$0.005000"  # and the review
    assert any("reviews of their conversations" in caption.value for caption in at.caption)
