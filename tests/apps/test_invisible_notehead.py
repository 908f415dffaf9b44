"""(An attack, 2026-12-06.) (Attack R3, 2026-12-06.) a21c90d counts as blank what "invisible character" sites hand out:
the Hangul fillers and the Braille blank (added by name to `_BLANK_FILLERS`) and marks with
nothing to sit on. The same sites (invisible-characters.com's list, beside U+3164 and U+2800)
hand out U+1D159 MUSICAL SYMBOL NULL NOTEHEAD, a symbol (So) drawn as nothing: a message of it
still looks empty, is stored as the student's turn and gets a paid reply."""

from __future__ import annotations

from tests.apps.helpers import assert_clean, classroom, everything, log_in, start_button
from tests.apps.test_words_as_typed import _stored


def test_a_message_of_null_noteheads_is_refused_like_a_blank_one(app, app_db, app_api):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("Sorry, did you say something?")
    at.chat_input(key="chat_input").set_value("\U0001d159\U0001d159\U0001d159").run()
    assert_clean(at)
    assert _stored(app_db) == [], "an invisible message was stored as the student's turn"
    assert app_api.request_count == 0, "a paid reply answered an invisible message"
    assert "Type a message before sending." in everything(at)
