"""A draft the output guard stops after some of it was shown leaves the student's screen: the
next try's words replace it rather than follow it in one bubble. The guard's rules stop a saying
where it is sure; the words before it (an assistant's lead-in, "The user is asking how I feel.")
may already be on the screen. (An attack on the client's character, 2026-12-07.)"""

from __future__ import annotations

from backend.db import Database
from backend.jobs import runner
from backend.practice import conversation_service
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply

LEAD_IN = "The user is asking how I feel. As Alex, I'd say work has been a lot lately."


def test_a_stopped_drafts_shown_words_are_taken_back_before_the_next_try(
    committed_engine, api, classroom
):
    api.reply(LEAD_IN, chunk_delay=0)
    api.reply(IN_CHARACTER, chunk_delay=0)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    reply = conversation_service.submit_message(
        Database(committed_engine),
        actor=classroom.student,
        session_id=session.id,
        content="How are you feeling?",
    )
    chunks = list(reply)
    assert runner.TAKEN_BACK in chunks, "the stopped draft's shown words were never taken back"
    read = ""
    for chunk in chunks:
        read = conversation_service.after(read, chunk)
    assert read == IN_CHARACTER, f"the student's bubble reads {read!r}"
    assert reply.outcome.ok


def test_a_draft_stopped_before_any_of_it_was_shown_takes_nothing_back(
    committed_engine, api, classroom
):
    api.reply("As an AI, I don't drink.", chunk_delay=0)
    api.reply(IN_CHARACTER, chunk_delay=0)
    _session, seen, outcome = first_reply(committed_engine, classroom, "Do you drink?")
    assert outcome.ok and seen == IN_CHARACTER
