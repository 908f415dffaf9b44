"""Forms that follow what is stored are filled again after a visit to another page, never left
empty to be saved as such (an attack on the day's fixes, 2026-12-07)."""

from __future__ import annotations

from backend.classes import assignment_service, section_service
from backend.db import unit_of_work
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app
from tests.factories import make_assignment, make_client, make_section


def _stored_assignment(app_db, teacher, assignment_id):
    with unit_of_work(app_db, write=False) as db:
        return assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment_id)


def test_section_settings_still_show_the_section_after_a_visit_to_another_page(
    app, app_db, teacher
):
    """The teacher opens Sections & assignments (settings: 'Skills 101', 12 seats; card: Alex),
    goes to Clients, comes back. Streamlit forgot the form's widgets while the page was closed;
    `ui.follow_stored` takes their absence for typing and does not fill them again, so the form
    shows an empty name and no seat limit, and the card no client. (An attack on the day's fixes, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        section_service.update_section(
            db, actor=teacher, section_id=section.id, name="Skills 101", seat_limit=12
        )
        week = make_assignment(db, teacher=teacher, section=section, clients=[alex], title="Week 1")
    at = open_page(teacher_app(app), "Sections & assignments")
    assert at.text_input(key=f"edit_section_name_{section.id}").value == "Skills 101"
    assert at.number_input(key=f"edit_seat_limit_{section.id}").value == 12
    assert at.multiselect(key=f"assignment_clients_{week.id}").value == [alex.id]

    at = open_page(at, "Clients")
    at = open_page(at, "Sections & assignments")
    assert_clean(at)
    shown = (
        at.text_input(key=f"edit_section_name_{section.id}").value,
        at.number_input(key=f"edit_seat_limit_{section.id}").value,
        at.multiselect(key=f"assignment_clients_{week.id}").value,
        at.text_input(key=f"assignment_title_{week.id}").value,
    )
    assert shown == ("Skills 101", 12, [alex.id], "Week 1"), (
        f"after a visit to Clients the forms show {shown!r}, not the stored section and assignment"
    )


def test_save_settings_after_a_visit_to_another_page_keeps_the_seat_limit(app, app_db, teacher):
    """The same visit; the teacher retypes the name the form lost, sets a code expiry and presses
    Save settings: the seat limit the form no longer shows is cleared without a word (the save
    is not refused: `started_from` still matches what is stored). (An attack on the day's fixes, 2026-12-07.)"""
    from datetime import date, timedelta

    with unit_of_work(app_db) as db:
        section = make_section(db, teacher=teacher, name="Skills 101")
        section_service.update_section(
            db, actor=teacher, section_id=section.id, name="Skills 101", seat_limit=12
        )
    at = open_page(teacher_app(app), "Sections & assignments")
    at = open_page(at, "Clients")
    at = open_page(at, "Sections & assignments")
    at.text_input(key=f"edit_section_name_{section.id}").input("Skills 101")
    at.date_input(key=f"edit_code_expires_{section.id}").set_value(
        date.today() + timedelta(days=30)
    )
    at.button(key=f"save_section_{section.id}").click().run()
    with unit_of_work(app_db, write=False) as db:
        stored = section_service.get_owned_section(db, teacher, section.id)
        name, seats = stored.name, stored.seat_limit
    assert (name, seats) == ("Skills 101", 12), (
        f"stored now {name!r}, seat limit {seats!r}; the page said: {everything(at)[:300]}"
    )


def test_publish_after_a_visit_to_another_page_keeps_the_assignments_clients(app, app_db, teacher):
    """A draft with Alex. The teacher visits Clients, comes back and presses Publish: the card,
    emptied by the visit, is stored as "the clients chosen" - Alex is taken off the draft and the
    publish is refused for having no client. (An attack on the day's fixes, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(
            db, teacher=teacher, section=section, clients=[alex], title="Week 1", published=False
        )
    at = open_page(teacher_app(app), "Sections & assignments")
    at = open_page(at, "Clients")
    at = open_page(at, "Sections & assignments")
    at.button(key=f"publish_assignment_{week.id}").click().run()
    if f"publish_anyway_{week.id}" in [button.key for button in at.button]:
        at.button(key=f"publish_anyway_{week.id}").click().run()
    stored = _stored_assignment(app_db, teacher, week.id)
    assert stored.client_ids == [alex.id] and stored.status.value == "published", (
        f"Publish after a visit to Clients stored clients {stored.client_ids}, status "
        f"{stored.status.value}; the page said: {everything(at)[:300]}"
    )
