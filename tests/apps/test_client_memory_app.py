"""Continuing clients on the pages (issue 24): the teacher marks an assignment continuing and
edits the client's memory of a student; the student's next session says the client remembers,
and never shows what. Demo mode: the memory is the offline summary."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.actor import UserRead
from backend.classes import assignment_service
from backend.db import Database, unit_of_work
from backend.jobs import runner
from backend.models import Section, User
from backend.practice import conversation_service, memory_service
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    start_button,
    teacher_app,
    texts,
)


def _teacher_of(app_db, section_id: int) -> UserRead:
    with unit_of_work(app_db, write=False) as db:
        teacher_id = db.get_one(Section, section_id).teacher_id
        return UserRead.model_validate(db.get_one(User, teacher_id))


def _first_session(app_db, student, client_id: int) -> int:
    """A session with the continuing client, ended: its memory job writes the offline summary."""
    database = Database(app_db)
    session = conversation_service.start_conversation(database, actor=student, client_id=client_id)
    conversation_service.send_message(
        database, actor=student, session_id=session.id, content="How has your sleep been?"
    )
    conversation_service.end_conversation(database, actor=student, session_id=session.id)
    assert runner.wait_idle(10), "the memory job outlived the test"
    return session.id


def test_teacher_marks_continuing_edits_the_memory_and_the_student_is_told(app, app_db):
    student, alex, section = classroom(app_db)
    teacher = _teacher_of(app_db, section.id)
    with unit_of_work(app_db, write=False) as db:
        week1 = next(
            a
            for a in assignment_service.list_assignments(db, actor=teacher, section_id=section.id)
            if a.title == "Week 1"
        )
    at = open_page(teacher_app(app, teacher.username), "Sections & assignments")
    box = at.checkbox(key=f"assignment_continuing_{week1.id}")
    assert not box.value and "remembers" in box.help
    box.check().run()
    assert_clean(at)
    assert "its clients remember each student's earlier sessions" in everything(at)
    with unit_of_work(app_db, write=False) as db:
        saved = assignment_service.get_assignment(db, actor=teacher, assignment_id=week1.id)
    assert saved.continuing_client

    first = _first_session(app_db, student, alex.id)
    open_page(at, "History & metrics")
    at.session_state[f"conversation_{first}"] = True
    at.run()
    assert_clean(at)
    (area,) = [a for a in at.text_area if a.key.startswith(f"memory_text_{first}_")]
    assert "the student sent you 1 message" in area.value  # the offline summary
    assert "not earned the hidden information yet" in everything(at)
    area.input("Discussed: your sleep. Agreed: a short walk after each night shift.")
    at.button(key=f"save_memory_{first}").click().run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        memory = memory_service.read_memory(db, actor=teacher, session_id=first)
    assert memory is not None and "walk after each night shift" in memory.summary
    assert memory.edited_by == teacher.display_name

    student_at = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), student.username)
    open_page(student_at, "Practice")
    assert any("Continuing client" in text for text in texts(student_at))  # the card's badge
    start_button(student_at).click().run()
    assert_clean(student_at)
    notice = "Continuing client: Alex Rivera remembers your earlier sessions."
    assert any(notice in caption for caption in texts(student_at, "caption"))
    assert "night shift" not in everything(student_at)  # the client's memory, not the student's


def test_a_new_assignment_can_be_made_continuing(app, app_db):
    _student, alex, section = classroom(app_db)
    teacher = _teacher_of(app_db, section.id)
    at = open_page(teacher_app(app, teacher.username), "Sections & assignments")
    at.text_input(key="assignment_title").input("Weekly check-ins")
    at.multiselect(key="assignment_clients").select(alex.id)
    at.checkbox(key="assignment_continuing").check()
    at.button(key="create_assignment").click().run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        created = next(
            a
            for a in assignment_service.list_assignments(db, actor=teacher, section_id=section.id)
            if a.title == "Weekly check-ins"
        )
    assert created.continuing_client
    assert not at.checkbox(key="assignment_continuing").value  # the form is ready for the next
