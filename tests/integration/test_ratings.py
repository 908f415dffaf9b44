"""Feedback after a session and thumbs on replies; the positive share by client and overall."""

from decimal import Decimal

import pytest

from backend.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from backend.llm.usage import Usage
from backend.models.enums import Role
from backend.practice import rating_service, session_service
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_classroom,
    make_client,
    make_user,
    start_session,
)


def _reply(db, person, chat_id: int, text: str):
    return add_reply(
        db, session_id=chat_id, content=text, usage=Usage(output_tokens=1), cost=Decimal(0)
    )


def _finished_session_with_reply(db, student, client):
    session = start_session(db, user=student, client=client)
    add_message(db, actor=student, session_id=session.id, content="Hi.")
    reply = _reply(db, student, session.id, "Hello.")
    session_service.end_session(db, actor=student, session_id=session.id)
    return session, reply


def test_feedback_needs_an_ended_session_and_valid_scores(db):
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    with pytest.raises(ConflictError, match="End the session first"):
        rating_service.submit_session_rating(
            db, actor=room.student, session_id=session.id, realism=4, usefulness=4
        )
    session_service.end_session(db, actor=room.student, session_id=session.id)
    with pytest.raises(ValidationError) as error:
        rating_service.submit_session_rating(
            db, actor=room.student, session_id=session.id, realism=0, usefulness=6
        )
    assert set(error.value.field_errors) == {"realism", "usefulness"}
    rating_service.submit_session_rating(
        db,
        actor=room.student,
        session_id=session.id,
        realism=4,
        usefulness=5,
        comment=" Felt real. ",
    )
    again = rating_service.submit_session_rating(
        db, actor=room.student, session_id=session.id, realism=3, usefulness=5
    )
    assert (again.realism, again.comment) == (3, "")
    assert (
        rating_service.get_session_rating(db, actor=room.student, session_id=session.id).realism
        == 3
    )


def test_only_the_student_rates_and_only_replies(db):
    room = make_classroom(db)
    session, reply = _finished_session_with_reply(db, room.student, room.client)
    other = make_user(db)
    with pytest.raises(NotFoundError):  # another student's conversation: as if it did not exist
        rating_service.rate_reply(db, actor=other, message_id=reply.id, positive=True)
    with pytest.raises(PermissionDeniedError):
        rating_service.rate_reply(db, actor=room.teacher, message_id=reply.id, positive=True)
    first = session_service.get_messages(db, actor=room.student, session_id=session.id)[0]
    with pytest.raises(ValidationError, match="client's replies"):
        rating_service.rate_reply(db, actor=room.student, message_id=first.id, positive=True)
    rating_service.rate_reply(db, actor=room.student, message_id=reply.id, positive=False)
    rating_service.rate_reply(db, actor=room.student, message_id=reply.id, positive=True)
    assert rating_service.reply_ratings(db, actor=room.student, session_id=session.id) == {
        reply.id: True
    }
    rating_service.rate_reply(db, actor=room.student, message_id=reply.id, positive=None)
    assert rating_service.reply_ratings(db, actor=room.student, session_id=session.id) == {}


