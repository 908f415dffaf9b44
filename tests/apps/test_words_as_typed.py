"""A student's message is shown as it was typed, to them and to their teacher: Markdown neither
joins two lines typed with Shift+Enter nor turns "3*4*5" into emphasis or "---" into a rule
(an independent review, 2026-12-06: what was stored was exact, what was shown was not)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.models import Message, PracticeSession, User
from backend.models.enums import Role
from backend.practice import history_service
from tests.apps.helpers import APP_PATH, assert_clean, classroom, log_in, open_page, start_button
from tests.factories import add_message, add_reply, make_classroom, start_session

REPLY = "Okay."
TYPED = {
    "two lines": "I hear you.\nWhat happened next?",
    "a pause written as dashes": "---",
    "multiplication": "So 3*4*5 hours a week?",
    "a setext underline": "I don't know\n---",
    "a numbered line": "1. Sleep\n2. Work",
}


def visible_text(markdown_source: str) -> str:
    """What a CommonMark renderer (Streamlit's react-markdown is one, with no plugin that turns a
    single newline into a line break) puts on screen, a line per paragraph, item, heading or
    <br>."""
    rendered = MarkdownIt("commonmark").render(markdown_source).replace("\n", " ")
    rendered = re.sub(r"<br\s*/?>", "\n", rendered)
    rendered = re.sub(r"</(p|li|h\d|blockquote)>|<hr\s*/?>", "\n", rendered)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _emphasis_or_structure(markdown_source: str) -> list[str]:
    rendered = MarkdownIt("commonmark").render(markdown_source)
    return re.findall(r"<(em|strong|h\d|hr|ol|ul)\b", rendered)


def _stored(app_db) -> list[tuple[str, str]]:
    with unit_of_work(app_db, write=False) as db:
        return [(str(m.role), m.content) for m in db.query(Message).order_by(Message.id)]


@pytest.mark.parametrize("kind", list(TYPED))
def test_the_student_sees_their_own_words_as_typed(app, app_db, app_api, kind):
    typed = TYPED[kind]
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply(REPLY)
    at.chat_input(key="chat_input").set_value(typed).run()
    assert_clean(at)
    assert _stored(app_db)[0] == ("user", typed)
    [bubble] = [m for m in at.chat_message if m.markdown[0].value != REPLY]
    assert visible_text(bubble.markdown[0].value) == typed
    assert _emphasis_or_structure(bubble.markdown[0].value) == []


def test_the_teacher_sees_the_students_words_as_typed(app, app_db, app_api):
    """Two lines typed with Shift+Enter, and a product written with asterisks: the teacher's
    History showed them run together, and without the asterisks."""
    classroom(app_db)
    typed = "You work 3*4*5 hours?\nThat sounds like a lot."
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("It is.")
    at.chat_input(key="chat_input").set_value(typed).run()
    assert _stored(app_db)[0] == ("user", typed)
    with unit_of_work(app_db, write=False) as db:
        teacher = db.query(User).filter(User.role == Role.teacher).one().username
        session_id = db.query(PracticeSession).one().id
    history = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), teacher)
    history = open_page(history, "History & metrics")
    history.session_state[f"conversation_{session_id}"] = True
    history.run()
    assert_clean(history)
    assert visible_text(history.chat_message[0].markdown[0].value) == typed


def test_a_blank_message_is_refused_without_a_send_again_that_could_only_repeat_it(app, app_db):
    """The chat box sends "   " as it is: the page said "Type a message before sending." and
    also kept a blank "Not sent:" with Send again and Discard."""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("   \n  ").run()
    assert_clean(at)
    assert _stored(app_db) == []
    assert "Type a message before sending." in [*at.warning.values, *at.error.values]
    assert not [w.value for w in at.warning if w.value.startswith("Not sent")]
    assert "resend_draft" not in [button.key for button in at.button]


def test_words_refused_for_a_control_character_do_not_hold_back_the_words_waiting(
    app, app_db, app_api, monkeypatch
):
    """A message refused as too soon waits as "Not sent"; the student then pastes one with an
    invisible control character. "Send again" glued the two and was refused every time: the
    waiting words could never be sent (an independent review, 2026-12-06)."""
    from backend.config import get_settings
    from backend.utils.rate_limiter import reset_rate_limiter

    monkeypatch.setenv("USER_RATE_LIMIT", "1/minute")
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply(REPLY)
    at.chat_input(key="chat_input").set_value("Hello, I'm Sam.").run()
    at.chat_input(key="chat_input").set_value("What brings you in today?").run()  # too soon
    at.chat_input(key="chat_input").set_value("From my notes:\x0c you said work").run()
    assert_clean(at)
    shown = [w.value for w in at.warning if w.value.startswith("Not sent")]
    assert any("From my notes" in w for w in shown)  # on screen, to copy and edit

    monkeypatch.setenv("USER_RATE_LIMIT", "10/minute")  # the minute has passed
    get_settings.cache_clear()
    reset_rate_limiter()
    app_api.reply("Work, mostly.")
    at.button(key="resend_draft").click().run()
    assert_clean(at)
    # The pasted words wait too, without their invisible character (next test), and go with them.
    assert [text for role, text in _stored(app_db) if role == "user"] == [
        "Hello, I'm Sam.",
        "What brings you in today?\n\nFrom my notes: you said work",
    ]


@pytest.mark.parametrize("reader", ["student", "teacher"])
@pytest.mark.parametrize("kind", list(TYPED))
def test_the_downloaded_transcript_shows_the_words_as_typed(db, kind, reader):
    """The Markdown a student or teacher downloads (`transcript_markdown`) had put the student's
    words through `safe_markdown` in its quote blocks: in any Markdown viewer two lines ran
    together, "3*4*5" lost its asterisks and "---" made the line above it a heading (an attack,
    2026-12-07). It now shows them as the chat and History do."""
    typed = TYPED[kind]
    room = make_classroom(db)
    session = start_session(db, user=room.student, client=room.client)
    add_message(db, actor=room.student, session_id=session.id, content=typed)
    add_reply(db, session_id=session.id, content=REPLY)
    actor = room.student if reader == "student" else room.teacher
    markdown = history_service.transcript_markdown(db, actor=actor, session_id=session.id)
    block = markdown.split("### 1. ", 1)[1].split("\n", 1)[1].split("\n### ", 1)[0]
    words = "\n".join(line for line in block.splitlines() if line.startswith(">"))
    assert visible_text(words).split("\n") == typed.split("\n"), words
    assert _emphasis_or_structure(words) == []
