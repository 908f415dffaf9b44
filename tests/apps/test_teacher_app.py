"""The app shell and the teacher app through Streamlit's AppTest: every flow a teacher uses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from backend.classes import assignment_service, section_service
from backend.clients import client_service
from backend.db import Database, unit_of_work
from backend.models.enums import Role
from backend.practice import conversation_service, history_service
from mvp.teacher.shared import TRY_SESSION_KEY
from tests.apps.helpers import (
    assert_clean,
    everything,
    log_in,
    open_page,
    teacher_app,
    texts,
)
from tests.factories import PASSWORD, make_client, make_section, make_user


def add_client(app_db, teacher, **overrides):
    with unit_of_work(app_db) as db:
        return make_client(db, teacher=teacher, **overrides)


# Shell -----------------------------------------------------------------------------------------
def test_first_run_setup_creates_the_admin_and_shows_demo_passwords_once(app):
    at = app.run()
    assert_clean(at)
    assert "Welcome: set up the practice platform" in texts(at, "title")
    assert at.info and "Demo mode" in at.info[0].value  # no API key in tests

    at.text_input(key="setup_username").input("ada.admin")
    at.text_input(key="setup_display_name").input("Ada Admin")
    at.text_input(key="setup_password").input("a long password")
    at.text_input(key="setup_password_again").input("another password")
    at.button(key="setup_submit").click().run()
    assert "The two passwords differ." in everything(at)
    assert "Welcome: set up the practice platform" in texts(at, "title")

    at.text_input(key="setup_password_again").input("a long password")
    at.button(key="setup_submit").click().run()
    assert_clean(at)
    assert "Figures" in texts(at, "title")
    page = everything(at)
    passwords = dict(re.findall(r"username `([\w.]+)` · password `([^`]+)`", page))
    assert set(passwords) == {"demo.teacher", "demo.student"}
    assert re.search(r"demo section with the code `[A-Z2-9]{8}`", page)

    at.button(key="dismiss_setup_notes").click().run()
    assert "password `" not in everything(at)

    at.button(key="logout").click().run()
    at = log_in(at, "demo.teacher", passwords["demo.teacher"])
    assert_clean(at)
    assert "Clients" in texts(at, "title")
    assert "**Maya Thompson** · 19" in texts(at)


def test_log_in_wrong_then_right_then_log_out(app, teacher):
    at = log_in(app.run(), "tina.teacher", "not the password")
    assert "Wrong username or password." in texts(at, "error")
    assert "Clients" not in texts(at, "title")

    at = log_in(at, "tina.teacher")
    assert_clean(at)
    assert "Clients" in texts(at, "title")
    assert any("Tina Teacher" in text for text in texts(at))
    assert PASSWORD not in list(at.session_state.values())  # typed passwords are not kept

    at.button(key="logout").click().run()
    assert at.text_input(key="login_username") is not None
    assert "Clients" not in texts(at, "title")


def test_a_browser_that_keeps_guessing_is_stopped_but_the_owner_logs_in_elsewhere(app, teacher):
    from streamlit.testing.v1 import AppTest

    from tests.apps.conftest import APP_PATH

    attacker = app.run()
    for _ in range(5):
        attacker = log_in(attacker, "tina.teacher", "not the password")
        assert "Wrong username or password." in texts(attacker, "error")
    attacker = log_in(attacker, "tina.teacher")  # even the right password waits in this browser
    assert any(
        re.search(r"from this browser\. Wait \d+ minutes", message)
        for message in texts(attacker, "warning")
    )
    owner = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "tina.teacher")
    assert_clean(owner)
    assert "Clients" in texts(owner, "title")


def test_students_navigation_has_no_teacher_page(app, app_db):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.student, username="stu.dent")
    at = log_in(app.run(), "stu.dent")
    assert_clean(at)
    assert "Practice" in texts(at, "title")
    assert "No clients are assigned to you yet" in everything(at)
    with pytest.raises(ValueError):
        at.switch_page("teacher/clients.py")


def test_student_signs_up_with_a_join_code(app, app_db, teacher):
    with unit_of_work(app_db) as db:
        section = section_service.create_section(db, actor=teacher, name="Group B")
    at = app.run()
    at.text_input(key="signup_join_code").input("WRONG123")
    at.text_input(key="signup_username").input("new.student")
    at.text_input(key="signup_display_name").input("New Student")
    at.text_input(key="signup_password").input("student password")
    at.text_input(key="signup_password_again").input("student password")
    at.button(key="signup_submit").click().run()
    assert "Unknown join code." in everything(at)

    at.text_input(key="signup_join_code").input(section.join_code.lower())
    at.button(key="signup_submit").click().run()
    assert_clean(at)
    assert "Practice" in texts(at, "title")
    with unit_of_work(app_db) as db:
        roster = section_service.get_roster(db, actor=teacher, section_id=section.id)
    assert [entry.username for entry in roster] == ["new.student"]


# Clients ---------------------------------------------------------------------------------------
def test_create_a_client_with_a_validation_error_then_correctly(app, teacher):
    at = teacher_app(app)
    assert "No clients yet." in everything(at)  # and the form is already open
    at.text_input(key="client_name").input("Jordan Blake")
    at.number_input(key="client_age").set_value(27)
    at.multiselect(key="client_personality_traits").select("guarded")
    at.selectbox(key="client_communication_style").select("reserved")
    reserved = "reserved: short answers, needs drawing out"
    hint = "replies of 1-2 sentences, at most about 75 words"  # what caps every reply
    assert f"{reserved} · {hint}" in at.selectbox(key="client_communication_style").options
    at.selectbox(key="client_difficulty").select("advanced")
    at.text_area(key="client_presenting_concern").input("Trouble sleeping since the layoff.")
    at.text_area(key="client_hidden_information").input("Has not told his partner.")
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert "Choose between 2 and 5 personality traits." in everything(at)
    assert "Please correct the highlighted fields." in texts(at, "warning")
    assert at.text_input(key="client_name").value == "Jordan Blake"  # nothing typed is lost

    at.multiselect(key="client_personality_traits").select("irritable")
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert any(message.startswith("Saved Jordan Blake.") for message in texts(at, "success"))
    assert "**Jordan Blake** · 27" in texts(at)
    assert ":blue-badge[guarded] :blue-badge[irritable] :orange-badge[advanced]" in texts(at)
    assert f"0 conversations · reserved style, {hint}" in texts(at, "caption")


def test_the_client_form_says_which_parts_students_read(app, teacher):
    """Students' cards show the learning goals whole ("Practise: ...") and the presenting
    concern's first sentence; the form had said so of neither (only that the hidden information
    is never shown), so a teacher could write a spoiler where students read it. (Noticed on
    rereading, 2026-12-07.)"""
    at = teacher_app(app)
    assert "students" in at.text_area(key="client_learning_goals").help.lower()
    assert "shown" in at.text_area(key="client_learning_goals").help.lower()
    assert "students" in at.text_area(key="client_presenting_concern").help.lower()
    assert "Never shown to students" in at.text_area(key="client_hidden_information").help


def test_edit_duplicate_and_archive_a_client(app, app_db, teacher):
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key=f"edit_client_{client.id}").click().run()
    assert at.text_input(key="client_name").value == "Alex Rivera"
    at.text_input(key="client_name").input("Alex R.")
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert "**Alex R.** · 34" in texts(at)

    at.button(key=f"duplicate_client_{client.id}").click().run()
    assert at.text_input(key="client_name").value == "Alex R. (copy)"
    at.button(key="cancel_client").click().run()
    assert "**Alex R. (copy)** · 34" in texts(at)

    at.button(key=f"archive_client_{client.id}").click().run()
    assert_clean(at)
    assert "**Alex R.** · 34" not in texts(at)
    at.toggle(key="show_archived").set_value(True).run()
    assert "**Alex R.** · 34  :gray-badge[archived]" in texts(at)
    at.button(key=f"archive_client_{client.id}").click().run()
    assert "Alex R. is back in your active clients." in texts(at, "success")


def test_clients_export_and_import_as_json(app, app_db, teacher, downloads):
    add_client(app_db, teacher, name="Alex Rivera")
    at = teacher_app(app)
    document = downloads["export_clients"]()  # built when the button is pressed
    assert (
        '"name": "Alex Rivera"' in document and '"format": "counseling-client-profiles"' in document
    )
    # Importing the same document gives the teacher a second, independent copy.
    from backend.clients import client_service

    with unit_of_work(app_db) as db:
        client_service.import_clients_json(db, actor=teacher, raw=document)
    at.run()
    assert texts(at).count("**Alex Rivera** · 34") == 2


# Test conversation -----------------------------------------------------------------------------
def test_test_chat_two_turns_streams_replies_with_tokens_and_cost(
    app, app_db, teacher, app_api, downloads
):
    client = add_client(app_db, teacher, name="Alex Rivera")
    app_api.reply("I don't really know where to start.", input_tokens=1000, output_tokens=20)
    app_api.reply(
        "Work has been a lot lately.", input_tokens=1200, output_tokens=10, cache_read=800
    )
    at = teacher_app(app)
    assert not any("Demo mode" in message for message in texts(at, "info"))
    at.button(key=f"test_client_{client.id}").click().run()
    assert_clean(at)
    assert at.chat_input(key="chat_input") is not None
    assert "Say hello to start the conversation with Alex Rivera." in texts(at, "caption")

    at.chat_input(key="chat_input").set_value("Hi Alex, what brings you in today?").run()
    assert_clean(at)
    assert not any("Say hello" in caption for caption in texts(at, "caption"))
    assert [m.markdown[0].value for m in at.chat_message] == [
        "Hi Alex, what brings you in today?",
        "I don't really know where to start.",
    ]
    # Haiku 4.5: 1000 input x $1 + 20 output x $5 per million = $0.0011.
    assert (
        "1,020 tokens (1,000 in · 20 out) · cost $0.001100" in at.chat_message[1].caption[0].value
    )

    at.chat_input(key="chat_input").set_value("That sounds hard.").run()
    assert_clean(at)
    assert len(at.chat_message) == 4
    assert at.chat_message[3].markdown[0].value == "Work has been a lot lately."
    # 1200 x $1 + 10 x $5 + 800 cached x $0.10 per million = $0.00133.
    assert "cost $0.001330 · 800 from cache" in at.chat_message[3].caption[0].value
    assert any(
        "**Session total:** 3,030 tokens · $0.002430 · 4 messages" in text for text in texts(at)
    )
    assert [
        request.body["messages"][-1]["content"][0]["text"]
        for request in app_api.messages_requests()
    ] == ["Hi Alex, what brings you in today?", "That sounds hard."]

    transcript = downloads["export_test_transcript"]
    assert transcript.startswith("# Conversation with Alex Rivera")
    assert "> Work has been a lot lately." in transcript and "- **Cost:** $0.002430" in transcript


@pytest.mark.parametrize(
    "username, role, told",
    [("tina.teacher", Role.teacher, "Please tell an admin.")]
    + [("ada.admin", Role.admin, "Press Test connection on the Health page")],
    ids=["teacher", "admin"],
)
def test_a_set_up_failure_in_a_test_chat_is_told_to_a_teacher_or_admin_as_one(
    app, app_db, app_api, username, role, told
):
    """A refused API key in a teacher's test chat said "Please tell your teacher or an admin",
    words for a student (noticed 2026-12-06): a teacher is told to tell an admin, and an admin
    where to look."""
    with unit_of_work(app_db) as db:
        author = make_user(db, username=username, role=role)
    client = add_client(app_db, author, name="Alex Rivera")
    app_api.error(401)
    at = log_in(app.run(), username)
    if role == Role.admin:  # an admin starts on Figures
        open_page(at, "Clients")
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hello.").run()
    assert_clean(at)
    notice = " ".join(texts(at, "warning"))
    assert "API key was refused" in notice and told in notice
    assert "your teacher" not in notice


def test_end_conversation_then_start_over(app, app_db, teacher, app_api):
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hello.").run()
    assert len(at.chat_message) == 2

    at.button(key="end_conversation").click().run()
    assert_clean(at)
    assert "This conversation has ended. Press **Start over** for a new one." in texts(at, "info")
    assert at.chat_input(key="chat_input").disabled
    assert at.button(key="end_conversation").disabled

    at.button(key="start_over").click().run()
    assert_clean(at)
    assert len(at.chat_message) == 0 and not at.chat_input(key="chat_input").disabled
    with unit_of_work(app_db) as db:
        rows = history_service.list_conversations(db, actor=teacher)
    assert [row.status.value for row in rows] == ["active", "completed"]


def test_a_message_sent_as_the_test_chat_ended_in_another_tab_stays_on_screen(
    app, app_db, teacher, app_api
):
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hello.").run()
    session_id = at.session_state[TRY_SESSION_KEY]
    # "End conversation" in the teacher's other tab
    conversation_service.end_conversation(Database(app_db), actor=teacher, session_id=session_id)
    at.chat_input(key="chat_input").set_value("One last thing.").run()
    assert_clean(at)
    assert app_api.request_count == 1
    assert "Not sent, the session had ended: One last thing\\." in texts(at, "warning")
    assert "This conversation has ended. Press **Start over** for a new one." in texts(at, "info")


def test_a_failed_reply_shows_a_notice_and_retry_answers_the_same_message(
    app, app_db, teacher, app_api
):
    client = add_client(app_db, teacher, name="Alex Rivera")
    app_api.overloaded()
    app_api.reply("Sorry, I was miles away.")
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("Are you okay?").run()
    assert_clean(at)
    assert len(at.chat_message) == 1  # the message is kept; no half reply is shown
    assert any("Alex Rivera" in warning for warning in texts(at, "warning"))

    at.button(key="retry_reply").click().run()
    assert_clean(at)
    assert [m.markdown[0].value for m in at.chat_message] == [
        "Are you okay?",
        "Sorry, I was miles away.",
    ]
    assert not texts(at, "warning")


def test_a_refused_message_is_kept_as_a_draft_to_send_again(
    app, app_db, teacher, app_api, monkeypatch
):
    monkeypatch.setenv("USER_RATE_LIMIT", "1/minute")
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("First question.").run()
    at.chat_input(key="chat_input").set_value("Second question, too soon.").run()
    assert_clean(at)
    assert "Not sent: Second question, too soon\\." in texts(at, "warning")
    assert len(at.chat_message) == 2
    at.run()  # still there after any other click
    assert "Not sent: Second question, too soon\\." in texts(at, "warning")
    assert at.button(key="resend_draft") is not None


# History ---------------------------------------------------------------------------------------
def test_history_lists_filters_and_exports_conversations(app, app_db, teacher, app_api, downloads):
    client = add_client(app_db, teacher, name="Alex Rivera")
    add_client(app_db, teacher, name="Blake Moss")
    app_api.reply("Fine, I guess.", input_tokens=400, output_tokens=4)
    at = teacher_app(app)
    history = open_page(at, "History & metrics")
    assert "No conversations yet." in everything(history)

    open_page(at, "Clients")
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("How are you?").run()
    at.button(key="end_conversation").click().run()
    at = open_page(at, "History & metrics")
    assert_clean(at)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics == {
        "Conversations": "1",
        "Messages": "2",
        "Total tokens": "404",
        "Total cost": "$0.000420",
        "Avg cost / conversation": "$0.000420",
        "Avg response time": metrics["Avg response time"],
        "Completion rate": "100%",
    }
    assert metrics["Avg response time"].endswith(" s")
    csv_text = downloads["export_csv"]
    assert csv_text.splitlines()[0].startswith("session_id,started_at")
    assert (
        ",completed,teacher_test,Alex Rivera,Tina Teacher,tina.teacher,,,2,404,0.00042," in csv_text
    )

    session_id = int(csv_text.splitlines()[1].split(",")[0])
    at.session_state[f"conversation_{session_id}"] = True
    at.run()
    assert [m.markdown[0].value for m in at.chat_message] == ["How are you?", "Fine, I guess."]
    markdown = downloads[f"export_transcript_{session_id}"]
    assert "### 2. Alex Rivera (client)" in markdown and "cost $0.000420" in markdown

    at.selectbox(key="history_status").select("active").run()
    assert "No conversations match these filters." in everything(at)
    assert {metric.label: metric.value for metric in at.metric}["Conversations"] == "0"


# Sections and assignments ----------------------------------------------------------------------
def test_create_a_section_then_an_assignment_and_publish_it(app, app_db, teacher):
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = open_page(teacher_app(app), "Sections & assignments")
    assert "No sections yet." in everything(at)

    at.text_input(key="section_name").input("Counseling 101")
    at.button(key="create_section").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        (section,) = section_service.list_sections(db, actor=teacher)
    assert section.join_code in [code.value for code in at.code]
    assert f"Students join it with the code {section.join_code}" in texts(at, "success")[0]
    assert "No students yet." in everything(at) and "No assignments yet." in everything(at)

    at.text_input(key="assignment_title").input("Week 1: first interview")
    at.text_area(key="assignment_instructions").input("Ten minutes, open questions only.")
    at.button(key="create_assignment").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        (assignment,) = assignment_service.list_assignments(
            db, actor=teacher, section_id=section.id
        )
    assert assignment.status.value == "draft"
    assert "**Week 1: first interview** :gray-badge[draft]" in texts(at)

    at.button(key=f"publish_assignment_{assignment.id}").click().run()
    assert "Attach at least one client before publishing." in texts(at, "warning")

    at.multiselect(key=f"assignment_clients_{assignment.id}").select(client.id)
    at.button(key=f"save_assignment_clients_{assignment.id}").click().run()
    at.button(key=f"publish_assignment_{assignment.id}").click().run()
    at.button(key=f"publish_anyway_{assignment.id}").click().run()  # the client is not checked
    assert_clean(at)
    assert "**Week 1: first interview** :green-badge[published]" in texts(at)
    with unit_of_work(app_db) as db:
        published = assignment_service.get_assignment(
            db, actor=teacher, assignment_id=assignment.id
        )
    assert (published.status.value, published.client_ids) == ("published", [client.id])

    at.button(key=f"publish_assignment_{assignment.id}").click().run()
    assert "**Week 1: first interview** :gray-badge[draft]" in texts(at)


def test_roster_shows_students_and_removes_one(app, app_db, teacher):
    with unit_of_work(app_db) as db:
        section = section_service.create_section(db, actor=teacher, name="Group A")
        student = make_user(db, role=Role.student, display_name="Sam Student")
        section_service.enroll(db, section_id=section.id, student_id=student.id)
    at = open_page(teacher_app(app), "Sections & assignments")
    assert any(text.startswith("Sam Student · `") for text in texts(at))
    at.button(key=f"remove_student_{section.id}_{student.id}").click().run()
    assert_clean(at)
    assert "No students yet." in everything(at)


def test_teacher_rotates_the_join_code_and_the_old_one_stops_working(app, app_db, teacher):
    from backend.accounts import account_service
    from backend.errors import ValidationError

    with unit_of_work(app_db) as db:
        section = section_service.create_section(db, actor=teacher, name="Group R")
    at = open_page(teacher_app(app), "Sections & assignments")
    assert section.join_code in [code.value for code in at.code]

    at.button(key=f"regenerate_code_{section.id}").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        (rotated,) = section_service.list_sections(db, actor=teacher)
    assert rotated.join_code != section.join_code
    assert rotated.join_code in [code.value for code in at.code]
    assert section.join_code not in [code.value for code in at.code]
    assert "The old one stops working" in texts(at, "success")[0]
    with pytest.raises(ValidationError, match="current code"), unit_of_work(app_db) as db:
        account_service.sign_up_student(
            db,
            join_code=section.join_code,
            username="late.student",
            display_name="Late Student",
            password="kettle orbit saffron",
        )


def test_teacher_sets_a_seat_limit_and_a_code_expiry_when_creating_and_editing(
    app, app_db, teacher
):
    from datetime import date, timedelta

    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_input(key="section_name").input("Small group")
    at.number_input(key="section_seat_limit").set_value(2)
    in_a_week = date.today() + timedelta(days=7)
    at.date_input(key="section_code_expires").set_value(in_a_week)
    at.button(key="create_section").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        (section,) = section_service.list_sections(db, actor=teacher)
    assert section.seat_limit == 2
    assert section.join_code_expires_at.date() == in_a_week
    assert "0 of 2 seats taken" in everything(at)
    assert f"Code works until {in_a_week:%Y-%m-%d}" in everything(at)

    at.number_input(key=f"edit_seat_limit_{section.id}").set_value(1)
    at.date_input(key=f"edit_code_expires_{section.id}").set_value(date.today() - timedelta(days=1))
    at.button(key=f"save_section_{section.id}").click().run()
    assert "Choose a date in the future" in everything(at)  # said next to the field

    at.date_input(key=f"edit_code_expires_{section.id}").set_value(None)
    at.button(key=f"save_section_{section.id}").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        (section,) = section_service.list_sections(db, actor=teacher)
    assert (section.seat_limit, section.join_code_expires_at) == (1, None)
    assert "0 of 1 seat taken" in everything(at) and "Choose a date" not in everything(at)


def test_a_code_that_works_until_a_day_still_works_in_its_last_minute(
    app, app_db, teacher, monkeypatch
):
    """ "Code works until <day> (end of day UTC)": the page had stored 23:59, so a student
    signing up at 23:59:30 that day was told the code had expired. (An attack, 2026-12-07.)"""
    from datetime import UTC, date, datetime, time, timedelta

    from backend.accounts import account_service

    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_input(key="section_name").input("Evening group")
    last_day = date.today() + timedelta(days=7)
    at.date_input(key="section_code_expires").set_value(last_day)
    at.button(key="create_section").click().run()
    assert_clean(at)
    assert f"Code works until {last_day:%Y-%m-%d} (end of day UTC)" in everything(at)
    with unit_of_work(app_db) as db:
        (section,) = section_service.list_sections(db, actor=teacher)

    last_minute = datetime.combine(last_day, time(23, 59, 30), tzinfo=UTC)
    monkeypatch.setattr(section_service, "utcnow", lambda: last_minute)
    with unit_of_work(app_db) as db:
        student = account_service.sign_up_student(
            db,
            join_code=section.join_code,
            username="night.owl",
            display_name="Night Owl",
            password="kettle orbit saffron",
        )
    assert student.display_name == "Night Owl"


def test_the_settings_of_a_section_whose_code_expired_save_without_reopening_it(
    app, app_db, teacher
):
    """The form shows the expired date; renaming the section had been refused. (An attack,
    2026-12-07.)"""
    from datetime import timedelta

    from sqlalchemy import update

    from backend.models import Section
    from backend.models.base import utcnow

    with unit_of_work(app_db) as db:
        section = make_section(db, teacher=teacher, name="Skills 101")
        db.execute(
            update(Section)
            .where(Section.id == section.id)
            .values(join_code_expires_at=utcnow() - timedelta(days=3))
        )
    at = open_page(teacher_app(app), "Sections & assignments")
    assert "Code expired on" in everything(at)
    at.text_input(key=f"edit_section_name_{section.id}").input("Skills 101, spring")
    at.button(key=f"save_section_{section.id}").click().run()

    assert_clean(at)
    assert "Choose a date in the future" not in everything(at)
    with unit_of_work(app_db) as db:
        (saved,) = section_service.list_sections(db, actor=teacher)
    assert saved.name == "Skills 101, spring" and saved.join_code_expired
    assert "Code expired on" in everything(at)


def _new_assignment_form(app, app_db, teacher):
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_input(key="assignment_title").input("Week 1")
    at.multiselect(key="assignment_clients").select(alex.id)
    return at, section


def _field_messages(at) -> list[str]:
    return [text for text in texts(at, "caption") if text.startswith(":red[")]


def _assignments(app_db, teacher, section) -> list:
    with unit_of_work(app_db) as db:
        return assignment_service.list_assignments(db, actor=teacher, section_id=section.id)


def test_pasted_instructions_are_refused_under_their_field_with_nothing_lost(app, app_db, teacher):
    """Instructions pasted from a PDF (a form feed between pages) were refused in a banner at the
    top of the page only, as "The instructions contains ..." (an attack, 2026-12-07); the
    message is now under the field, as an empty title's is."""
    at, section = _new_assignment_form(app, app_db, teacher)
    pasted = "Open with a reflection.\x0cThen ask one open question."
    at.text_area(key="assignment_instructions").input(pasted)
    at.button(key="create_assignment").click().run()
    assert_clean(at)
    assert _assignments(app_db, teacher, section) == []
    (message,) = _field_messages(at)
    assert "instructions" in message and "control character" in message
    assert "The instructions contains" not in message  # the plural said "contains"
    assert at.text_area(key="assignment_instructions").value == pasted
    assert at.text_input(key="assignment_title").value == "Week 1"


