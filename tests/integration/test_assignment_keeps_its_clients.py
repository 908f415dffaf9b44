"""Saving an assignment re-checked every client already in it as the saver's own and not
archived, so a teacher was locked out of their own assignment (an attack, 2026-12-06): after an
admin added a colleague's client to it ("This client belongs to another teacher."), or once one
of its clients was archived. Only a client being added is checked now."""

from __future__ import annotations

import pytest

from backend.classes import assignment_service
from backend.classes.read_models import AssignmentInput
from backend.clients import client_service
from backend.db import unit_of_work
from backend.errors import PermissionDeniedError, ValidationError
from backend.models.enums import Role
from tests.factories import make_assignment, make_client, make_section, make_user


def _rename(db, teacher, assignment_id: int, title: str):
    current = assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment_id)
    return assignment_service.update_assignment(
        db,
        actor=teacher,
        assignment_id=assignment_id,
        data=AssignmentInput(title=title, client_ids=current.client_ids),
    )


def test_a_teacher_can_still_rename_their_assignment_after_an_admin_added_a_colleagues_client(
    committed_engine,
):
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
        teacher_a = make_user(db, role=Role.teacher)
        teacher_b = make_user(db, role=Role.teacher)
        shared = make_client(db, teacher=teacher_a, name="Shared client")
        own = make_client(db, teacher=teacher_b, name="B's client")
        section = make_section(db, teacher=teacher_b, name="B's section")
        assignment = make_assignment(db, teacher=teacher_b, section=section, clients=[own])
        assignment_service.update_assignment(
            db,
            actor=admin,
            assignment_id=assignment.id,
            data=AssignmentInput(title=assignment.title, client_ids=[own.id, shared.id]),
        )

    with unit_of_work(committed_engine) as db:
        renamed = _rename(db, teacher_b, assignment.id, "Week 2 interview")
    assert renamed.title == "Week 2 interview"
    assert sorted(renamed.client_ids) == sorted([own.id, shared.id])

    # Adding a colleague's client is still theirs to refuse, and nothing changes.
    other = None
    with unit_of_work(committed_engine) as db:
        other = make_client(db, teacher=teacher_a, name="Another of A's")
    with pytest.raises(PermissionDeniedError), unit_of_work(committed_engine) as db:
        assignment_service.update_assignment(
            db,
            actor=teacher_b,
            assignment_id=assignment.id,
            data=AssignmentInput(title="Week 3", client_ids=[own.id, shared.id, other.id]),
        )
    with unit_of_work(committed_engine, write=False) as db:
        kept = assignment_service.get_assignment(db, actor=teacher_b, assignment_id=assignment.id)
    assert kept.title == "Week 2 interview" and sorted(kept.client_ids) == sorted(
        [own.id, shared.id]
    )


def test_a_teacher_can_rename_an_assignment_one_of_whose_clients_they_archived(committed_engine):
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        kept = make_client(db, teacher=teacher, name="Kept")
        retired = make_client(db, teacher=teacher, name="Retired")
        section = make_section(db, teacher=teacher)
        assignment = make_assignment(db, teacher=teacher, section=section, clients=[kept, retired])
        client_service.set_archived(db, actor=teacher, client_id=retired.id, archived=True)

    with unit_of_work(committed_engine) as db:
        renamed = _rename(db, teacher, assignment.id, "Week 1, revised")
    assert renamed.title == "Week 1, revised"

    # Adding an archived client is still refused with what to do.
    with unit_of_work(committed_engine) as db:
        other = make_client(db, teacher=teacher, name="Also retired")
        client_service.set_archived(db, actor=teacher, client_id=other.id, archived=True)
    with pytest.raises(ValidationError, match="restore it"), unit_of_work(committed_engine) as db:
        assignment_service.update_assignment(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            data=AssignmentInput(title="x", client_ids=[*renamed.client_ids, other.id]),
        )
