"""A phone-sized screen (390 x 844): the sidebar gets out of the way once a page is chosen."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = PlaywrightTimeout = None

from tests.e2e.helpers import RUN_TIMEOUT_MS, heading, log_in, wait_until_idle

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
# Out of the screen: gone, or its right edge at the screen's left edge.
SLID_OUT = f"""() => {{
  const sidebar = document.querySelector('{SIDEBAR}');
  return !sidebar || sidebar.getBoundingClientRect().right <= 1;
}}"""
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize("user_agent", [None, IPHONE], ids=["narrow-window", "phone"])
def test_choosing_a_page_on_a_phone_closes_the_sidebar(browser, app_server, demo, user_agent):
    """A narrow desktop window as well as a browser that says it is a phone (which Streamlit
    itself closes the sidebar for: closing it once more must not open it again)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        **({"user_agent": user_agent} if user_agent else {}),
    )
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, app_server, "demo.student")
        sidebar = page.locator(SIDEBAR)
        for title in ("My sessions", "My progress", "Practice"):
            page.locator('[data-testid="stExpandSidebarButton"]').click()
            expect(sidebar).to_have_attribute("data-collapsed", "false")
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.get_by_role("link", name=title, exact=True).click()
            expect(heading(page, title)).to_be_visible()
            wait_until_idle(page)
            # Closed: the page is not covered (the sidebar slides out of the screen; its
            # animation may still be running when it says it is collapsed).
            expect(sidebar).to_have_attribute("data-collapsed", "true")
            try:
                page.wait_for_function(SLID_OUT, timeout=5_000)
            except PlaywrightTimeout:
                pytest.fail(f"the sidebar still covers the page: {title} {sidebar.bounding_box()}")
            expect(heading(page, title)).to_be_in_viewport()
    finally:
        context.close()