def test_a_due_date_in_the_past_is_refused_under_its_field(app, app_db, teacher):
    """A due date a week ago (a slip in the date picker) was stored without a word, so students
    saw the assignment overdue from the start (an attack, 2026-12-07); refused as a join code's
    past expiry is. Today is a due date (its end of day)."""
    at, section = _new_assignment_form(app, app_db, teacher)
    at.date_input(key="assignment_due").set_value((datetime.now(UTC) - timedelta(days=7)).date())
    at.button(key="create_assignment").click().run()
    assert_clean(at)
    assert _assignments(app_db, teacher, section) == []
    assert any("future" in message for message in _field_messages(at)), _field_messages(at)
    assert at.text_input(key="assignment_title").value == "Week 1"
    at.date_input(key="assignment_due").set_value(datetime.now(UTC).date())
    at.button(key="create_assignment").click().run()
    assert_clean(at)
    (created,) = _assignments(app_db, teacher, section)
    assert created.due_at is not None and created.due_at.date() == datetime.now(UTC).date()


def test_a_refusal_with_no_field_leaves_no_stale_message_under_a_fixed_field(app, app_db, teacher):
    """A due date in the past shows "Choose a due date in the future" under it; the teacher
    fixes it and creates again, but meanwhile archived the chosen client in another tab: the
    service refuses with no field. The old message still stood under the corrected date (an
    attack, 2026-12-07)."""
    at, section = _new_assignment_form(app, app_db, teacher)
    at.date_input(key="assignment_due").set_value((datetime.now(UTC) - timedelta(days=7)).date())
    at.button(key="create_assignment").click().run()
    assert any("future" in message for message in _field_messages(at))
    with unit_of_work(app_db) as db:
        (alex,) = client_service.list_clients(db, actor=teacher)
        client_service.set_archived(db, actor=teacher, client_id=alex.id, archived=True)
    at.date_input(key="assignment_due").set_value(datetime.now(UTC).date() + timedelta(days=7))
    at.button(key="create_assignment").click().run()
    assert_clean(at)
    assert _assignments(app_db, teacher, section) == []
    assert "archived" in everything(at)
    assert at.text_input(key="assignment_title").value == "Week 1"
    assert _field_messages(at) == []


