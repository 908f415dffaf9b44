"""Continuing clients as an attacker would try them (review of issue 24): a secret earned once
must not unlock a different secret the teacher writes later, and a memory's id must not tell an
outsider which conversations exist."""

from __future__ import annotations

import pytest

from backend.clients import client_service
from backend.db import Database, unit_of_work
from backend.errors import AppError
from backend.practice import conversation_service, memory_service
from tests.integration.test_client_memory import (
    LEAKING,
    SAFE_REPLY,
    _continuing,
    _memory,
    _remembered_and_a_stranger,
    _session,
)

NEW_SECRET = "He secretly lost his job at the warehouse last month."


def test_a_new_hidden_fact_is_guarded_though_the_old_one_was_earned(
    committed_engine, api, classroom
):
    """`ClientMemory.hidden_earned` is one flag per student and client, kept "once earned, stays
    earned" whatever the hidden information now says: after the teacher replaces the earned
    secret with a new one, the next session's guard (`earned_before`) lets the client say the
    new one at the very first turn, which the student never earned."""
    _continuing(committed_engine, classroom, reveal_after=2)
    api.reply("Things are complicated.")
    api.reply("Okay. She is secretly pregnant, and I haven't told anyone.")
    api.tool_reply(LEAKING)
    first = _session(committed_engine, classroom, "How are you?", "What's complicated?")
    memory = _memory(committed_engine, classroom, first)
    assert memory is not None and memory.hidden_earned

    with unit_of_work(committed_engine) as db:  # the teacher writes a different secret
        data = client_service.get_client(
            db, actor=classroom.teacher, client_id=classroom.client.id
        ).to_input()
        data.hidden_information = NEW_SECRET
        data.hidden_reveal_after_turns = None
        client_service.update_client(
            db, actor=classroom.teacher, client_id=classroom.client.id, data=data
        )

    database = Database(committed_engine)
    second = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply(f"Fine. {NEW_SECRET}", chunk_delay=0)
    api.reply(SAFE_REPLY)
    outcome = conversation_service.send_message(
        database, actor=classroom.student, session_id=second.id, content="Tell me."
    )
    assert outcome.message is not None and outcome.message.content == SAFE_REPLY


def test_a_memory_of_a_conversation_reads_as_missing_to_an_outsider(
    committed_engine, api, classroom
):
    """Every other conversation lookup answers "not found" for someone else's conversation, as
    for an id that does not exist (`session_service._load`). The memory's lookup refuses an
    existing conversation with "Only the student's teacher..." and a missing one with "not
    found", so another section's teacher (or any student) can probe which ids exist."""
    first, stranger = _remembered_and_a_stranger(committed_engine, api, classroom)
    missing = first + 1000

    def refusal(session_id: int) -> tuple[str, str]:
        with unit_of_work(committed_engine, write=False) as db:
            with pytest.raises(AppError) as caught:
                memory_service.read_memory(db, actor=stranger, session_id=session_id)
        message = caught.value.message.replace(str(session_id), "<id>")
        return type(caught.value).__name__, message

    assert refusal(first) == refusal(missing)
