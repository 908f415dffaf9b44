"""A student's typed message survives every failure after it was sent, and every token and cent
is stored, when the database fails on the practice path. (An attack, 2026-12-07.)"""

from __future__ import annotations

from backend import event_log
from backend.db import Database, unit_of_work
from backend.models.enums import Role
from backend.practice import conversation_service
from tests.factories import make_user
from tests.integration.reads import stored_messages, stored_session
from tests.integration.test_database_failure_not_the_api import failing


def _events(engine, category):
    with unit_of_work(engine, write=False) as db:
        admin = make_user(db, role=Role.admin)
        return [
            e for e in event_log.list_events(db, actor=admin, limit=500) if e.category == category
        ]


# The client's reply arrives whole (billed) but its row cannot be written (a lock, a full disk).
REPLY_ROW_FAILS = (
    "CREATE TRIGGER reply_row_fails BEFORE INSERT ON messages "
    "WHEN NEW.role = 'assistant' BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
)


def test_a_reply_billed_but_not_stored_still_counts_its_output(committed_engine, api, classroom):
    """The reply came back whole and Anthropic billed its 40 output tokens; only the write of the
    reply failed. The student reads "the database is not answering... press Retry", fair. But
    the billed output is counted nowhere: the session's totals (what the teacher and admin see,
    and what the budgets check) show the input only, and no "partial_reply" event says a paid
    reply was dropped, unlike a reply cut off by the API (`_record_unkept`)."""
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Work has been rough lately, I barely sleep.", output_tokens=40)
    with failing(committed_engine, REPLY_ROW_FAILS):
        outcome = conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content="How are you?"
        )
    assert not outcome.ok
    assert "database is not answering" in (outcome.notice or "")
    assert [
        m.content for m in stored_messages(committed_engine, classroom.student, session.id)
    ] == ["How are you?"]
    totals = stored_session(committed_engine, classroom.student, session.id)
    assert totals.output_tokens == 40, (
        f"billed output tokens counted: {totals.output_tokens} (of 40 billed)"
    )
    assert _events(committed_engine, "partial_reply"), "no event says a paid reply was dropped"


CLAIM_FAILS = (
    "CREATE TRIGGER claim_fails BEFORE UPDATE OF reply_claim_id ON practice_sessions "
    "WHEN NEW.reply_claim_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
)


def test_messages_the_database_refused_do_not_use_up_the_rate_limit(
    committed_engine, api, configure, classroom
):
    """With 3 messages a minute, Sam's message meets a database lock twice as its reply is
    claimed: nothing is stored, no call is made, the page keeps the words to Send again. When
    the database answers, Sam's Send again is refused: "You are sending messages faster than 3
    per minute", though not one message was stored or answered. The rate limit is hit
    (`RateLimiter.hit_message` in `_claim`) before the writes that may still roll back."""
    import pytest
    from sqlalchemy.exc import SQLAlchemyError

    from backend.errors import RateLimitedError

    configure(user_rate_limit="3/minute")
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    with failing(committed_engine, CLAIM_FAILS):
        for _ in range(3):
            with pytest.raises(SQLAlchemyError):
                conversation_service.send_message(
                    database, actor=classroom.student, session_id=session.id, content="Hello?"
                )
    assert stored_messages(committed_engine, classroom.student, session.id) == []
    assert api.messages_requests() == []
    api.reply("Hi.")
    try:
        outcome = conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content="Hello?"
        )
    except RateLimitedError as refused:
        pytest.fail(f"the first message stored was refused: {refused.message}")
    assert outcome.ok


# The model refuses; the write that marks the student's message refused fails (a lock).
REFUSED_MARK_FAILS = (
    "CREATE TRIGGER refused_mark_fails BEFORE UPDATE OF refused ON messages "
    "WHEN NEW.refused = 1 BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
)


def test_a_refused_reply_is_one_paid_call_when_the_database_then_fails(
    committed_engine, api, classroom
):
    """The model refuses a reply (billed: 40 output tokens); its usage is written, then the
    write that marks the message refused meets a database lock. The admin's figures count paid
    calls as stored replies plus "partial_reply" events: they now read 2 paid calls for the one
    request made. `_ReplyJob._store` had recorded the refusal's usage and event
    (`_record_unkept`) before `mark_refused`; the new `except SQLAlchemyError` around `_store`
    records it again (0 tokens, a second event). (An attack on the
    day's fixes, 2026-12-07.)"""
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("I can't continue with this.", output_tokens=40, stop_reason="refusal")
    with failing(committed_engine, REFUSED_MARK_FAILS):
        outcome = conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content="How are you?"
        )
    assert not outcome.ok
    assert len(api.messages_requests()) == 1
    totals = stored_session(committed_engine, classroom.student, session.id)
    assert totals.output_tokens == 40, totals.output_tokens
    events = _events(committed_engine, "partial_reply")
    assert len(events) == 1, f"one paid call logged as {len(events)}: {events}"
