"""Log-ins in a real browser (issue 9, points 6, 7 and 27): the page address carries no log-in,
a reload keeps it through a SameSite=Strict cookie, log-out deletes it, an admin's auto-refresh
stops once the admin is deactivated, and a sign-up error keeps the sign-up tab open."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.accounts import account_service
from backend.db import unit_of_work
from backend.models.enums import Role
from mvp.auth import COOKIE_NAME
from tests.e2e.helpers import (
    DASHBOARD_REFRESH_SECONDS,
    RUN_TIMEOUT_MS,
    click,
    fill,
    heading,
    keyed,
    open_first_client,
    wait_until_idle,
)
from tests.e2e.helpers import log_in as log_in_as
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser
AUTO_REFRESH_WAIT_MS = RUN_TIMEOUT_MS  # a refresh comes every DASHBOARD_REFRESH_SECONDS


def expect_log_in_screen(page) -> None:
    expect(keyed(page, "login_username").locator("input")).to_be_visible()
    expect(heading(page, "Practice")).to_have_count(0)


def login_cookie(context) -> dict | None:
    return next((cookie for cookie in context.cookies() if cookie["name"] == COOKIE_NAME), None)


def test_a_copied_address_carries_no_log_in_and_a_reload_keeps_it(
    open_page, leave, page, app_server, demo
):
    log_in_as(page, app_server, "demo.student", "Practice")
    open_first_client(page)
    address = page.url
    assert "c=" in address  # the open conversation: it grants nothing

    cookie = login_cookie(page.context)
    assert cookie is not None, page.context.cookies()
    assert cookie["value"] not in address and cookie["value"] not in page.content()
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["secure"] is False  # plain http here; over https the cookie is Secure
    assert cookie["httpOnly"] is False  # written by the page's script (see the README)

    # The address pasted into another browser (a context of its own, no cookies): not logged in.
    stranger = open_page()
    try:
        stranger.goto(address)
        wait_until_idle(stranger)
        expect_log_in_screen(stranger)
        assert login_cookie(stranger.context) is None
    finally:
        leave(stranger)

    # A reload in the same browser: still logged in, the same conversation open.
    page.reload()
    wait_until_idle(page)
    expect(heading(page, "Practice")).to_be_visible()
    expect(keyed(page, "chat_input").locator("textarea")).to_be_enabled()

    # Log out: the cookie goes, and a reload shows the log-in screen.
    click(page, "logout")
    expect_log_in_screen(page)
    wait_until_idle(page)
    page.wait_for_function(f"() => !document.cookie.includes('{COOKIE_NAME}=')")
    assert login_cookie(page.context) is None
    page.reload()
    wait_until_idle(page)
    expect_log_in_screen(page)


def test_a_deactivated_admins_auto_refresh_stops_and_logs_out(page, app_server, demo):
    engine, _seeded = demo
    with unit_of_work(engine) as db:
        boss = make_user(db, role=Role.admin, username="boss.admin")
        ada = make_user(db, role=Role.admin, username="ada.admin")
    log_in_as(page, app_server, "ada.admin", "Figures")
    keyed(page, "auto_refresh").locator("label").click()
    expect(page.get_by_text(f"refreshes every {DASHBOARD_REFRESH_SECONDS} seconds")).to_be_visible()
    wait_until_idle(page)

    with unit_of_work(engine) as db:  # from another admin's browser
        account_service.set_active(db, actor=boss, user_id=ada.id, active=False)
    # No click: the next automatic rerun of the figures notices and logs the page out.
    expect(page.get_by_text("Your account has been deactivated")).to_be_visible(
        timeout=AUTO_REFRESH_WAIT_MS
    )
    expect_log_in_screen(page)
    expect(heading(page, "Figures")).to_have_count(0)


def test_a_sign_up_error_keeps_the_sign_up_tab_and_its_fields_in_view(page, app_server, demo):
    page.goto(app_server)
    wait_until_idle(page)
    sign_up = page.get_by_role("tab", name="Student sign-up")
    sign_up.click()
    wait_until_idle(page)
    fill(page, "signup_join_code", "NOPE2345")
    fill(page, "signup_username", "riley.student")
    fill(page, "signup_display_name", "Riley Student")
    fill(page, "signup_password", PASSWORD)
    fill(page, "signup_password_again", PASSWORD)
    click(page, "signup_submit")  # the error message above the tabs moved them down the page
    expect(page.get_by_text("join code does not match").first).to_be_visible()
    wait_until_idle(page)
    expect(sign_up).to_have_attribute("aria-selected", "true")
    expect(keyed(page, "signup_join_code").locator("input")).to_be_visible()
    expect(keyed(page, "login_username").locator("input")).to_be_hidden()

    fill(page, "signup_password", PASSWORD)
    fill(page, "signup_password_again", "something else entirely")
    click(page, "signup_submit")
    expect(page.get_by_text("The two passwords differ.")).to_be_visible()
    wait_until_idle(page)
    expect(sign_up).to_have_attribute("aria-selected", "true")
    expect(keyed(page, "signup_password_again").locator("input")).to_be_visible()
