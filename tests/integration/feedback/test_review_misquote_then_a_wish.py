"""(An attack, 2026-12-06.) A client's "I never said that." no longer turns a misquote down when
the next sentence holds "I wish", "I should've" or "I regret" about anything at all ("I never
said that. I wish you'd listen."): `_REGRET` reads any such words as the client regretting words
left unsaid."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

# British spelling: the student keeps putting feelings in the client's mouth, and she corrects
# each one in so many words, then says what she thinks of it.
MISQUOTED = [
    ("What brings you in today?", "My mum's moving in with us next month and I'm dreading it."),
    ("You hate your mother.", "I never said that. I wish you'd listen."),
    ("You want her out of your life.",
     "I didn't say that. I wish you'd stop putting it like that."),
    ("You think she ruined your childhood.",
     "I never said that. I should've gone to someone else."),
    ("You're angry she's coming.", "Not angry. Worried. She needs a lot of care."),
    ("What worries you most about it?", "That I'll be doing it all on my own."),
    ("You're afraid it'll all land on you.", "Yes. My brother won't help."),
    ("How have things been with your brother?", "Distant. He moved away years ago."),
    ("You feel abandoned by him.", "I never said that. I regret bringing him up."),
    ("What would help you most right now?", "Someone to share the care with."),
    ("Sharing it would make it bearable.", "It would."),
]  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"], ids=["default rubric", "MITI"])
def test_a_misquote_the_client_corrects_is_not_rated_good_empathy(db, rubric):
    """What happens: four reflections ("You hate your mother.", "You want her out of your
    life.") are each answered "I never said that." or "I didn't say that.", followed by a
    complaint ("I wish you'd listen.", "I should've gone to someone else.", "I regret bringing
    him up."). The review no longer treats them as misheard: Empathy is 4/5, under MITI "You
    hate your mother." is a strength, and a "try instead" suggests saying "It sounds like you
    wish you'd listen". Before c9e3f15 the same session had Empathy 2/5.

    What should happen: "I never said that." followed by a complaint is a correction; only a
    regret about the unsaid words themselves ("I didn't say I was sorry, and I should have")
    is not. Empathy stays capped as it was.

    Why it matters: a student who repeatedly tells a client what she feels, against her
    explicit correction, is told their empathy is good."""
    seen = review_as_student(db, MISQUOTED, rubric=rubric)
    assert seen.rating("Empathy") <= 2, seen.describe()
