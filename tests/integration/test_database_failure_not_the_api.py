"""The reply path (an attack, 2026-12-06): a failure of the app's own database while a reply
starts was counted as a failure of the AI service.

`_ReplyJob._record_start` writes the billed input as soon as `message_start` arrives; it runs
inside the gateway's `_sdk_chunks`, whose `except Exception` classifies whatever it catches as an
API failure (`ErrorCategory.unknown`) and records it on the circuit breaker and in the health
window. The README: the breaker opens after repeated *API* failures; a database that stops
answering is named as such ("the app's database is not answering ... Retry").
"""

from __future__ import annotations

import pytest

from backend.db import Database
from backend.errors import AppError
from backend.llm import get_gateway
from backend.practice import conversation_service

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
    with committed_engine.begin() as connection:
        connection.exec_driver_sql(HICCUP)
    for number in range(5):
        api.reply("I'm here.")
        outcome = conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content=f"Hello {number}?"
        )
        assert not outcome.ok and "database is not answering" in (outcome.notice or "")
    with committed_engine.begin() as connection:  # the database is back
        connection.exec_driver_sql("DROP TRIGGER hiccup")

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
