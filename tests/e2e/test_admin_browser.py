"""The admin monitor in a real browser: figures move when a student talks in another browser,
on Refresh and then by the 30-second auto-refresh (whose timer AppTest cannot fire)."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import unit_of_work
from backend.models.enums import Role
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import (
    DASHBOARD_REFRESH_SECONDS,
    RUN_TIMEOUT_MS,
    keyed,
    log_in,
    open_first_client,
    say,
    wait_until_idle,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser
AUTO_REFRESH_WAIT_MS = RUN_TIMEOUT_MS  # a refresh comes every DASHBOARD_REFRESH_SECONDS


def metric_value(page, label: str):
    """The value of the `st.metric` with exactly this label."""
    box = (
        page.locator('[data-testid="stMetric"]')
        .filter(has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
        .first
    )
    return box.locator('[data-testid="stMetricValue"]')


def screenshot_whole_page(page, path) -> None:
    """Streamlit scrolls inside its own container, so `full_page` would stop at the window:
    grow the window to the content first."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"] *')]"
        ".map(element => element.scrollHeight))"
    )
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(height + 80, 8000)})
    wait_until_idle(page)
    page.screenshot(path=str(path))


def test_admin_sees_a_student_conversation_arrive(open_page, app_server, demo, fake_anthropic):
    engine, _seeded = demo
    with unit_of_work(engine) as db:
        make_user(db, role=Role.admin, username="ada.admin")
    admin, student = (open_page(height=1100) for _ in range(2))
    log_in(admin, app_server, "ada.admin", lands_on="Figures")
    expect(metric_value(admin, "Messages today")).to_have_text("0")
    expect(metric_value(admin, "Active sessions")).to_have_text("0")

    # 1,000 input and 10 output tokens on Haiku 4.5: $1 and $5 per million.
    fake_anthropic.reply(
        "I'm not sure why I'm here, honestly.", input_tokens=1000, output_tokens=10
    )
    log_in(student, app_server, "demo.student")
    open_first_client(student)
    say(student, "Hi, what brings you in today?")
    expect(metric_value(admin, "Messages today")).to_have_text("0")  # nothing moves alone

    keyed(admin, "refresh").get_by_role("button", name="Refresh").click()
    expect(metric_value(admin, "Messages today")).to_have_text("2")
    wait_until_idle(admin)
    expect(metric_value(admin, "Active sessions")).to_have_text("1")
    expect(metric_value(admin, "Cost today")).to_have_text("$0.001050")
    # The active-sessions table (a canvas grid: its cells are in the DOM for screen readers).
    expect(admin.locator("[role=gridcell]", has_text="Demo Student").first).to_be_attached()

    # With auto-refresh on, the next exchange shows up without a click.
    keyed(admin, "auto_refresh").locator("label").click()
    expect(
        admin.get_by_text(f"refreshes every {DASHBOARD_REFRESH_SECONDS} seconds")
    ).to_be_visible()
    wait_until_idle(admin)
    fake_anthropic.reply("Things have just been a lot lately.", input_tokens=1000, output_tokens=10)
    say(student, "What has that been like?")
    expect(metric_value(admin, "Messages today")).to_have_text("4", timeout=AUTO_REFRESH_WAIT_MS)
    expect(metric_value(admin, "Cost today")).to_have_text("$0.002100")
    keyed(admin, "auto_refresh").locator("label").click()  # still for the screenshot
    wait_until_idle(admin)

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot_whole_page(admin, ARTIFACTS / "admin_dashboard.png")
