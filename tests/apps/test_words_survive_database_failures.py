"""A student's typed message survives every failure after it was sent: the practice page after
failures of the API and of the app's own database. (An attack, 2026-12-07.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.models import Message
from mvp import auth
from tests.apps.helpers import (
    APP_PATH,
    classroom,
    everything,
    log_in,
    start_button,
    texts,
    token_of,
)
from tests.integration.test_database_failure_not_the_api import failing

# The database refuses to claim a reply (a lock, a failover): reads work, that one write fails.
CLAIM_FAILS = (
    "CREATE TRIGGER claim_fails BEFORE UPDATE OF reply_claim_id ON practice_sessions "
    "WHEN NEW.reply_claim_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
)


def _reload(at, browser_cookies) -> AppTest:
    browser_cookies[auth.COOKIE_NAME] = token_of(at)
    again = AppTest.from_file(APP_PATH, default_timeout=30)
    again.query_params["c"] = at.query_params["c"]
    return again


def _said(app_db) -> list[tuple[str, str]]:
    with unit_of_work(app_db, write=False) as db:
        return [(m.role, m.content) for m in db.query(Message).order_by(Message.sequence_number)]


def shown_messages(at) -> list[str]:
    return [message.markdown[0].value for message in at.chat_message if message.markdown]


def test_a_reload_whose_re_ask_meets_a_database_hiccup_leaves_no_retry(
    app, app_db, app_api, browser_cookies
):
    """Sam's message got no reply (the API failed); Sam reloads, as people do. The page asks
    again by itself, but the database hiccups at that moment: Sam reads only "Something went
    wrong on our side. Try again" (not that the message is kept), with no Retry button. The
    database is back a second later, yet on every later run the message sits unanswered with
    no notice and no Retry: the re-ask was marked done before it ran
    (`_Turn.run` sets `resumed` first; `_ask_again` catches only `AppError`)."""
    classroom(app_db)
    app_api.error(500)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("Are you still there?").run()
    assert at.button(key="retry_reply") is not None

    again = _reload(at, browser_cookies)
    with failing(app_db, CLAIM_FAILS):
        again.run()
    first = everything(again)
    app_api.reply("Sorry, I drifted off.")
    again.run()  # the database answers again; Sam looks at the page (any click reruns it)
    assert not again.exception
    assert _said(app_db) == [("user", "Are you still there?")]  # the words are kept...
    shown = everything(again)
    retry = [b for b in again.button if b.key == "retry_reply"]
    assert retry or "Sorry, I drifted off." in shown_messages(again), (
        "the unanswered message has no reply, no notice and no Retry.\n"
        f"First run after the reload read: {first!r}\nNow: {shown!r}"
    )


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    """Every statement of every engine fails as when the database cannot be reached (a
    PostgreSQL restart or failover, a network blip): reads too, not only writes."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import OperationalError

    def refuse(conn, cursor, statement, parameters, context, executemany):
        raise OperationalError(statement, parameters, sqlite3.OperationalError("unable to open"))

    event.listen(Engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", refuse)


def test_a_message_sent_while_the_database_cannot_be_read_is_not_lost(app, app_db, app_api):
    """Sam sends a message at the moment the database cannot be reached (a restart, a
    failover). The page says only "Something went wrong on our side. Try again": the message
    is neither stored, nor on screen as "Not sent" with Send again, nor in the box. When the
    database is back a few seconds later, the words Sam typed are gone without a trace. (A
    database refusing the *write* keeps them, tests/apps/test_student_app.py; one that fails
    on the run's first read, `auth.check_login` or `read_session_screen`, does not.)"""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    typed = "My supervisor said to ask you about your sleep. How many hours do you get?"
    with database_down():
        at.chat_input(key="chat_input").set_value(typed).run()
    during = everything(at)
    app_api.reply("Maybe four hours.")
    at.run()  # the database is back: Sam looks at the page again
    after = everything(at)
    stored = _said(app_db)
    on_screen = typed in during.replace("\\", "") or typed in after.replace("\\", "")
    assert stored == [("user", typed)] or on_screen, (
        f"the typed words are gone.\nDuring the outage: {during!r}\nAfter: {after!r}"
    )


def test_words_refused_in_a_practised_moment_survive_try_this_moment_again(
    app, app_db, monkeypatch
):
    """Sam practises a moment of an ended session ("Practise this moment") and types the better
    reply; it is refused as too soon and waits as "Not sent" with Send again. Sam then presses
    "Try this moment again", the branch's own button for trying that same moment afresh. The
    words Sam wrote for the moment are gone without a word: not on the new try's screen, not
    shown once to copy as when a session ends, and "Send again" is gone. (The old try is ended
    by `branch_view.try_again`, but its kept words are never shown again.)"""
    from tests.apps.test_practise_moment import BETTER, TURNS, _practise_buttons
    from tests.apps.test_student_review import end_session

    monkeypatch.setenv("USER_RATE_LIMIT", "3/minute")
    classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    item = next(b for b in _practise_buttons(at) if not b.key.startswith("practise_turn_"))
    item.click().run()
    at.chat_input(key="chat_input").set_value(BETTER).run()
    assert any(w.startswith("Not sent") for w in texts(at, "warning")), texts(at, "warning")
    assert at.button(key="resend_draft") is not None

    at.button(key="branch_again").click().run()
    shown = everything(at).replace("\\", "")
    assert not at.exception
    assert BETTER in shown, f"the words written for the moment are gone: {shown!r}"


def test_words_kept_through_a_database_outage_are_sent_by_send_again(app, app_db, app_api):
    """Sam sends a message while the database cannot be reached. The fix keeps it on screen
    ("Not sent, the app could not take it just now"), and when the database is back the page
    shows it as "Not sent" with "Send again". Sam presses Send again: the words vanish, nothing
    is sent and nothing is on screen any more.

    The catch-all (`chat_unsent.keep_typed_after_a_failed_run`) can only keep the words in the
    browser session (the log-in's store is the database that is down), and "Send again"
    (`chat._Turn.run`) re-reads the waiting words with `unsent_messages(fresh=True)`, which
    replaces the session's list with the database's empty one. (An attack on the
    day's fixes, 2026-12-07.)"""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    typed = "How many hours do you sleep on a work night?"
    with database_down():
        at.chat_input(key="chat_input").set_value(typed).run()
    app_api.reply("Maybe four hours.")
    at.run()  # the database is back
    assert any(w.startswith("Not sent") for w in texts(at, "warning")), everything(at)
    assert at.button(key="resend_draft") is not None

    at.button(key="resend_draft").click().run()

    shown = everything(at).replace("\\", "")
    assert _said(app_db)[:1] == [("user", typed)] or typed in shown, (
        f"Send again lost the words: stored {_said(app_db)}, on screen {shown!r}"
    )


def test_words_kept_through_an_outage_in_a_practised_moment_survive_try_again(app, app_db):
    """Sam practises a moment ("Practise this moment") and sends the better reply just as the
    database cannot be reached: the page keeps it as "Not sent". The database is back; Sam
    presses "Try this moment again", whose fix moves the words waiting to the new try. They
    are gone instead: `branch_view.try_again` reads them with `unsent_messages(fresh=True)`,
    which asks the database (that never got them: it was down) and replaces the session's
    list with its empty one. (An attack on the
    day's fixes, 2026-12-07.)"""
    from tests.apps.test_practise_moment import BETTER, TURNS, _practise_buttons
    from tests.apps.test_student_review import end_session

    classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    item = next(b for b in _practise_buttons(at) if not b.key.startswith("practise_turn_"))
    item.click().run()
    with database_down():
        at.chat_input(key="chat_input").set_value(BETTER).run()
    at.run()  # the database is back
    assert any(w.startswith("Not sent") for w in texts(at, "warning")), everything(at)

    at.button(key="branch_again").click().run()

    shown = everything(at).replace("\\", "")
    assert not at.exception
    assert BETTER in shown, f"the words written for the moment are gone: {shown!r}"
