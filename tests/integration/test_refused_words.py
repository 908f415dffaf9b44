"""A student message whose reply the model refused stays the student's turn: Retry asks with the
same words, and once answered they stay in what the model is sent. Only a message put another
way in its place leaves them out (tests/apps/test_refused_then_reworded.py)."""

from __future__ import annotations

from backend.db import Database
from backend.practice import conversation_service

REFUSED = "What happened then?"


def _student_turns(api) -> list[str]:
    return [
        message["content"] if isinstance(message["content"], str) else message["content"][0]["text"]
        for message in api.messages_requests()[-1].body["messages"]
        if message["role"] == "user"
    ]


def test_retry_after_a_refusal_asks_again_with_the_same_words_which_then_stay(
    committed_engine, api, classroom
):
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("I'd rather not", stop_reason="refusal")
    refused = conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content=REFUSED
    )
    assert not refused.ok

    api.reply("I sat down and wrote it all out.")
    retried = conversation_service.request_reply(
        database, actor=classroom.student, session_id=session.id
    ).wait()
    assert retried.ok and _student_turns(api) == [REFUSED]

    api.reply("Then I slept.")
    later = conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="And after that?"
    )
    assert later.ok and _student_turns(api) == [REFUSED, "And after that?"]
