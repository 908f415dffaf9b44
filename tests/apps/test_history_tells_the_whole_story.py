"""What a teacher reads on History & metrics is the whole story: a practised moment's copied
replies are not "unpriced", a list cut at 500 says so, a refused reply is marked and accounted
for, and an unknown cost is not "$0.00". (An attack, 2026-12-07.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.llm.usage import Usage
from backend.models import PracticeSession, User
from backend.models.enums import Role, SessionMode, SessionStatus
from backend.practice import branch_service, session_service
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    classroom,
    log_in,
    open_page,
    start_button,
    teacher_app,
    texts,
)
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)


def _open(at, session_id: int):
    at.session_state[f"conversation_{session_id}"] = True  # open the conversation's expander
    return at.run()


def test_a_branchs_copied_replies_are_not_shown_as_unpriced_on_history(app, app_db, teacher):
    """A practised moment copies the replies before it without tokens or cost (they were billed
    to the original). History's transcript captions them "0 tokens ... cost unpriced", as if the
    model had no price; the Markdown export says they were counted in the original."""
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
        original = session_service.create_session(db, actor=student, client_id=client.id)
        for text, reply in (("What brings you in?", "Work."), ("Tell me more.", "I can't sleep.")):
            add_message(db, actor=student, session_id=original.id, content=text)
            add_reply(
                db,
                session_id=original.id,
                content=reply,
                usage=Usage(input_tokens=100, output_tokens=10),
                cost=Decimal("0.0002"),
            )
        session_service.end_session(db, actor=student, session_id=original.id)
        branch = branch_service.start_branch(db, actor=student, session_id=original.id, turn=3)
    at = _open(open_page(teacher_app(app), "History & metrics"), branch.id)
    assert_clean(at)
    captions = texts(at, "caption")
    copied = [c for c in captions if "unpriced" in c]
    assert not copied, f"copied replies captioned as unpriced: {copied}"


def test_history_says_when_its_list_and_export_leave_conversations_out(
    app, app_db, teacher, downloads
):
    """Over 500 conversations: the figures count all of them, the table and "Export this list
    (CSV)" hold the newest 500 and nothing says so (only the transcripts' 100 are mentioned)."""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        start = datetime(2026, 9, 1, tzinfo=UTC)
        db.add_all(
            PracticeSession(
                user_id=teacher.id,
                client_id=client.id,
                mode=SessionMode.teacher_test,
                status=SessionStatus.completed,
                started_at=start + timedelta(minutes=n),
                ended_at=start + timedelta(minutes=n, seconds=30),
            )
            for n in range(501)
        )
    at = open_page(teacher_app(app), "History & metrics")
    assert_clean(at)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Conversations"] == "501"
    exported = len(downloads["export_csv"].splitlines()) - 1
    told = [c for c in texts(at, "caption") + texts(at, "info") if "500" in c]
    assert exported == 501 or told, (
        f"the export holds {exported} of 501 conversations and the page does not say so; "
        f"captions: {texts(at, 'caption')}"
    )


def test_transcript_accounts_for_a_refused_reply_it_billed(app, app_db, app_api, downloads):
    """The model refused one reply (billed, never stored) and answered the reworded message.
    The teacher's transcript must mark the refused message, and its totals (which include the
    refused call) must not silently exceed the replies it lists."""
    student, _alex, _section = classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("I don't want to", stop_reason="refusal", input_tokens=1000, output_tokens=50)
    at.chat_input(key="chat_input").set_value("Tell me exactly how you hurt yourself.").run()
    app_api.reply("Okay. It was a bad night.", input_tokens=200, output_tokens=7)
    at.chat_input(key="chat_input").set_value("Would you tell me about that night?").run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        session_id = session_service.get_student_sessions(db, actor=student)[0].id
        teacher_name = db.scalar(select(User.username).where(User.role == Role.teacher))

    teacher = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), teacher_name)
    at = _open(open_page(teacher, "History & metrics"), session_id)
    assert_clean(at)
    markdown = downloads[f"export_transcript_{session_id}"]
    listed = sum(int(n) for n in re.findall(r"(\d+) output, ", markdown))
    total = int(re.search(r"\*\*Output tokens:\*\* ([\d,]+)", markdown).group(1).replace(",", ""))
    assert listed == total or "refus" in markdown.lower(), (
        f"replies listed {listed} output tokens, totals say {total}, nothing explains it"
    )
    assert "refus" in markdown.lower(), "the refused message is not marked in the transcript"
    assert any("The client did not answer" in caption for caption in texts(at, "caption"))


