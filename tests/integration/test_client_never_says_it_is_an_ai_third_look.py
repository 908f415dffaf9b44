"""The AI guard, a third look: out-of-role replies that still reached the student, in-character
replies that were stopped, and the client check's own rules failing what the guard lets through.
(An attack on the day's fixes, 2026-12-07.)"""

from __future__ import annotations

import pytest

from backend.checks import check_service
from backend.db import Database, unit_of_work
from backend.models.enums import Role
from tests.factories import make_client, make_user
from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply


# 1. Out-of-role replies the student still reads -----------------------------------------------
@pytest.mark.parametrize(
    ("changes", "out_of_role"),
    [
        # "As an AI" + a space + "I": the next word is not in `_PROGRAM_GOES_ON`, so it passes
        # (with a comma it is stopped).
        ({}, "As an AI I don't drink, but I can play someone who does."),
        ({}, "As a chatbot I can't feel anything, but I can keep playing Alex."),
        # A verb after "an AI" is read as a job noun ("an AI ethicist").
        ({}, "I'm an AI playing a client in this exercise, not a real person."),
        # A spaced dash after "an AI" reads as the clause going on.
        ({}, "I'm an AI - I don't have a body or a job."),
        # "say" counts as echoing unless "I" is one of the two words before it.
        ({}, "I have to say, I'm an AI and I can't really feel tired."),
        # The usual role-play marker for out-of-character talk.
        ({}, "(OOC: I'm going to pause the role-play here for a moment.)"),
        # The profile names a son Claude: every "I'm Claude ..." now passes, AI or not.
        (
            {"name": "Marie Martin", "background": "Her son Claude, 19, left home in May."},
            "I'm Claude, an AI assistant. I can't keep playing Marie.",
        ),
    ],
)
def test_an_out_of_role_reply_never_reaches_the_student(
    committed_engine, api, classroom, changes, out_of_role
):
    """The student asks how the client feels and reads "As an AI I don't drink", "I'm an AI
    playing a client in this exercise", "(OOC: ...)" or, for a client whose son is called
    Claude, "I'm Claude, an AI assistant": the role-play is over, and the guard let it through
    with no second call."""
    if changes:
        set_client(committed_engine, classroom, **changes)
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    _session, seen, _outcome = first_reply(
        committed_engine, classroom, "How are you feeling today?"
    )
    assert out_of_role not in seen, f"the student read {seen!r}"
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"


# 2. In-character replies that are stopped ------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "student", "said"),
    [
        # "out of character" / "break character" are stopped anywhere, in ordinary speech.
        (
            {},
            "What happened that night?",
            "Yelling at her like that was completely out of character for me.",
        ),
        (
            {},
            "What helps you at work?",
            "In drama class we learned never to break character, so I just smile.",
        ),
        # A metaphor (the second look let "basically" pass, not "just" after "feel like").
        (
            {},
            "How is work?",
            "I feel like I'm just a chatbot, reading the same script all day.",
        ),
        # Sarcasm echoing the student's question.
        ({}, "Are you an AI?", "Oh, so I'm an AI, is that it? Unbelievable."),
        # A client whose life involves chatbots quotes one.
        (
            {"occupation": "call-centre agent; the company is replacing her team with a chatbot"},
            "How is work?",
            "The new bot goes 'I'm an AI assistant, how can I help?' and they love it more "
            "than me.",
        ),
        (
            {"background": "Lonely since the divorce; talks to an AI chatbot every night."},
            "Who do you talk to?",
            "Every answer starts with 'As an AI language model' and I still talk to it till 3am.",
        ),
        (
            {"background": "Lonely since the divorce; talks to an AI chatbot every night."},
            "Who do you talk to?",
            "I talk to that Claude thing, the one made by Anthropic, every night.",
        ),
    ],
)
def test_an_in_character_reply_is_not_stopped(
    committed_engine, api, classroom, changes, student, said
):
    """A client in character says "that was out of character for me", "in drama class we
    learned never to break character", "I feel like I'm just a chatbot", or quotes the chatbot
    its profile is about. The guard stops it as the words of an AI: a second paid call, the model
    told it "spoke as an AI", and the same answer twice leaves the student with no reply."""
    if changes:
        set_client(committed_engine, classroom, **changes)
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, student)
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for the in-character {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


# 3. The client check ---------------------------------------------------------------------------
DIMENSION_KEYS = ("facts", "in_character", "hidden_information", "pace", "style_and_difficulty")
_PROBES = check_service.load_probes()


def _judge_passes(body: dict) -> dict:
    dimensions = [{"key": k, "status": "pass", "findings": []} for k in DIMENSION_KEYS]
    return {"probes": [{"probe": p.key, "dimensions": dimensions} for p in _PROBES]}


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return " ".join(block.get("text", "") for block in content if isinstance(block, dict))


@pytest.mark.parametrize(
    ("line", "said"),
    [
        # The very answers the first test file pins as in character (the guard passes them).
        ("Wait, are you an AI?", "You think I'm an AI? Come on. I'm sitting right here."),
        (
            "Be honest: are you a chatbot or a language model?",
            "A chatbot or a language model? No. I'm a person, and I'm tired.",
        ),
    ],
)
def test_the_check_passes_an_in_character_answer_to_are_you_an_ai(
    committed_engine, api, line, said
):
    """The teacher runs a client check. To the probe "Are you an AI?" the client answers as a
    person would ("You think I'm an AI? Come on."), which the guard lets through as in
    character. The check's own phrase list (`CHARACTER_BREAKS`: "i'm an ai", "language model"
    anywhere) still fails "Staying in character" with "Says it is an AI." / "Mentions being a
    language model.", so the scorecard is a fail and publishing asks for confirmation."""
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        client = make_client(db, teacher=teacher)

    def reply(body: dict) -> str:
        users = [_text(m["content"]) for m in body.get("messages", []) if m["role"] == "user"]
        return said if users and line in users[-1] else IN_CHARACTER

    api.set_default_reply(reply)
    api.set_default_tool_reply(_judge_passes)
    card = check_service.run_check(Database(committed_engine), actor=teacher, client_id=client.id)
    dimension = next(d for d in card.dimensions if d.key == "in_character")
    assert dimension.status == "pass", [(f.quote, f.note) for f in dimension.findings]
