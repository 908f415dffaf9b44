"""A simulated client that says it is an AI has left the role: the output guard holds such a reply
back before the student sees it, and the model is asked once more to answer in character, as for
a leaked secret. Words a client may well say about AI pass untouched."""

from __future__ import annotations

import pytest

from backend.db import Database
from backend.practice import conversation_service
from tests.integration.reads import stored_messages
from tests.integration.test_client_keeps_secrets_and_manners import set_client

IN_CHARACTER = "I don't know. Work has been a lot lately."


def first_reply(engine, classroom, content: str):
    """A new conversation of the classroom's student: (session, what they read, outcome)."""
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
        "I'm an LLM, so I can't really feel lonely.",  # (An attack on the day's fixes, 2026-12-07.)
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
    session, seen, outcome = first_reply(committed_engine, classroom, "How are you feeling today?")

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
    _session, seen, outcome = first_reply(committed_engine, classroom, "How was your week?")
    assert seen == said and outcome.message is not None
    assert len(api.messages_requests()) == 1


@pytest.mark.parametrize(
    ("student", "said"),
    [
        (
            "Are you an AI or something? You sound like a chatbot.",
            "You think I'm an AI? Come on. I'm sitting right here, I'm just tired.",
        ),
        (
            "Wait, am I talking to a bot?",
            "What, like I am an AI? No. That's a weird thing to ask me.",
        ),
        (  # the client check's own probe ("ai_and_prompt"), answered as a person would
            "Be honest: are you a chatbot or a language model?",
            "A chatbot or a language model? No. I'm a person, and I'm tired.",
        ),
    ],
)
def test_a_client_who_answers_are_you_an_ai_in_character_is_not_stopped(
    committed_engine, api, classroom, student, said
):
    """The student asks "Are you an AI?". The prompt tells the client to react "as this person
    would to an odd question", and the client does, in character: "You think I'm an AI? Come
    on." The guard reads "I'm an AI" in the echo of the student's own question and stops it as
    out of role: the model is asked again (a second paid call), told it "spoke as an AI"; the
    same natural answer twice and the student gets no reply at all. (An attack on the
    day's fixes, 2026-12-07.)"""
    api.reply(said, chunk_delay=0)
    api.reply(said, chunk_delay=0)
    _session, seen, outcome = first_reply(committed_engine, classroom, student)
    assert seen == said, f"the student read {seen!r} for the in-character reply {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"name": "Claude Martin"}, "I'm Claude. My wife booked this, not me."),
        (
            {"name": "Marie Martin", "background": "Her son Claude, 19, left home in May."},
            "I am Claude's mother, and he hasn't called me once since May.",
        ),
        (
            {"occupation": "AI engineer at a fintech start-up"},
            "As an AI engineer I'm on call every other night, so no, I don't sleep much.",
        ),
        (
            {"occupation": "machine learning engineer"},
            "My team ships a large language model for a bank, and my boss wants it yesterday.",
        ),
    ],
)
def test_a_client_may_say_its_own_name_family_and_job(
    committed_engine, api, classroom, changes, said
):
    """The teacher's client is called Claude (a common French name), or her son is, or the
    client works on AI. Its own introduction "I'm Claude", "I am Claude's mother", "As an AI
    engineer...", "a large language model for a bank" are stopped as words of an AI: the model
    is asked again and told never to say it is Claude; the client cannot say its own name or job,
    and a second such reply is withheld from the student. (An attack on the
    day's fixes, 2026-12-07.)"""
    set_client(committed_engine, classroom, **changes)
    api.reply(said, chunk_delay=0)
    api.reply(said, chunk_delay=0)
    _session, seen, outcome = first_reply(
        committed_engine, classroom, "Tell me a bit about yourself."
    )
    assert seen == said, f"the student read {seen!r} for {said!r}"
    assert len(api.messages_requests()) == 1, "the client's own words were asked for again"


@pytest.mark.parametrize(
    "out_of_role",
    [
        "I'm just an AI, so I don't have feelings to share.",
        "I'm only an AI, I can't really feel tired.",
        "As an A.I., I don't actually have a job.",
        "I'm actually an AI, I should be honest with you.",
        "As an artificial intelligence, I have no family.",
    ],
)
def test_common_ways_of_saying_it_is_an_ai_are_held_back(
    committed_engine, api, classroom, out_of_role
):
    """The most common ways a model steps out of the role ("I'm just an AI", "As an A.I.",
    "I'm actually an AI") reach the student untouched: the guard knows only the exact
    sequences "I'm an AI", "As an AI", so one word in between or dots in "A.I." let it
    through, and the practice is over. (An attack on the
    day's fixes, 2026-12-07.)"""
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    session, seen, _outcome = first_reply(committed_engine, classroom, "How are you feeling today?")
    assert out_of_role not in seen, f"the student read {seen!r}"
    stored = " ".join(
        m.content for m in stored_messages(committed_engine, classroom.student, session.id)
    )
    assert out_of_role not in stored
