"""Log-ins through AppTest (issue 9, points 6, 7, 8 and 25): no secret in the address, a cookie
brings the log-in back after a reload, every run and callback re-checks the log-in, and setup
shows while no admin exists (and only once). Point 27 (the sign-up tab) needs a browser.

AppTest has no browser, so the `browser_cookies` fixture stands in for its cookie jar; the
browser tests (tests/e2e/test_login_browser.py) check the real cookie.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from streamlit.testing.v1 import AppTest

from backend.accounts import account_service
from backend.db import unit_of_work
from backend.models import LoginSession, Message, Section
from backend.models.base import utcnow
from backend.models.enums import Role
from backend.ops import demo_service
from mvp import auth
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    start_button,
    texts,
)
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a fresh passphrase for spring"


def new_tab() -> AppTest:
    return AppTest.from_file(APP_PATH, default_timeout=30)


def token_of(at: AppTest) -> str:
    return at.session_state[auth.TOKEN_KEY]


def cookie_scripts(at: AppTest) -> list[str]:
    """The scripts the last run asked the browser to run that write or delete a cookie (an open
    conversation's page also has the script of its running session time)."""
    return [element.value for element in at.html if "document.cookie" in element.value]


def is_logged_out(at: AppTest) -> bool:
    return at.text_input(key="login_username") is not None and not [
        title for title in texts(at, "title") if title in ("Practice", "Figures", "Clients")
    ]


def login_screen_says(at: AppTest, words: str) -> bool:
    return is_logged_out(at) and words in " ".join(texts(at, "warning"))


def teacher_and_admin(app_db):
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username="tina.teacher")
        admin = make_user(db, role=Role.admin, username="ada.admin")
    return teacher, admin


def sections(app_db) -> int:
    with unit_of_work(app_db, write=False) as db:
        return db.scalar(select(func.count()).select_from(Section))


def messages(app_db) -> int:
    with unit_of_work(app_db, write=False) as db:
        return db.scalar(select(func.count()).select_from(Message))


def change_password_in_sidebar(
    at: AppTest, current: str = PASSWORD, new: str = NEW_PASSWORD
) -> AppTest:
    at.text_input(key="current_password").input(current)
    at.text_input(key="new_password").input(new)
    return at.button(key="change_password").click().run()


# Point 6: no secret in the address -------------------------------------------------------------
def test_log_in_puts_nothing_in_the_address_and_asks_for_a_strict_cookie(app, app_db):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    assert_clean(at)
    token = token_of(at)
    assert token and "s" not in at.query_params
    assert not [value for value in at.query_params.values() if token in str(value)]
    [script] = cookie_scripts(at)
    assert token in script and "SameSite=Strict" in script and "Path=/" in script
    assert "Secure" not in script  # plain http (a Secure cookie would be dropped there)
    start_button(at).click().run()  # opening a conversation puts only its id in the address
    assert set(at.query_params) == {"c"} and at.query_params["c"][0].isdigit()
    assert not cookie_scripts(at)  # written once, not on every run


def test_over_https_the_cookie_is_also_secure(app, app_db):
    classroom(app_db)
    app.context = {"url": "https://practice.example.edu/"}
    at = log_in(app.run(), "sam.student")
    [script] = cookie_scripts(at)
    assert "SameSite=Strict" in script and "Secure" in script


def test_a_reload_comes_back_through_the_cookie_and_a_copied_address_does_not(
    app, app_db, browser_cookies
):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    address = dict(at.query_params)

    copied = new_tab()  # another browser: the same address, no cookie
    for name, value in address.items():
        copied.query_params[name] = value
    assert is_logged_out(copied.run())

    browser_cookies[auth.COOKIE_NAME] = token_of(at)  # what the script wrote
    reloaded = new_tab()
    for name, value in address.items():
        reloaded.query_params[name] = value
    reloaded.run()
    assert_clean(reloaded)
    assert "Practice" in texts(reloaded, "title")
    assert "Alex Rivera" in [header.value for header in reloaded.subheader]

    reloaded.button(key="logout").click().run()
    assert is_logged_out(reloaded)
    [script] = cookie_scripts(reloaded)
    assert "Max-Age=0" in script and token_of(at) in script  # deletes this log-in's cookie
    assert is_logged_out(new_tab().run())  # the cookie that may linger is revoked


@pytest.mark.parametrize(
    "value", ["an-old-or-made-up-token-0123456789", "</script><img src=x onerror=alert(1)>"]
)
def test_a_cookie_with_an_ended_log_in_shows_the_log_in_screen_and_is_deleted(
    app, app_db, browser_cookies, value
):
    classroom(app_db)
    browser_cookies[auth.COOKIE_NAME] = value
    at = app.run()
    assert_clean(at)
    assert is_logged_out(at)
    [script] = cookie_scripts(at)
    assert "Max-Age=0" in script and "<img" not in script  # nothing of the value is echoed