def test_a_new_assignment_drafted_in_one_section_stays_in_that_section(app, app_db, teacher):
    """A refusal in section A's New assignment form (no title) showed in section B's form too,
    with A's typed instructions, so Create there would have made A's draft in B. Each section
    keeps its own draft and errors. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        make_client(db, teacher=teacher, name="Alex Rivera")
        first = make_section(db, teacher=teacher, name="Group A")
        second = make_section(db, teacher=teacher, name="Group B")
    at = open_page(teacher_app(app), "Sections & assignments")
    shown = at.selectbox(key="section_id").value
    other = second.id if shown == first.id else first.id
    at.text_area(key="assignment_instructions").input("Open questions only.")
    at.button(key="create_assignment").click().run()
    assert ":red[Give the assignment a title.]" in texts(at, "caption")

    at.selectbox(key="section_id").set_value(other).run()
    assert ":red[Give the assignment a title.]" not in texts(at, "caption")
    assert at.text_area(key="assignment_instructions").value == ""

    at.selectbox(key="section_id").set_value(shown).run()  # back: A's draft is as it was
    assert at.text_area(key="assignment_instructions").value == "Open questions only."
    assert ":red[Give the assignment a title.]" in texts(at, "caption")


def test_teacher_start_over_question_is_forgotten_when_the_teacher_leaves_the_page(
    app, app_db, teacher, app_api
):
    """A teacher trying a client pressed Start over, thought better of it and went to the
    Clients page from the sidebar without answering. Back on Try a client, the same test chat
    opens on "Start over? This ends the current conversation." with its primary "Yes, start
    over", one click from ending it: the very defect ef17a19 fixed for the student's "End this
    session?" (ui.remember_for_this_visit), left in the teacher's test chat, whose question is
    still kept in plain session state (chat_controls.end_and_start_over). (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher)
    app_api.reply("I guess work has been a lot.", input_tokens=10, output_tokens=5)
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hello.").run()
    assert len(at.chat_message) == 2
    at.button(key="start_over").click().run()
    assert "Start over?" in everything(at)

    open_page(at, "Clients")  # leaves without answering
    open_page(at, "Try a client")
    assert_clean(at)
    assert len(at.chat_message) == 2, "the same test chat should be open again"
    assert "Start over?" not in everything(at)
    assert [b.key for b in at.button if b.key == "confirm_start_over"] == []


