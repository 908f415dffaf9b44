"""An attack on deed24e (2026-12-06): "a message of invisible characters only is refused like a blank one" holds
for Unicode's format characters (Cf) but not for the invisible characters people actually paste
to send an "empty" message: the Hangul filler and the Braille blank that invisible-character
sites hand out, or a lone variation selector. Each still looks empty in the box and in the
bubble, is stored as the student's turn (an empty bubble in their conversation and the teacher's
transcript) and gets a paid reply that answers nothing."""

from __future__ import annotations

import pytest

from tests.apps.helpers import assert_clean, classroom, everything, log_in, start_button
from tests.apps.test_words_as_typed import _stored

INVISIBLE = {
    "Hangul fillers": "\u3164\u3164",
    "Braille blanks": "\u2800\u2800\u2800",
    "a variation selector and a combining grapheme joiner": "\ufe0f\u034f",
}


@pytest.mark.parametrize("kind", list(INVISIBLE))
def test_a_message_of_invisible_fillers_only_is_refused_like_a_blank_one(
    app, app_db, app_api, kind
):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("Sorry, did you say something?")
    at.chat_input(key="chat_input").set_value(INVISIBLE[kind]).run()
    assert_clean(at)
    assert _stored(app_db) == [], "an invisible message was stored as the student's turn"
    assert app_api.request_count == 0, "a paid reply answered an invisible message"
    assert "Type a message before sending." in everything(at)
