"""The student app through Streamlit's AppTest: sign-up, assigned clients, a conversation, feedback,
history, and resuming from the database in a new browser session."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.models import MessageRating, SessionFeedback
from backend.models.enums import Role
from backend.services import session_service
from tests.apps.conftest import APP_PATH, log_in
from tests.apps.test_teacher_app import assert_clean, everything, texts
from tests.factories import (
    PASSWORD, enroll, make_assignment, make_client, make_section, make_user,
)

HIDDEN = "Was recently passed over for promotion."


def classroom(app_db):
    """A published client (Alex), a draft one (Dana), and a student in the section."""
    with unit_of_work(app_db) as session:
        teacher = make_user(session, role=Role.teacher)
        student = make_user(session, username="sam.student", display_name="Sam Student")
        alex = make_client(session, teacher=teacher, name="Alex Rivera")
        dana = make_client(session, teacher=teacher, name="Dana Draft")
        section = make_section(session, teacher=teacher, name="Skills 101")
        enroll(session, section=section, student=student)
        make_assignment(session, teacher=teacher, section=section, clients=[alex], title="Week 1")
        make_assignment(session, teacher=teacher, section=section, clients=[dana], published=False)
    return student, alex, section


def every_text(at) -> str:
    """Everything the page sent to the browser, as text (every element's protobuf message)."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def test_sign_up_with_a_wrong_then_a_right_join_code(app, app_db):
    _student, _alex, section = classroom(app_db)
    at = app.run()
    at.text_input(key="signup_join_code").input("NOPE1234")
    at.text_input(key="signup_username").input("new.student")
    at.text_input(key="signup_display_name").input("New Student")
    at.text_input(key="signup_password").input(PASSWORD)
    at.text_input(key="signup_password_again").input(PASSWORD)
    at.button(key="signup_submit").click().run()
    assert "join code does not match" in everything(at)
    at.text_input(key="signup_join_code").input(section.join_code.lower())
    at.text_input(key="signup_password").input(PASSWORD)
    at.text_input(key="signup_password_again").input(PASSWORD)
    at.button(key="signup_submit").click().run()
    assert_clean(at)
    assert "Practice" in texts(at, "title")
    assert "#### Alex Rivera, 34" in texts(at)


def test_only_published_clients_appear_and_hidden_information_never_does(app, app_db):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    assert_clean(at)
    cards = [text for text in texts(at) if text.startswith("#### ")]
    assert cards == ["#### Alex Rivera, 34"]
    assert "Week 1 (Skills 101)" in texts(at, "caption")
    assert at.button(key=next(b.key for b in at.button if b.key.startswith("start_"))).label == \
        "Start conversation"
    assert HIDDEN not in every_text(at) and "Dana Draft" not in every_text(at)


def test_three_turns_end_feedback_thumbs_and_history(app, app_db, app_api):
    student, alex, _section = classroom(app_db)
    app_api.reply("I guess work has been a lot.", input_tokens=900, output_tokens=8)
    app_api.reply("My manager keeps piling things on.", input_tokens=950, output_tokens=7)
    app_api.reply("I haven't told anyone this.", input_tokens=990, output_tokens=6)
    at = log_in(app.run(), "sam.student")
    start = next(b for b in at.button if b.key.startswith("start_"))
    start.click().run()
    assert_clean(at)
    assert "Alex Rivera" in [h.value for h in at.subheader]
    assert any("Session time" in c for c in texts(at, "caption"))
    for text in ("What brings you in?", "Tell me more.", "That sounds heavy."):
        at.chat_input(key="chat_input").set_value(text).run()
        assert_clean(at)
    shown = [m.markdown[0].value for m in at.chat_message]
    assert shown == ["What brings you in?", "I guess work has been a lot.", "Tell me more.",
                     "My manager keeps piling things on.", "That sounds heavy.",
                     "I haven't told anyone this."]
    assert HIDDEN not in every_text(at)

    at.button(key="end_session").click().run()
    assert "End this session?" in everything(at)
    at.button(key="confirm_end").click().run()
    assert_clean(at)
    assert at.chat_input(key="chat_input").disabled
    at.slider(key="fb_realism").set_value(5)
    at.slider(key="fb_usefulness").set_value(4)
    at.text_area(key="fb_comment").input("Felt like a real person.")
    at.button(key="fb_submit").click().run()
    assert "Thank you: your feedback was saved." in everything(at)
    with unit_of_work(app_db, write=False) as session:
        chat_id = session_service.get_student_sessions(session, actor=student)[0].id
        replies = [m for m in session_service.get_messages(session, actor=student,
                                                            session_id=chat_id)
                   if m.role == "assistant"]
        feedback = session.query(SessionFeedback).one()
    assert (feedback.realism, feedback.usefulness, feedback.comment) == (5, 4,
                                                                         "Felt like a real person.")
    at.feedback(key=f"thumbs_{replies[0].id}").set_value(1).run()
    with unit_of_work(app_db, write=False) as session:
        rating = session.query(MessageRating).one()
    assert rating.message_id == replies[0].id and rating.positive

    at.button(key="back_to_clients").click().run()
    at.segmented_control(key="student_view").set_value("My sessions").run()
    assert_clean(at)
    titles = [e.label for e in at.expander]
    assert any("Alex Rivera" in t and "Week 1" in t and "6 messages" in t for t in titles)


def test_a_new_browser_session_resumes_the_conversation_from_the_database(app, app_db, app_api):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    next(b for b in at.button if b.key.startswith("start_")).click().run()
    at.chat_input(key="chat_input").set_value("Hello there.").run()
    at.chat_input(key="chat_input").set_value("How has your week been?").run()
    token = at.query_params["s"][0] if isinstance(at.query_params["s"], list) else \
        at.query_params["s"]

    # A reload: new session state, the same address (with its log-in token).
    again = AppTest.from_file(APP_PATH, default_timeout=30)
    again.query_params["s"] = token
    again.run()
    assert_clean(again)
    assert "Practice" in texts(again, "title")
    assert next(b for b in again.button if b.key.startswith("start_")).label == \
        "Continue conversation"
    next(b for b in again.button if b.key.startswith("start_")).click().run()
    shown = [m.markdown[0].value for m in again.chat_message]
    assert shown[0] == "Hello there." and shown[2] == "How has your week been?"
    assert len(shown) == 4


def test_log_out_ends_the_saved_log_in(app, app_db):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    token = at.query_params["s"]
    token = token[0] if isinstance(token, list) else token
    at.button(key="logout").click().run()
    again = AppTest.from_file(APP_PATH, default_timeout=30)
    again.query_params["s"] = token
    again.run()
    assert "Practice" not in texts(again, "title")
    assert again.text_input(key="login_username") is not None


def test_join_another_section(app, app_db):
    classroom(app_db)
    with unit_of_work(app_db) as session:
        other_teacher = make_user(session, role=Role.teacher)
        other = make_section(session, teacher=other_teacher, name="Ethics")
    at = log_in(app.run(), "sam.student")
    at.segmented_control(key="student_view").set_value("Join a section").run()
    at.text_input(key="join_code").input("WRONG999")
    at.button(key="join_submit").click().run()
    assert "join code does not match" in everything(at)
    at.text_input(key="join_code").input(other.join_code)
    at.button(key="join_submit").click().run()
    assert "You joined Ethics." in everything(at)
