"""The AI guard, a second look: replies that step out of the role still reached the student, and
replies of a client staying in character (denying it is an AI, quoting someone, naming its own
AI job) were stopped. (An attack on the day's fixes, 2026-12-07.)"""

from __future__ import annotations

import pytest

from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply


# 1. Misses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "out_of_role",
    [
        # The client is "Alex" in the classroom fixture, not Claude.
        "I'm Claude. I'm happy to keep playing this client if you'd like.",
        "Hi, I'm Claude, and I'll be playing the client today.",
        # An echoing word ("say", "said") before "I'm" waves through a plain statement.
        "I must say I'm an AI language model, so I can't really feel tired.",
        "Like I said, I'm an AI and cannot feel tired.",
        # The usual ways a model announces it is leaving the role-play.
        "Let me step out of character for a moment: this is a simulated conversation.",
        "Being an AI, I don't actually have a job to be stressed about.",
    ],
)
def test_a_reply_that_steps_out_of_the_role_never_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    """The student asks how the client feels and reads "I'm Claude. I'm happy to keep playing
    this client", "Like I said, I'm an AI", "Let me step out of character": the role-play is
    over, and the guard let it through untouched. "I'm Claude" was stopped before 65c7c0b and the
    module's own docstring still names it; an echoing word such as "say"/"said" only means an
    echo when it is the student's question coming back, not in "I must say I'm an AI"."""
    assert classroom.client.name != "Claude"
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    _session, seen, _outcome = first_reply(
        committed_engine, classroom, "How are you feeling today?"
    )
    assert out_of_role not in seen, f"the student read {seen!r}"
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"


# 2. False alarms ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("student", "said"),
    [
        ("Are you an AI?", "No, I'm not an AI. I'm just tired, okay?"),
        ("Are you an AI?", "I am NOT an AI. I'm a person who hasn't slept."),
        ("Are you a chatbot?", "I'm not a chatbot, I'm a person who's exhausted."),
        ("Are you an AI?", "Great, so now I'm an AI. Thanks a lot."),
        ("How do people at home see you?", "He keeps telling me I'm an AI with no feelings."),
        ("How is work?", "At work I'm basically a chatbot, answering the same tickets all day."),
    ],
)
def test_a_client_denying_or_quoting_being_an_ai_is_not_stopped(
    committed_engine, api, classroom, student, said
):
    """The student asks "Are you an AI?" and the client answers as any person would: "No, I'm not
    an AI. I'm just tired." The guard reads "I'm not an AI" as "I'm an AI" ("not" is one of the
    two words allowed between "I'm" and "an AI"), stops the denial, asks the model again, tells it
    it "spoke as an AI", and when the model denies it again the student gets no reply at all but
    "held back because it broke character". Likewise a sarcastic echo without a question mark,
    a partner's reproach ("he keeps telling me I'm an AI") and a metaphor for a dull job."""
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, student)
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for the in-character {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


@pytest.mark.parametrize(
    ("occupation", "said"),
    [
        (
            "AI safety researcher at a university lab",
            "I'm an AI safety researcher, so yes, I think about this stuff all night.",
        ),
        ("AI ethicist", "As an AI ethicist I'm supposed to have answers. I don't."),
        (
            "software engineer at Anthropic",
            "I got hired by Anthropic last spring and the hours are brutal.",
        ),
    ],
)
def test_a_client_may_name_its_own_ai_job(committed_engine, api, classroom, occupation, said):
    """The teacher wrote the client's occupation as "AI safety researcher", "AI ethicist" or
    "software engineer at Anthropic". Asked about work, the client introduces its own job, in
    character, and the guard stops it as the words of an AI: only a fixed list of job words
    ("engineer", "researcher", ...) may follow "an AI", never the client's own occupation, and
    "by Anthropic" is stopped anywhere. Said twice, the student gets no reply to a question about
    the client's own job."""
    set_client(committed_engine, classroom, occupation=occupation)
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, "Tell me about your work.")
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for {said!r}"
    assert len(api.messages_requests()) == 1, "the client's own job was asked for again"
