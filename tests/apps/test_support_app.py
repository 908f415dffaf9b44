"""Ready for outside testers: the support contact, each role's Help page and first step, the
known issues, and "Report a problem" (stored, read by admins only, never losing the text)."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from backend.config import get_settings
from backend.db import unit_of_work
from backend.errors import PermissionDeniedError
from backend.models.enums import Role
from backend.monitoring import problem_report_service
from mvp import support
from tests.apps.helpers import APP_PATH, assert_clean, everything, log_in, open_page, texts
from tests.factories import make_user

NO_CONTACT = "Ask your teacher or the person who gave you this address"


@pytest.fixture
def menus(monkeypatch):
    """The `menu_items` of every `st.set_page_config` call of the runs."""
    calls: list[dict] = []
    original = st.set_page_config

    def recording(*args, **kwargs):
        calls.append(dict(kwargs.get("menu_items") or {}))
        return original(*args, **kwargs)

    monkeypatch.setattr(st, "set_page_config", recording)
    return calls


@pytest.fixture
def people(app_db):
    with unit_of_work(app_db) as db:
        return {
            role: make_user(db, role=role, username=f"{role.value}.one")
            for role in (Role.admin, Role.teacher, Role.student)
        }


def contact(monkeypatch, value: str) -> None:
    monkeypatch.setenv("SUPPORT_CONTACT", value)
    get_settings.cache_clear()


def new_browser() -> AppTest:
    return AppTest.from_file(APP_PATH, default_timeout=30)


def sidebar_text(at) -> str:
    return "\n".join(element.value for element in at.sidebar.caption)


# The support contact --------------------------------------------------------------------------
def test_the_contact_is_on_the_log_in_page_and_in_the_app_menu(app, monkeypatch, menus, people):
    contact(monkeypatch, "help@school.edu")
    at = app.run()
    assert_clean(at)
    assert "(<mailto:help@school.edu>)" in everything(at)  # a link, its label escaped
    assert menus and all(m["Get help"] == "mailto:help@school.edu" for m in menus)
    assert all(m["Report a bug"] == "mailto:help@school.edu" for m in menus)


def test_an_https_contact_is_the_menu_link_as_it_is(app, monkeypatch, menus, people):
    contact(monkeypatch, "https://help.school.edu/practice")
    at = log_in(app.run(), "student.one")
    assert_clean(at)
    assert "help.school.edu" in sidebar_text(at).replace("\u2060", "").replace("\\", "")
    assert menus[-1]["Get help"] == "https://help.school.edu/practice"


def test_without_a_contact_every_screen_says_whom_to_ask(app, menus, people):
    at = app.run()
    assert NO_CONTACT in everything(at)
    assert menus[-1]["Get help"] is None and menus[-1]["Report a bug"] is None  # hidden
    assert NO_CONTACT in menus[-1]["About"]
    at = log_in(at, "student.one")
    assert NO_CONTACT in sidebar_text(at)


@pytest.mark.parametrize(
    "username, told",
    [("teacher.one", "Ask an admin"), ("admin.one", "Set SUPPORT_CONTACT")],
    ids=["teacher", "admin"],
)
def test_without_a_contact_a_teacher_or_admin_is_not_told_to_ask_their_teacher(
    app, menus, people, username, told
):
    """The sidebar and the app menu's About told every signed-in person to "Ask your teacher"
    (two attacks, 2026-12-06): a teacher is told to ask an admin, and an admin how to name a
    contact."""
    at = log_in(app.run(), username)
    assert_clean(at)
    assert told in sidebar_text(at) and "your teacher" not in sidebar_text(at)
    assert told in menus[-1]["About"] and "your teacher" not in menus[-1]["About"]


def test_a_contact_that_is_neither_an_address_nor_https_stops_the_settings(monkeypatch):
    from pydantic import ValidationError

    from backend.config import Settings

    for bad in ("javascript:alert(1)", "http://help.school.edu", "help desk"):
        with pytest.raises(ValidationError, match="SUPPORT_CONTACT must be"):
            Settings(_env_file=None, support_contact=bad)
    assert Settings(_env_file=None, support_contact=" ").support_url is None


def test_the_app_started_with_a_mistyped_setting_names_it_on_the_page(app, monkeypatch):
    """A mistyped setting showed Streamlit's exception box with pydantic's traceback; the page
    now says which setting to fix and where. (An attack, 2026-12-07.)"""
    monkeypatch.setenv("DATABASE_POOL_SIZE", "ten")
    get_settings.cache_clear()
    at = app.run()
    assert not at.exception
    shown = " ".join(error.value for error in at.error)
    assert "DATABASE_POOL_SIZE" in shown and "a valid integer" in shown and ".env" in shown


# Help, first steps, known issues --------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("admin.one", ["As an admin", "Create a teacher account", "As a teacher"]),
        ("teacher.one", ["As a teacher", "Write a client", "review queue"]),
        ("student.one", ["As a student", "Join your section", "Read your review"]),
    ],
)
def test_each_role_has_a_help_page_with_its_quick_start(app, people, username, expected):
    at = open_page(log_in(app.run(), username), "Help")
    assert_clean(at)
    page = everything(at) + "\n".join(texts(at, "subheader"))
    for words in expected:
        assert words in page
    if username == "student.one":
        assert "As a teacher" not in page


def test_an_admin_without_teachers_is_told_to_create_one_first(app, app_db):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="admin.one")
    at = log_in(app.run(), "admin.one")
    assert_clean(at)
    assert "Figures" in texts(at, "title")
    assert "no teacher accounts yet" in everything(at)
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.teacher)
    assert "no teacher accounts yet" not in everything(at.run())


def test_a_new_teacher_gets_the_three_steps_above_the_client_form(app, people):
    at = log_in(app.run(), "teacher.one")
    assert_clean(at)
    assert "Start here" in "\n".join(texts(at, "info"))


def test_the_known_issues_page_shows_the_file(app, people):
    first_heading = next(
        line for line in support.KNOWN_ISSUES.read_text().splitlines() if line.startswith("## ")
    )
    at = app.run()
    assert first_heading in everything(at)  # the log-in page's Known issues box
    for username in ("admin.one", "teacher.one", "student.one"):
        at = open_page(log_in(new_browser().run(), username), "Known issues")
        assert_clean(at)
        assert first_heading in everything(at)


# Report a problem ---------------------------------------------------------------------------
def report(at, words: str):
    at.text_area(key=support.REPORT_TEXT).input(words)
    return at.button(key="problem_submit").click().run()


def test_a_report_is_stored_with_its_page_and_shown_to_admins_as_typed(app, app_db, people):
    at = open_page(log_in(app.run(), "student.one"), "My sessions")
    typed = "The **review** never came <img src=x> [click](https://evil.example)"
    at = report(at, typed)
    assert_clean(at)
    assert "your report reached the admins" in everything(at)
    assert at.text_area(key=support.REPORT_TEXT).value == ""
    with unit_of_work(app_db) as db:
        (stored,) = problem_report_service.list_reports(db, actor=people[Role.admin])
        with pytest.raises(PermissionDeniedError):
            problem_report_service.list_reports(db, actor=people[Role.teacher])
    assert (stored.text, stored.reporter) == (typed, "student.one")
    assert stored.page == "My sessions (/my-sessions)"

    admin = open_page(log_in(new_browser().run(), "admin.one"), "Error log")
    assert_clean(admin)
    assert [element.value for element in admin.text] == [typed]  # plain text, no markup
    (label,) = [e.label for e in admin.expander if "My sessions" in e.label]
    assert label.count("<img") == label.count("\\<img") == 1  # shown, escaped, as typed


def test_an_empty_or_too_long_report_is_refused_and_the_text_stays(app, people):
    at = log_in(app.run(), "teacher.one")
    at = report(at, "   ")
    assert "Write what happened" in "\n".join(texts(at, "error"))
    long_text = "x" * (problem_report_service.MAX_REPORT_CHARS + 1)
    at = report(at, long_text)
    assert "at most 4,000 fit" in "\n".join(texts(at, "error"))
    assert at.text_area(key=support.REPORT_TEXT).value == long_text


def test_a_report_the_database_refuses_keeps_its_text(app, app_db, people):
    with app_db.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse_reports BEFORE INSERT ON problem_reports "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    at = log_in(app.run(), "student.one")
    typed = "The client stopped answering after my third message."
    at = report(at, typed)
    assert not at.exception
    assert support.NOT_SAVED in "\n".join(texts(at, "error"))
    assert at.text_area(key=support.REPORT_TEXT).value == typed
    at = at.run()  # and on the next run too
    assert at.text_area(key=support.REPORT_TEXT).value == typed


def test_reports_the_database_could_not_save_do_not_use_up_the_report_limit(app, app_db):
    """A student's report cannot be saved (the database refuses it for a while: the page says
    so and keeps the words). They press Send report again, as the message invites, five times
    in all; then the database is fine again and the sixth press says "You have sent 5 reports
    in 10 minutes. Please wait ... before sending another": none of the five reached the
    admins, yet the student is told they were sent and is shut out of the one channel for ten
    minutes, just after a failure worth reporting. problem_report_service.report_problem counts
    the report (RateLimiter.hit_problem_report, f394f34) before it is stored, and a report
    rolled back still counted. (An attack on the limit, 2026-12-07.)"""
    from sqlalchemy import text

    from backend.models.enums import Role
    from backend.monitoring import problem_report_service
    from mvp import support
    from tests.apps.helpers import log_in, texts
    from tests.factories import make_user

    with unit_of_work(app_db) as db:
        make_user(db, role=Role.student, username="student.one")
        admin = make_user(db, role=Role.admin, username="admin.one")
    with app_db.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse_reports BEFORE INSERT ON problem_reports "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    at = log_in(app.run(), "student.one")
    typed = "The client stopped answering after my third message."
    for _ in range(5):
        at.text_area(key=support.REPORT_TEXT).input(typed)
        at = at.button(key="problem_submit").click().run()
        assert support.NOT_SAVED in "\n".join(texts(at, "error"))
    with app_db.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse_reports"))

    at.text_area(key=support.REPORT_TEXT).input(typed)
    at = at.button(key="problem_submit").click().run()
    assert_clean(at)
    assert not [line for line in texts(at, "error") if "You have sent" in line], texts(at, "error")
    with unit_of_work(app_db) as db:
        stored = problem_report_service.list_reports(db, actor=admin)
    assert [report.text for report in stored] == [typed]
