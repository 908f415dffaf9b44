"""Every read and write of every service, tried as each kind of caller.

Callers: the session's owner (an enrolled student), another student (not in the section), another
teacher, the section's teacher (who also owns the client), an admin, and nobody (not logged in).
Each call runs in a savepoint that is rolled back, so every cell starts from the same world.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from backend.errors import NotFoundError, PermissionDeniedError
from backend.models import Rubric, SessionReview
from backend.models.enums import Role
from backend.models.review import ReviewSource
from backend.schemas.accounts import UserRead
from backend.schemas.sections import AssignmentInput
from backend.services import (
    account_service,
    agreement_service,
    assignment_service,
    check_service,
    client_service,
    event_service,
    progress_service,
    review_service,
    rubric_service,
    section_service,
    session_service,
    student_access_service,
    teacher_review_service,
)
from tests.factories import (
    PASSWORD,
    builtin_criteria,
    client_input,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

ACTORS = ("owner", "other_student", "other_teacher", "section_teacher", "admin", "nobody")


@dataclass
class World:
    users: dict[str, UserRead | None]
    client_id: int
    spare_client_id: int
    section_id: int
    spare_section_code: str
    assignment_id: int
    session_id: int


@pytest.fixture
def world(db) -> World:
    teacher = make_user(db, role=Role.teacher, username="section.teacher")
    owner = make_user(db, role=Role.student, username="owner.student")
    users = {
        "owner": owner,
        "other_student": make_user(db, role=Role.student, username="other.student"),
        "other_teacher": make_user(db, role=Role.teacher, username="other.teacher"),
        "section_teacher": teacher,
        "admin": make_user(db, role=Role.admin, username="the.admin"),
        "nobody": None,
    }
    client = make_client(db, teacher=teacher)
    spare = make_client(db, teacher=teacher, name="Spare client")
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=owner)
    assignment = make_assignment(db, teacher=teacher, section=section, clients=[client, spare])
    session = session_service.create_session(db, actor=owner, client_id=client.id)
    session_service.add_message(
        db, actor=owner, session_id=session.id, content="Hi, I'm your counselor today."
    )
    spare_section = make_section(db, teacher=teacher, name="Spare section")
    return World(
        users, client.id, spare.id, section.id, spare_section.join_code, assignment.id, session.id
    )


def _outcome(db, call, actor) -> str:
    savepoint = db.begin_nested()
    try:
        result = call(actor)
        outcome = "empty" if result == [] else "ok"
    except (PermissionDeniedError, NotFoundError):  # someone else's conversation reads as missing
        outcome = "denied"
    finally:
        savepoint.rollback()
    return outcome


def _ended(db, w: World) -> int:
    """The world's conversation, ended by its owner (inside the cell's savepoint)."""
    session_service.end_session(db, actor=w.users["owner"], session_id=w.session_id)
    return w.session_id


def _reviewed(db, w: World) -> int:
    """The world's conversation, ended and given its (demo) review by its owner."""
    review_service.create_demo_review(db, actor=w.users["owner"], session_id=_ended(db, w))
    return w.session_id


def _model_version(db, w: World) -> dict:
    """The world's review (as if the model had written it), as a teacher's edits start from."""
    row = db.query(SessionReview).filter_by(session_id=_reviewed(db, w)).one()
    row.source = ReviewSource.model
    # A short session's demo review has no ratings; the model's here rates every criterion.
    row.content = {
        **row.content,
        "scores": [
            {"criterion": key, "turns": [1], "reasoning": "Rated.", "score": 3}
            for key in builtin_criteria()
        ],
    }
    db.flush()
    return {key: value for key, value in row.content.items() if key != "demo"}


def _teacher_reviewed(db, w: World) -> int:
    """The world's model review with a version saved by the section's teacher."""
    teacher_review_service.save_teacher_review(
        db, actor=w.users["section_teacher"], session_id=w.session_id, edits=_model_version(db, w)
    )
    return w.session_id


