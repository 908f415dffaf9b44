"""Words refused as too soon survive a reload (a new browser session of the same log-in) with
their "Send again", and go when the log-in ends: on a shared computer the next person never
sees them (an independent review, 2026-12-06: a reload, a common first reaction to an error,
silently dropped them); every tab of the log-in adds to and takes from one list (an attack on
that change: two tabs lost or repeated each other's words)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.config import get_settings
from backend.db import unit_of_work
from backend.models import Message, UnsentMessage
from backend.utils.rate_limiter import reset_rate_limiter
from mvp import auth
from tests.apps.helpers import (
    APP_PATH,
    as_shown,
    assert_clean,
    classroom,
    everything,
    log_in,
    start_button,
    token_of,
)

THOUGHT = "When you said your manager keeps piling things on, what did that feel like?"
OTHER = "What would help most this week?"


def _unsent(at) -> list[str]:
    return [as_shown(w.value) for w in at.warning if w.value.startswith("Not sent")]


def _reload(at, browser_cookies) -> AppTest:
    """F5, or another tab of the log-in: a new browser session, the same address, the log-in
    from the cookie."""
    browser_cookies[auth.COOKIE_NAME] = token_of(at)
    again = AppTest.from_file(APP_PATH, default_timeout=30)
    again.query_params["c"] = at.query_params["c"]
    return again.run()


def _said(app_db) -> list[str]:
    with unit_of_work(app_db, write=False) as db:
        return [m.content for m in db.query(Message).order_by(Message.id) if m.role == "user"]


def _limit_lifted(monkeypatch) -> None:
    """The minute has passed: the rate limit admits the next message."""
    monkeypatch.setenv("USER_RATE_LIMIT", "10/minute")
    get_settings.cache_clear()
    reset_rate_limiter()


def _refused_as_too_soon(app, app_db, app_api, monkeypatch):
    monkeypatch.setenv("USER_RATE_LIMIT", "1/minute")
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("Hi.")
    at.chat_input(key="chat_input").set_value("Hello.").run()
    at.chat_input(key="chat_input").set_value(THOUGHT).run()
    assert _unsent(at) == [f"Not sent: {THOUGHT}"]
    return at


def test_words_not_sent_survive_a_reload_and_send_again_there(
    app, app_db, app_api, monkeypatch, browser_cookies
):
    at = _refused_as_too_soon(app, app_db, app_api, monkeypatch)
    again = _reload(at, browser_cookies)
    assert_clean(again)
    assert _unsent(again) == [f"Not sent: {THOUGHT}"]

    _limit_lifted(monkeypatch)
    app_api.reply("Overwhelmed, I guess.")
    again.button(key="resend_draft").click().run()
    assert_clean(again)
    assert _said(app_db) == ["Hello.", THOUGHT]
    with unit_of_work(app_db, write=False) as db:
        assert db.query(UnsentMessage).count() == 0  # sent: nothing kept
    assert _unsent(_reload(again, browser_cookies)) == []


def test_discarded_words_stay_discarded_after_a_reload(
    app, app_db, app_api, monkeypatch, browser_cookies
):
    at = _refused_as_too_soon(app, app_db, app_api, monkeypatch)
    at.button(key="discard_unsent").click().run()
    assert _unsent(at) == []
    assert _unsent(_reload(at, browser_cookies)) == []


def test_words_not_sent_go_with_the_log_out(app, app_db, app_api, monkeypatch, browser_cookies):
    at = _refused_as_too_soon(app, app_db, app_api, monkeypatch)
    token = token_of(at)
    auth_button = next(b for b in at.sidebar.button if b.label == "Log out")
    auth_button.click().run()
    with unit_of_work(app_db, write=False) as db:
        assert db.query(UnsentMessage).count() == 0
    browser_cookies[auth.COOKIE_NAME] = token  # the next person, had the cookie stayed
    after = AppTest.from_file(APP_PATH, default_timeout=30).run()
    assert THOUGHT not in everything(after)


def test_words_refused_while_the_database_fails_stay_on_screen_even_if_they_cannot_be_kept(
    app, app_db, app_api
):
    """The database refuses the message and the words' own row: the words still show as "Not
    sent" with "Send again" in this tab (keeping them with the log-in is a bonus, never a new
    way to lose them)."""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    with app_db.begin() as connection:
        for table in ("messages", "unsent_messages"):
            connection.exec_driver_sql(
                f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'disk is failing'); END"
            )
    at.chat_input(key="chat_input").set_value(THOUGHT).run()
    assert _unsent(at) == [f"Not sent: {THOUGHT}"]
    assert "disk is failing" not in everything(at)
    assert at.button(key="resend_draft") is not None


def test_words_sent_again_in_one_tab_are_not_sent_a_second_time_from_the_other(
    app, app_db, app_api, monkeypatch, browser_cookies
):
    """Tab A's words were refused as too soon; tab B (same log-in) now shows them with "Send
    again" (the new feature) and sends them. Tab A still shows "Not sent" with its own copy,
    read once per browser session: its "Send again" sends the same words a second time, and
    the client answers the same question twice."""
    tab_a = _refused_as_too_soon(app, app_db, app_api, monkeypatch)

    tab_b = _reload(tab_a, browser_cookies)
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
    tab_b = _reload(tab_a, browser_cookies)  # opened now: nothing unsent yet
    assert _unsent(tab_b) == []
    app_api.reply("Fine.")
    tab_a.chat_input(key="chat_input").set_value("And today?").run()  # the limit is reached
    tab_a.chat_input(key="chat_input").set_value(THOUGHT).run()
    assert _unsent(tab_a) == [f"Not sent: {THOUGHT}"]
    tab_b.chat_input(key="chat_input").set_value(OTHER).run()
    assert OTHER in "".join(_unsent(tab_b))

    reloaded = _reload(tab_b, browser_cookies)
    shown = "".join(_unsent(reloaded))
    assert THOUGHT in shown and OTHER in shown


def test_words_refused_for_a_control_character_wait_without_it_and_send_again(
    app, app_db, app_api, browser_cookies
):
    """Words refused for an invisible control character (a form feed, as pasting from a PDF
    brings) were drawn in the run that refused them only: the next click or a reload, and they
    were gone, kept nowhere (an attack, 2026-12-07). They now wait as "Not sent" without that
    character, kept with the log-in, and "Send again" sends them."""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value(f"From my notes:\x0c {THOUGHT}").run()
    assert_clean(at)
    assert "invisible control character" in everything(at)
    at.run()  # the student's next click anywhere
    assert _unsent(at) == [f"Not sent: From my notes: {THOUGHT}"]
    again = _reload(at, browser_cookies)
    assert _unsent(again) == [f"Not sent: From my notes: {THOUGHT}"]
    app_api.reply("It felt like drowning.")
    again.button(key="resend_draft").click().run()
    assert_clean(again)
    assert _said(app_db) == [f"From my notes: {THOUGHT}"]
    assert _unsent(again) == [] and _unsent(_reload(again, browser_cookies)) == []