# Point 7: every run, callback and fragment re-checks the log-in ---------------------------------
def _end_log_in(how: str, app_db, teacher, admin, at: AppTest, browser_cookies) -> str:
    """End the log-in of the open tab `at` in one of the ways the issue lists; the warning."""
    if how == "reset":
        with unit_of_work(app_db) as db:
            account_service.reset_password(
                db, actor=admin, user_id=teacher.id, new_password=NEW_PASSWORD
            )
        return "An admin reset your password"
    if how == "deactivated":
        with unit_of_work(app_db) as db:
            account_service.set_active(db, actor=admin, user_id=teacher.id, active=False)
        return "deactivated"
    if how == "expired":
        with unit_of_work(app_db) as db:
            db.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        return "expired"
    if how == "logged_out_in_another_tab":
        browser_cookies[auth.COOKIE_NAME] = token_of(at)
        other = new_tab().run()
        assert "Clients" in texts(other, "title")  # the same log-in, from the cookie
        other.button(key="logout").click().run()
        return "You logged out"
    assert how == "password_changed_on_another_device"
    other = log_in(new_tab().run(), "tina.teacher")
    other = change_password_in_sidebar(other)
    assert_clean(other)
    assert "Clients" in texts(other, "title")  # the tab that changed it stays in
    assert "Password changed" in " ".join(texts(other, "success"))
    [script] = cookie_scripts(other)
    assert token_of(other) in script  # with a fresh log-in in its cookie
    return "Your password was changed"


ENDINGS = [
    "reset",
    "deactivated",
    "expired",
    "logged_out_in_another_tab",
    "password_changed_on_another_device",
]


@pytest.mark.parametrize("how", ENDINGS)
def test_an_open_teacher_page_cannot_create_a_section_once_its_log_in_ended(
    app, app_db, browser_cookies, how
):
    teacher, admin = teacher_and_admin(app_db)
    at = open_page(log_in(app.run(), "tina.teacher"), "Sections & assignments")
    assert_clean(at)
    at.text_input(key="section_name").input("Made after the log-in ended")
    warning = _end_log_in(how, app_db, teacher, admin, at, browser_cookies)
    at.button(key="create_section").click().run()  # a callback, before the page's run
    assert_clean(at)
    assert sections(app_db) == 0
    assert login_screen_says(at, warning)


@pytest.mark.parametrize("how", ["reset", "deactivated", "expired"])
def test_an_open_practice_page_cannot_send_once_its_log_in_ended(app, app_db, app_api, how):
    student, _alex, _section = classroom(app_db)
    with unit_of_work(app_db) as db:
        admin = make_user(db, role=Role.admin)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    before, calls = messages(app_db), len(app_api.messages_requests())
    warning = _end_log_in(how, app_db, student, admin, at, None)
    at.chat_input(key="chat_input").set_value("Are you still there?").run()
    assert_clean(at)
    assert messages(app_db) == before
    assert len(app_api.messages_requests()) == calls  # and nothing was asked of the API
    assert login_screen_says(at, warning)


def test_an_ended_log_in_is_caught_by_the_next_plain_rerun(app, app_db):
    teacher, admin = teacher_and_admin(app_db)
    at = log_in(app.run(), "tina.teacher")
    with unit_of_work(app_db) as db:
        account_service.set_active(db, actor=admin, user_id=teacher.id, active=False)
    assert login_screen_says(at.run(), "deactivated")
    assert auth.USER_KEY not in at.session_state


def test_changing_the_password_keeps_this_tab_and_ends_the_other_tabs(app, app_db):
    teacher_and_admin(app_db)
    at = log_in(app.run(), "tina.teacher")
    elsewhere = log_in(new_tab().run(), "tina.teacher")
    old = token_of(at)
    at = change_password_in_sidebar(at)
    assert_clean(at)
    assert token_of(at) != old and "Clients" in texts(at, "title")
    at.run()  # and it keeps working on the next run
    assert "Clients" in texts(at, "title")
    assert login_screen_says(elsewhere.run(), "Your password was changed")


def test_a_wrong_current_password_changes_nothing(app, app_db):
    teacher_and_admin(app_db)
    at = log_in(app.run(), "tina.teacher")
    token = token_of(at)
    at = change_password_in_sidebar(at, current="not my password")
    assert "The current password is not right." in everything(at)
    assert token_of(at) == token and "Clients" in texts(at, "title")


# Point 25: setup while no admin exists ---------------------------------------------------------
def test_no_setup_on_a_site_that_has_accounts_but_no_admin(app, app_db):
    """Issue 19, item 13: after seed-demo or a restore the log-in page offered "Set up" to anyone
    who opened the site; the operator creates the admin with the command line instead."""
    with unit_of_work(app_db) as db:
        demo_service.seed_demo(db, password=PASSWORD)
    at = app.run()
    assert_clean(at)
    assert "Set up" not in [tab.label for tab in at.tabs]
    assert "backend.cli create-admin" in everything(at)
    at = log_in(at, "demo.teacher")  # the demo accounts can still log in meanwhile
    assert "Clients" in texts(at, "title")
    at.button(key="logout").click().run()

    with unit_of_work(app_db) as db:
        account_service.create_admin_by_operator(
            db, username="ada.admin", display_name="Ada Admin", password=NEW_PASSWORD
        )
    at = AppTest.from_file(APP_PATH, default_timeout=30).run()
    assert "create-admin" not in everything(at)
    assert "Set up" not in [tab.label for tab in at.tabs]


def test_setup_in_a_second_tab_after_the_first_finished_is_refused(app, app_db):
    first, second = app.run(), new_tab().run()
    for at in (first, second):
        at.text_input(key="setup_username").input(f"admin.{id(at) % 1000}")
        at.text_input(key="setup_display_name").input("Admin")
        at.text_input(key="setup_password").input(NEW_PASSWORD)
        at.text_input(key="setup_password_again").input(NEW_PASSWORD)
        at.checkbox(key="setup_demo").uncheck()
    first.button(key="setup_submit").click().run()
    assert "Figures" in texts(first, "title")
    second.button(key="setup_submit").click().run()
    assert_clean(second)
    assert account_service.SETUP_DONE in everything(second)
    assert "Admin" not in texts(second, "title")
