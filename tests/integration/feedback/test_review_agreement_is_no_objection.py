"""(An attack, 2026-12-06.) `pushed_back_by_client` reads the client's agreement and change talk
as objecting to the student's turn: "Exactly. That's not fair, is it?" (the client calling her
situation unfair), "Now you sound like you actually get it.", "Can I leave him, though?",
"I'm leaving him." and "I think I'm done being scared of him." all match its patterns, so the
reflections that drew them are never strengths."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

# A woman in a controlling marriage moving towards leaving; reflections and open questions.
AGREEING = [
    ("What would you like to talk about today?",
     "My husband. He controls the money, my phone, who I see."),
    ("You're carrying all of this while he decides everything.",
     "Exactly. That's not fair, is it? I do everything."),
    ("What's it like, living like that?", "Exhausting. I watch every word."),
    ("You've been wondering for a while whether it has to be this way.",
     "Now you sound like you actually get it."),
    ("What have you thought about doing?", "Leaving. But it's not simple."),
    ("Leaving looks simple from the outside and feels anything but from the inside.",
     "Can I leave him, though? With two kids?"),
    ("What would you need in place to feel able to?", "Somewhere to stay. My sister's offered."),
    ("Your sister's offer has made it feel more possible.",
     "Yes. I'm leaving him. I decided last night."),
    ("What made the difference this time?", "He screamed at my daughter over nothing."),
    ("That was the line for you.", "I think I'm done being scared of him."),
    ("How are you feeling now, having said it out loud?", "Lighter."),
]  # fmt: skip
# The reflections the client answered with agreement or change talk.
AGREED_WITH = {3, 7, 11, 15, 19}


@pytest.mark.parametrize("rubric", [None, "miti"], ids=["default rubric", "MITI"])
def test_reflections_the_client_agrees_with_are_not_corrected(db, rubric):
    """What happens: every reflection in the session is answered with agreement or commitment
    ("Exactly. That's not fair, is it? I do everything.", "Now you sound like you actually get
    it.", "Yes. I'm leaving him. I decided last night."). The review treats each answer as the
    client objecting, so no reflection is a strength: the three strengths are open questions,
    and the reflections are the "try instead" items ("A reflection that adds the feeling or
    meaning under the client's words is a complex reflection"). Before ec7d9ef these
    reflections were the strengths and the questions the "try instead" items.

    What should happen: a client who agrees, or who states her decision to leave, is not
    objecting to how she was spoken to; the reflections that drew it are not corrected.

    Why it matters: the turns that moved the client to commitment are the ones the student is
    told to do differently, while "That's not fair" said of her husband is taken as said of
    the student."""
    seen = review_as_student(db, AGREEING, rubric=rubric)
    corrected = [(item.turn, item.quote) for item in seen.try_instead if item.turn in AGREED_WITH]
    assert not corrected, f"reflections the client agreed with corrected: {corrected}\n" + (
        seen.describe()
    )
