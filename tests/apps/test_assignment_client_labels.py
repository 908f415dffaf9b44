"""An assignment's clients as its teacher reads them on Sections & assignments: a colleague's
client an admin added showed as "client 7 (archived)", though it was neither archived nor
unknown (an attack noticed it, 2026-12-06)."""

from __future__ import annotations

from backend.classes import assignment_service
from backend.classes.read_models import AssignmentInput
from backend.clients import client_service
from backend.db import unit_of_work
from backend.models.enums import Role
from tests.apps.helpers import assert_clean, open_page, teacher_app
from tests.factories import make_assignment, make_client, make_section, make_user


def test_each_client_of_an_assignment_shows_by_name_and_archived_only_when_it_is(app, app_db):
    with unit_of_work(app_db) as db:
        admin = make_user(db, role=Role.admin)
        colleague = make_user(db, role=Role.teacher)
        teacher = make_user(db, role=Role.teacher, username="tia.teacher")
        shared = make_client(db, teacher=colleague, name="Sam Shared")
        own = make_client(db, teacher=teacher, name="Olive Own")
        retired = make_client(db, teacher=teacher, name="Rita Retired")
        section = make_section(db, teacher=teacher)
        assignment = make_assignment(db, teacher=teacher, section=section, clients=[own, retired])
        assignment_service.update_assignment(
            db,
            actor=admin,
            assignment_id=assignment.id,
            data=AssignmentInput(
                title=assignment.title, client_ids=[own.id, retired.id, shared.id]
            ),
        )
        client_service.set_archived(db, actor=teacher, client_id=retired.id, archived=True)
    at = open_page(teacher_app(app, teacher.username), "Sections & assignments")
    assert_clean(at)
    chosen = at.multiselect(key=f"assignment_clients_{assignment.id}")
    shown = set(chosen.options)
    assert {"Olive Own", "Rita Retired (archived)", "Sam Shared"} <= shown, shown
