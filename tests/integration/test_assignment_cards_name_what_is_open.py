"""Each assignment card starts and continues its own conversation (385b78e). A student's open
conversation whose assignment is NULL (the column is `ON DELETE SET NULL`, and the turn itself
accepts such a conversation: `access.assigned` reads NULL as "any assignment that still gives the
client") is continued by no card any more: `active_conversations` files it under (client, None),
so every card says "Start conversation", and pressing it refuses with
"You already have an open conversation with this client for “None”" (an attack)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from backend.classes import assignment_service
from backend.clients import student_access_service
from backend.db import Database, unit_of_work
from backend.errors import ConflictError
from backend.models import PracticeSession
from backend.practice import conversation_service, practice_screen
from tests.factories import make_assignment


def _open_conversation_without_assignment(engine, room) -> int:
    session = conversation_service.start_conversation(
        Database(engine),
        actor=room.student,
        client_id=room.client.id,
        assignment_id=room.assignment.id,
    )
    with unit_of_work(engine) as db:  # what ON DELETE SET NULL (or an older row) leaves
        db.execute(
            update(PracticeSession)
            .where(PracticeSession.id == session.id)
            .values(assignment_id=None)
        )
    return session.id


def test_the_card_continues_an_open_conversation_whose_assignment_is_gone(
    committed_engine, api, classroom
):
    open_id = _open_conversation_without_assignment(committed_engine, classroom)

    # The only card that gives this client: it should continue the open conversation.
    try:
        again = conversation_service.start_conversation(
            Database(committed_engine),
            actor=classroom.student,
            client_id=classroom.client.id,
            assignment_id=classroom.assignment.id,
        )
    except ConflictError as error:
        pytest.fail(f"the student's only card for this client refused: {error.message}")
    assert again.id == open_id


def test_a_refusal_never_names_the_assignment_none(committed_engine, api, classroom):
    _open_conversation_without_assignment(committed_engine, classroom)
    with unit_of_work(committed_engine, write=False) as db:
        active = practice_screen.active_conversations(db, actor=classroom.student)
    card_says_continue = (classroom.client.id, classroom.assignment.id) in active
    try:
        conversation_service.start_conversation(
            Database(committed_engine),
            actor=classroom.student,
            client_id=classroom.client.id,
            assignment_id=classroom.assignment.id,
        )
    except ConflictError as error:
        assert "“None”" not in error.message, (
            f"card says {'Continue' if card_says_continue else 'Start'} conversation; "
            f"pressing it: {error.message}"
        )


def test_a_refusal_points_to_a_card_the_student_has(committed_engine, api, classroom):
    """Week 1 and a Week 3 follow-up give the same client; the student has Week 1's conversation
    open when the teacher unpublishes Week 1. Week 3's card then refuses with "Continue it from
    that assignment's card, and end it there": Week 1 has no card any more (and its conversation
    takes no turn), so the student is sent to a card that is not on the page."""
    database = Database(committed_engine)
    with unit_of_work(committed_engine) as db:
        week3 = make_assignment(
            db,
            teacher=classroom.teacher,
            section=classroom.section,
            clients=[classroom.client],
            title="Week 3 follow-up",
        )
    conversation_service.start_conversation(
        database,
        actor=classroom.student,
        client_id=classroom.client.id,
        assignment_id=classroom.assignment.id,
    )
    with unit_of_work(committed_engine) as db:
        assignment_service.set_published(
            db, actor=classroom.teacher, assignment_id=classroom.assignment.id, published=False
        )
        cards = {
            item.assignment_title
            for item in student_access_service.list_available_clients(db, actor=classroom.student)
        }
    assert cards == {"Week 3 follow-up"}
    try:
        conversation_service.start_conversation(
            database,
            actor=classroom.student,
            client_id=classroom.client.id,
            assignment_id=week3.id,
        )
    except ConflictError as error:
        named = classroom.assignment.title
        assert not (f"“{named}”" in error.message and "card" in error.message), (
            f"cards shown: {cards}; Week 3's card says: {error.message}"
        )
