"""'Practise this moment' through AppTest (issue 24): a "Try instead" item of the review opens a
branch, the student's new reply is coded at once above the client's answer, the moment can be
tried again, and both histories mark the tries as branches of the original."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.models import Section, User
from backend.practice import session_service
from backend.utils.markdown import as_typed
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    teacher_app,
    texts,
)
from tests.apps.test_student_review import end_session, session_id_of
from tests.factories import make_client

BETTER = "It sounds like you feel worn out by all of it."
TURNS = [  # closed questions and a push: the demo review suggests better replies
    ("Do you drink every day?", ""),
    ("Have you tried to stop?", ""),
    ("Why don't you just stop?", ""),
]


def _practise_buttons(at) -> list:
    return [button for button in at.button if button.key.startswith("practise_")]


def test_practise_this_moment_codes_the_new_reply_at_once(app, app_db):
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    assert_clean(at)
    original_id = session_id_of(app_db, student)
    with unit_of_work(app_db, write=False) as db:
        before = session_service.get_messages(db, actor=student, session_id=original_id)
    item = next(b for b in _practise_buttons(at) if not b.key.startswith("practise_turn_"))
    assert item.label == "Practise this moment"
    turn = int(item.key.split("_")[2])
    item.click().run()
    assert_clean(at)
    assert any(
        text.startswith("**Practising a moment:** branch of the session of") for text in texts(at)
    )
    assert f"at turn {turn}" in everything(at)

    at.chat_input(key="chat_input").set_value(BETTER).run()
    assert_clean(at)
    coded = [text for text in texts(at, "info") if text.startswith("Your reply is ")]
    assert coded and "(before: " in coded[0], texts(at, "info")
    assert len(at.chat_message) == turn + 1  # the copied turns, the new reply, the client's answer

    at.button(key="branch_again").click().run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        sessions = session_service.get_student_sessions(db, actor=student)
        after = session_service.get_messages(db, actor=student, session_id=original_id)
    tries = [s for s in sessions if s.branch_of_id == original_id]
    assert len(tries) == 2 and {s.branch_turn for s in tries} == {turn}
    assert sorted(s.is_active for s in tries) == [False, True]  # the first try ended, kept
    assert after == before  # the original is unchanged

    open_page(at, "My progress")
    assert_clean(at)
    assert "Practised moments" in texts(at, "subheader")
    assert f"This time: {as_typed(BETTER)}" in texts(at)

    open_page(at, "My sessions")
    assert_clean(at)
    marked = [e.label for e in at.expander if f"at turn {turn}" in e.label]
    assert len(marked) == 2 and all("branch of the session of" in label for label in marked)


def test_a_student_turn_of_my_sessions_opens_a_branch_the_teacher_sees_marked(app, app_db):
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    original_id = session_id_of(app_db, student)
    open_page(at, "My sessions")
    at.session_state[f"my_session_{original_id}"] = True
    at.run()
    at.button(key=f"practise_turn_{original_id}_3").click().run()
    assert_clean(at)
    assert "Practice" in texts(at, "title") and "at turn 3" in everything(at)

    with unit_of_work(app_db, write=False) as db:
        teacher_id = db.scalar(select(Section.teacher_id))
        username = db.get_one(User, teacher_id).username
    teacher = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30), username)
    open_page(teacher, "History & metrics")
    assert_clean(teacher)
    assert any("branch of the session of" in e.label for e in teacher.expander)


def test_a_teacher_practises_a_moment_of_a_test_chat(app, app_db, teacher, app_api):
    """Trying another reply at one moment of a test chat: the chat rewinds to before that turn
    (the test chat before it unchanged), the new reply is coded at once, the client answers."""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
    app_api.reply("I don't really know where to start.")
    app_api.reply("Work, mostly.")
    app_api.reply("Yes. I'm exhausted all the time.")
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hi Alex, what brings you in today?").run()
    at.chat_input(key="chat_input").set_value("Is it work?").run()
    assert_clean(at)
    original_id = at.session_state["test_session_id"]
    with unit_of_work(app_db, write=False) as db:
        before = session_service.get_messages(db, actor=teacher, session_id=original_id)

    at.button(key=f"practise_test_{original_id}_3").click().run()  # the closed question
    assert_clean(at)
    assert any(
        text.startswith("**Practising a moment:** branch of the session of") for text in texts(at)
    )
    assert [m.markdown[0].value for m in at.chat_message] == [
        "Hi Alex, what brings you in today?",
        "I don't really know where to start.",
    ]
    at.chat_input(key="chat_input").set_value(BETTER).run()
    assert_clean(at)
    coded = [text for text in texts(at, "info") if text.startswith("Your reply is ")]
    assert coded and "(before: " in coded[0], texts(at, "info")
    assert at.chat_message[-1].markdown[0].value == "Yes. I'm exhausted all the time."

    branch_id = at.session_state["test_session_id"]
    with unit_of_work(app_db, write=False) as db:
        branch = session_service.get_session(db, actor=teacher, session_id=branch_id)
        after = session_service.get_messages(db, actor=teacher, session_id=original_id)
    assert (branch.branch_of_id, branch.branch_turn) == (original_id, 3)
    assert after == before  # the test chat it rewinds is unchanged


def test_a_try_instead_item_of_my_progress_opens_its_moment(app, app_db):
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    original_id = session_id_of(app_db, student)
    open_page(at, "My progress")
    assert_clean(at)
    buttons = [b for b in at.button if b.key.startswith("practise_progress_")]
    assert buttons and buttons[0].label == "Practise this moment"
    buttons[0].click().run()
    assert_clean(at)
    assert "Practice" in texts(at, "title")
    assert any(
        text.startswith("**Practising a moment:** branch of the session of") for text in texts(at)
    )
    with unit_of_work(app_db, write=False) as db:
        tries = [
            s
            for s in session_service.get_student_sessions(db, actor=student)
            if s.branch_of_id == original_id
        ]
    assert len(tries) == 1 and tries[0].branch_turn in {1, 3, 5}  # one of the student's turns


def test_my_progress_lists_a_copied_turns_suggestion_once_after_a_practised_moment(app, app_db):
    """A practised moment (a branch) copies the turns before it, and its own review coded them
    again: My progress listed the original's "try instead" for a copied turn a second time, as if
    the student had said those words again in the try (an attack, 2026-12-07). Each thing the
    student said is listed once; the try's suggestions on its own turns stay."""
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    assert_clean(at)
    original_id = session_id_of(app_db, student)
    practise = next(b for b in at.button if b.key.startswith(f"practise_{original_id}_3_"))
    practise.click().run()
    at.chat_input(key="chat_input").set_value(BETTER).run()
    at.button(key="end_session").click().run()
    at.button(key="confirm_end").click().run()
    assert_clean(at)
    open_page(at, "My progress")
    assert_clean(at)
    said = [text for text in texts(at) if text.startswith("You said: ")]
    assert said.count(f"You said: {TURNS[0][0]}") == 1, said