def test_publish_warning_is_not_shown_again_after_the_client_was_checked(
    app, app_db, teacher, app_api
):
    """A teacher pressed Publish on Week 1; the page said "Not checked yet: Alex Rivera" and
    offered "Publish anyway". They did what it says, went to Clients, ran Alex's check (it
    passed), and came back to Sections & assignments: the same warning still stands under the
    card, saying Alex is not checked, with "Publish anyway" beside it. The page tells a false
    thing about a client just checked, and the warning from one visit greets the next, the
    defect ef17a19 fixed for "End this session?" only (section_assignments._set_published keeps
    the reason in plain session state; ui.remember_for_this_visit is used nowhere else).
    (An attack, 2026-12-07.)"""
    from tests.apps.helpers import texts
    from tests.apps.test_client_check_app import check_from_card, run_check
    from tests.factories import make_assignment, make_section
    from tests.fakes.misbehave import judge_answers, passing_judgement

    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(
            db, teacher=teacher, section=section, clients=[client], published=False, title="Week 1"
        )
    judge_answers(app_api, passing_judgement())
    at = open_page(teacher_app(app), "Sections & assignments")
    at.button(key=f"publish_assignment_{week.id}").click().run()
    assert any(text.startswith("Not checked yet: Alex Rivera.") for text in texts(at, "warning"))

    at = open_page(at, "Clients")  # to check Alex, as the warning says
    at = run_check(check_from_card(at, client.id))
    assert "### Scorecard :green-badge[pass]" in everything(at)

    at = open_page(at, "Sections & assignments")
    assert_clean(at)
    assert not any("Alex Rivera" in text for text in texts(at, "warning")), texts(at, "warning")
    assert [b.key for b in at.button if b.key == f"publish_anyway_{week.id}"] == []
