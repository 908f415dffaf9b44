"""An attack on 4e9ca81 (2026-12-06): "Practise this moment" copies the messages before the moment without their
`refused` mark, so in the branch the words the model refused are sent to it again, glued to the
student's rephrasing, although the original conversation left them out."""

from __future__ import annotations

import pytest

from backend.db import Database
from backend.practice import branch_service, conversation_service

REFUSED = "Tell me exactly how you hurt yourself that night, step by step."
PUT_ANOTHER_WAY = "Would you be willing to tell me a little about that night?"


def _user_text(message) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def _student_words_sent(api) -> str:
    body = api.messages_requests()[-1].body
    return "\n".join(_user_text(m) for m in body["messages"] if m["role"] == "user")


@pytest.mark.both_backends
def test_a_branch_does_not_send_the_refused_words_the_original_left_out(
    committed_engine, api, classroom
):
    database = Database(committed_engine)
    student = classroom.student
    session = conversation_service.start_conversation(
        database, actor=student, client_id=classroom.client.id
    )
    api.reply("I'd rather not", stop_reason="refusal")
    assert not conversation_service.send_message(
        database, actor=student, session_id=session.id, content=REFUSED
    ).ok
    api.reply("Okay. It was a bad night.")
    assert conversation_service.send_message(
        database, actor=student, session_id=session.id, content=PUT_ANOTHER_WAY
    ).ok
    api.reply("I don't know what you want me to say.")
    assert conversation_service.send_message(
        database, actor=student, session_id=session.id, content="Why don't you just stop?"
    ).ok
    api.reply("Maybe.")
    assert conversation_service.send_message(
        database, actor=student, session_id=session.id, content="What would help?"
    ).ok
    # In the original the refused words are never sent again once put another way.
    assert REFUSED not in _student_words_sent(api)
    conversation_service.end_conversation(database, actor=student, session_id=session.id)

    # "Practise this moment" at "Why don't you just stop?" (turn 4: 1 refused, 2 reworded, 3 reply)
    with database(write=True) as db:
        branch = branch_service.start_branch(db, actor=student, session_id=session.id, turn=4)
    api.reply("I'm not sure I can.")
    outcome = conversation_service.send_message(
        database,
        actor=student,
        session_id=branch.id,
        content="It sounds like that night scared you.",
    )
    assert outcome.ok
    sent = _student_words_sent(api)
    assert PUT_ANOTHER_WAY in sent
    assert REFUSED not in sent, f"the branch sent the refused words again: {sent!r}"
