"""What the student sees of a turn is what the conversation holds, once: a reply the API never
finished is not shown as the client's answer, and words sent again are not offered (and sent) a
second time after a database hiccup. (An attack, 2026-12-07.)"""

from __future__ import annotations

from tests.apps.helpers import classroom, log_in, start_button
from tests.apps.test_unsent_after_reload import (
    THOUGHT,
    _limit_lifted,
    _refused_as_too_soon,
    _reload,
    _said,
    _unsent,
)
from tests.apps.test_words_survive_database_failures import shown_messages
from tests.integration.test_database_failure_not_the_api import failing

#: The database refuses to forget kept words (a lock, a failover) for one moment.
FORGET_FAILS = (
    "CREATE TRIGGER forget_fails BEFORE DELETE ON unsent_messages "
    "BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
)


def test_a_reply_whose_stream_just_ends_is_not_shown_as_the_clients_answer(app, app_db, app_api):
    """The stream closes mid-sentence without `message_stop` (a proxy ending the response
    early): the fragment had been stored and shown as Alex's whole answer, with no notice and
    no Retry, after a rerun too."""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.stream_ended_early("I was going to say that my brother never", chunk_delay=0)
    at.chat_input(key="chat_input").set_value("Go on.").run()
    at.run()
    assert not at.exception
    assert shown_messages(at)[1:] == [], f"a cut-off reply is shown: {shown_messages(at)[1:]}"
    assert at.button(key="retry_reply") is not None
    app_api.reply("He never called me back.")
    at.button(key="retry_reply").click().run()
    assert shown_messages(at)[1:] == ["He never called me back."]


def test_words_sent_again_during_a_database_hiccup_are_not_offered_a_second_time(
    app, app_db, app_api, monkeypatch, browser_cookies
):
    """Sam's message was refused as too soon and waits as "Not sent". Send again stored and
    answered it, but taking it off the kept list met a database hiccup (its own transaction):
    after a reload the page offered the words already in the conversation as "Not sent", and
    Send again stored them a second time (the client answered the same question twice). Now
    both happen in one transaction, or neither: the words wait, once, and are sent once."""
    at = _refused_as_too_soon(app, app_db, app_api, monkeypatch)
    _limit_lifted(monkeypatch)
    app_api.reply("Overwhelmed, I guess.", times=2)
    with failing(app_db, FORGET_FAILS):
        at.button(key="resend_draft").click().run()
    assert _said(app_db) == ["Hello."]  # neither: the hiccup refused the whole send

    again = _reload(at, browser_cookies)
    assert not again.exception
    assert _unsent(again) == [f"Not sent: {THOUGHT}"]
    again.button(key="resend_draft").click().run()
    assert _said(app_db) == ["Hello.", THOUGHT]
    assert _unsent(_reload(again, browser_cookies)) == []
