"""How the browser tests load the app (tests/e2e/helpers.py): a page that lost one of its own
scripts on the way can never draw the app, so it is reloaded at once, whether `open_app` loaded
it or a test did by hand and then waited with `wait_until_idle`. Chromium fails every request in
flight with net::ERR_NETWORK_CHANGED when the machine's network changes, as it does when the
stack lane's Docker brings a network up or down beside the browser tests; such a page used to be
reloaded after 30 s (`open_app`) or to fail its test after 90 s."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from tests.e2e import helpers

pytestmark = pytest.mark.browser
APP_SCRIPT = "**/static/js/index.*.js"  # the module every other script of the app hangs from
# Loaded once the app is drawn, when it first shows a text box (the first-run screen's).
WIDGET_SCRIPT = "**/static/js/TextInput.*.js"


def by_hand(page, url: str) -> None:
    page.goto(url)
    helpers.wait_until_idle(page)


# A widget's script is lost after the app is drawn: `wait_until_idle` sees it either way.
@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("script", "load"),
    [(APP_SCRIPT, helpers.open_app), (APP_SCRIPT, by_hand), (WIDGET_SCRIPT, by_hand)],
    ids=["app-open_app", "app-by_hand", "widget"],
)
def test_a_page_that_lost_a_script_is_reloaded_at_once(
    page, listen, app_server, monkeypatch, load, script
):
    # Ten minutes for an app that never draws: a page that waited for it would outlast the test.
    monkeypatch.setattr(helpers, "RUN_TIMEOUT_MS", 600_000)
    monkeypatch.setattr(helpers, "PAGE_LOAD_TIMEOUT_MS", 600_000)
    lost: list[str] = []

    def lose_the_first(route) -> None:
        if lost:
            route.continue_()
        else:
            lost.append(route.request.url)
            route.abort("connectionreset")  # Playwright cannot name net::ERR_NETWORK_CHANGED

    page.route(script, lose_the_first)
    loads: list[str] = []
    listen(page, "load", lambda loaded: loads.append(loaded.url))

    load(page, app_server)
    # A widget's script may be asked for only after the wait above: the test's next wait sees it.
    for _ in range(60):
        if lost:
            break
        page.wait_for_timeout(500)
    helpers.wait_until_idle(page)

    assert len(lost) == 1, "the first load did not lose the script"
    # The load that lost it, then a reload (one more if the machine's network changed meanwhile).
    assert len(loads) >= 2, loads
    expect(page.locator('[data-testid="stTextInput"] input').first).to_be_visible()
