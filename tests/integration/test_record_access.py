"""A student's conversation and its review are their record in a section: the student, the
section's teachers and admins read them; a teacher who only wrote the client does not (they see
its anonymous figures)."""

from __future__ import annotations

import pytest

from backend.errors import NotFoundError
from backend.models.enums import Role
from backend.practice import history_service, rating_service, session_service
from backend.reviews import review_service
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)


@pytest.fixture
def authored_elsewhere(db):
    """The author's client, assigned by an admin in another teacher's section, and a student's
    finished, reviewed and rated conversation with it."""
    author = make_user(db, role=Role.teacher, username="the.author")
    teacher = make_user(db, role=Role.teacher, username="section.teacher")
    admin = make_user(db, role=Role.admin, username="the.admin")
    student = make_user(db, role=Role.student, username="a.student")
    client = make_client(db, teacher=author)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    make_assignment(db, teacher=admin, section=section, clients=[client])
    session = session_service.create_session(db, actor=student, client_id=client.id)
    add_message(db, actor=student, session_id=session.id, content="Hello there.")
    reply = add_reply(db, session_id=session.id, content="Hi. I'm not sure why I'm here.")
    rating_service.rate_reply(db, actor=student, message_id=reply.id, positive=True)
    session_service.end_session(db, actor=student, session_id=session.id)
    review_service.create_demo_review(db, actor=student, session_id=session.id)
    return author, teacher, admin, student, client, session


def test_a_client_author_who_does_not_teach_the_section_reads_neither_transcript_nor_review(
    db, authored_elsewhere
):
    author, _teacher, _admin, _student, client, session = authored_elsewhere
    with pytest.raises(NotFoundError):
        session_service.get_messages(db, actor=author, session_id=session.id)
    with pytest.raises(NotFoundError):
        history_service.transcript_markdown(db, actor=author, session_id=session.id)
    with pytest.raises(NotFoundError):
        review_service.get_review(db, actor=author, session_id=session.id)
    rows = history_service.list_conversations(db, actor=author, client_id=client.id)
    assert session.id not in [row.session_id for row in rows]


def test_a_client_author_still_sees_the_clients_anonymous_figures(db, authored_elsewhere):
    author, _teacher, _admin, _student, client, _session = authored_elsewhere
    card = rating_service.client_ratings(db, actor=author, client_ids=[client.id])[client.id]
    assert (card.share.positive, card.share.total) == (1, 1)
    _overall, by_client = rating_service.rating_shares(db, actor=author)
    assert [(share.label, share.total) for share in by_client] == [(client.name, 1)]


@pytest.mark.parametrize("reader", ["teacher", "admin", "student"])
def test_the_student_their_section_teacher_and_admins_read_the_record(
    db, authored_elsewhere, reader
):
    _author, teacher, admin, student, _client, session = authored_elsewhere
    actor = {"teacher": teacher, "admin": admin, "student": student}[reader]
    messages = session_service.get_messages(db, actor=actor, session_id=session.id)
    assert [m.content for m in messages][0] == "Hello there."
    assert review_service.get_review(db, actor=actor, session_id=session.id) is not None


def test_a_teachers_own_test_conversation_stays_theirs(db, authored_elsewhere):
    author, teacher, _admin, _student, client, _session = authored_elsewhere
    test = session_service.create_session(db, actor=author, client_id=client.id)
    add_message(db, actor=author, session_id=test.id, content="Testing.")
    assert session_service.get_messages(db, actor=author, session_id=test.id)[0].content == (
        "Testing."
    )
    with pytest.raises(NotFoundError):
        session_service.get_messages(db, actor=teacher, session_id=test.id)