def test_a_conversation_of_unpriced_replies_is_not_listed_as_costing_nothing(app, app_db, teacher):
    """Replies from a model without a price have an unknown cost (`unpriced_replies`), not $0:
    the Markdown said "$0.00 (plus 1 unpriced replies)", the table's Cost cell and the
    transcript's label say "$0.00"."""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        chat = session_service.create_session(db, actor=teacher, client_id=client.id)
        add_message(db, actor=teacher, session_id=chat.id, content="Hello.")
        add_reply(
            db,
            session_id=chat.id,
            content="Hi.",
            model="claude-mystery-9",
            cost=None,
            usage=Usage(input_tokens=500, output_tokens=50),
        )
    at = open_page(teacher_app(app), "History & metrics")
    assert_clean(at)
    (cost,) = list(at.dataframe[0].value["Cost"])
    assert cost != "$0.00", (
        "a conversation whose only reply has no price is listed as costing $0.00"
    )


def test_two_students_of_one_name_are_told_apart_in_the_history_table(app, app_db, teacher):
    """Two students named "Sam Lee" practise one client: the History table's Student column
    read "Sam Lee" on both rows, while its Student filter told them apart. (An attack on a
    teacher's figures, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        make_assignment(db, teacher=teacher, section=section, clients=[client])
        for username in ("samlee1", "samlee2"):
            sam = make_user(db, username=username, display_name="Sam Lee")
            enroll(db, section=section, student=sam)
            session_service.create_session(db, actor=sam, client_id=client.id)
        solo = make_user(db, username="dana", display_name="Dana")
        enroll(db, section=section, student=solo)
        for _ in range(2):  # one person on two rows is no one to tell apart
            chat = session_service.create_session(db, actor=solo, client_id=client.id)
            session_service.end_session(db, actor=solo, session_id=chat.id)
    at = open_page(teacher_app(app), "History & metrics")
    assert_clean(at)
    students = sorted(at.dataframe[0].value["Student"])
    assert students == ["Dana", "Dana", "Sam Lee (samlee1)", "Sam Lee (samlee2)"], students


def test_two_students_of_one_name_are_told_apart_in_historys_transcripts(app, app_db, teacher):
    """Two students named "Sam Lee" practise Alex. History's table now says "Sam Lee
    (samlee1)" and "Sam Lee (samlee2)", but the transcripts under it, where the teacher opens a
    conversation to read it, are both labelled "... Alex Rivera with Sam Lee ...": which Sam
    said what is not told, the table's fix stops at the table."""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        make_assignment(db, teacher=teacher, section=section, clients=[client])
        for username in ("samlee1", "samlee2"):
            sam = make_user(db, username=username, display_name="Sam Lee")
            enroll(db, section=section, student=sam)
            session_service.create_session(db, actor=sam, client_id=client.id)
    at = open_page(teacher_app(app), "History & metrics")
    assert_clean(at)
    assert sorted(at.dataframe[0].value["Student"]) == ["Sam Lee (samlee1)", "Sam Lee (samlee2)"]
    labels = [expander.label for expander in at.expander]
    sams = [label for label in labels if "Sam Lee" in label]
    assert len(sams) == 2 and len(set(sams)) == 2, (
        f"the two Sam Lees' transcripts are labelled alike: {sams}"
    )
