"""A student's message is shown as it was typed (tests/apps/test_words_as_typed.py; an attack,
2026-12-06): a paragraph pasted with its indentation (four spaces or a tab after a blank line, as notes or a
quoted e-mail often are) becomes a Markdown code block, where `as_typed`'s backslash escapes are
shown literally: the student and their teacher read "3\\.5 hours \\(maybe less\\)"."""

from __future__ import annotations

import pytest

from tests.apps.helpers import assert_clean, classroom, log_in, start_button
from tests.apps.test_words_as_typed import _stored, visible_text

TYPED = {
    "four spaces": "From my notes:\n\n    She sleeps 3.5 hours a night (maybe less).",
    "a tab": "You wrote:\n\n\tI can't do this anymore, it's 2 a.m. again.",
}


@pytest.mark.parametrize("kind", list(TYPED))
def test_an_indented_paragraph_is_shown_without_backslashes(app, app_db, app_api, kind):
    typed = TYPED[kind]
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("Okay.")
    at.chat_input(key="chat_input").set_value(typed).run()
    assert_clean(at)
    assert _stored(app_db)[0] == ("user", typed)  # stored exactly
    [bubble] = [m for m in at.chat_message if m.markdown[0].value != "Okay."]
    shown = visible_text(bubble.markdown[0].value)
    assert "\\" not in shown, f"backslashes the student never typed: {shown!r}"
    assert shown == "\n".join(line.strip() for line in typed.split("\n") if line.strip())
