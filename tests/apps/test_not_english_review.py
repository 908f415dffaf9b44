"""Messages addressed to the person reading them (an attack, 2026-12-06). A review of a session not in English
(the automatic demo review) tells its reader "Ask your teacher to go through it with you." - on
the teacher's own History page, the teacher is told to ask their teacher."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.practice import session_service
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app, texts
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

SPANISH = [
    ("¿Bebes todos los días? Cuéntame cómo es una semana normal.", "Solo los fines de semana."),
    ("Estás en negación, tienes que dejar de beber ya.", "No estoy en negación."),
    ("Deberías ir a Alcohólicos Anónimos esta misma semana.", "No quiero."),
]


def _spanish_session_reviewed(app_db, teacher) -> int:
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
        session = session_service.create_session(db, actor=student, client_id=client.id)
        for line, reply in SPANISH:
            add_message(db, actor=student, session_id=session.id, content=line)
            add_reply(db, session_id=session.id, content=reply)
        session_service.end_session(db, actor=student, session_id=session.id)
        review = review_service.create_demo_review(db, actor=student, session_id=session.id)
        assert review.content is not None and review.content.not_english
    return session.id


def test_a_teacher_reading_a_not_english_review_is_not_told_to_ask_their_teacher(
    app, app_db, teacher
):
    session_id = _spanish_session_reviewed(app_db, teacher)
    at = open_page(teacher_app(app), "History & metrics")
    at.session_state[f"conversation_{session_id}"] = True
    at.run()
    assert_clean(at)
    warnings = texts(at, "warning")
    assert any("reads English only" in text for text in warnings), everything(at)
    told = [text for text in warnings if "your teacher" in text]
    assert not told, f"the teacher is told: {told}"
