"""A client in two published assignments (Week 1, then a continuing Week 3 follow-up): opening
the Week 3 card filed the conversation under Week 1, the lowest assignment id (an attack,
2026-12-06), so the continuing client never remembered, Week 3's reviews followed Week 1's
rubric and release rule, and Week 3's gradebook column stayed empty."""

from __future__ import annotations

import pytest

from backend.clients import student_access_service
from backend.db import Database, unit_of_work
from backend.errors import ConflictError
from backend.practice import conversation_service, practice_screen
from tests.factories import make_assignment


def _week3(engine, classroom):
    with unit_of_work(engine) as db:
        week3 = make_assignment(
            db,
            teacher=classroom.teacher,
            section=classroom.section,
            clients=[classroom.client],
            title="Week 3 follow-up",
            continuing=True,
        )
        cards = student_access_service.list_available_clients(db, actor=classroom.student)
    return next(item for item in cards if item.assignment_id == week3.id)


def test_a_student_practises_for_the_assignment_whose_card_they_opened(
    committed_engine, api, classroom
):
    card = _week3(committed_engine, classroom)
    assert card.continuing

    session = conversation_service.start_conversation(
        Database(committed_engine),
        actor=classroom.student,
        client_id=card.client.id,
        assignment_id=card.assignment_id,
    )

    assert session.assignment_id == card.assignment_id
    with unit_of_work(committed_engine, write=False) as db:
        screen = practice_screen.read_practice_screen(
            db, actor=classroom.student, session_id=session.id
        )
        active = practice_screen.active_conversations(db, actor=classroom.student)
    assert screen.assignment_title == "Week 3 follow-up"
    assert screen.memory_notice is not None
    # Only the Week 3 card says "Continue conversation".
    assert active == {(card.client.id, card.assignment_id)}


def test_an_open_conversation_for_another_assignment_is_named_not_continued(
    committed_engine, api, classroom
):
    card = _week3(committed_engine, classroom)
    database = Database(committed_engine)
    week1 = conversation_service.start_conversation(
        database,
        actor=classroom.student,
        client_id=classroom.client.id,
        assignment_id=classroom.assignment.id,
    )
    with pytest.raises(ConflictError, match=f"“{classroom.assignment.title}”"):
        conversation_service.start_conversation(
            database,
            actor=classroom.student,
            client_id=card.client.id,
            assignment_id=card.assignment_id,
        )
    # Its own card continues it, as does a call that names no assignment.
    for assignment_id in (classroom.assignment.id, None):
        again = conversation_service.start_conversation(
            database,
            actor=classroom.student,
            client_id=classroom.client.id,
            assignment_id=assignment_id,
        )
        assert again.id == week1.id
