"""The admin monitor in a real browser: figures move when a student talks in another browser."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import unit_of_work
from backend.models.enums import Role
from tests.e2e.conftest import ARTIFACTS, RUN_TIMEOUT_MS, keyed, wait_until_idle
from tests.e2e.test_student_browser import demo, log_in, open_first_client, say  # noqa: F401
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_admin_sees_a_student_conversation_arrive(browser, app_server, demo, fake_anthropic):
    engine, _seeded = demo
    with unit_of_work(engine) as session:
        make_user(session, role=Role.admin, username="ada.admin")
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in range(2)]
    admin, student = (context.new_page() for context in contexts)
    for page in (admin, student):
        page.context.set_default_timeout(RUN_TIMEOUT_MS)

    admin.goto(app_server)
    wait_until_idle(admin)
    keyed(admin, "login_username").locator("input").fill("ada.admin")
    keyed(admin, "login_password").locator("input").fill(PASSWORD)
    keyed(admin, "login_submit").locator("button").click()
    expect(admin.get_by_role("heading", name="Admin")).to_be_visible()
    wait_until_idle(admin)
    assert metric(admin, "Messages today") == "0"
    assert metric(admin, "Active sessions") == "0"

    fake_anthropic.reply("I'm not sure why I'm here, honestly.", input_tokens=1000,
                         output_tokens=10)
    log_in(student, app_server, "demo.student")
    open_first_client(student)
    say(student, "Hi, what brings you in today?")

    keyed(admin, "refresh").locator("button").click()
    wait_until_idle(admin)
    expect(admin.locator('[data-testid="stMetric"]').filter(has_text="Messages today")
           .locator('[data-testid="stMetricValue"]')).to_have_text("2")
    assert metric(admin, "Active sessions") == "1"
    assert metric(admin, "Cost today") == "$0.001050"  # 1000 in x $1 + 10 out x $5 per million
    # The active-sessions table (a canvas grid: its cells are in the DOM for screen readers).
    expect(admin.locator("[role=gridcell]", has_text="Demo Student").first).to_be_attached()
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "admin_dashboard.png"), full_page=True)
    for context in contexts:
        context.close()
