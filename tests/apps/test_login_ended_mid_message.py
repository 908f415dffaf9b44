"""A student whose log-in ended while they typed is told the message was not sent (an
independent review, 2026-12-06: the log-in screen only said the log-in had ended, so a long
message seemed saved and was simply missing after logging in again)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.accounts import account_service
from backend.db import unit_of_work
from backend.models import LoginSession, Message, User
from backend.models.base import utcnow
from backend.models.enums import Role
from tests.apps.helpers import assert_clean, classroom, everything, log_in, start_button
from tests.factories import make_user

TYPED = "I wonder what it would take for you to feel settled again."


@pytest.mark.parametrize("how", ["deactivated", "expired"])
def test_a_student_whose_log_in_ended_is_told_the_message_was_not_sent(app, app_db, how):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    with unit_of_work(app_db) as db:
        student = db.query(User).filter(User.username == "sam.student").one()
        if how == "deactivated":
            admin = make_user(db, role=Role.admin)
            account_service.set_active(db, actor=admin, user_id=student.id, active=False)
        else:  # the log-in's hours ran out while the student wrote
            db.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    at.chat_input(key="chat_input").set_value(TYPED).run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        assert db.query(Message).count() == 0
    page = everything(at)
    assert how in page.lower()
    assert "The message you had just sent was not sent." in page
    assert TYPED not in page  # a shared computer: the words are not shown to the next person


def test_a_log_in_that_ends_without_a_message_says_nothing_of_one(app, app_db):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    with unit_of_work(app_db) as db:
        db.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    at.run()
    assert "expired" in everything(at).lower()
    assert "not sent" not in everything(at)
