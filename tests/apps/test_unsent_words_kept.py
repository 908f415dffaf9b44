"""The words kept as "Not sent" (an attack, 2026-12-06): the 21st refused message vanished, and
two lines typed ran together on screen.

"Nothing typed is dropped without a word" (mvp/chat_unsent.py) and the README's "the page keeps
the words as 'Not sent' with 'Send again'"."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.models import UnsentMessage
from tests.apps.helpers import assert_clean, classroom, log_in, start_button
from tests.apps.test_words_as_typed import visible_text


def _refusing_every_message(app, app_db, app_api, monkeypatch):
    """Sam says hello (answered); from then on every message is refused as too soon."""
    monkeypatch.setenv("USER_RATE_LIMIT", "1/minute")
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("Hi.")
    at.chat_input(key="chat_input").set_value("Hello, I'm Sam.").run()
    return at


def _not_sent(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("Not sent")]


def test_the_twenty_first_refused_message_is_still_kept_and_shown(
    app, app_db, app_api, monkeypatch
):
    """A student whose messages keep being refused (too soon, the budget used up, the service
    paused) keeps typing. From the 21st on, each new message is neither kept nor shown: the page
    shows the 20 old ones as "Not sent" and the words just typed are gone without a word
    (`unsent_service.MOST_KEPT` drops them silently in `add`)."""
    at = _refusing_every_message(app, app_db, app_api, monkeypatch)
    for number in range(1, 21):
        at.chat_input(key="chat_input").set_value(f"Thought number {number}.").run()
    last = "And the one thing I most wanted to say: I am worried about you."
    at.chat_input(key="chat_input").set_value(last).run()
    assert_clean(at)

    shown = "\n".join(_not_sent(at))
    assert "Thought number 20" in shown  # the older words are there
    assert "I am worried about you" in shown, "the words just typed vanished"
    with unit_of_work(app_db, write=False) as db:
        kept = [row.content for row in db.query(UnsentMessage).order_by(UnsentMessage.position)]
    assert any(last in words for words in kept), "not kept for Send again either"


def test_a_refused_message_of_two_lines_is_shown_on_two_lines(app, app_db, app_api, monkeypatch):
    """The words refused are shown "Not sent" for the student to read and copy, but through
    `escape_markdown`, which keeps the single line break as Markdown source: on screen the two
    lines typed with Shift+Enter run together, unlike the same message once it is sent
    (`as_typed`, tests/apps/test_words_as_typed.py)."""
    at = _refusing_every_message(app, app_db, app_api, monkeypatch)
    typed = "I hear you.\nWhat happened next?"
    at.chat_input(key="chat_input").set_value(typed).run()
    assert_clean(at)
    [warning] = _not_sent(at)
    assert visible_text(warning) == f"Not sent: {typed}"