@pytest.mark.both_backends  # shares are aggregates computed in SQL
def test_positive_share_by_client_and_overall(db):
    room = make_classroom(db)
    ben = make_client(db, teacher=room.teacher, name="Ben")
    from backend.classes import assignment_service
    from backend.classes.read_models import AssignmentInput

    assignment_service.update_assignment(
        db,
        actor=room.teacher,
        assignment_id=room.assignment.id,
        data=AssignmentInput(title="Week 1", client_ids=[room.client.id, ben.id]),
    )
    second = make_user(db)
    enroll(db, section=room.section, student=second)
    session, reply = _finished_session_with_reply(
        db, room.student, room.client
    )  # anna: form +, thumbs -
    rating_service.submit_session_rating(
        db, actor=room.student, session_id=session.id, realism=5, usefulness=4
    )
    rating_service.rate_reply(db, actor=room.student, message_id=reply.id, positive=False)
    chat2, reply2 = _finished_session_with_reply(db, second, ben)  # ben: form -, thumbs +
    rating_service.submit_session_rating(
        db, actor=second, session_id=chat2.id, realism=5, usefulness=2
    )
    rating_service.rate_reply(db, actor=second, message_id=reply2.id, positive=True)
    overall, by_client = rating_service.rating_shares(db, actor=room.teacher)
    assert (overall.positive, overall.total, overall.percent) == (2, 4, 50.0)
    assert [(s.label, s.positive, s.total) for s in by_client] == [
        ("Alex Rivera", 1, 2),
        ("Ben", 1, 2),
    ]
    # The admin's view reads the tallies kept with each change; it must agree with the rows.
    admin = make_user(db, role=Role.admin)
    rating_service.rate_reply(db, actor=room.student, message_id=reply.id, positive=True)  # - to +
    rating_service.rate_reply(db, actor=second, message_id=reply2.id, positive=None)  # removed
    tallied = rating_service.rating_shares(db, actor=admin)
    counted = rating_service.rating_shares(db, actor=room.teacher)
    assert tallied == counted
    assert (tallied[0].positive, tallied[0].total) == (2, 3)
    rating_service.rebuild_tallies(db)
    assert rating_service.rating_shares(db, actor=admin) == tallied
    other_teacher = make_user(db, role=Role.teacher)
    assert rating_service.rating_shares(db, actor=other_teacher)[0].total == 0
    with pytest.raises(PermissionDeniedError):
        rating_service.rating_shares(db, actor=room.student)


# What teachers see of their students' feedback ------------------------------------------------------
def test_teacher_reads_feedback_only_for_sessions_they_may_read(db):
    room = make_classroom(db)
    session, reply = _finished_session_with_reply(db, room.student, room.client)
    rating_service.submit_session_rating(
        db,
        actor=room.student,
        session_id=session.id,
        realism=2,
        usefulness=5,
        comment="Gave in too fast.",
    )
    rating_service.rate_reply(db, actor=room.student, message_id=reply.id, positive=False)
    silent, _ = _finished_session_with_reply(
        db, room.student, room.client
    )  # ended, nothing said about it

    seen = rating_service.session_ratings(
        db, actor=room.teacher, session_ids=[session.id, silent.id]
    )
    assert set(seen) == {session.id}
    summary = seen[session.id]
    assert (summary.realism, summary.usefulness, summary.comment) == (2, 5, "Gave in too fast.")
    assert (summary.thumbs_up, summary.thumbs_down) == (0, 1)
    assert summary.label == "realism 2/5 · useful 5/5 · thumbs 0 up, 1 down"

    # Another teacher, and the student asking about a classmate's session, see nothing.
    other_teacher = make_user(db, role=Role.teacher)
    assert rating_service.session_ratings(db, actor=other_teacher, session_ids=[session.id]) == {}
    classmate = make_user(db)
    with pytest.raises(PermissionDeniedError):
        rating_service.session_ratings(db, actor=classmate, session_ids=[session.id])
    admin = make_user(db, role=Role.admin)
    assert set(rating_service.session_ratings(db, actor=admin, session_ids=[session.id])) == {
        session.id
    }


def test_client_feedback_counts_shares_and_keeps_the_newest_comments(db):
    room = make_classroom(db)
    second = make_user(db)
    enroll(db, section=room.section, student=second)
    for person, realism, comment in ((room.student, 5, "Felt real."), (second, 1, "Too easy.")):
        session, reply = _finished_session_with_reply(db, person, room.client)
        rating_service.submit_session_rating(
            db, actor=person, session_id=session.id, realism=realism, usefulness=5, comment=comment
        )
        rating_service.rate_reply(db, actor=person, message_id=reply.id, positive=True)
    untouched = make_client(db, teacher=room.teacher, name="Blake")

    found = rating_service.client_ratings(
        db, actor=room.teacher, client_ids=[room.client.id, untouched.id]
    )
    assert set(found) == {room.client.id}
    summary = found[room.client.id]
    assert (summary.share.positive, summary.share.total) == (3, 4)
    assert summary.comments == ["Too easy.", "Felt real."]  # newest first
    other_teacher = make_user(db, role=Role.teacher)
    assert rating_service.client_ratings(db, actor=other_teacher, client_ids=[room.client.id]) == {}


