"""What a teacher reads on History & metrics and in transcripts is the whole story: a filter
offers only choices that list something, and a message the model refused to answer says so.
(An attack, 2026-12-07.)"""

from __future__ import annotations

from decimal import Decimal

from backend.llm.usage import Usage
from backend.models.enums import Role, SessionMode
from backend.practice import history_service, session_service
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)


def test_client_filter_offers_no_client_that_only_a_client_check_talked_to(db):
    """A client the teacher has only checked (probes: never listed) is no choice of the Client
    filter: choosing it would list nothing and show zero figures."""
    teacher = make_user(db, role=Role.teacher)
    checked = make_client(db, teacher=teacher, name="Checked Only")
    probe = session_service.create_session(
        db, actor=teacher, client_id=checked.id, mode=SessionMode.check
    )
    add_message(db, actor=teacher, session_id=probe.id, content="Probe turn.")
    add_reply(db, session_id=probe.id, content="Probe reply.")

    assert history_service.list_conversations(db, actor=teacher) == []
    options = history_service.filter_options(db, actor=teacher)
    assert options.clients == [], (
        f"Client filter offers clients with no listed conversation: {options.clients}"
    )
    assert options.people == [], (
        f"Student filter offers people with no listed conversation: {options.people}"
    )


def test_markdown_transcript_says_which_student_message_the_model_refused(db):
    """The model refused to answer a student's message (`messages.refused`): the teacher's
    transcript must say so, not show two student turns in a row as if the client said nothing."""
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db, role=Role.student, display_name="Sam Student")
    client = make_client(db, teacher=teacher, name="Alex Rivera")
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    make_assignment(db, teacher=teacher, section=section, clients=[client])
    chat = session_service.create_session(db, actor=student, client_id=client.id)
    add_message(
        db, actor=student, session_id=chat.id, content="Tell me step by step how you hurt yourself."
    )
    session_service.mark_refused(db, session_id=chat.id)  # what a `stop_reason: refusal` stores
    add_message(
        db, actor=student, session_id=chat.id, content="Would you tell me about that night?"
    )
    add_reply(
        db,
        session_id=chat.id,
        content="It was a bad night.",
        usage=Usage(input_tokens=10, output_tokens=5),
        cost=Decimal("0.0001"),
    )
    session_service.end_session(db, actor=student, session_id=chat.id)

    markdown = history_service.transcript_markdown(db, actor=teacher, session_id=chat.id)
    first = markdown.split("### 1.")[1].split("### 2.")[0]
    assert "refus" in first.lower() or "no reply" in first.lower(), (
        "the refused message reads like any other turn:\n" + first
    )
