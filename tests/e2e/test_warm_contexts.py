"""The browser contexts the browser tests share (`WarmContexts` in tests/e2e/conftest.py): the
person a test plays next in a reused context finds nothing of the last one (no cookie, no site
data), even when the last test closed its page or the whole context."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LEAVE_TRACES = """async () => {
  localStorage.setItem("left", "behind");
  document.cookie = "left=behind; path=/";
  await new Promise((done) => {
    const request = indexedDB.open("left-behind");
    request.onsuccess = () => { request.result.close(); done(); };
  });
}"""
TRACES = """async () => ({
  storage: localStorage.getItem("left"),
  databases: (await indexedDB.databases()).map((database) => database.name),
  cookie: document.cookie.includes("left=behind"),
})"""


def test_the_next_person_in_a_reused_context_finds_nothing_of_the_last(warm_contexts, app_server):
    first = warm_contexts.open_page()
    first.goto(app_server)
    first.evaluate(LEAVE_TRACES)
    assert first.evaluate(TRACES) == {
        "storage": "behind",
        "databases": ["left-behind"],
        "cookie": True,
    }
    reused = first.context
    first.close()  # as tests do with a second person's page, before the context is given back
    warm_contexts.give_back()

    second = warm_contexts.open_page()
    try:
        assert second.context is reused
        second.goto(app_server)
        assert second.evaluate(TRACES) == {"storage": None, "databases": [], "cookie": False}
    finally:
        warm_contexts.give_back()


def test_a_context_closed_by_its_test_is_dropped_and_the_next_test_gets_another(
    warm_contexts, app_server
):
    closed = warm_contexts.open_page().context
    closed.close()
    warm_contexts.give_back()  # no error for this test, nor for any later one

    page = warm_contexts.open_page()
    try:
        assert page.context is not closed
        page.goto(app_server)
        assert page.evaluate("() => document.title")
    finally:
        warm_contexts.give_back()
