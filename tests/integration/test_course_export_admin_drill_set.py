"""(An attack, 2026-12-06.) A course export of a section an admin gave a drill set to."""

from __future__ import annotations

from backend.db import create_db_engine, unit_of_work
from backend.drills import attempt_service, drill_service, results_service
from backend.drills.bank import bank_items
from backend.models.enums import DrillSkill, Role
from tests.factories import make_classroom, make_user
from tests.integration.test_backup_roundtrip import export_text, import_text


def test_a_drill_set_an_admin_gave_the_section_moves_with_the_course(fresh_database, tmp_path):
    """What happens: an admin makes a drill set and assigns it to a teacher's section (the policy
    lets admins edit drill sets and manage any section); a student does it. The course export
    keeps only sets the teacher owns, so the set, its assignment to the section and the student's
    attempts are silently left out of the file: after the import the teacher's section results
    show no drill work at all, and nothing said so. What should happen: as for a client or a
    rubric an admin made for the course (6f29bbe: "what an admin owns is the course teacher's in
    the file", "what an admin did for the course travels"), the set travels as the teacher's with
    the students' attempts. Why it matters: the operator moves or archives a course and loses the
    students' graded drill results without any warning."""
    source = create_db_engine(fresh_database("sqlite", tmp_path))
    target = create_db_engine(fresh_database("sqlite", tmp_path))
    try:
        with unit_of_work(source) as db:
            room = make_classroom(db)
            admin = make_user(db, role=Role.admin)
            drill_set = drill_service.create_set(db, actor=admin, title="Reflections for all")
            keys = [item.key for item in bank_items(DrillSkill.reflect)[:5]]
            drill_set = drill_service.add_bank_items(
                db, actor=admin, set_id=drill_set.id, keys=keys
            )
            drill_service.assign_set(
                db, actor=admin, set_id=drill_set.id, section_id=room.section.id
            )
            item = drill_set.items[0]
            for reply in ("Do you feel tired?", item.model_answer):
                attempt_service.answer_item(
                    db, actor=room.student, set_id=drill_set.id, item_id=item.id, reply=reply
                )
            before = [
                (r.attempts, r.hits)
                for r in results_service.section_results(
                    db, actor=room.teacher, section_id=room.section.id
                )
            ]
        assert before == [(2, 1)]
        summary = import_text(target, export_text(source, room.teacher.username))
        with unit_of_work(target, write=False) as db:
            after = [
                (r.attempts, r.hits)
                for r in results_service.section_results(
                    db, actor=room.teacher, section_id=room.section.id
                )
            ]
        assert (summary.rows.get("drill_sets"), summary.rows.get("drill_attempts")) == (1, 2)
        assert after == before
    finally:
        source.dispose()
        target.dispose()