def _builtin_id(db) -> int:
    rubric_service.seed_builtin_rubrics(db)
    return db.scalar(select(Rubric.id).where(Rubric.owner_id.is_(None)).limit(1))


# name -> (call(db, world, actor), the callers who may do it). Anyone else is denied (or, for
# list reads filtered by permission, gets an empty list).
def _operations():
    return {
        # Reads
        "get_session": (
            lambda db, w, a: session_service.get_session(db, actor=a, session_id=w.session_id),
            {"owner", "section_teacher", "admin"},
        ),
        "get_messages": (
            lambda db, w, a: session_service.get_messages(db, actor=a, session_id=w.session_id),
            {"owner", "section_teacher", "admin"},
        ),
        "get_student_sessions": (
            lambda db, w, a: session_service.get_student_sessions(
                db, actor=a, student_id=w.users["owner"].id
            ),
            {"owner", "section_teacher", "admin"},
        ),
        "get_active_session": (
            lambda db, w, a: session_service.get_active_session(db, actor=a, client_id=w.client_id),
            set(ACTORS) - {"nobody"},
        ),
        "get_client_full": (
            lambda db, w, a: client_service.get_client(db, actor=a, client_id=w.client_id),
            {"section_teacher", "admin"},
        ),
        "estimate_client_check": (
            lambda db, w, a: (
                check_service.estimate_check_cost(db, actor=a, client_id=w.client_id) or "ok"
            ),
            {"section_teacher", "admin"},
        ),
        "latest_scorecard": (
            lambda db, w, a: (
                check_service.latest_scorecard(db, actor=a, client_id=w.client_id) or "ok"
            ),
            {"section_teacher", "admin"},
        ),
        "previous_scorecard": (
            lambda db, w, a: (
                check_service.previous_scorecard(db, actor=a, client_id=w.client_id) or "ok"
            ),
            {"section_teacher", "admin"},
        ),
        "clients_needing_a_check": (
            lambda db, w, a: check_service.clients_needing_a_check(
                db, actor=a, assignment_id=w.assignment_id
            ),
            {"section_teacher", "admin"},
        ),
        "get_client_brief": (
            lambda db, w, a: client_service.get_client_brief(db, actor=a, client_id=w.client_id),
            {"owner", "section_teacher", "admin"},
        ),
        "list_clients": (
            lambda db, w, a: [
                c for c in client_service.list_clients(db, actor=a) if c.id == w.client_id
            ],
            {"section_teacher", "admin"},
        ),
        "list_available_clients": (
            lambda db, w, a: student_access_service.list_available_clients(db, actor=a),
            {"owner"},
        ),
        "get_roster": (
            lambda db, w, a: section_service.get_roster(db, actor=a, section_id=w.section_id),
            {"section_teacher", "admin"},
        ),
        "list_sections": (
            lambda db, w, a: [
                s for s in section_service.list_sections(db, actor=a) if s.id == w.section_id
            ],
            {"owner", "section_teacher", "admin"},
        ),
        "get_assignment": (
            lambda db, w, a: assignment_service.get_assignment(
                db, actor=a, assignment_id=w.assignment_id
            ),
            {"section_teacher", "admin"},
        ),
        "list_assignments": (
            lambda db, w, a: assignment_service.list_assignments(
                db, actor=a, section_id=w.section_id
            ),
            {"section_teacher", "admin"},
        ),
        "get_user": (
            lambda db, w, a: account_service.get_user(db, actor=a, user_id=w.users["owner"].id),
            {"owner", "admin"},
        ),
        "list_users": (lambda db, w, a: account_service.list_users(db, actor=a), {"admin"}),
        "list_events": (
            lambda db, w, a: event_service.list_events(db, actor=a) or ["ok"],
            {"admin"},
        ),
        "get_review": (
            lambda db, w, a: review_service.get_review(db, actor=a, session_id=_reviewed(db, w)),
            {"owner", "section_teacher", "admin"},
        ),
        "student_progress": (
            lambda db, w, a: (
                _reviewed(db, w)
                and progress_service.student_progress(
                    db, actor=a, student_id=w.users["owner"].id
                ).points
            ),
            {"owner", "section_teacher", "admin"},
        ),
        "class_progress": (
            lambda db, w, a: (
                _reviewed(db, w)
                and progress_service.class_progress(db, actor=a, section_id=w.section_id).points
            ),
            {"section_teacher", "admin"},
        ),
        "gradebook_csv": (
            lambda db, w, a: progress_service.gradebook_csv(
                progress_service.class_progress(
                    db, actor=a, section_id=w.section_id, assignment_id=w.assignment_id
                )
            ),
            {"section_teacher", "admin"},
        ),
        "class_choices": (
            lambda db, w, a: [
                choice
                for choice in progress_service.class_choices(db, actor=a)
                if choice.id == w.section_id
            ],
            {"section_teacher", "admin"},
        ),
        "list_rubrics": (
            lambda db, w, a: rubric_service.list_rubrics(db, actor=a),
            {"other_teacher", "section_teacher", "admin"},
        ),
        # Writes
        "create_review": (
            lambda db, w, a: review_service.create_demo_review(
                db, actor=a, session_id=_ended(db, w)
            ),
            {"owner", "section_teacher", "admin"},
        ),
        "release_review": (
            lambda db, w, a: review_service.release_review(
                db, actor=a, session_id=_reviewed(db, w)
            ),
            {"section_teacher", "admin"},
        ),
        "save_teacher_review": (
            lambda db, w, a: teacher_review_service.save_teacher_review(
                db, actor=a, session_id=w.session_id, edits=_model_version(db, w)
            ),
            {"section_teacher", "admin"},
        ),
        "review_queue": (
            lambda db, w, a: [
                item
                for item in teacher_review_service.review_queue(
                    db, actor=a, include_unreviewed=_reviewed(db, w) > 0
                )
                if item.session_id == w.session_id
            ],
            {"section_teacher", "admin"},
        ),
        "review_agreement": (
            lambda db, w, a: _teacher_reviewed(db, w) and agreement_service.agreement(db, actor=a),
            {"section_teacher", "admin"},
        ),
        "copy_rubric": (
            lambda db, w, a: rubric_service.copy_rubric(db, actor=a, rubric_id=_builtin_id(db)),
            {"other_teacher", "section_teacher", "admin"},
        ),
        "set_assignment_rubric": (
            lambda db, w, a: (
                rubric_service.set_assignment_rubric(
                    db, actor=a, assignment_id=w.assignment_id, rubric_id=_builtin_id(db)
                )
                or "ok"
            ),
            {"section_teacher", "admin"},
        ),
        "set_section_rubric": (
            lambda db, w, a: (
                rubric_service.set_section_rubric(
                    db, actor=a, section_id=w.section_id, rubric_id=_builtin_id(db)
                )
                or "ok"
            ),
            {"section_teacher", "admin"},
        ),
        "add_message": (
            lambda db, w, a: session_service.add_message(
                db, actor=a, session_id=w.session_id, content="Hello?"
            ),
            {"owner"},
        ),
        "end_session": (
            lambda db, w, a: session_service.end_session(db, actor=a, session_id=w.session_id),
            {"owner", "admin"},
        ),
        "create_session": (
            lambda db, w, a: session_service.create_session(
                db, actor=a, client_id=w.spare_client_id
            ),
            {"owner", "section_teacher", "admin"},
        ),
        "create_client": (
            lambda db, w, a: client_service.create_client(db, actor=a, data=client_input()),
            {"other_teacher", "section_teacher", "admin"},
        ),
        "update_client": (
            lambda db, w, a: client_service.update_client(
                db, actor=a, client_id=w.client_id, data=client_input(name="Changed")
            ),
            {"section_teacher", "admin"},
        ),
        "archive_client": (
            lambda db, w, a: client_service.set_archived(
                db, actor=a, client_id=w.client_id, archived=True
            ),
            {"section_teacher", "admin"},
        ),
        "duplicate_client": (
            lambda db, w, a: client_service.duplicate_client(db, actor=a, client_id=w.client_id),
            {"section_teacher", "admin"},
        ),
        "export_clients": (
            lambda db, w, a: client_service.export_clients_json(
                db, actor=a, client_ids=[w.client_id]
            ),
            {"section_teacher", "admin"},
        ),
        "create_section": (
            lambda db, w, a: section_service.create_section(db, actor=a, name="New"),
            {"other_teacher", "section_teacher", "admin"},
        ),
        "regenerate_join_code": (
            lambda db, w, a: section_service.regenerate_join_code(
                db, actor=a, section_id=w.section_id
            ),
            {"section_teacher", "admin"},
        ),
        "update_section": (
            lambda db, w, a: section_service.update_section(
                db, actor=a, section_id=w.section_id, name="Renamed", seat_limit=40
            ),
            {"section_teacher", "admin"},
        ),
        "remove_student": (
            lambda db, w, a: section_service.remove_student(
                db, actor=a, section_id=w.section_id, student_id=w.users["owner"].id
            ),
            {"section_teacher", "admin"},
        ),
        "join_section": (
            lambda db, w, a: section_service.join_section(
                db, actor=a, join_code=w.spare_section_code
            ),
            {"owner", "other_student"},
        ),
        "create_assignment": (
            lambda db, w, a: assignment_service.create_assignment(
                db,
                actor=a,
                section_id=w.section_id,
                data=AssignmentInput(title="New", client_ids=[w.client_id]),
            ),
            {"section_teacher", "admin"},
        ),
        "update_assignment": (
            lambda db, w, a: assignment_service.update_assignment(
                db,
                actor=a,
                assignment_id=w.assignment_id,
                data=AssignmentInput(title="Renamed", client_ids=[w.client_id]),
            ),
            {"section_teacher", "admin"},
        ),
        "publish_assignment_unchecked": (
            lambda db, w, a: assignment_service.set_published(
                db, actor=a, assignment_id=w.assignment_id, published=True, confirm_unchecked=True
            ),
            {"section_teacher", "admin"},
        ),
        "unpublish_assignment": (
            lambda db, w, a: assignment_service.set_published(
                db, actor=a, assignment_id=w.assignment_id, published=False
            ),
            {"section_teacher", "admin"},
        ),
        "create_user": (
            lambda db, w, a: account_service.create_user(
                db,
                actor=a,
                username="brand.new",
                display_name="New",
                password=PASSWORD,
                role=Role.teacher,
            ),
            {"admin"},
        ),
        "reset_password": (
            lambda db, w, a: (
                account_service.reset_password(
                    db, actor=a, user_id=w.users["owner"].id, new_password="another password"
                )
                or "ok"
            ),
            {"admin"},
        ),
        "deactivate_user": (
            lambda db, w, a: account_service.set_active(
                db, actor=a, user_id=w.users["owner"].id, active=False
            ),
            {"admin"},
        ),
        "change_own_password": (
            lambda db, w, a: (
                account_service.change_password(
                    db, actor=a, current_password=PASSWORD, new_password="another password"
                )
                or "ok"
            ),
            set(ACTORS) - {"nobody"},
        ),
    }


@pytest.mark.parametrize("operation", sorted(_operations()))
def test_authorization_matrix(db, world, operation):
    call, allowed = _operations()[operation]
    outcomes = {
        name: _outcome(db, lambda a: call(db, world, a), world.users[name]) for name in ACTORS
    }
    expected = {name: "ok" if name in allowed else outcomes[name] for name in ACTORS}
    assert outcomes == expected, f"{operation}: {outcomes}"
    refused = {name: outcomes[name] for name in ACTORS if name not in allowed}
    assert all(outcome in {"denied", "empty"} for outcome in refused.values()), refused
    assert outcomes["nobody"] == "denied"
