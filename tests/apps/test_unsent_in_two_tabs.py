"""An attack on the words kept with a log-in, in two tabs of that log-in."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.config import get_settings
from backend.db import unit_of_work
from backend.models import Message
from backend.utils.rate_limiter import reset_rate_limiter
from mvp import auth
from tests.apps.helpers import APP_PATH, as_shown, classroom, log_in, start_button, token_of

THOUGHT = "When you said your manager keeps piling things on, what did that feel like?"
OTHER = "What would help most this week?"


def _unsent(at) -> list[str]:
    return [as_shown(w.value) for w in at.warning if w.value.startswith("Not sent")]


def _second_tab(at, browser_cookies) -> AppTest:
    """Another tab of the same log-in (the cookie), on the same conversation."""
    browser_cookies[auth.COOKIE_NAME] = token_of(at)
    tab = AppTest.from_file(APP_PATH, default_timeout=30)
    tab.query_params["c"] = at.query_params["c"]
    return tab.run()


def _said(app_db) -> list[str]:
    with unit_of_work(app_db, write=False) as db:
        return [m.content for m in db.query(Message).order_by(Message.id) if m.role == "user"]


def _limit_lifted(monkeypatch) -> None:
    monkeypatch.setenv("USER_RATE_LIMIT", "10/minute")
    get_settings.cache_clear()
    reset_rate_limiter()


def test_words_sent_again_in_one_tab_are_not_sent_a_second_time_from_the_other(
    app, app_db, app_api, monkeypatch, browser_cookies
):
    """Tab A's words were refused as too soon; tab B (same log-in) now shows them with "Send
    again" (the new feature) and sends them. Tab A still shows "Not sent" with its own copy,
    read once per browser session: its "Send again" sends the same words a second time, and
    the client answers the same question twice."""
    monkeypatch.setenv("USER_RATE_LIMIT", "1/minute")
    classroom(app_db)
    tab_a = log_in(app.run(), "sam.student")
    start_button(tab_a).click().run()
    app_api.reply("Hi.")
    tab_a.chat_input(key="chat_input").set_value("Hello.").run()
    tab_a.chat_input(key="chat_input").set_value(THOUGHT).run()
    assert _unsent(tab_a) == [f"Not sent: {THOUGHT}"]

    tab_b = _second_tab(tab_a, browser_cookies)
    assert _unsent(tab_b) == [f"Not sent: {THOUGHT}"]
    _limit_lifted(monkeypatch)
    app_api.reply("Overwhelmed, I guess.", times=2)
    tab_b.button(key="resend_draft").click().run()
    assert _said(app_db) == ["Hello.", THOUGHT]

    tab_a.run()  # the student comes back to the first tab: still "Not sent", "Send again"
    tab_a.button(key="resend_draft").click().run()
    assert _said(app_db) == ["Hello.", THOUGHT]  # sent once


def test_words_refused_in_two_tabs_both_survive_a_reload(
    app, app_db, app_api, monkeypatch, browser_cookies
):
    """Two tabs of one log-in are open on the conversation; in each a message is refused as too
    soon. Each tab writes its own whole list over the log-in's (`unsent_service.keep`), so after
    a reload only the last tab's words are there: the first tab's are silently gone."""
    monkeypatch.setenv("USER_RATE_LIMIT", "2/minute")
    classroom(app_db)
    tab_a = log_in(app.run(), "sam.student")
    start_button(tab_a).click().run()
    app_api.reply("Hi.")
    tab_a.chat_input(key="chat_input").set_value("Hello.").run()
    tab_b = _second_tab(tab_a, browser_cookies)  # opened now: nothing unsent yet
    assert _unsent(tab_b) == []
    app_api.reply("Fine.")
    tab_a.chat_input(key="chat_input").set_value("And today?").run()  # the limit is reached
    tab_a.chat_input(key="chat_input").set_value(THOUGHT).run()
    assert _unsent(tab_a) == [f"Not sent: {THOUGHT}"]
    tab_b.chat_input(key="chat_input").set_value(OTHER).run()
    assert OTHER in "".join(_unsent(tab_b))

    reloaded = _second_tab(tab_b, browser_cookies)
    shown = "".join(_unsent(reloaded))
    assert THOUGHT in shown and OTHER in shown
