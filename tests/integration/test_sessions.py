"""Sessions and messages: start, resume, append in order, exact totals, end idempotently."""

from decimal import Decimal

import pytest

from backend.classes import assignment_service
from backend.errors import ConflictError, PermissionDeniedError
from backend.llm.usage import Usage
from backend.models.enums import SessionMode, SessionStatus
from backend.practice import session_service
from tests.factories import add_message, add_reply, make_classroom, start_session


def test_student_session_records_its_assignment(db):
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    assert session.mode == SessionMode.practice and session.assignment_id == room.assignment.id
    assert (
        session_service.get_active_session(db, actor=room.student, client_id=room.client.id).id
        == session.id
    )


def test_teacher_test_chat_has_no_assignment(db):
    room = make_classroom(db)
    session = start_session(db, user=room.teacher, client=room.client)
    assert session.mode == SessionMode.teacher_test and session.assignment_id is None


def test_one_active_session_per_person_and_client(db):
    room = make_classroom(db)
    first = start_session(db, user=room.student, client=room.client)
    with pytest.raises(ConflictError, match="already have an open conversation"):
        start_session(db, user=room.student, client=room.client)
    session_service.end_session(db, actor=room.student, session_id=first.id)
    assert start_session(db, user=room.student, client=room.client).id != first.id


@pytest.mark.both_backends  # totals are sums in SQL
def test_messages_are_numbered_and_totals_are_the_sum_of_replies(db):
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    add_message(
        db, actor=room.student, session_id=session.id, content="Hello, what brings you in today?"
    )
    for cost in (Decimal("0.000123"), Decimal("0.000456")):
        add_reply(
            db,
            session_id=session.id,
            content="Well...",
            usage=Usage(
                input_tokens=100, output_tokens=20, cache_write_5m_tokens=5, cache_read_tokens=7
            ),
            model="claude-haiku-4-5",
            cost=cost,
            latency_ms=900,
            time_to_first_token_ms=300,
        )
    messages = session_service.get_messages(db, actor=room.student, session_id=session.id)
    assert [m.sequence_number for m in messages] == [1, 2, 3]
    assert messages[0].token_count == 8 and messages[1].token_count == 20
    session = session_service.get_session(db, actor=room.student, session_id=session.id)
    assert (
        session.input_tokens,
        session.output_tokens,
        session.cache_write_tokens,
        session.cache_read_tokens,
        session.total_tokens,
    ) == (200, 40, 10, 14, 264)
    assert session.estimated_cost == Decimal("0.000579") and session.unpriced_replies == 0


def test_unpriced_reply_is_counted_not_costed_as_zero(db):
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    add_reply(
        db, session_id=session.id, content="Hm.", usage=Usage(output_tokens=2), model="x", cost=None
    )
    session = session_service.get_session(db, actor=room.student, session_id=session.id)
    assert session.unpriced_replies == 1 and session.estimated_cost == 0


def test_message_pagination(db):
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    for number in range(7):
        add_message(db, actor=room.student, session_id=session.id, content=f"message {number}")
    page = session_service.get_messages(
        db, actor=room.student, session_id=session.id, limit=3, offset=3
    )
    assert [m.content for m in page] == ["message 3", "message 4", "message 5"]


def test_end_is_idempotent_and_a_completed_session_refuses_messages(db):
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    ended = session_service.end_session(db, actor=room.student, session_id=session.id)
    again = session_service.end_session(db, actor=room.student, session_id=session.id)
    assert ended.status == SessionStatus.completed and again.ended_at == ended.ended_at
    with pytest.raises(ConflictError, match="has ended"):
        add_message(db, actor=room.student, session_id=session.id, content="Still there?")


def test_student_sessions_filter_and_page(db):
    room = make_classroom(db)
    first = start_session(db, user=room.student, client=room.client)
    session_service.end_session(db, actor=room.student, session_id=first.id)
    second = start_session(db, user=room.student, client=room.client)
    all_sessions = session_service.get_student_sessions(db, actor=room.student)
    assert [s.id for s in all_sessions] == [second.id, first.id]
    completed = session_service.get_student_sessions(
        db, actor=room.student, status=SessionStatus.completed
    )
    assert [s.id for s in completed] == [first.id]
    assert len(session_service.get_student_sessions(db, actor=room.student, limit=1, offset=1)) == 1


def test_unpublished_assignment_blocks_new_sessions_but_keeps_history(db):
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    session_service.end_session(db, actor=room.student, session_id=session.id)
    assignment_service.set_published(
        db, actor=room.teacher, assignment_id=room.assignment.id, published=False
    )
    with pytest.raises(PermissionDeniedError, match="not assigned"):
        start_session(db, user=room.student, client=room.client)
    assert (
        session_service.get_session(db, actor=room.student, session_id=session.id).id == session.id
    )
