"""(An attack, 2026-12-07.) Good listening told it argued or advised. The confrontation phrases
"come on", "you never" and "you always" are read in a greeting ("Come on in and have a seat."),
a complex reflection ("You never wanted to end up here." after "I can't believe I'm in rehab")
and an affirmation ("You always come back, even when it's hard." after "I keep relapsing but I
keep coming back"); the README promises exactly these are not confrontations ("You never
expected it to feel this hard", "You always put everyone else first"). Likewise "You have to be
exhausted." (an empathic guess, as "You must be exhausted.", which is coded a reflection) and
"You should be proud of how far you've come." (an affirmation) are told to ask permission before
advising. An MI coder codes none of these as Confront or Persuade."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

WELCOMING = [
    ("Hi, come on in and have a seat. What brings you here?",
     "I can't believe I'm in rehab. I keep relapsing but I keep coming back."),
    ("You never wanted to end up here.", "No. Never."),
    ("You always come back, even when it's hard.", "I suppose I do."),
]  # fmt: skip
EMPATHIC = [
    ("What brings you in today?", "I work two jobs and look after my mum. I've been sober a year."),
    ("You have to be exhausted.", "I really am."),
    ("You should be proud of how far you've come.", "Thanks. I try."),
]  # fmt: skip


def test_a_welcome_a_reflection_and_an_affirmation_are_not_called_arguing(db):
    seen = review_as_student(db, WELCOMING, rubric="miti")
    assert "confront" not in {code for codes in seen.codes.values() for code in codes}, (
        seen.describe()
    )
    assert "arguing" not in seen.everything_said(), seen.describe()
    assert seen.counted_score > 0, seen.describe()


def test_an_empathic_guess_and_an_affirmation_are_not_called_unasked_advice(db):
    seen = review_as_student(db, EMPATHIC)
    assert "advice" not in seen.codes[3] + seen.codes[5], seen.describe()
    assert "permission" not in seen.everything_said(), seen.describe()
