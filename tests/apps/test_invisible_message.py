"""Blank messages (attacks, 2026-12-06): "a blank message is refused" (README, How a turn
works) held for spaces and newlines, but not for a message of invisible characters only: each
looked empty, was stored as the student's turn and got a paid reply that answered nothing."""

from __future__ import annotations

import pytest

from tests.apps.helpers import assert_clean, classroom, everything, log_in, start_button
from tests.apps.test_words_as_typed import _stored

INVISIBLE = {
    "zero-width spaces": "\u200b\u200b",
    "a byte order mark": "\ufeff",
    "word joiners and a zero-width space": "\u2060\u200b\u2060",
    # What "invisible character" sites hand out, beside the format characters (later attacks):
    # Unicode counts these as letters, symbols or marks, yet each draws as nothing.
    "Hangul fillers": "\u3164\u3164",
    "Braille blanks": "\u2800\u2800\u2800",
    "a variation selector and a combining grapheme joiner": "\ufe0f\u034f",
    "null noteheads": "\U0001d159\U0001d159\U0001d159",
}


@pytest.mark.parametrize("kind", list(INVISIBLE))
def test_a_message_of_invisible_characters_only_is_refused_like_a_blank_one(
    app, app_db, app_api, kind
):
    """Pasted from a document or a chat, or a stray key: the message looks empty in the box.
    `clean_text` strips only what Python calls whitespace, so the message is stored as the
    student's turn (an empty bubble in their conversation and the teacher's transcript) and a
    paid reply answers nothing."""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("Sorry, did you say something?")
    at.chat_input(key="chat_input").set_value(INVISIBLE[kind]).run()
    assert_clean(at)
    assert _stored(app_db) == [], "an invisible message was stored as the student's turn"
    assert app_api.request_count == 0, "a paid reply answered an invisible message"
    assert "Type a message before sending." in everything(at)
