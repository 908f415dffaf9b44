"""(An attack, 2026-12-06.) (Attack R3, 2026-12-06.) 6c71fe0 made the demo review's "misheard" rule read only a sentence
that *opens* with the turn-down, after a short list of lead-ins (hm, um, well, no, honestly,
actually, wait, okay, so, but, and, what), and ending at . ! ? , ; or the end of the sentence.
README: "at most 3 once the client has turned down two of the student's statements as not what
they said ('I never said that', ...)"; test_review_misheard.py: "a correction further on in the
client's turn still is".

Both directions now go wrong with ordinary client speech:
- a plain correction behind another lead-in ("Hold on, I never said that.", "Look, ...",
  "Nope, that's not what I said.", "I mean, ...") or followed by a dash or an ellipsis character
  (what the simulated clients write: "I never said that — I said I was tired.") is no longer seen:
  the misquote is praised / counted as a reflection and Empathy is not held down;
- a client who *agrees* and adds what they never said aloud ("I never said so, but you're
  right.", "I never said I was sorry before she died.") has the reflection marked misheard and
  Empathy capped: the very "report of my own words" case the commit meant to stop, in the
  "I never said I ..." / "so" forms.
"""

from __future__ import annotations

import pytest

from backend.reviews.offline_review import rejected_by_client
from backend.reviews.turns import Turn
from tests.integration.feedback.student_view import review_as_student


def _turned_down(student: str, client: str) -> bool:
    return rejected_by_client([Turn(1, "user", student), Turn(2, "assistant", client)]) == {1}


@pytest.mark.parametrize(
    "answer",
    [
        "Hold on, I never said that.",
        "Look, I never said that.",
        "Nope, that's not what I said.",
        "Yeah, no, that's not what I said.",
        "I mean, I never said that.",
        "I never said that — I said I was tired of the fighting.",
        "I never said that—I said I was tired.",
        "I never said that…",
        "You're not listening to what I'm saying.",
        "I never said that. You should have listened.",
    ],
)
def test_an_obvious_correction_turns_the_reflection_down(answer):
    """Each of these was caught before 6c71fe0 (the phrase anywhere in the answer)."""
    assert _turned_down("You want to leave him.", answer), (
        f"the client answered {answer!r} to 'You want to leave him.' and the review took it "
        "as agreement"
    )


@pytest.mark.parametrize(
    "answer",
    [
        "I never said so, but you're right.",
        "I do. I never said I was sorry before she died.",
        "I never said I loved him, and now it's too late.",
        "I never said we were happy, but we were, once.",
        "Wow. I never said that, but it's true.",
        # Regret for words left unsaid (noticed on 2026-12-06, when these were taken as turn-downs).
        "I didn't say I was sorry, and I should have.",
        "I never said I loved him. I wish I had.",
        "I didn't say thank you, and I regret it.",
        "I never said goodbye; I should've.",
    ],
)
def test_an_agreement_about_words_never_said_aloud_is_no_turn_down(answer):
    assert not _turned_down("You carry a lot you never told anyone.", answer), (
        f"the client agreed ({answer!r}) and the reflection was marked as not what they said"
    )


# A skilled session; the client corrects two reflections, each plainly, behind a lead-in or
# before a dash (as the simulated clients write).
CORRECTED_TWICE = [
    ("What brings you in today?", "My husband and I keep fighting about the smallest things."),
    ("You want to leave him.",
     "Hold on, I never said that. I want us to stop fighting."),
    ("What would stopping the fighting look like?", "Talking without shouting, I guess."),
    ("You think he's the whole problem.",
     "I never said that — I said we both shout."),
    ("What do you do when that feeling comes up?", "I go quiet. I clean the kitchen."),
    ("Going quiet keeps the peace, and it costs you something too.", "It does. I feel alone."),
    ("How would you like the evenings to go instead?", "I'd like us to talk without shouting."),
    ("Talking calmly matters a lot to you.", "It does. I want to feel like a team again."),
    ("What would be a first step toward feeling like a team?", "Maybe a walk after dinner."),
    ("A walk after dinner sounds like something you could try this week.",
     "Yes. I think I will ask him tonight."),
    ("What might make it easier to ask him?", "Telling him I miss him, I think."),
]  # fmt: skip


def test_two_plain_corrections_are_shown_to_the_student_as_misheard(db):
    seen = review_as_student(db, CORRECTED_TWICE)
    marked = {item.turn for item in seen.try_instead if "not what they said" in item.why}
    assert marked == {3, 7}, (
        "the client said 'I never said that' to turns 3 and 7; the review marks "
        f"{sorted(marked)}\n{seen.describe()}"
    )


# The client takes up every reflection; twice they add that they never said it aloud.
AGREED_TWICE = [
    ("What brings you in today?", "My mother died in the spring and I can't stop thinking about her."),
    ("You carry a lot of regret about her.",
     "I do. I never said I was sorry before she died."),
    ("What would you have wanted to say?", "That I was sorry for the years we didn't talk."),
    ("Underneath the regret there's a lot of love.",
     "I never said so, but you're right. I loved her."),
    ("What do you do when that feeling comes up?", "I go quiet. I look at old photos."),
    ("Looking at the photos brings her close, and it hurts too.", "It does. I feel alone."),
    ("How would you like to remember her?", "With more kindness to myself."),
    ("Being kinder to yourself matters a lot to you.", "It does. I want to forgive myself."),
    ("What would be a first step toward forgiving yourself?", "Maybe writing her a letter."),
    ("A letter sounds like something you could try this week.", "Yes. I think I will."),
    ("What might make it easier to start?", "Sitting in her garden, I think."),
]  # fmt: skip


def test_a_client_who_agrees_does_not_cap_empathy(db):
    seen = review_as_student(db, AGREED_TWICE)
    assert seen.ratings, seen.describe()
    capped = [reason for reason in seen.reasoning if "were not what they said" in reason]
    marked = [item.turn for item in seen.try_instead if "not what they said" in item.why]
    assert not capped and not marked, f"{capped} {marked}\n{seen.describe()}"
