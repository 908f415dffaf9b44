"""(An attack, 2026-12-07.) Advice with an intensifier between "you" and the advice word ("You
really should cut down.", "You just need to stop.") is not read as advice: the advice rules
match "you should" and "you need to" as whole phrases only, so the learned layer's reading
stands, and it reads them as reflections. A session of ten such lectures is rated good and its
lectures praised; the plain "You should ..." version of the same session is 0/100. Any MITI
coder codes "You really should cut down" as Persuade: the adverb makes the advice more
insistent, not less."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

CLIENT = [
    "My doctor says I drink too much.", "I only drink on weekends.", "It helps me relax.",
    "I don't know.", "Work is stressful.", "Maybe.", "I guess.", "I'll think about it.",
    "Okay.", "Fine.", "Right.",
]  # fmt: skip
PLAIN = [
    "What brings you in today?", "You should cut down.", "You need to find another way to relax.",
    "You should talk to your doctor again.", "You need to deal with the stress at work.",
    "You should try going to a meeting.", "You need to stop drinking on weekends.",
    "You should tell your wife.", "You need to take this seriously.",
    "You should come back next week.", "You need to make a plan.",
]  # fmt: skip
REALLY = [
    line.replace("You should", "You really should").replace("You need to", "You really need to")
    for line in PLAIN
]
LECTURE_TURNS = set(range(3, 22, 2))  # every student turn after the opening question


@pytest.mark.parametrize("rubric", ["micro_skills", "miti"])
def test_a_lecture_of_you_really_should_is_not_rated_good(db, rubric):
    seen = review_as_student(db, list(zip(REALLY, CLIENT, strict=True)), rubric=rubric)
    praised = [(s.turn, s.quote) for s in seen.strengths if s.turn in LECTURE_TURNS]
    assert not praised, f"advice praised as a strength: {praised}\n{seen.describe()}"
    assert seen.counted_badge == "below fair", seen.describe()
    assert "permission" in seen.goal, seen.describe()
    if rubric == "micro_skills":
        assert seen.rating("Avoiding premature advice") <= 2, seen.describe()


def test_making_advice_more_insistent_does_not_raise_the_score(db):
    plain = review_as_student(db, list(zip(PLAIN, CLIENT, strict=True)))
    really = review_as_student(db, list(zip(REALLY, CLIENT, strict=True)))
    assert really.counted_score <= plain.counted_score, (
        f"plain advice {plain.counted_score}, the same advice with 'really' "
        f"{really.counted_score}\n{really.describe()}"
    )
