"""(An attack, 2026-12-06.) The demo review's "misheard" rule (1d31f55) reads the client's whole turn for "You're not
listening" or "I never said that", and "No, I said" at its start. A client who *quotes someone
else* with those words, right after a reflection they agree with, has the reflection marked as
a misquote: the student reads "The client said this was not what they said" under the very
reflection the client took up, and Empathy and Paraphrase are capped at 3 (an attack)."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A skilled session (open questions, reflections the client takes up) in which the client
# twice quotes other people's words; nobody turns the student down.
QUOTING_OTHERS = [
    ("What brings you in today?", "My husband and I keep fighting about the smallest things."),
    ("It sounds like the fighting has worn you down.",
     "It has. Every night he tells me you're not listening, and walks out of the room."),
    ("You feel shut out when he walks away.",
     "Yes, exactly. I never said that to my mother, but I felt it with her too."),
    ("So being shut out is something you've known for a long time.",
     "Yes. Since I was little, really."),
    ("What do you do when that feeling comes up?", "I go quiet. I clean the kitchen."),
    ("Going quiet keeps the peace, and it costs you something too.", "It does. I feel alone."),
    ("How would you like the evenings to go instead?", "I'd like us to talk without shouting."),
    ("Talking calmly matters a lot to you.", "It does. I want to feel like a team again."),
    ("What would be a first step toward feeling like a team?", "Maybe a walk after dinner."),
    ("A walk after dinner sounds like something you could try this week.",
     "Yes. I think I will ask him tonight."),
    ("What might make it easier to ask him?", "Telling him I miss him, I think."),
]  # fmt: skip

QUOTING_TURNS = {3, 5}  # the reflections the client agreed with, then quoted someone


def test_a_client_quoting_someone_else_does_not_mark_the_reflection_as_misheard(db):
    seen = review_as_student(db, QUOTING_OTHERS)
    marked = [
        item
        for item in seen.try_instead
        if item.turn in QUOTING_TURNS and "not what they said" in item.why
    ]
    assert not marked, (
        "the client agreed with these reflections, then quoted someone else:\n" + seen.describe()
    )


def test_a_client_quoting_someone_else_does_not_cap_empathy(db):
    """Every other rating of this session is 4 (counted score 75); Empathy and Paraphrase are
    held to 3 "because the client said 2 of your 11 turns were not what they said"."""
    seen = review_as_student(db, QUOTING_OTHERS)
    assert seen.ratings, seen.describe()
    capped = [reason for reason in seen.reasoning if "were not what they said" in reason]
    assert not capped, f"{capped}\n{seen.describe()}"
