"""(An attack, 2026-12-06.) A reflection of the client's own plan is
coded as unasked advice when the student gives the client's step back in other words or another
form of the same verb: `directs` checks only that the verb after "you'll" / "you're going to" is
a word the client just said, so "phone" -> "ring", "calling" -> "call", "stop" -> "quit" all
read as the student imposing a step."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A client with a drinking problem who makes every plan herself; the student reflects and asks.
OWN_PLANS = [
    ("What would you like to talk about today?",
     "My drinking. It's got out of hand since the divorce."),
    ("What's made you want to look at it now?",
     "My daughter saw me drunk last week. I can't have that again."),
    ("That moment with your daughter really shook you.", "It did. I've been thinking about what to do."),
    ("What have you come up with?", "I might phone my sister later and tell her."),
    ("You're going to ring your sister tonight and let her in on it.",
     "Yeah. She's been through it herself."),
    ("What else are you thinking of?", "I'm thinking of calling the GP about it this week."),
    ("So you'll call the GP this week too.", "Yes. And I want to stop buying wine with the shopping."),
    ("You're going to quit putting wine in the trolley.", "That's where it starts, really."),
    ("How confident do you feel about those steps?", "Fairly. Seven out of ten."),
    ("Why seven and not a lower number?", "Because I've done hard things before. I left him."),
    ("Leaving took real strength, and you can see that same strength here.",
     "I suppose I can."),
    ("What would help you keep going?", "Knowing my daughter's proud of me."),
]  # fmt: skip
# The reflections of plans the client herself had just named.
HER_PLANS = {9, 13, 15}


def test_giving_back_the_clients_own_plan_is_not_unasked_advice(db):
    """What happens: the client names each step herself ("I might phone my sister later", "I'm
    thinking of calling the GP about it this week", "I want to stop buying wine"), and the
    student reflects each in slightly different words ("You're going to ring your sister
    tonight", "So you'll call the GP this week too", "You're going to quit putting wine in the
    trolley"). All three are coded unasked advice: they are the "try instead" items, and the
    goal tells the student to ask permission before giving advice.

    What should happen: giving the client's own plan back is a reflection (MI's change-talk
    reflection); a step the client named is not advice, whatever synonym or verb form the
    student uses.

    Why it matters: the review punishes the very skill MI teaches for change talk, and tells
    the student they gave advice they never gave."""
    seen = review_as_student(db, OWN_PLANS)
    coded_advice = {
        turn: codes for turn, codes in seen.codes.items() if turn in HER_PLANS and "advice" in codes
    }
    assert not coded_advice, f"her own plans coded advice: {coded_advice}\n{seen.describe()}"
    assert "advice" not in seen.goal, seen.describe()
