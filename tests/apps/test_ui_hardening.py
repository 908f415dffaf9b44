"""Hardening of what the pages show (issue 9): formula-safe tables, user text that cannot load
images or show links, odd addresses, refused saves that say why, confirmations, students'
feedback for teachers, and readable admin messages."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from backend import event_log
from backend.clients import client_service
from backend.db import unit_of_work
from backend.llm.usage import Usage
from backend.models.enums import Role
from backend.practice import history_service, rating_service, session_service
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    everything,
    log_in,
    open_page,
    teacher_app,
    texts,
)
from tests.factories import (
    add_message,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
    start_session,
)

MVP = Path(APP_PATH).parent


def say(db, person, chat_id: int, text: str):
    return add_message(db, actor=person, session_id=chat_id, content=text)


def answer(db, person, chat_id: int, text: str):
    """The client's reply, stored the way the conversation service stores one (a claim)."""
    session = session_service.lock_for_turn(db, actor=person, session_id=chat_id)
    claim = session_service.claim_reply(
        db, session_id=session.id, seconds=60, reserve_tokens=0, reserve_cost=Decimal(0)
    )
    message, _totals = session_service.store_reply(
        db,
        session_id=chat_id,
        claim_id=claim,
        content=text,
        usage=Usage(input_tokens=10, output_tokens=2),
        cost=Decimal("0.00002"),
        model="claude-haiku-4-5",
        counted=Usage(),
        counted_cost=None,
    )
    return message


FORMULA = '=HYPERLINK("http://evil.example/x","Open")'
PAYLOAD = "![x](http://e.vil/p.png) [click](http://e.vil) <http://e.vil/a> www.e.vil m@e.vil"
#: Markup that would load or link something: an unescaped "](" (links, images), "<" (HTML,
#: autolinks), or what GitHub-flavoured Markdown links by itself: a scheme directly followed by
#: "://", "www." or an e-mail address (the page keeps them apart with an invisible word joiner).
ACTIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)<|[a-z]\\?:\\?/|\bwww\\?\.|[\w.+-]\\?@", re.I)


def shown_text(at) -> list[str]:
    """Every piece of Markdown the page draws: text, captions, alerts, headings and labels.

    Chat bubbles are left out here: the chat panel draws them (with `ui.safe_markdown`) and
    the browser test checks them in the DOM.
    """
    kinds = (
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
        "title",
        "header",
        "subheader",
    )
    bubbles = {
        id(element)
        for message in at.chat_message
        for kind in ("markdown", "caption")
        for element in getattr(message, kind)
    }
    found = [
        element.value
        for kind in kinds
        for element in getattr(at, kind)
        if id(element) not in bubbles
    ]
    found += [e.label for e in at.expander] + [b.label for b in at.button]
    found += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    return found


def assert_no_active_markup(at) -> None:
    active = [text for text in shown_text(at) if ACTIVE.search(text)]
    assert not active, active


