"""An attack on fdaa66f (2026-12-06): past 20 waiting ("Not sent") messages each new one joins the last, "so none
is dropped" (README, How a turn works). But when the last waiting message is long, the new words
would make it longer than MESSAGE_MAX_CHARS, and `unsent_service.add` then keeps them nowhere:
they show once, and the next "Send again" (which reads the list afresh), a reload or another tab
of the log-in no longer has them."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.models import UnsentMessage
from tests.apps.helpers import assert_clean, classroom, log_in, start_button

LAST = "And the one thing I most wanted to say: I am worried about you."


def _not_sent(at) -> str:
    return "\n".join(w.value for w in at.warning if w.value.startswith("Not sent"))


def test_words_refused_after_a_long_twentieth_message_are_not_dropped(
    app, app_db, app_api, monkeypatch
):
    monkeypatch.setenv("USER_RATE_LIMIT", "1/minute")
    monkeypatch.setenv("MESSAGE_MAX_CHARS", "300")
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("Hi.")
    at.chat_input(key="chat_input").set_value("Hello, I'm Sam.").run()
    for number in range(1, 20):  # refused as too soon, each kept as "Not sent"
        at.chat_input(key="chat_input").set_value(f"Thought number {number}.").run()
    long_one = "I keep thinking about what you said about your brother. " * 5  # 279 characters
    at.chat_input(key="chat_input").set_value(long_one.strip()).run()
    at.chat_input(key="chat_input").set_value(LAST).run()
    assert_clean(at)
    assert "I am worried about you" in _not_sent(at)  # shown once...

    with unit_of_work(app_db, write=False) as db:
        kept = [row.content for row in db.query(UnsentMessage).order_by(UnsentMessage.position)]
    # "Send again" (still too soon): the words on screen are read afresh, and these are gone.
    at.button(key="resend_draft").click().run()
    assert_clean(at)
    assert "I am worried about you" in _not_sent(at), "the words just typed vanished from screen"
    assert any(LAST in words for words in kept), (
        "the 21st message is kept nowhere: a reload, another tab or Send again loses it"
    )
