"""The browser tabs the browser tests share (`WarmTabs` in tests/e2e/conftest.py): the person a
test plays next in a reused tab finds nothing of the last one (no cookie, no site data, no session
storage, no history, none of its event handlers or settings) on any site it or its popups
visited, a tab goes to one person at a time, and a tab or context the last test closed is not
reused."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LEAVE_TRACES = """async () => {
  localStorage.setItem("left", "behind");
  sessionStorage.setItem("left", "behind");
  document.cookie = "left=behind; path=/";
  await new Promise((done) => {
    const request = indexedDB.open("left-behind");
    request.onsuccess = () => { request.result.close(); done(); };
  });
}"""
TRACES = """async () => ({
  storage: localStorage.getItem("left"),
  session: sessionStorage.getItem("left"),
  databases: (await indexedDB.databases()).map((database) => database.name),
  cookie: document.cookie.includes("left=behind"),
})"""
LEFT = {"storage": "behind", "session": "behind", "databases": ["left-behind"], "cookie": True}
NOTHING = {"storage": None, "session": None, "databases": [], "cookie": False}


def test_the_next_person_in_a_reused_tab_finds_nothing_of_the_last(warm_tabs, app_server):
    first = warm_tabs.open_page()
    requests: list[str] = []
    warm_tabs.listen(first, "request", lambda request: requests.append(request.url))
    first.goto(app_server)
    first.goto(f"{app_server}/?visit=2")
    first.evaluate(LEAVE_TRACES)
    assert first.evaluate(TRACES) == LEFT
    warm_tabs.give_back()
    asked = len(requests)

    second = warm_tabs.open_page()
    try:
        assert second is first  # the same tab: Streamlit's scripts stay compiled
        assert second.url == "about:blank"
        assert second.evaluate("() => history.length") == 1  # nothing to go back to
        second.goto(app_server)
        assert second.evaluate(TRACES) == NOTHING
        assert len(requests) == asked  # the last test's handler heard nothing more
    finally:
        warm_tabs.give_back()


def test_a_tab_that_went_to_two_sites_keeps_nothing_of_either(warm_tabs, app_server):
    sites = (app_server, app_server.replace("127.0.0.1", "localhost"))
    first = warm_tabs.open_page()
    for site in sites:
        first.goto(site)
        first.evaluate(LEAVE_TRACES)
    warm_tabs.give_back()

    second = warm_tabs.open_page()
    try:
        assert second is first
        for site in sites:
            second.goto(site)
            assert second.evaluate(TRACES) == NOTHING, site
    finally:
        warm_tabs.give_back()


def test_a_site_visited_in_a_popup_keeps_nothing_either(warm_tabs, app_server):
    popup_site = app_server.replace("127.0.0.1", "localhost")
    first = warm_tabs.open_page()
    first.goto(app_server)
    with first.expect_popup() as opened:
        first.evaluate("(address) => window.open(address)", popup_site)
    opened.value.evaluate(LEAVE_TRACES)
    warm_tabs.give_back()

    second = warm_tabs.open_page()
    try:
        assert second is first and len(second.context.pages) == 1
        second.goto(popup_site)
        assert second.evaluate(TRACES) == NOTHING
    finally:
        warm_tabs.give_back()


def test_the_settings_a_test_made_are_undone(warm_tabs, app_server):
    first = warm_tabs.open_page()
    first.goto(app_server)
    first.evaluate("() => { window.name = 'left behind' }")
    first.emulate_media(color_scheme="dark")
    first.context.grant_permissions(["geolocation"])
    first.route("**/_stcore/health", lambda route: route.fulfill(body="from the last test"))
    first.set_default_timeout(2_000)
    first.context.set_offline(True)
    warm_tabs.give_back()

    second = warm_tabs.open_page()
    try:
        assert second is first
        second.goto(app_server)
        assert second.evaluate("() => window.name") == ""
        assert not second.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
        geolocation = "() => navigator.permissions.query({name: 'geolocation'}).then(s => s.state)"
        assert second.evaluate(geolocation) == "prompt"
        assert second.request.get(f"{app_server}/_stcore/health").text() == "ok"
        assert second.evaluate("() => fetch('/_stcore/health').then(r => r.text())") == "ok"
    finally:
        warm_tabs.give_back()


def test_a_tab_given_back_twice_goes_to_one_person(warm_tabs, leave):
    page = warm_tabs.open_page()
    leave(page)
    leave(page)  # no effect: it is no longer this test's
    one, two = warm_tabs.open_page(), warm_tabs.open_page()
    try:
        assert one is not two
    finally:
        warm_tabs.give_back()


def test_a_tab_or_context_closed_by_its_test_is_not_reused(warm_tabs, app_server):
    closed_tab = warm_tabs.open_page()
    context = closed_tab.context
    closed_tab.close()  # as a test may close a person's tab before its end
    warm_tabs.give_back()

    replaced = warm_tabs.open_page()
    assert replaced is not closed_tab and replaced.context is context
    replaced.context.close()
    warm_tabs.give_back()  # no error for this test, nor for any later one

    page = warm_tabs.open_page()
    try:
        assert page.context is not context
        page.goto(app_server)
        assert page.evaluate("() => document.title")
    finally:
        warm_tabs.give_back()
