"""Sections & assignments: a teacher corrects an assignment's title, instructions and due date
after creating it, and can take the due date away (an attack, 2026-12-07: a wrong due date
stayed for good, as nothing on the page could change it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from backend.classes import assignment_service
from backend.db import unit_of_work
from backend.models import Assignment
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app
from tests.factories import make_assignment, make_client, make_section


def _week(app_db, teacher):
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(db, teacher=teacher, section=section, clients=[alex], title="Wek 1")
        assignment_service.update_assignment(
            db,
            actor=teacher,
            assignment_id=week.id,
            data=assignment_service.AssignmentInput(
                title="Wek 1",
                client_ids=[alex.id],
                due_at=datetime.now(UTC) + timedelta(days=2),
            ),
        )
    return week


def _stored(app_db, teacher, week):
    with unit_of_work(app_db, write=False) as db:
        return assignment_service.get_assignment(db, actor=teacher, assignment_id=week.id)


def test_a_teacher_corrects_the_title_instructions_and_due_date(app, app_db, teacher):
    """A typo in the title and a due date a week too early: the teacher fixes both on the card.
    (An attack, 2026-12-07.)"""
    week = _week(app_db, teacher)
    later = date.today() + timedelta(days=9)
    at = open_page(teacher_app(app), "Sections & assignments")
    assert_clean(at)
    at.text_input(key=f"assignment_title_{week.id}").input("Week 1")
    at.text_area(key=f"assignment_instructions_{week.id}").input("Open with a reflection.")
    at.date_input(key=f"assignment_due_{week.id}").set_value(later)
    at.button(key=f"save_assignment_details_{week.id}").click().run()
    assert_clean(at)
    assert "Saved “Week 1”" in everything(at)
    stored = _stored(app_db, teacher, week)
    assert (stored.title, stored.instructions) == ("Week 1", "Open with a reflection.")
    assert stored.due_at is not None and stored.due_at.date() == later
    assert stored.client_ids and stored.status.value == "published"  # nothing else changed


def test_a_teacher_takes_the_due_date_away(app, app_db, teacher):
    """(An attack, 2026-12-07.)"""
    week = _week(app_db, teacher)
    at = open_page(teacher_app(app), "Sections & assignments")
    at.date_input(key=f"assignment_due_{week.id}").set_value(None)
    at.button(key=f"save_assignment_details_{week.id}").click().run()
    assert_clean(at)
    assert _stored(app_db, teacher, week).due_at is None


def test_an_empty_title_is_refused_and_nothing_changes(app, app_db, teacher):
    """(An attack, 2026-12-07.)"""
    week = _week(app_db, teacher)
    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_input(key=f"assignment_title_{week.id}").input("  ")
    at.button(key=f"save_assignment_details_{week.id}").click().run()
    assert "Give the assignment a title." in everything(at)
    assert _stored(app_db, teacher, week).title == "Wek 1"


def test_a_save_over_details_another_tab_changed_meanwhile_is_refused_and_shows_them(
    app, app_db, teacher
):
    """The teacher types new instructions in one tab while the title is corrected in another:
    the first tab's Save is refused and its form shows what is stored, rather than putting the
    old title back unseen. (An attack on the day's fixes, 2026-12-07.)"""
    week = _week(app_db, teacher)
    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_area(key=f"assignment_instructions_{week.id}").input("Open with a reflection.")
    with unit_of_work(app_db) as db:  # the other tab
        current = assignment_service.get_assignment(db, actor=teacher, assignment_id=week.id)
        assignment_service.update_details(
            db,
            actor=teacher,
            assignment_id=week.id,
            title="Week 1",
            instructions=current.instructions,
            due_at=current.due_at,
        )
    at.button(key=f"save_assignment_details_{week.id}").click().run()
    assert_clean(at)
    assert "changed elsewhere since you opened them" in everything(at)
    assert at.text_input(key=f"assignment_title_{week.id}").value == "Week 1"
    assert _stored(app_db, teacher, week).title == "Week 1"


def _due_at(app_db, teacher, due_at: datetime):
    """An assignment stored due at an instant that is not the form's end of day: made before
    the form stored 23:59:59.999999 (it stored 23:59:00), imported from such a course file, or
    made through the service."""
    week = _week(app_db, teacher)
    with unit_of_work(app_db) as db:
        db.execute(update(Assignment).where(Assignment.id == week.id).values(due_at=due_at))
    return week


def test_correcting_only_the_title_of_an_overdue_assignment_is_saved(app, app_db, teacher):
    """Due yesterday at 23:59:00: a typo fixed in the title, the due date left as the card shows
    it, had been refused with "Choose a due date in the future" (the form sends the day's end,
    not the stored instant). (A review of the day's fixes, 2026-12-07.)"""
    yesterday = datetime.now(UTC).replace(hour=23, minute=59, second=0, microsecond=0)
    week = _due_at(app_db, teacher, yesterday - timedelta(days=1))
    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_input(key=f"assignment_title_{week.id}").input("Week 1")
    at.button(key=f"save_assignment_details_{week.id}").click().run()
    assert "Choose a due date in the future" not in everything(at)
    stored = _stored(app_db, teacher, week)
    assert (stored.title, stored.due_at) == ("Week 1", yesterday - timedelta(days=1))


def test_correcting_only_the_title_keeps_the_due_time(app, app_db, teacher):
    """Due in three days at 09:00 UTC: a title fix alone had moved the due instant to the end of
    that day, 15 hours later, without a word. (A review of the day's fixes, 2026-12-07.)"""
    due = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    week = _due_at(app_db, teacher, due)
    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_input(key=f"assignment_title_{week.id}").input("Week 1")
    at.button(key=f"save_assignment_details_{week.id}").click().run()
    assert_clean(at)
    stored = _stored(app_db, teacher, week)
    assert (stored.title, stored.due_at) == ("Week 1", due)
