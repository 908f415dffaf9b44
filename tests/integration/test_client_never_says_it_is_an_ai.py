"""A simulated client that says it is an AI has left the role: the output guard holds such a reply
back before the student sees it, and the model is asked once more to answer in character, as for
a leaked secret. Words a client may well say about AI pass untouched."""

from __future__ import annotations

import pytest

from backend.db import Database
from backend.practice import conversation_service
from tests.integration.reads import stored_messages

IN_CHARACTER = "I don't know. Work has been a lot lately."


def _send(engine, classroom, content: str):
    session = conversation_service.start_conversation(
        Database(engine), actor=classroom.student, client_id=classroom.client.id
    )
    reply = conversation_service.submit_message(
        Database(engine), actor=classroom.student, session_id=session.id, content=content
    )
    return session, "".join(reply), reply.outcome


@pytest.mark.parametrize(
    "out_of_role",
    [
        "As an AI, I don't actually drink, but I can play someone who does.",
        "I'm an AI language model, so I have no feelings to share.",
        "I am an AI and cannot pretend to be in crisis.",
        "Honestly? I’m Claude, an AI made by Anthropic.",
    ],
)
def test_a_reply_that_says_it_is_an_ai_is_held_back_and_asked_again(
    committed_engine, api, classroom, out_of_role
):
    """What a student notices: they asked the client how they feel and read "As an AI, I don't
    actually drink...": the practice is over, the client is a program. The guard held back only
    instructions and hidden information; a client check flagged such words, a live
    conversation showed them. (Noticed in the 2026-12-07 sessions, fixed 2026-12-07.)"""
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    session, seen, outcome = _send(committed_engine, classroom, "How are you feeling today?")

    assert seen.endswith(IN_CHARACTER) and "AI" not in seen, seen
    assert outcome.message is not None and outcome.message.content == IN_CHARACTER
    stored = " ".join(
        m.content for m in stored_messages(committed_engine, classroom.student, session.id)
    )
    assert "AI" not in stored and "Claude" not in stored
    again = api.messages_requests()[-1].body
    system = " ".join(block["text"] for block in again["system"])
    assert "stepped out of the role" in system, system[-400:]


@pytest.mark.parametrize(
    "said",
    [
        "My son keeps telling me to use AI for my resume. I hate it.",
        "I said to myself, as an aside, that I'd quit by spring.",
        "Claude from next door drove me home, I was in no state to.",
        "Maybe I am a bit of a robot these days.",
    ],
)
def test_a_client_may_talk_about_ai_or_a_claude_of_their_own(
    committed_engine, api, classroom, said
):
    """The other side: words about AI, or a neighbour named Claude, are the client's own and
    reach the student at once, with one call."""
    api.reply(said)
    _session, seen, outcome = _send(committed_engine, classroom, "How was your week?")
    assert seen == said and outcome.message is not None
    assert len(api.messages_requests()) == 1