@pytest.mark.both_backends  # PostgreSQL refuses NUL characters
def test_a_comment_with_a_nul_character_gets_a_field_message(db):
    """PostgreSQL refuses NUL in text: the student reads what to fix instead of an error page."""
    room = make_classroom(db)
    session, _reply_message = _finished_session_with_reply(db, room.student, room.client)
    with pytest.raises(ValidationError) as error:
        rating_service.submit_session_rating(
            db,
            actor=room.student,
            session_id=session.id,
            realism=4,
            usefulness=4,
            comment="Good\x00 one",
        )
    assert "invisible control character" in error.value.field_errors["comment"]


def test_a_reply_copied_into_a_practised_moment_is_rated_where_it_was_said(db):
    """Every "Practise this moment" copies the replies before the moment, and each copy took
    thumbs of its own that counted in the client's figures again: ten tries of one moment, each
    copied reply thumbed down, showed the author 20 negative ratings for a client that gave two
    replies, at no cost to the student. A copy is rated in the conversation it was said in.
    (An attack, 2026-12-07.)"""
    from backend.practice import branch_service

    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    for said, answered in (("Hi, what brings you in?", "I guess work."), ("Tell me.", "A lot.")):
        add_message(db, actor=room.student, session_id=session.id, content=said)
        _reply(db, room.student, session.id, answered)
    add_message(db, actor=room.student, session_id=session.id, content="How do you cope?")
    session_service.end_session(db, actor=room.student, session_id=session.id)
    branch = branch_service.start_branch(db, actor=room.student, session_id=session.id, turn=5)
    copied = [
        message
        for message in session_service.get_messages(db, actor=room.student, session_id=branch.id)
        if message.role == "assistant"
    ]
    assert len(copied) == 2
    for message in copied:
        with pytest.raises(ValidationError, match="rate it in that session"):
            rating_service.rate_reply(db, actor=room.student, message_id=message.id, positive=False)
    card = rating_service.client_ratings(db, actor=room.teacher, client_ids=[room.client.id])
    assert room.client.id not in card or card[room.client.id].share.total == 0
    new_reply = _reply(db, room.student, branch.id, "Some days I just sleep.")
    rating_service.rate_reply(db, actor=room.student, message_id=new_reply.id, positive=True)
    card = rating_service.client_ratings(db, actor=room.teacher, client_ids=[room.client.id])
    assert card[room.client.id].share.total == 1


def test_thumbs_on_another_students_reply_answer_as_for_a_reply_that_does_not_exist(db):
    """A classmate trying `rate_reply` with message ids had learnt which were replies in other
    people's conversations, and each one's conversation id ("No conversation with id 1 is open
    to you."), where a missing id says "That reply no longer exists.". (An attack,
    2026-12-07.)"""
    room = make_classroom(db)
    classmate = make_user(db, role=Role.student)
    enroll(db, section=room.section, student=classmate)
    theirs = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    add_message(db, actor=room.student, session_id=theirs.id, content="Hello there.")
    reply = _reply(db, room.student, theirs.id, "Hi. I'm not sure why I'm here.")
    refusals = []
    for message_id in (reply.id, reply.id + 999):
        with pytest.raises(NotFoundError) as refused:
            rating_service.rate_reply(db, actor=classmate, message_id=message_id, positive=False)
        refusals.append(refused.value.message)
    assert refusals == ["That reply no longer exists."] * 2
