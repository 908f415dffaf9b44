"""A practised moment is a try of one moment, not a session: My progress does not count it as one,
the page after it says which conversation it opens, and it quotes the student's words as typed
(an attack, 2026-12-07)."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.practice import session_service
from backend.reviews import progress_service
from backend.utils.markdown import as_typed
from tests.apps.helpers import assert_clean, classroom, log_in, open_page, start_button, texts
from tests.apps.test_student_review import end_session, session_id_of

BETTER = "It sounds like you feel worn out by all of it."
TURNS = [
    ("Do you drink every day?", ""),
    ("Have you tried to stop?", ""),
    ("Why don't you just stop?", ""),
]


def test_my_progress_does_not_count_a_practised_moment_as_a_reviewed_session(app, app_db):
    """One session, then one moment of it practised again and ended: My progress said
    "2 reviewed sessions" and charted the try as Session 2, though a practised moment is no
    session of its own (the class progress and the gradebook leave it out). (An attack,
    2026-12-07.)"""
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    assert_clean(at)
    original_id = session_id_of(app_db, student)
    practise = next(
        b
        for b in at.button
        if b.key.startswith(f"practise_turn_{original_id}_")
        or b.key.startswith(f"practise_{original_id}_")
    )
    practise.click().run()
    at.chat_input(key="chat_input").set_value(BETTER).run()
    at.button(key="end_session").click().run()
    at.button(key="confirm_end").click().run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        sessions = session_service.get_student_sessions(db, actor=student)
    assert len(sessions) == 2 and sum(s.branch_of_id is not None for s in sessions) == 1
    open_page(at, "My progress")
    assert_clean(at)
    captions = texts(at, "caption")
    assert any(text.startswith("1 reviewed session,") for text in captions), captions


STARRED = "So 3*4*5 drinks, *every* night?"


def test_a_practised_moment_shows_the_students_words_as_typed(app, app_db):
    """The branch header ("You said: ...") and My progress's Practised moments ("Before",
    "This time") quote the student's own words through `safe_markdown`, so "3*4*5" reads as
    "3<em>4</em>5" and "*every*" loses its asterisks: the words shown are not the words said
    (the review's own quotes were fixed to `as_typed`, these were left out). (An attack,
    2026-12-07.)"""
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), [(STARRED, ""), *TURNS[1:]])
    assert_clean(at)
    original_id = session_id_of(app_db, student)
    at.button(key=f"practise_turn_{original_id}_1").click().run()
    assert_clean(at)
    header = next(t for t in texts(at) if t.startswith("**Practising a moment:**"))
    assert as_typed(STARRED) in header, header  # every asterisk shown, none read as emphasis


def test_my_progress_practised_moments_show_the_students_words_as_typed(app, app_db):
    """My progress's Practised moments quote "Before" and "This time" through `safe_markdown`
    inside *...* and **...**: "3*4*5" and "*every*" are read as emphasis, the words garbled.
    (An attack, 2026-12-07.)"""
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), [(STARRED, ""), *TURNS[1:]])
    original_id = session_id_of(app_db, student)
    at.button(key=f"practise_turn_{original_id}_1").click().run()
    at.chat_input(key="chat_input").set_value(STARRED).run()
    assert_clean(at)
    open_page(at, "My progress")
    assert_clean(at)
    shown = [t for t in texts(at) if t.startswith(("Before: ", "This time: "))]
    assert shown and all(as_typed(STARRED) in t for t in shown), shown


def _try_a_moment_of_the_open_conversation(app, app_db, reply: str):
    """The student says TURNS in a conversation they leave open, practises its turn 3 from My
    sessions (offered there for a conversation in progress too), says `reply` and ends the try:
    (the page after it, the student, the open conversation's id)."""
    student, _alex, _section = classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    for text, _reply in TURNS:
        at.chat_input(key="chat_input").set_value(text).run()
    assert_clean(at)
    original_id = session_id_of(app_db, student)
    open_page(at, "My sessions")
    at.session_state[f"my_session_{original_id}"] = True
    at.run()
    at.button(key=f"practise_turn_{original_id}_3").click().run()
    assert_clean(at)
    at.chat_input(key="chat_input").set_value(reply).run()
    at.button(key="end_session").click().run()
    at.button(key="confirm_end").click().run()
    assert_clean(at)
    return at, student, original_id


def test_the_page_after_a_practised_moment_says_it_continues_the_open_conversation(app, app_db):
    """A moment of the conversation still in progress practised (My sessions offers it), the try
    ended: its "New conversation with Alex Rivera" opened the old conversation in progress, with
    everything said in it, not a new one (a student has one open conversation with a client).
    Now the button says what it opens. (An attack, 2026-12-07.)"""
    at, _student, original_id = _try_a_moment_of_the_open_conversation(app, app_db, BETTER)
    again = at.button(key="start_again")
    assert again.label == "Continue your conversation with Alex Rivera", again.label
    again.click().run()
    assert_clean(at)
    assert at.session_state["student_session_id"] == original_id
    assert len(at.chat_message) == 2 * len(TURNS)  # everything said in it, as the label says


def test_my_progress_still_shows_a_practised_moments_try_instead_when_no_session_is_reviewed(
    app, app_db
):
    """The student practises a moment of the conversation still in progress (My sessions offers
    it) and ends the try: its review is released with "try instead" items. The original is still
    open, so no session of theirs is reviewed. My progress (99bf0f3) no longer charts the try,
    and, with no points, the page says "No reviewed sessions yet" and draws no "Try instead" at
    all: the try's better replies, which the fix meant to keep, are shown nowhere. (An attack on the day's fixes, 2026-12-07.)"""
    at, student, _original_id = _try_a_moment_of_the_open_conversation(
        app, app_db, "Why don't you stop, then?"
    )
    with unit_of_work(app_db, write=False) as db:
        progress = progress_service.student_progress(db, actor=student)
    assert progress.try_instead, "the try's review offered nothing: the test shows nothing"
    open_page(at, "My progress")
    assert_clean(at)
    subheaders = texts(at, "subheader")
    assert "Try instead" in subheaders, (
        f"the try's {len(progress.try_instead)} 'try instead' item(s) are not shown; "
        f"subheaders: {subheaders}; info: {texts(at, 'info')}"
    )
