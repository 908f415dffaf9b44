"""The AI guard and the better reply, a last look: a disclaimer ending in a question, a comparison
"as useful as a chatbot", a quoted bot with an apostrophe, and a short client sentence ending on a
preposition. (An attack on the day's fixes, 2026-12-07.)"""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_turns_as_student
from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply


@pytest.mark.parametrize(
    "out_of_role",
    [
        "As an AI, I don't have personal feelings, but how can I help you today?",
        "I'm an AI, so I don't get tired, but what would you like to talk about?",
    ],
)
def test_an_ai_disclaimer_ending_in_a_question_never_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    """The student asks how the client feels and reads the model's stock disclaimer "As an AI,
    I don't have personal feelings, but how can I help you today?": the role-play is over.
    Before ca77604 the comma after "As an AI" stopped it at once; now a comma makes the guard
    wait for the sentence's end, and any "?" on the way (meant for the sarcastic "so I'm an AI,
    is that it?") clears it, so the whole disclaimer is shown with no second call."""
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    _session, seen, _outcome = first_reply(
        committed_engine, classroom, "How are you feeling today?"
    )
    assert out_of_role not in seen, f"the student read {seen!r}"
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"


@pytest.mark.parametrize(
    ("changes", "student", "said"),
    [
        # A comparison "as ... as a chatbot": "as" is read as "As a chatbot, I ...".
        ({}, "How is work?", "Honestly I feel about as useful as a chatbot at work these days."),
        (
            {},
            "How do you feel around your family?",
            "I'm about as warm as a chatbot with them, and I hate it.",
        ),
        # A quoted bot (meant to pass since ca77604) with an apostrophe or a "!" inside the
        # quotation: "can't" closes the quote for `_quoted`, "Hello! " ends its sentence.
        (
            {"occupation": "call-centre agent; the company is replacing her team with a chatbot"},
            "How is work?",
            "The new bot goes 'Sorry, I can't do that, I'm an AI assistant' and they love it.",
        ),
        (
            {"occupation": "call-centre agent; the company is replacing her team with a chatbot"},
            "How is work?",
            'The new bot goes "Hello! I\'m an AI assistant" and they love it more than me.',
        ),
    ],
)
def test_an_in_character_reply_is_not_stopped(
    committed_engine, api, classroom, changes, student, said
):
    """A client in character says "I feel about as useful as a chatbot at work" or quotes the
    chatbot its profile is about ('The new bot goes "Hello! I'm an AI assistant"'). The guard
    stops it as the words of an AI: a second paid call, the model told it "spoke as an AI", and
    the same answer twice leaves the student with no reply. (Before ca77604 the comparison
    passed: a plain word after "as a chatbot" cleared it.)"""
    if changes:
        set_client(committed_engine, classroom, **changes)
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, student)
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for the in-character {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


# The offline review (c355236) -----------------------------------------------------------------

ENDS_ON_A_PREPOSITION = {
    "talk_to": ("I honestly have nobody left to talk to.", "nobody left to talk to"),
    "look_forward_to": (
        "Drinking is the only thing I look forward to.",
        "the only thing you look forward to",
    ),
    "scared_of": ("Losing my job is what I am most scared of.", "what you are most scared of"),
}


@pytest.mark.parametrize("case", list(ENDS_ON_A_PREPOSITION))
def test_better_reply_keeps_a_short_sentence_that_ends_on_a_preposition(db, case):
    """What the student sees: the client says "I honestly have nobody left to talk to." (nine
    words, nothing to cut) and the "try instead" reply reads "You said you honestly have nobody
    left to talk. ..." / "... the only thing you look forward." / "... what you are most scared."

    Why it is wrong: the reply the student is told to copy misquotes the client in broken
    English. Before c355236 `_echo` dropped dangling words only after it cut a long sentence;
    now it drops them from every sentence, and a sentence may end on "to", "of", "about"."""
    client, kept = ENDS_ON_A_PREPOSITION[case]
    seen = review_turns_as_student(
        db,
        [("user", "How are things?"), ("assistant", client), ("user", "Is that a problem?"), ("assistant", "I don't know.")],
    )  # fmt: skip
    items = [t for t in seen.try_instead if t.turn == 3]
    assert items, seen.describe()
    assert kept in items[0].better_reply, f"{items[0].better_reply!r}"
