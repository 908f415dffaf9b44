"""Words not sent, kept with a log-in (`unsent_service`): only the conversation's owner keeps
them, only their own live log-in reads them, and they go when the log-in ends in any way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.accounts import account_service, unsent_service
from backend.errors import PermissionDeniedError
from backend.models import LoginSession, UnsentMessage
from backend.models.base import utcnow
from backend.models.enums import Role
from backend.practice import session_service
from tests.factories import enroll, make_classroom, make_user


def _kept_by_a_student(db):
    room = make_classroom(db)
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    token = account_service.start_login_session(db, actor=room.student)
    for text in ("One.", "Two."):
        unsent_service.add(db, actor=room.student, token=token, session_id=session.id, text=text)
    return room, session, token


def test_the_owner_reads_their_words_back_in_order_and_no_one_else_does(db):
    room, session, token = _kept_by_a_student(db)
    assert unsent_service.kept(db, actor=room.student, token=token, session_id=session.id) == [
        "One.",
        "Two.",
    ]
    other = make_user(db, role=Role.student)
    other_token = account_service.start_login_session(db, actor=other)
    # Another person's log-in holds none of them, and their own token is not the student's.
    assert unsent_service.kept(db, actor=other, token=other_token, session_id=session.id) == []
    assert unsent_service.kept(db, actor=other, token=token, session_id=session.id) == []
    with pytest.raises(PermissionDeniedError):
        unsent_service.add(db, actor=other, token=other_token, session_id=session.id, text="Mine.")


@pytest.mark.parametrize("ends", ["log_out", "deactivated"])
def test_the_words_go_when_the_log_in_ends(db, ends):
    room, _session, token = _kept_by_a_student(db)
    if ends == "log_out":
        account_service.end_login_session(db, token)
    else:
        admin = make_user(db, role=Role.admin)
        account_service.set_active(db, actor=admin, user_id=room.student.id, active=False)
    assert db.query(UnsentMessage).count() == 0


def test_the_words_of_an_expired_log_in_go_too(db):
    """A student's words were refused; they close the laptop and their log-in expires (the
    commonest way a log-in ends). They can never be read again (`live_login_id` is None), yet
    nothing deletes them: they stay in `unsent_messages` (and every database backup) for good,
    also after the student logs in again, unlike a log-out or a deactivation."""
    room = make_classroom(db)
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    token = account_service.start_login_session(db, actor=room.student)
    unsent_service.add(
        db, actor=room.student, token=token, session_id=session.id, text="My mother died."
    )
    db.flush()
    for login in db.query(LoginSession):
        login.expires_at = utcnow() - timedelta(minutes=1)  # the log-in expired
    db.flush()
    new_token = account_service.start_login_session(db, actor=room.student)  # logs in again
    assert unsent_service.kept(db, actor=room.student, token=new_token, session_id=session.id) == []
    assert db.query(UnsentMessage).count() == 0


def test_the_words_of_an_expired_log_in_go_when_anyone_logs_in(db):
    """A student who never logs in again (the course ended, they left) kept their refused words
    for good: only their own next log-in deleted them (noticed on 2026-12-06). Any log-in now
    takes every expired log-in's words, and leaves a live log-in's alone."""
    room, session, _token = _kept_by_a_student(db)
    classmate = make_user(db, role=Role.student)
    live = account_service.start_login_session(db, actor=classmate)
    unsent_service.add(
        db, actor=classmate, token=live, session_id=_own(db, room, classmate), text="Mine."
    )
    db.flush()
    for login in db.query(LoginSession).filter(LoginSession.user_id == room.student.id):
        login.expires_at = utcnow() - timedelta(minutes=1)  # the student's log-in expired
    db.flush()
    teacher_token = account_service.start_login_session(db, actor=room.teacher)  # someone else
    assert teacher_token
    assert [row.content for row in db.query(UnsentMessage)] == ["Mine."]
    assert session.id not in {row.session_id for row in db.query(UnsentMessage)}


def _own(db, room, student) -> int:
    """A conversation of `student` (enrolled in the room's section) with the room's client."""
    enroll(db, section=room.section, student=student)
    return session_service.create_session(db, actor=student, client_id=room.client.id).id