def unescaped(text: str) -> str:
    """Markdown as the reader sees it (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def frame_values(at) -> list[str]:
    return [str(value) for frame in at.dataframe for value in frame.value.to_numpy().ravel()]


# 18: formula-safe tables -------------------------------------------------------------------------
def test_every_table_is_drawn_by_the_one_formula_safe_helper():
    pages = list(MVP.rglob("*.py"))
    calls = {str(path.relative_to(MVP)): path.read_text().count("st.dataframe(") for path in pages}
    assert {name: count for name, count in calls.items() if count} == {"ui.py": 1}
    assert not [path for path in pages if "st.data_editor(" in path.read_text()]


def test_admin_tables_escape_formula_cells(app, app_db):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        teacher = make_user(db, role=Role.teacher, display_name="Tina Teacher")
        make_user(db, username="sam.student", display_name=FORMULA)
        practising = make_user(db, username="pat.student", display_name="-2+3")
        client = make_client(db, teacher=teacher, name="@SUM(A1)")
        section = make_section(db, teacher=teacher)
        enroll(db, section=section, student=practising)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
        start_session(db, user=practising, client=client)  # a student's practice, open now
    at = log_in(app.run(), "ada.admin")
    assert_clean(at)
    values = frame_values(at)  # the Now tab's active sessions
    assert "'-2+3" in values and "'@SUM(A1)" in values
    open_page(at, "Accounts")
    values = frame_values(at)
    assert "'" + FORMULA in values and FORMULA not in values


def test_teacher_history_table_escapes_formula_cells(app, app_db, teacher):
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="=1+1")
        start_session(db, user=teacher, client=client)
    at = open_page(teacher_app(app), "History & metrics")
    assert_clean(at)
    assert "'=1+1" in frame_values(at) and "=1+1" not in frame_values(at)


def test_spreadsheet_safe_covers_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert history_service.spreadsheet_safe(f"{start}cmd") == f"'{start}cmd"
    assert history_service.spreadsheet_safe("Alex") == "Alex"


# 19: user text shows no images and no links -----------------------------------------------------
def _classroom_with_payloads(app_db):
    """Everything a person writes carries the payload: names, client fields, section,
    assignment, messages and a feedback comment."""
    with unit_of_work(app_db) as db:
        teacher = make_user(
            db, role=Role.teacher, username="tina.teacher", display_name=f"Tina {PAYLOAD}"
        )
        student = make_user(db, username="sam.student", display_name=f"Sam {PAYLOAD}")
        client = make_client(
            db,
            teacher=teacher,
            name="Alex [x](http://evil.example)",
            occupation=PAYLOAD,
            presenting_concern=PAYLOAD,
            learning_goals=PAYLOAD,
            background=PAYLOAD,
            challenges=PAYLOAD,
        )
        section = make_section(db, teacher=teacher, name="Group [a](http://evil.example)")
        enroll(db, section=section, student=student)
        make_assignment(
            db,
            teacher=teacher,
            section=section,
            clients=[client],
            title="Week ![t](http://evil.example/t.png)",
        )
        session = start_session(db, user=student, client=client)
        say(db, student, session.id, PAYLOAD)
        session_service.end_session(db, actor=student, session_id=session.id)
        rating_service.submit_session_rating(
            db, actor=student, session_id=session.id, realism=2, usefulness=5, comment=PAYLOAD
        )
    return teacher, student, client, session


def test_the_teacher_sees_user_text_without_links_or_images(app, app_db):
    _teacher, _student, client, session = _classroom_with_payloads(app_db)
    at = teacher_app(app)
    assert_no_active_markup(at)  # client cards
    at.button(key=f"edit_client_{client.id}").click().run()
    assert_no_active_markup(at)  # the form's title
    at = open_page(at, "History & metrics")
    at.session_state[f"conversation_{session.id}"] = True
    at.run()
    assert_clean(at)
    assert_no_active_markup(at)  # list labels, the feedback shown with the transcript
    at = open_page(at, "Sections & assignments")
    assert_clean(at)
    assert_no_active_markup(at)  # roster names, assignment titles


def test_the_student_sees_user_text_without_links_or_images(app, app_db):
    _classroom_with_payloads(app_db)
    at = log_in(app.run(), "sam.student")
    assert_clean(at)
    assert_no_active_markup(at)  # cards: client, assignment, section
    at.segmented_control(key="student_view").set_value("My sessions").run()
    assert_no_active_markup(at)
    at.segmented_control(key="student_view").set_value("Join a section").run()
    assert_no_active_markup(at)


def test_the_admin_sees_user_text_without_links_or_images(app, app_db):
    _classroom_with_payloads(app_db)
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
    at = log_in(app.run(), "ada.admin")
    for tab in ("Now", "Breakdowns", "Error log", "Accounts"):
        open_page(at, tab)
        if tab == "Accounts":
            at.selectbox(key="manage_account").set_value("sam.student").run()
        assert_clean(at)
        assert_no_active_markup(at)


# 20: odd conversation addresses ------------------------------------------------------------------
@pytest.mark.parametrize("value", ["99999999999999999999999", "²", "12abc", "-3"])
def test_a_broken_conversation_address_is_ignored_with_a_notice(app, app_db, value):
    with unit_of_work(app_db) as db:
        make_user(db, username="sam.student")
    at = AppTest.from_file(APP_PATH, default_timeout=30)
    at.query_params["c"] = value
    at = log_in(at.run(), "sam.student")
    assert_clean(at)
    assert "Practice" in texts(at, "title")
    assert any("conversation link" in text for text in texts(at, "info")), everything(at)
    assert "c" not in at.query_params
    at.run()
    assert_clean(at)
    assert not any("conversation link" in text for text in texts(at, "info"))


# 26: a refused save says why, next to the field --------------------------------------------------
def test_an_out_of_range_age_is_refused_with_a_message_under_the_field(app, teacher):
    at = teacher_app(app)
    at.text_input(key="client_name").input("Jordan Blake")
    at.multiselect(key="client_personality_traits").select("guarded").select("irritable")
    at.number_input(key="client_age").set_value(200)
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert ":red[Age must be between 5 and 110.]" in texts(at, "caption")  # under the field
    assert not texts(at, "success")  # nothing was saved

    # Fix the age, break the traits: the stale age message goes, the new one shows.
    at.number_input(key="client_age").set_value(40)
    at.multiselect(key="client_personality_traits").unselect("irritable")
    at.button(key="save_client").click().run()
    captions = texts(at, "caption")
    assert ":red[Age must be between 5 and 110.]" not in captions
    assert ":red[Choose between 2 and 5 personality traits.]" in captions

    at.multiselect(key="client_personality_traits").select("irritable")
    at.button(key="save_client").click().run()
    assert any(message.startswith("Saved Jordan Blake.") for message in texts(at, "success"))
    assert not [c for c in texts(at, "caption") if c.startswith(":red[")]


# 28: starting over asks first ---------------------------------------------------------------------
def test_a_student_cannot_end_an_active_conversation_without_confirming(app, app_db, app_api):
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher)
        student = make_user(db, username="sam.student")
        client = make_client(db, teacher=teacher)
        section = make_section(db, teacher=teacher)
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
    at = log_in(app.run(), "sam.student")
    at.button(key=next(b.key for b in at.button if b.key.startswith("start_"))).click().run()
    at.chat_input(key="chat_input").set_value("Hello there.").run()
    assert_clean(at)
    # No control on the conversation page ends it in one click.
    keys = {button.key for button in at.button}
    assert not keys & {"start_over", "end_conversation", "confirm_end", "start_again"}
    # Back to the cards: the card continues the same conversation, it never starts a new one.
    with unit_of_work(app_db) as db:
        (first,) = session_service.get_student_sessions(db, actor=student)
    at.button(key="back_to_clients").click().run()
    card = next(b for b in at.button if b.key.startswith("start_"))
    assert card.label == "Continue conversation"
    card.click().run()
    with unit_of_work(app_db) as db:
        sessions = session_service.get_student_sessions(db, actor=student)
    assert [(s.id, s.status.value) for s in sessions] == [(first.id, "active")]
    # Ending takes a confirmation, and then the feedback form comes first.
    at.button(key="end_session").click().run()
    assert "End this session?" in everything(at)
    at.button(key="confirm_end").click().run()
    assert at.button(key="fb_submit") is not None
    assert at.button(key="start_again") is not None  # a new one only after the form is shown


def test_teacher_start_over_asks_first_when_the_conversation_has_messages(
    app, app_db, teacher, app_api
):
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher)
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.button(key="start_over").click().run()  # nothing said yet: no question asked
    assert_clean(at)
    assert "Start over?" not in everything(at)
    at.chat_input(key="chat_input").set_value("Hello.").run()
    assert len(at.chat_message) == 2

    at.button(key="start_over").click().run()
    assert "Start over?" in everything(at)
    at.button(key="cancel_start_over").click().run()
    assert "Start over?" not in everything(at) and len(at.chat_message) == 2
    at.button(key="start_over").click().run()
    at.button(key="confirm_start_over").click().run()
    assert_clean(at)
    assert len(at.chat_message) == 0
    with unit_of_work(app_db) as db:
        rows = history_service.list_conversations(db, actor=teacher)
    assert [row.status.value for row in rows][:2] == ["active", "completed"]


# 31: teachers see their students' feedback ---------------------------------------------------------
def test_teacher_sees_feedback_in_history_and_on_the_client_card(app, app_db):
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username="tina.teacher")
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher)
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
        session = start_session(db, user=student, client=client)
        say(db, student, session.id, "Hello.")
        reply = answer(db, student, session.id, "Hi.")
        session_service.end_session(db, actor=student, session_id=session.id)
        rating_service.submit_session_rating(
            db,
            actor=student,
            session_id=session.id,
            realism=2,
            usefulness=5,
            comment="The client gave in too fast.",
        )
        rating_service.rate_reply(db, actor=student, message_id=reply.id, positive=True)
    at = teacher_app(app)
    card = everything(at)
    assert "Feedback: 1 of 2 positive (50%)" in card
    assert "The client gave in too fast." in card

    at = open_page(at, "History & metrics")
    (frame,) = at.dataframe
    assert list(frame.value["Feedback"]) == ["realism 2/5 · useful 5/5 · thumbs 1 up, 0 down"]
    at.session_state[f"conversation_{session.id}"] = True
    at.run()
    page = everything(at)
    assert "Realism 2/5 · usefulness 5/5" in page and "The client gave in too fast." in page
    assert "Replies rated: :material/thumb_up: 1 · :material/thumb_down: 0" in page


# 32: readable admin messages -------------------------------------------------------------------
def test_no_admin_tab_repeats_its_name_as_a_heading(app, app_db):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
    at = log_in(app.run(), "ada.admin")
    for tab in ("Now", "Usage", "Breakdowns", "Budgets", "Service health", "Error log", "Accounts"):
        open_page(at, tab)
        headings = [h.value for h in at.subheader] + [m.value for m in at.markdown]
        assert not [h for h in headings if h.strip("*# ") == tab], tab


def test_error_log_shows_a_readable_category_and_the_http_status(app, app_db):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        event_log.record(
            db,
            "warning",
            "api_unknown",
            "Reply failed: unknown",
            details={"status": 500, "request_id": "req_1", "detail": "boom"},
        )
    at = log_in(app.run(), "ada.admin")
    open_page(at, "Error log")
    (label,) = [unescaped(e.label) for e in at.main.expander]
    assert "API: unknown error (HTTP 500) · boom" in label
    assert "api_unknown" not in label and "Reply failed: unknown" not in label


# 29: one definition per figure, stated where it is shown -----------------------------------------
def test_every_dashboard_figure_states_its_definition(app, app_db):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        teacher = make_user(db, role=Role.teacher)
        session = start_session(db, user=teacher, client=make_client(db, teacher=teacher))
        say(db, teacher, session.id, "Hello.")
        answer(db, teacher, session.id, "Hi.")
    at = log_in(app.run(), "ada.admin")
    for tab in ("Now", "Usage", "Budgets"):
        open_page(at, tab)
        assert_clean(at)
        assert at.metric, tab
        undefined = [m.label for m in at.metric if not m.help]
        assert not undefined, (tab, undefined)


# 22 and 32: "Test connection" -------------------------------------------------------------------
def test_a_failed_connection_test_is_redacted_and_can_be_run_again(app, app_db, app_api):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
    app_api.error(500, message="proxy error: upstream rejected x-api-key: test-key")
    at = log_in(app.run(), "ada.admin")
    open_page(at, "Service health")
    at.button(key="test_connection").click().run()
    assert_clean(at)
    (failure,) = texts(at, "error")
    assert "HTTP 500" in failure and "test-key" not in failure and "redacted" in failure
    assert "Retry" not in failure
    assert at.button(key="test_connection").label == "Test connection again"
    app_api.reply("ok")
    at.button(key="test_connection").click().run()
    assert any("Connection test passed" in text for text in texts(at, "success"))


def test_editing_a_client_keeps_when_its_hidden_information_may_be_said(app, app_db, teacher):
    """The output guard's per-client setting is on the form, so saving the form keeps it."""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, hidden_reveal_after_turns=3)
    at = teacher_app(app)
    at.button(key=f"edit_client_{client.id}").click().run()
    assert at.number_input(key="client_hidden_reveal_after_turns").value == 3
    at.text_input(key="client_name").input("Alex R.")
    at.button(key="save_client").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        saved = client_service.get_client(db, actor=teacher, client_id=client.id)
    assert (saved.name, saved.hidden_reveal_after_turns) == ("Alex R.", 3)
