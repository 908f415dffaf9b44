"""Sections & assignments: a teacher picks a client in an assignment's card and presses Publish:
the assignment is published as the card shows it (it was refused with "Attach at least one
client", the choice kept only by a separate "Save clients" that nothing pointed to)."""

from __future__ import annotations

from backend.classes import assignment_service
from backend.db import unit_of_work
from tests.apps.helpers import assert_clean, open_page, teacher_app, texts
from tests.factories import make_assignment, make_client, make_section


def test_publish_right_after_choosing_a_client_does_not_say_attach_one(app, app_db, teacher):
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(
            db, teacher=teacher, section=section, clients=[], title="Week 1", published=False
        )
    at = open_page(teacher_app(app), "Sections & assignments")
    at.multiselect(key=f"assignment_clients_{week.id}").select(alex.id)
    at.run()
    at.button(key=f"publish_assignment_{week.id}").click().run()
    assert_clean(at)
    assert at.multiselect(key=f"assignment_clients_{week.id}").value == [alex.id]
    assert "Attach at least one client before publishing." not in texts(at, "warning")
    # Alex was never checked: the page asks first, as for any client without a check.
    at.button(key=f"publish_anyway_{week.id}").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        stored = assignment_service.get_assignment(db, actor=teacher, assignment_id=week.id)
    assert (stored.status.value, stored.client_ids) == ("published", [alex.id])
