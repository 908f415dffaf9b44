"""The reply path (an attack, 2026-12-06): a failure of the app's own database while a reply
starts was counted as a failure of the AI service.

`_ReplyJob._record_start` writes the billed input as soon as `message_start` arrives; it runs
inside the gateway's `_sdk_chunks`, whose `except Exception` classifies whatever it catches as an
API failure (`ErrorCategory.unknown`) and records it on the circuit breaker and in the health
window. The README: the breaker opens after repeated *API* failures; a database that stops
answering is named as such ("the app's database is not answering ... Retry").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from backend.db import Database
from backend.errors import AppError
from backend.jobs import runner
from backend.llm import get_gateway
from backend.practice import conversation_service


@contextlib.contextmanager
def failing(engine, trigger: str) -> Iterator[None]:
    """With `trigger` (CREATE TRIGGER <name> ...) in place; dropped after, whatever happens (the
    database file serves the worker's next tests)."""
    name = trigger.split()[2]
    with engine.begin() as connection:
        connection.exec_driver_sql(trigger)
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")


HICCUP = (
    "CREATE TRIGGER hiccup BEFORE UPDATE OF input_tokens ON practice_sessions "
    "WHEN NEW.input_tokens > OLD.input_tokens BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
)


def test_database_hiccups_as_replies_start_do_not_pause_replies_once_it_is_back(
    committed_engine, api, configure, classroom
):
    """Five replies start while the database refuses to add their billed input (a full disk, a
    lock, a failover; here a trigger). Each student correctly reads that the database is not
    answering and to Retry. The database is back and the API was healthy throughout, yet the
    next message is refused with "The AI service is unavailable for a short while after
    repeated errors": the database's failures opened the API's breaker, which pauses every
    student's replies (and the admin's Service health shows five failed API calls)."""
    configure(breaker_failure_threshold=5)  # the default
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    with failing(committed_engine, HICCUP):
        for number in range(5):
            api.reply("I'm here.")
            outcome = conversation_service.send_message(
                database, actor=classroom.student, session_id=session.id, content=f"Hello {number}?"
            )
            assert not outcome.ok and "database is not answering" in (outcome.notice or "")
    # The database is back.

    api.reply("Sorry, I drifted off.")
    try:
        outcome = conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content="Are you there?"
        )
    except AppError as refused:
        pytest.fail(f"refused after the database came back: {refused.message}")
    assert outcome.ok, outcome.notice
    assert [ok for ok, _latency in get_gateway().recent_calls()].count(False) == 0, (
        "database failures were noted as failed API calls"
    )


# The reply's text so far is written to its job row now and then, for other processes to show;
# here that write fails (a lock, a full disk) while everything else works.
PROGRESS_HICCUP = (
    "CREATE TRIGGER progress_hiccup BEFORE UPDATE OF progress ON jobs "
    "WHEN NEW.status = 'running' BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
)


def test_a_failed_write_of_the_text_so_far_does_not_throw_the_reply_away(
    committed_engine, api, classroom, monkeypatch
):
    """The reply arrived whole and was billed; only the write of its text so far for other
    processes failed. It was dropped: the student read "the database is not answering", the
    reply was not stored, and its billed output was counted nowhere."""
    monkeypatch.setattr(runner, "STREAM_WRITE_SECONDS", 0.0)  # write the text at every chunk
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Work has been rough. I barely sleep.", output_tokens=9)
    with failing(committed_engine, PROGRESS_HICCUP):
        outcome = conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content="How are you?"
        )
    assert outcome.ok, outcome.notice
    shown = conversation_service.get_view(database, actor=classroom.student, session_id=session.id)
    assert [m.content for m in shown.messages] == [
        "How are you?",
        "Work has been rough. I barely sleep.",
    ]
    assert shown.session.output_tokens == 9
