"""(An attack, 2026-12-06.) An answer that opens with "Yeah", "Yes" or
"Right" is never an objection, so the commonest sarcastic push-back ("Yeah, whatever. Forget
it.", "Right. Can I go now?", "Yes, okay. Are you judging me?") no longer stops a turn being
praised."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A student nurse with a patient who keeps missing insulin doses; two turns sting.
STUNG = [
    ("How have things been since your last appointment?", "Not great. I keep forgetting my insulin."),
    ("What gets in the way of remembering?", "Shifts. I'm all over the place."),
    ("So you'd rather work than look after your own health.", "Yeah, whatever. Forget it."),
    ("What's a typical day like on nights?", "Sleep till two, work from seven."),
    ("Your body clock is all over the place and the doses with it.", "Exactly."),
    ("What have you tried so far?", "Phone alarms. I snooze them."),
    ("You'd just rather not bother, then.", "Right. Can I go now?"),
    ("What would make the alarms harder to ignore?", "Maybe putting the pen by the kettle."),
    ("Putting it by the kettle ties it to something you do anyway.", "Yeah, I always make tea."),
    ("How confident are you that would work?", "Fairly, actually."),
    ("You've found something that fits your life, not someone else's.", "I suppose I have."),
    ("What else would help?", "Telling my partner, so she can remind me."),
]  # fmt: skip
STINGING = {5, 13}


def test_a_turn_the_client_objects_to_with_yeah_whatever_is_not_a_strength(db):
    """What happens: after "So you'd rather work than look after your own health." the patient
    says "Yeah, whatever. Forget it.", and after "You'd just rather not bother, then." "Right.
    Can I go now?". Both answers open with an agreement word, so 8b16026 reads them as
    agreeing, and the review lists the stinging turn as a strength.

    What should happen: "Forget it." and "Can I go now?" are the push-backs the rule names;
    "Yeah, whatever" and a flat "Right." are not agreement. A turn the client objects to is
    never a strength.

    Why it matters: the student is praised for the line that made the patient want to leave."""
    seen = review_as_student(db, STUNG)
    praised = [(s.turn, s.quote) for s in seen.strengths if s.turn in STINGING]
    assert not praised, f"turns the client objected to praised: {praised}\n{seen.describe()}"
