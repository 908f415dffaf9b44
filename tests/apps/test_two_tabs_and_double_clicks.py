"""Two tabs, double clicks and a log-in ending mid-edit: a stale tab never undoes another tab's
save unseen, a double click creates one thing, and a Save the log-in's end stopped says so (an
attack, 2026-12-07)."""

from __future__ import annotations

from datetime import date, timedelta

from streamlit.testing.v1 import AppTest

from backend.classes import assignment_service, section_service
from backend.db import unit_of_work
from tests.apps.helpers import APP_PATH, assert_clean, everything, open_page, teacher_app, texts
from tests.factories import make_assignment, make_client, make_section


def _second_tab():
    return AppTest.from_file(APP_PATH, default_timeout=30)


def _warned(at) -> bool:
    said = " ".join(texts(at, "warning") + texts(at, "error")).lower()
    return "someone else" in said or "changed" in said or "another tab" in said


def _stored_assignment(app_db, teacher, assignment_id):
    with unit_of_work(app_db, write=False) as db:
        return assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment_id)


def test_publish_in_a_stale_tab_does_not_silently_take_away_a_client_another_tab_saved(
    app, app_db, teacher
):
    """Tab A shows a draft assignment with Alex. Tab B adds Blake and presses *Save clients*
    ("Saved the clients of ..."). Tab A, never touching the clients box, presses *Publish*:
    Publish first stores "the clients the card shows chosen" - tab A's stale [Alex] - so Blake is
    taken off the assignment without a word, and students never see Blake. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        blake = make_client(db, teacher=teacher, name="Blake Chen")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(
            db, teacher=teacher, section=section, clients=[alex], title="Week 1", published=False
        )
    key = f"assignment_clients_{week.id}"
    tab_a = open_page(teacher_app(app), "Sections & assignments")
    assert tab_a.multiselect(key=key).value == [alex.id]

    tab_b = open_page(teacher_app(_second_tab()), "Sections & assignments")
    tab_b.multiselect(key=key).select(blake.id)
    tab_b.run()
    tab_b.button(key=f"save_assignment_clients_{week.id}").click().run()
    assert_clean(tab_b)
    assert _stored_assignment(app_db, teacher, week.id).client_ids == sorted([alex.id, blake.id])

    tab_a.button(key=f"publish_assignment_{week.id}").click().run()
    assert_clean(tab_a)
    if f"publish_anyway_{week.id}" in [button.key for button in tab_a.button]:
        tab_a.button(key=f"publish_anyway_{week.id}").click().run()  # unchecked clients: asked
        assert_clean(tab_a)

    stored = _stored_assignment(app_db, teacher, week.id)
    assert blake.id in stored.client_ids or _warned(tab_a), (
        f"tab A's Publish silently removed the client tab B saved: stored {stored.client_ids}; "
        f"tab A said: {everything(tab_a)[:300]}"
    )


def test_save_clients_in_a_stale_tab_does_not_silently_undo_another_tabs_clients(
    app, app_db, teacher
):
    """The same through *Save clients*: tab A adds Casey to the [Alex] it loaded, tab B had
    added Blake; A's save stores [Alex, Casey], dropping Blake unseen. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        blake = make_client(db, teacher=teacher, name="Blake Chen")
        casey = make_client(db, teacher=teacher, name="Casey Diaz")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(db, teacher=teacher, section=section, clients=[alex], title="Week 1")
    key = f"assignment_clients_{week.id}"
    tab_a = open_page(teacher_app(app), "Sections & assignments")

    tab_b = open_page(teacher_app(_second_tab()), "Sections & assignments")
    tab_b.multiselect(key=key).select(blake.id)
    tab_b.run()
    tab_b.button(key=f"save_assignment_clients_{week.id}").click().run()
    assert_clean(tab_b)

    tab_a.multiselect(key=key).select(casey.id)
    tab_a.run()
    tab_a.button(key=f"save_assignment_clients_{week.id}").click().run()
    assert_clean(tab_a)

    stored = _stored_assignment(app_db, teacher, week.id)
    assert blake.id in stored.client_ids or _warned(tab_a), (
        f"tab A's Save clients silently removed Blake: stored {stored.client_ids}; "
        f"tab A said: {everything(tab_a)[:300]}"
    )


