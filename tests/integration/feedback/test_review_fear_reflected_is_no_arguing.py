"""(An attack, 2026-12-06.) A complex reflection of the
client's own fear is coded as arguing when it uses one of the new blaming phrases ("let people
down", "throw away everything") and the client said it in other words: `confronts` only spares
a phrase whose every content word the client just said."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A nurse off sick with burnout, afraid of failing her team; the student reflects and asks.
FEARS = [
    ("What brings you here today?", "I've been signed off work. Burnout, they said."),
    ("How has that been for you?", "Awful. I feel like I've abandoned my team."),
    ("You feel like you let people down.", "I always let everyone down. My team, my kids."),
    ("What does letting them down look like to you?", "Them covering my shifts. Being short."),
    ("You're worried you'll let people down again when you go back.",
     "Yes. I don't want to disappoint anyone again."),
    ("What would going back well look like?", "Shorter shifts. Not being in charge straight away."),
    ("Part of you fears you'll throw away everything you've built if you slow down.",
     "Exactly. Twelve years to get to ward sister."),
    ("And another part knows you can't keep going like before.", "I can't. I was crying in the car."),
    ("What did that crying tell you?", "That something has to change."),
    ("Something has to change, and you want it to be on your terms.", "Yes, that's it."),
    ("What's one thing you'd want to ask your manager for?", "A phased return."),
    ("A phased return feels like a fair thing to ask for.", "It does, actually."),
]  # fmt: skip


def test_reflecting_the_clients_fear_is_not_called_arguing(db):
    """What happens: the client says "I feel like I've abandoned my team", "I always let
    everyone down", "I don't want to disappoint anyone again", and the student reflects the
    fear ("You feel like you let people down.", "You're worried you'll let people down again
    when you go back.", "Part of you fears you'll throw away everything you've built if you slow
    down."). These are coded as confrontation, and the goal tells the student to stop arguing
    ("... rather than arguing").

    What should happen: a reflection of the client's own fear, agreed with by the client
    ("Yes.", "Exactly."), is not arguing; the goal should not name arguing in a session with
    none.

    Why it matters: the student is told they argued with a burnt-out client they were
    carefully reflecting, and learns to avoid naming the client's fear."""
    seen = review_as_student(db, FEARS)
    assert "arguing" not in seen.goal, seen.describe()
