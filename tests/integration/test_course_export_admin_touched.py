"""(An attack, 2026-12-06.) A course an admin has touched (a review the admin edited and released,
a client or a drill set an admin gave the section) moves with export and import: a course file
holds only teachers and students, and the import had refused the app's own export."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.db import create_db_engine, unit_of_work
from backend.drills import attempt_service, drill_service, results_service
from backend.drills.bank import bank_items
from backend.models import ClientProfile, SessionReview, User
from backend.models.enums import DrillSkill, Role
from backend.ops import backup_service
from backend.practice import session_service
from backend.reviews import review_service, teacher_review_service
from backend.reviews.teacher_review_service import TeacherEdits
from tests.factories import (
    add_message,
    add_reply,
    builtin_criteria,
    make_assignment,
    make_classroom,
    make_client,
    make_user,
)
from tests.integration.test_backup_roundtrip import export_text, import_text


@pytest.fixture
def databases(fresh_database, tmp_path):
    """(source, target): two fresh SQLite databases, the course moves from one to the other."""
    source = create_db_engine(fresh_database("sqlite", tmp_path))
    target = create_db_engine(fresh_database("sqlite", tmp_path))
    yield source, target
    source.dispose()
    target.dispose()


def _move(source, target, teacher: str) -> backup_service.BackupSummary:
    try:
        return import_text(target, export_text(source, teacher))
    except backup_service.BadCourseFile as refused:
        pytest.fail(f"The app's own export of the course is refused: {refused.message}")


def _admins(engine) -> int:
    with unit_of_work(engine, write=False) as db:
        return db.scalar(select(func.count()).where(User.role == Role.admin))


def test_a_course_whose_review_an_admin_edited_imports(databases):
    """An admin edits and releases a student's review (the policy lets admins edit and release
    reviews). `export` wrote the admin's account into the course file (named by
    session_reviews.reviewed_by_id), and `import` refused the whole file: "a course file holds
    only teachers and students", as if it had been forged."""
    source, target = databases
    with unit_of_work(source) as db:
        room = make_classroom(db)
        admin = make_user(db, role=Role.admin)
        session = session_service.create_session(
            db, actor=room.student, client_id=room.client.id, assignment_id=room.assignment.id
        )
        add_message(db, actor=room.student, session_id=session.id, content="How are you?")
        add_reply(db, session_id=session.id, content="Tired, mostly.")
        session_service.end_session(db, actor=room.student, session_id=session.id)
        review_service.create_demo_review(db, actor=room.student, session_id=session.id)
        review = review_service.get_review(db, actor=admin, session_id=session.id)
        edits = review.content.model_dump(exclude={"demo"})
        edits["scores"] = [
            {"criterion": key, "turns": [1], "reasoning": "Admin's rating.", "score": 4}
            for key in builtin_criteria()
        ]
        teacher_review_service.save_teacher_review(
            db, actor=admin, session_id=session.id, edits=TeacherEdits.model_validate(edits)
        )
        review_service.release_review(db, actor=admin, session_id=session.id)
    assert _move(source, target, room.teacher.username).rows["session_reviews"] == 1
    # The admin's edits travel with the course; the admin's account does not.
    assert _admins(target) == 0
    with unit_of_work(target, write=False) as db:
        (moved,) = db.scalars(select(SessionReview)).all()
        assert moved.teacher_content["scores"][0]["reasoning"] == "Admin's rating."
        assert moved.teacher_released_at is not None and moved.reviewed_by_id is None


def test_a_client_an_admin_made_for_the_course_moves_as_the_teachers(databases):
    """An admin wrote a client and put it in the teacher's assignment (admins may). The course
    moves, and the client comes with it, owned by the course's teacher: a course file creates no
    admin account to own it."""
    source, target = databases
    with unit_of_work(source) as db:
        room = make_classroom(db)
        admin = make_user(db, role=Role.admin)
        theirs = make_client(db, teacher=admin, name="Admin's Client")
        make_assignment(db, teacher=admin, section=room.section, clients=[theirs], title="Week 2")
    _move(source, target, room.teacher.username)
    assert _admins(target) == 0
    with unit_of_work(target, write=False) as db:
        teacher = db.scalar(select(User).where(User.username == room.teacher.username))
        owners = dict(db.execute(select(ClientProfile.name, ClientProfile.owner_id)).all())
    assert owners == {room.client.name: teacher.id, "Admin's Client": teacher.id}


def test_a_drill_set_an_admin_gave_the_section_moves_with_the_course(databases):
    """An admin makes a drill set and assigns it to a teacher's section (admins may); a student
    does it. The export kept only sets the teacher owns, so the set, its assignment and the
    student's attempts were left out of the file without a word: after the import the section's
    results showed no drill work. The set travels as the teacher's, with the attempts."""
    source, target = databases
    with unit_of_work(source) as db:
        room = make_classroom(db)
        admin = make_user(db, role=Role.admin)
        drill_set = drill_service.create_set(db, actor=admin, title="Reflections for all")
        keys = [item.key for item in bank_items(DrillSkill.reflect)[:5]]
        drill_set = drill_service.add_bank_items(db, actor=admin, set_id=drill_set.id, keys=keys)
        drill_service.assign_set(db, actor=admin, set_id=drill_set.id, section_id=room.section.id)
        item = drill_set.items[0]
        for reply in ("Do you feel tired?", item.model_answer):
            attempt_service.answer_item(
                db, actor=room.student, set_id=drill_set.id, item_id=item.id, reply=reply
            )

    def results(engine) -> list[tuple[int, int]]:
        with unit_of_work(engine, write=False) as db:
            rows = results_service.section_results(
                db, actor=room.teacher, section_id=room.section.id
            )
            return [(row.attempts, row.hits) for row in rows]

    assert results(source) == [(2, 1)]
    summary = _move(source, target, room.teacher.username)
    assert (summary.rows.get("drill_sets"), summary.rows.get("drill_attempts")) == (1, 2)
    assert results(target) == [(2, 1)]
