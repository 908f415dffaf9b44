"""Feedback after a session and thumbs on replies; the positive share by client and overall."""

import pytest

from backend.errors import ConflictError, PermissionDeniedError, ValidationError
from backend.models.enums import MessageRole, Role
from backend.services import feedback_service, session_service
from tests.factories import enroll, make_classroom, make_client, make_user, start_session


def _finished_session_with_reply(db, student, client):
    chat = start_session(db, user=student, client=client)
    session_service.add_message(db, actor=student, session_id=chat.id, role=MessageRole.user,
                                content="Hi.")
    reply = session_service.add_message(db, actor=student, session_id=chat.id,
                                        role=MessageRole.assistant, content="Hello.")
    session_service.end_session(db, actor=student, session_id=chat.id)
    return chat, reply


def test_feedback_needs_an_ended_session_and_valid_scores(db):
    _teacher, student, client, _section, _assignment = make_classroom(db)
    chat = start_session(db, user=student, client=client)
    with pytest.raises(ConflictError, match="End the session first"):
        feedback_service.submit_session_feedback(db, actor=student, session_id=chat.id,
                                                 realism=4, usefulness=4)
    session_service.end_session(db, actor=student, session_id=chat.id)
    with pytest.raises(ValidationError) as error:
        feedback_service.submit_session_feedback(db, actor=student, session_id=chat.id,
                                                 realism=0, usefulness=6)
    assert set(error.value.field_errors) == {"realism", "usefulness"}
    feedback_service.submit_session_feedback(db, actor=student, session_id=chat.id, realism=4,
                                             usefulness=5, comment=" Felt real. ")
    again = feedback_service.submit_session_feedback(db, actor=student, session_id=chat.id,
                                                     realism=3, usefulness=5)
    assert (again.realism, again.comment) == (3, "")
    assert feedback_service.get_session_feedback(db, actor=student, session_id=chat.id).realism == 3


def test_only_the_student_rates_and_only_replies(db):
    teacher, student, client, _section, _assignment = make_classroom(db)
    chat, reply = _finished_session_with_reply(db, student, client)
    other = make_user(db)
    with pytest.raises(PermissionDeniedError):
        feedback_service.rate_reply(db, actor=other, message_id=reply.id, positive=True)
    with pytest.raises(PermissionDeniedError):
        feedback_service.rate_reply(db, actor=teacher, message_id=reply.id, positive=True)
    first = session_service.get_messages(db, actor=student, session_id=chat.id)[0]
    with pytest.raises(ValidationError, match="client's replies"):
        feedback_service.rate_reply(db, actor=student, message_id=first.id, positive=True)
    feedback_service.rate_reply(db, actor=student, message_id=reply.id, positive=False)
    feedback_service.rate_reply(db, actor=student, message_id=reply.id, positive=True)
    assert feedback_service.reply_ratings(db, actor=student, session_id=chat.id) == {reply.id: True}
    feedback_service.rate_reply(db, actor=student, message_id=reply.id, positive=None)
    assert feedback_service.reply_ratings(db, actor=student, session_id=chat.id) == {}


def test_positive_share_by_client_and_overall(db):
    teacher, student, anna, section, assignment = make_classroom(db)
    ben = make_client(db, teacher=teacher, name="Ben")
    from backend.services import assignment_service
    from backend.schemas.sections import AssignmentInput

    assignment_service.update_assignment(
        db, actor=teacher, assignment_id=assignment.id,
        data=AssignmentInput(title="Week 1", client_ids=[anna.id, ben.id]))
    second = make_user(db)
    enroll(db, section=section, student=second)
    chat, reply = _finished_session_with_reply(db, student, anna)   # anna: form +, thumbs -
    feedback_service.submit_session_feedback(db, actor=student, session_id=chat.id, realism=5,
                                             usefulness=4)
    feedback_service.rate_reply(db, actor=student, message_id=reply.id, positive=False)
    chat2, reply2 = _finished_session_with_reply(db, second, ben)   # ben: form -, thumbs +
    feedback_service.submit_session_feedback(db, actor=second, session_id=chat2.id, realism=5,
                                             usefulness=2)
    feedback_service.rate_reply(db, actor=second, message_id=reply2.id, positive=True)
    overall, by_client = feedback_service.feedback_shares(db, actor=teacher)
    assert (overall.positive, overall.total, overall.percent) == (2, 4, 50.0)
    assert [(s.label, s.positive, s.total) for s in by_client] == [("Alex Rivera", 1, 2),
                                                                   ("Ben", 1, 2)]
    # The admin's view reads the tallies kept with each change; it must agree with the rows.
    admin = make_user(db, role=Role.admin)
    feedback_service.rate_reply(db, actor=student, message_id=reply.id, positive=True)  # - to +
    feedback_service.rate_reply(db, actor=second, message_id=reply2.id, positive=None)  # removed
    tallied = feedback_service.feedback_shares(db, actor=admin)
    counted = feedback_service.feedback_shares(db, actor=teacher)
    assert tallied == counted
    assert (tallied[0].positive, tallied[0].total) == (2, 3)
    feedback_service.rebuild_tallies(db)
    assert feedback_service.feedback_shares(db, actor=admin) == tallied
    other_teacher = make_user(db, role=Role.teacher)
    assert feedback_service.feedback_shares(db, actor=other_teacher)[0].total == 0
    with pytest.raises(PermissionDeniedError):
        feedback_service.feedback_shares(db, actor=student)
