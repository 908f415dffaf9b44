"""How the browser tests load the app (`open_app` in tests/e2e/helpers.py): a page that lost one
of its own scripts on the way can never draw the app, so it is reloaded at once. Chromium fails
every request in flight with net::ERR_NETWORK_CHANGED when the machine's network changes, as it
does when the stack lane's Docker starts or stops a container beside the browser tests; such a
page used to be reloaded only after the 30 s wait for a page that never draws."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from tests.e2e import helpers

pytestmark = pytest.mark.browser
APP_SCRIPT = "**/static/js/index.*.js"  # the module every other script of the app hangs from


@pytest.mark.timeout(90)
def test_a_page_that_lost_its_script_is_reloaded_at_once(page, listen, app_server, monkeypatch):
    # Ten minutes for an app that never draws: a page that waited for it would outlast the test.
    monkeypatch.setattr(helpers, "RUN_TIMEOUT_MS", 600_000)
    lost: list[str] = []

    def lose_the_first(route) -> None:
        if lost:
            route.continue_()
        else:
            lost.append(route.request.url)
            route.abort("connectionreset")  # Playwright cannot name net::ERR_NETWORK_CHANGED

    page.route(APP_SCRIPT, lose_the_first)
    loads: list[str] = []
    listen(page, "load", lambda loaded: loads.append(loaded.url))

    helpers.open_app(page, app_server)

    assert len(lost) == 1, "the first load did not lose the app's script"
    assert len(loads) == 2, loads  # the load that lost it, then one reload
    expect(page.locator('[data-testid="stApp"]')).to_be_visible()
