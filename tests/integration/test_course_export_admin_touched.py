"""(An attack, 2026-12-06.) a course an admin has touched (a review the admin edited and released) cannot be
moved with export/import at all."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from backend.db import create_db_engine, unit_of_work
from backend.models import ClientProfile, SessionReview, User
from backend.models.enums import Role
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


def test_a_course_whose_review_an_admin_edited_imports(fresh_database, tmp_path):
    """What happens: an admin edits and releases a student's review (the policy lets admins edit
    and release reviews). `export` then writes the admin's account into the course file (it is
    named by session_reviews.reviewed_by_id), and `import` refuses the whole file: "a course file
    holds only teachers and students". What should happen: the course the app itself exported
    imports (the admin's reference dropped or the admin left out), as the README promises.
    Why it matters: the operator's only way to move or archive a course fails for any course an
    admin helped with, and the error tells them the file was forged."""
    source = create_db_engine(fresh_database("sqlite", tmp_path))
    target = create_db_engine(fresh_database("sqlite", tmp_path))
    try:
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
        out = io.StringIO()
        with unit_of_work(source, write=False) as db:
            backup_service.export_course(db, out, teacher_username=room.teacher.username)
        with unit_of_work(target) as db:
            try:
                summary = backup_service.import_course(db, io.StringIO(out.getvalue()))
            except backup_service.BadCourseFile as refused:
                pytest.fail(f"The app's own export of the course is refused: {refused.message}")
        assert summary.rows["session_reviews"] == 1
        with unit_of_work(target, write=False) as db:
            # The admin's edits travel with the course; the admin's account does not.
            assert db.scalar(select(func.count()).where(User.role == Role.admin)) == 0
            (moved,) = db.scalars(select(SessionReview)).all()
            assert moved.teacher_content["scores"][0]["reasoning"] == "Admin's rating."
            assert moved.teacher_released_at is not None and moved.reviewed_by_id is None
    finally:
        source.dispose()
        target.dispose()


def test_a_client_an_admin_made_for_the_course_moves_as_the_teachers(fresh_database, tmp_path):
    """An admin wrote a client and put it in the teacher's assignment (admins may). The course
    moves, and the client comes with it, owned by the course's teacher: a course file creates no
    admin account to own it."""
    source = create_db_engine(fresh_database("sqlite", tmp_path))
    target = create_db_engine(fresh_database("sqlite", tmp_path))
    try:
        with unit_of_work(source) as db:
            room = make_classroom(db)
            admin = make_user(db, role=Role.admin)
            theirs = make_client(db, teacher=admin, name="Admin's Client")
            make_assignment(
                db, teacher=admin, section=room.section, clients=[theirs], title="Week 2"
            )
        out = io.StringIO()
        with unit_of_work(source, write=False) as db:
            backup_service.export_course(db, out, teacher_username=room.teacher.username)
        with unit_of_work(target) as db:
            backup_service.import_course(db, io.StringIO(out.getvalue()))
        with unit_of_work(target, write=False) as db:
            teacher = db.scalar(select(User).where(User.username == room.teacher.username))
            owners = dict(db.execute(select(ClientProfile.name, ClientProfile.owner_id)).all())
            assert owners == {room.client.name: teacher.id, "Admin's Client": teacher.id}
            assert db.scalar(select(func.count()).where(User.role == Role.admin)) == 0
    finally:
        source.dispose()
        target.dispose()
