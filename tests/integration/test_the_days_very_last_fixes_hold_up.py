"""The double-click guard on a new assignment compares every field, clients included (an attack
on the day's fixes, 2026-12-07)."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.classes import assignment_service
from backend.classes.read_models import AssignmentInput
from backend.db import unit_of_work
from backend.models import Assignment
from backend.models.enums import Role
from tests.factories import make_client, make_section, make_user


def test_two_assignments_of_one_title_for_two_clients_made_back_to_back_are_two(committed_engine):
    """The teacher creates "Role-play" for Alex (reviews at once), Create; the form clears; they
    type "Role-play" again, choose Dana and "After your review", Create, within ten seconds. The
    double click's guard (said to compare every field of the form) compares title, instructions
    and due date only: the second Create hands back Alex's draft ("Created the draft
    “Role-play”" all the same), and there is no draft for Dana. (An attack on the day's fixes, 2026-12-07.)"""
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        dana = make_client(db, teacher=teacher, name="Dana Lee")
        section = make_section(db, teacher=teacher)
    with unit_of_work(committed_engine) as db:
        first = assignment_service.create_assignment(
            db,
            actor=teacher,
            section_id=section.id,
            data=AssignmentInput(title="Role-play", client_ids=[alex.id]),
            once=True,
        )
    with unit_of_work(committed_engine) as db:
        second = assignment_service.create_assignment(
            db,
            actor=teacher,
            section_id=section.id,
            data=AssignmentInput(
                title="Role-play",
                client_ids=[dana.id],
                release_reviews="after_teacher_review",
                continuing_client=True,
            ),
            once=True,
        )
    with unit_of_work(committed_engine, write=False) as db:
        made = db.scalar(select(func.count()).select_from(Assignment))
    assert second.id != first.id and made == 2, (
        f"the second Create (Dana, after review, continuing) gave back draft {second.id} "
        f"of {made}: clients {second.client_ids if hasattr(second, 'client_ids') else '?'}"
    )
