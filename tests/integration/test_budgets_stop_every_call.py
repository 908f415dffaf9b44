"""Every paid call stops at a used-up budget, and the refusal says whose budget it is: a client
check's judge call was sent after the probes had used up the day, and a teacher asking for a
student's review was told "You have used today's practice allowance". (An attack, 2026-12-07.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.checks import check_service
from backend.config import get_settings
from backend.db import Database, unit_of_work
from backend.errors import AppError, BudgetExceededError
from backend.models import DailyUsage
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import conversation_service
from backend.reviews import review_service
from backend.usage import budget_service
from tests.factories import make_client, make_user

DIMENSIONS = ("facts", "in_character", "hidden_information", "pace", "style_and_difficulty")


def _judge_passes(_body: dict) -> dict:
    dimensions = [{"key": key, "status": "pass", "findings": []} for key in DIMENSIONS]
    return {
        "probes": [
            {"probe": probe.key, "dimensions": dimensions} for probe in check_service.load_probes()
        ]
    }


def test_a_client_checks_judge_is_not_called_once_the_probes_used_up_the_day(
    committed_engine, configure, api
):
    """The probes' replies spend exactly the day's dollar limit; the judge call, one large call
    carrying every transcript, was still sent, so "Spent today" ended above the limit by a call
    no budget admitted."""
    turns = sum(len(probe.student_lines) for probe in check_service.load_probes())
    limit = Decimal("0.10005") * turns  # each probe reply: 100,000 in, 10 out on Haiku 4.5
    configure(global_daily_cost_budget_usd=str(limit), check_daily_token_budget=0)
    api.set_default_reply("Work has been hard lately.", input_tokens=100_000, output_tokens=10)
    api.set_default_tool_reply(_judge_passes)
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        client = make_client(db, teacher=teacher)
        admin = make_user(db, role=Role.admin)
    with pytest.raises(BudgetExceededError, match="spending limit"):
        check_service.run_check(Database(committed_engine), actor=teacher, client_id=client.id)
    assert not [request for request in api.requests if (request.body or {}).get("tools")]
    with unit_of_work(committed_engine, write=False) as db:
        spent = metrics_service.budget_status(db, get_settings(), actor=admin).spend_today
    assert spent == limit


def test_a_teacher_refused_a_students_review_is_told_whose_allowance_ran_out(
    committed_engine, configure, api, classroom
):
    """A review counts in the practising student's allowance; the teacher pressing Review on a
    session of a student who had used theirs read "You have used today's practice allowance
    ... your messages so far are saved", although they had used nothing."""
    configure(user_daily_token_budget=1000)
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Work has been rough lately.", input_tokens=1000, output_tokens=6)
    outcome = conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="What brings you in?"
    )
    assert outcome.ok, outcome.notice
    conversation_service.end_conversation(database, actor=classroom.student, session_id=session.id)

    with pytest.raises(BudgetExceededError) as refused:
        review_service.start_review(database, actor=classroom.teacher, session_id=session.id)
    message = refused.value.message
    assert message.startswith(f"{classroom.student.display_name} has used today's practice")
    assert "your messages" not in message and "USER_DAILY_TOKEN_BUDGET" not in message
    with unit_of_work(committed_engine, write=False) as db:
        teachers, _spent = budget_service.usage_today(db, get_settings(), classroom.teacher.id)
    assert teachers.used == 0

    with pytest.raises(BudgetExceededError, match="^You have used today's practice allowance"):
        review_service.start_review(database, actor=classroom.student, session_id=session.id)


def test_a_teacher_asking_to_review_a_silent_session_is_told_about_the_student(
    committed_engine, api, classroom
):
    """A teacher asking for the review of a session where the student said nothing read "This
    conversation has no messages of yours to review"."""
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    conversation_service.end_conversation(database, actor=classroom.student, session_id=session.id)
    with pytest.raises(AppError) as refused:
        review_service.start_review(database, actor=classroom.teacher, session_id=session.id)
    assert refused.value.message == (
        f"{classroom.student.display_name} said nothing in this conversation: there is nothing "
        "to review."
    )
    with pytest.raises(AppError, match="^This conversation has no messages of yours to review"):
        review_service.start_review(database, actor=classroom.student, session_id=session.id)


def test_an_admin_refused_a_students_review_is_told_what_raises_the_allowance(
    committed_engine, configure, api, classroom
):
    """An admin refused a student's review was told to "ask an admin to raise the allowance".
    (An attack on the fix above, 2026-12-07.)"""
    configure(user_daily_token_budget=1000)
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Work has been rough lately.", input_tokens=1000, output_tokens=6)
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="What brings you in?"
    ).ok
    conversation_service.end_conversation(database, actor=classroom.student, session_id=session.id)
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    with pytest.raises(BudgetExceededError) as refused:
        review_service.start_review(database, actor=admin, session_id=session.id)
    message = refused.value.message
    assert message.startswith(f"{classroom.student.display_name} has used"), message
    assert "ask an admin" not in message and "USER_DAILY_TOKEN_BUDGET" in message, message


def test_a_teacher_refused_drafting_drill_items_is_not_told_about_messages(
    api, configure, committed_engine
):
    """A teacher who has used their day's allowance presses "Draft items" for a drill set and
    read "You have used today's practice allowance ... your messages so far are saved": they
    sent no message, and drafting is not practice. (An attack, 2026-12-07.)"""
    from backend.drills import generation
    from tests.integration.test_drills import _teacher_set_and_client

    configure(user_daily_token_budget=1000)
    room, drill_set = _teacher_set_and_client(committed_engine)
    with unit_of_work(committed_engine) as db:
        db.add(
            DailyUsage(
                day=budget_service.start_of_utc_day().date(), user_id=room.teacher.id, tokens=1000
            )
        )
    with pytest.raises(BudgetExceededError) as refused:
        generation.draft_items(
            Database(committed_engine),
            actor=room.teacher,
            set_id=drill_set.id,
            client_id=room.client.id,
            count=4,
        )
    message = refused.value.message
    assert message.startswith("You have used today's allowance (1,000 tokens)"), message
    assert "messages" not in message and "practice" not in message, message
    assert api.messages_requests() == []
