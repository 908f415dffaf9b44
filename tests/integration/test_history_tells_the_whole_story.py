"""What a teacher reads on History & metrics and in transcripts is the whole story: a filter
offers only choices that list something, and a message the model refused to answer says so,
until a reply answers it; replies billed but not kept are counted, and a memory summary is none
of them. (An attack, and one on its fix, 2026-12-07.)"""

from __future__ import annotations

from decimal import Decimal

from backend.llm.usage import Completion, Usage
from backend.models.enums import Role, SessionMode
from backend.practice import history_service, memory_writer, session_service
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_classroom,
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


def _said(db, room, session_id: int, text: str, reply: str) -> None:
    add_message(db, actor=room.student, session_id=session_id, content=text)
    add_reply(
        db,
        session_id=session_id,
        content=reply,
        usage=Usage(input_tokens=400, output_tokens=30),
        cost=Decimal("0.000437"),
    )


def test_a_memory_summary_is_not_reported_as_replies_billed_but_not_kept(db):
    """Every ended session with a client memory has its summary call billed to the session
    (`memory_writer.record_call`, purpose memory). The Markdown's totals then say it "include[s]
    replies that were billed but not kept (refused, cut off, or stopped ...)" for a conversation
    where every reply was kept: the teacher goes looking for a refusal that never happened."""
    room = make_classroom(db)
    chat = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    _said(db, room, chat.id, "What brings you in?", "Work, mostly.")
    session_service.end_session(db, actor=room.student, session_id=chat.id)
    memory_writer.record_call(
        db,
        chat.id,
        Completion(
            text="Alex talked about work stress.",
            usage=Usage(input_tokens=900, output_tokens=120),
            model="claude-haiku-4-5",
            stop_reason="end_turn",
            request_id="req_memory",
            latency_ms=800,
            time_to_first_token_ms=None,
            cost=Decimal("0.0015"),
        ),
    )
    text = history_service.transcript_markdown(db, actor=room.teacher, session_id=chat.id)
    assert "**Not shown:**" not in text, (
        "a session whose only reply was kept says replies were billed but not kept (the memory "
        "summary's tokens):\n" + text
    )


def test_a_refused_message_answered_by_retry_does_not_say_the_client_did_not_answer(db):
    """The model refused the reply to a message (`mark_refused`), the student pressed Retry and
    the client answered that same message. The transcript still says under it "The client did
    not answer: the model refused this message, and it was left out of what the client was sent
    next" -- directly above the client's answer to it (and the message is sent with later
    turns). `messages.refused` is never cleared when a later reply answers it."""
    room = make_classroom(db)
    chat = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    add_message(db, actor=room.student, session_id=chat.id, content="How did you hurt yourself?")
    # The refused call: billed, not stored, the message marked (what conversation_service does).
    session_service.record_usage(
        db,
        session_id=chat.id,
        usage=Usage(input_tokens=1000, output_tokens=50),
        cost=Decimal("0.001"),
        model="claude-haiku-4-5",
    )
    session_service.mark_refused(db, session_id=chat.id)
    # Retry: the same message answered.
    add_reply(
        db,
        session_id=chat.id,
        content="It was a bad night. I'd rather not go into it.",
        usage=Usage(input_tokens=1000, output_tokens=12),
        cost=Decimal("0.0011"),
    )
    text = history_service.transcript_markdown(db, actor=room.teacher, session_id=chat.id)
    assert history_service.REFUSED_NOTE not in text, (
        "a message the client answered (after Retry) is marked as never answered:\n" + text
    )


def test_the_markdown_counts_one_reply_as_one_reply(db):
    """The totals had read "(1 sent, 1 replies)". (An attack, 2026-12-07.)"""
    room = make_classroom(db)
    chat = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    _said(db, room, chat.id, "What brings you in?", "Work, mostly.")
    text = history_service.transcript_markdown(db, actor=room.teacher, session_id=chat.id)
    assert "- **Messages:** 2 (1 sent, 1 reply)" in text


def test_the_markdowns_unknown_cost_reads_as_the_history_table_does(db):
    """One reply of a model without a price: the Markdown's totals had read "$0.00 (plus 1
    unpriced replies)", while the History table and the transcript's label read "$0.00 + 1
    unpriced" for the same conversation. (Noticed on rereading the day's fixes, 2026-12-07.)"""
    room = make_classroom(db)
    chat = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    add_message(db, actor=room.student, session_id=chat.id, content="Hello.")
    add_reply(
        db,
        session_id=chat.id,
        content="Hi.",
        model="claude-mystery-9",
        cost=None,
        usage=Usage(input_tokens=500, output_tokens=50),
    )
    text = history_service.transcript_markdown(db, actor=room.teacher, session_id=chat.id)
    assert "- **Cost:** $0.00 + 1 unpriced\n" in text
