"""A budget refusal says truly when the budget resets (an attack, 2026-12-07)."""

from __future__ import annotations

import pytest

from backend.db import Database, unit_of_work
from backend.errors import BudgetExceededError
from backend.models import DailyUsage
from backend.practice import conversation_service
from backend.usage import budget_service


def test_a_student_refused_ten_minutes_before_midnight_is_not_told_to_wait_an_hour(
    committed_engine, api, configure, classroom, monkeypatch
):
    """At 23:50 UTC a student has used their day's tokens. The refusal says "It resets at
    midnight UTC, in about 1 hour": `hours_until_reset` rounds to whole hours and never says
    less than one, so in the last half hour of the day every refusal (and the client check
    page's "allowance used up until midnight UTC, in about 1 hour") sends people away for an
    hour that is ten minutes, or one. (An attack, 2026-12-07.)"""
    configure(user_daily_token_budget=1000)
    # The clock at 23:50 UTC: ten minutes to midnight.
    monkeypatch.setattr(budget_service, "seconds_until_utc_midnight", lambda moment=None: 600)
    with unit_of_work(committed_engine) as db:
        db.add(
            DailyUsage(
                day=budget_service.start_of_utc_day().date(),
                user_id=classroom.student.id,
                tokens=1000,
            )
        )
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    with pytest.raises(BudgetExceededError) as refused:
        conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content="Hello?"
        )
    assert api.messages_requests() == []
    said = refused.value.message
    assert "in about 10 minutes" in said, said
