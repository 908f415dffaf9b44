"""The client's memory on the teacher's page as a demanding user meets it (review of issue 24):
what the teacher typed is never dropped because a memory job wrote meanwhile."""

from __future__ import annotations

from backend.classes import assignment_service
from backend.db import unit_of_work
from backend.practice import memory_service
from tests.apps.helpers import assert_clean, classroom, everything, open_page, teacher_app
from tests.apps.test_client_memory_app import _first_session, _teacher_of

TEACHERS_TEXT = "Discussed: your sleep. Agreed: a short walk after each night shift."


def test_the_teachers_edit_survives_a_memory_written_while_they_typed(app, app_db):
    """`memory_panel` keys the text area by the memory's stamp (`edited_at or written_at`). When
    the student ends another session while the teacher is typing, the memory job writes a new
    stamp; on Save the page draws a new text area (seeded with the job's summary), saves that,
    and says "Saved": the teacher's text is gone without a word."""
    student, alex, section = classroom(app_db)
    teacher = _teacher_of(app_db, section.id)
    with unit_of_work(app_db) as db:
        week1 = next(
            a
            for a in assignment_service.list_assignments(db, actor=teacher, section_id=section.id)
            if a.title == "Week 1"
        )
        assignment_service.set_continuing_client(
            db, actor=teacher, assignment_id=week1.id, continuing=True
        )
    first = _first_session(app_db, student, alex.id)
    at = open_page(teacher_app(app, teacher.username), "History & metrics")
    at.session_state[f"conversation_{first}"] = True
    at.run()
    assert_clean(at)
    (area,) = [a for a in at.text_area if a.key.startswith(f"memory_text_{first}_")]
    area.input(TEACHERS_TEXT)

    _first_session(app_db, student, alex.id)  # meanwhile: another session ends, its memory job
    at.button(key=f"save_memory_{first}").click().run()
    assert_clean(at)

    with unit_of_work(app_db, write=False) as db:
        memory = memory_service.read_memory(db, actor=teacher, session_id=first)
    assert memory is not None
    kept = "walk after each night shift" in memory.summary
    still_on_page = any("walk after each night shift" in a.value for a in at.text_area)
    assert kept or still_on_page, "the teacher's text was dropped"
    if not kept:
        assert "Saved the client's memory" not in everything(at)