def test_a_stale_tabs_title_fix_does_not_silently_undo_another_tabs_due_date(app, app_db, teacher):
    """Tab B moves the due date and saves; tab A (opened before) fixes a typo in the title and
    saves: its form still holds the old (empty) due date, which is written back unseen. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(db, teacher=teacher, section=section, clients=[alex], title="Wek 1")
    later = date.today() + timedelta(days=9)
    tab_a = open_page(teacher_app(app), "Sections & assignments")

    tab_b = open_page(teacher_app(_second_tab()), "Sections & assignments")
    tab_b.date_input(key=f"assignment_due_{week.id}").set_value(later)
    tab_b.button(key=f"save_assignment_details_{week.id}").click().run()
    assert_clean(tab_b)
    assert _stored_assignment(app_db, teacher, week.id).due_at.date() == later

    tab_a.text_input(key=f"assignment_title_{week.id}").input("Week 1")
    tab_a.button(key=f"save_assignment_details_{week.id}").click().run()
    assert_clean(tab_a)

    stored = _stored_assignment(app_db, teacher, week.id)
    assert (stored.due_at is not None and stored.due_at.date() == later) or _warned(tab_a), (
        f"tab A's title fix silently removed the due date tab B saved (now {stored.due_at}); "
        f"tab A said: {everything(tab_a)[:300]}"
    )


def test_a_stale_tabs_section_rename_does_not_silently_undo_another_tabs_seat_limit(
    app, app_db, teacher
):
    """Tab B sets a seat limit of 12 on the section; tab A (opened before) renames the section:
    its settings form still holds "no limit", which is written back unseen - the section is
    open to any number of students again. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        section = make_section(db, teacher=teacher, name="Skills 101")
    tab_a = open_page(teacher_app(app), "Sections & assignments")
    assert tab_a.number_input(key=f"edit_seat_limit_{section.id}").value is None

    tab_b = open_page(teacher_app(_second_tab()), "Sections & assignments")
    tab_b.number_input(key=f"edit_seat_limit_{section.id}").set_value(12)
    tab_b.button(key=f"save_section_{section.id}").click().run()
    assert_clean(tab_b)

    tab_a.text_input(key=f"edit_section_name_{section.id}").input("Skills 101, spring")
    tab_a.button(key=f"save_section_{section.id}").click().run()
    assert_clean(tab_a)

    with unit_of_work(app_db, write=False) as db:
        stored = next(
            s for s in section_service.list_sections(db, actor=teacher) if s.id == section.id
        )
    assert stored.seat_limit == 12 or _warned(tab_a), (
        f"tab A's rename silently removed the seat limit tab B saved (now {stored.seat_limit}); "
        f"tab A said: {everything(tab_a)[:300]}"
    )


# Double clicks on buttons that create things ---------------------------------------------------
# A double click sends the press twice, each with the form as the browser holds it (the first
# run's emptied fields have not reached the browser yet): played here as the same words entered
# again and the button pressed again. Nothing on the page deletes a section, an assignment or a
# drill set, so a second one made this way stays for good.


def test_a_double_click_on_create_section_makes_one_section(app, app_db, teacher):
    """(An attack, 2026-12-07.)"""
    at = open_page(teacher_app(app), "Sections & assignments")
    for _press in range(2):
        at.text_input(key="section_name").input("Skills 101")
        at.button(key="create_section").click().run()
        assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        made = [
            s for s in section_service.list_sections(db, actor=teacher) if s.name == "Skills 101"
        ]
    assert len(made) == 1 or "already" in everything(at).lower(), (
        f"a double click on Create section made {len(made)} sections named Skills 101, each with "
        f"its own join code ({', '.join(s.join_code for s in made)}), and nothing said so"
    )


def test_a_double_click_on_create_assignment_makes_one_draft(app, app_db, teacher):
    """(An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
    at = open_page(teacher_app(app), "Sections & assignments")
    for _press in range(2):
        at.text_input(key="assignment_title").input("Week 2: reflections")
        at.multiselect(key="assignment_clients").select(alex.id)
        at.button(key="create_assignment").click().run()
        assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        made = [
            a
            for a in assignment_service.list_assignments(db, actor=teacher, section_id=section.id)
            if a.title == "Week 2: reflections"
        ]
    assert len(made) == 1 or "already" in everything(at).lower(), (
        f"a double click on Create assignment made {len(made)} drafts “Week 2: reflections”, "
        "and nothing said so"
    )


def test_a_double_click_on_create_drill_set_makes_one_set(app, app_db, teacher):
    """(An attack, 2026-12-07.)"""
    from backend.drills import drill_service

    at = open_page(teacher_app(app), "Drill sets")
    for _press in range(2):
        at.text_input(key="drill_title").input("Week 3: reflections")
        at.button(key="create_drill_set").click().run()
        assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        made = [
            s
            for s in drill_service.list_sets(db, actor=teacher)
            if s.title == "Week 3: reflections"
        ]
    assert len(made) == 1 or "already" in everything(at).lower(), (
        f"a double click on Create set made {len(made)} drill sets “Week 3: reflections”, "
        "and nothing said so"
    )


# A log-in that ends while the teacher edits ---------------------------------------------------


def test_a_teacher_whose_log_in_ended_is_told_the_client_was_not_saved(app, app_db, teacher):
    """A teacher edits a client for a long while; their log-in runs out (or they changed their
    password in another tab) and they press Save. The log-in screen says only that the log-in
    ended: the edit seems saved, and is simply missing after logging in again. A student's chat
    message in the same case is said not sent (test_login_ended_mid_message.py). (An attack, 2026-12-07.)"""
    from datetime import timedelta

    from sqlalchemy import update

    from backend.clients import client_service
    from backend.models import LoginSession
    from backend.models.base import utcnow

    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key=f"edit_client_{client.id}").click().run()
    at.text_input(key="client_occupation").input("Head barista at a busy cafe")
    with unit_of_work(app_db) as db:
        db.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    at.button(key="save_client").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_db, write=False) as db:
        stored = client_service.get_client(db, actor=teacher, client_id=client.id)
    assert stored.occupation != "Head barista at a busy cafe"
    said = " ".join(texts(at, "warning") + texts(at, "error") + texts(at, "info"))
    assert "expired" in said.lower(), said
    assert "not saved" in said.lower() or "were not" in said.lower(), (
        "the log-in screen does not say the client's changes were not saved; it said: " + said
    )
