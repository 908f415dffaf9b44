"""What an admin sees and does: a report cut short says so, resetting one's own password keeps one
logged in, and two people of one name practising now are told apart (an attack, 2026-12-07)."""

from __future__ import annotations

import pytest

from backend.db import unit_of_work
from backend.models import ProblemReport
from backend.models.enums import Role
from tests.apps.helpers import assert_clean, everything, log_in, open_page, texts
from tests.factories import make_user


@pytest.fixture
def admin(app_db):
    with unit_of_work(app_db) as db:
        return make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")


def admin_app(app):
    at = log_in(app.run(), "ada.admin")
    assert_clean(at)
    assert "Figures" in texts(at, "title")
    return at


def test_a_long_one_line_problem_report_is_shown_cut_short_with_an_ellipsis(app, app_db, admin):
    """A one-line report of 300 characters: its preview shows the first 80 and nothing says the
    rest is there (the ellipsis is added only when there is a second line). (An attack, 2026-12-07.)"""
    text = "The Figures page froze when I " + "x" * 270
    with unit_of_work(app_db) as db:
        student = make_user(db, role=Role.student)
        db.add(ProblemReport(user_id=student.id, page="Figures", text=text))
    at = admin_app(app)
    open_page(at, "Error log")
    assert_clean(at)
    labels = [e.label for e in at.main.expander if "froze" in e.label]
    assert labels, [e.label for e in at.main.expander]
    assert labels[0].rstrip().endswith("…"), labels[0]


def test_an_admin_who_resets_their_own_password_stays_logged_in(app, app_db, admin):
    """The Accounts page lets an admin choose themselves and Reset password; the notice says
    'their other log-ins were ended', but the admin's own log-in ends too and the next page says
    'An admin reset your password, so you were logged out'. (An attack, 2026-12-07.)"""
    at = admin_app(app)
    open_page(at, "Accounts")
    assert_clean(at)
    at.selectbox(key="manage_account").set_value("ada.admin").run()
    at.text_input(key="reset_password").input("a brand new password")
    at.button(key="reset_password_button").click().run()
    assert_clean(at)
    shown = everything(at)
    assert "An admin reset your password" not in shown, shown
    assert "Accounts" in texts(at, "title"), shown


def test_two_students_of_one_name_practising_now_are_told_apart(app, app_db, admin):
    """An admin creates two students, both "Sam Lee" (two real people; the Accounts form lets
    the name be shown twice). Both practise now: the Now tab's Active sessions lists two rows
    "Sam Lee" with nothing to tell whose is whose, where Breakdowns and Feedback tell namesakes
    apart by username. (An attack, 2026-12-07.)"""
    from backend.accounts import account_service
    from tests.factories import enroll, make_classroom, start_session

    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        for username in ("sam.lee", "sam.lee2"):
            student = account_service.create_user(
                db,
                actor=admin,
                username=username,
                display_name="Sam Lee",
                password="a long enough password",
                role=Role.student,
            )
            enroll(db, section=room.section, student=student)
            start_session(db, user=student, client=room.client)
    at = admin_app(app)
    assert_clean(at)
    who = list(
        next(frame.value for frame in at.dataframe if "Open for" in frame.value.columns)["Who"]
    )
    assert len(who) == 2 and len(set(who)) == 2, who
