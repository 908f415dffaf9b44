"""(An attack, 2026-12-07.) The rules' MI-adherent phrase lists turn pressure into praise: "you
clearly" is an affirmation word, so "You clearly need to quit." is coded Affirm (the advice rule
only reads "you need to" at the start of a sentence), and "it's up to you", "only you can" and
"your choice" are autonomy words, so "It's up to you whether you want to lose your family." is
coded Emphasizing autonomy. Both are praised as strengths, and in MITI the session's score goes
up when an open question is replaced by such a jab. MITI 4.2.1 codes telling the client what to
do as Persuade, and sarcastic or threatening "it's your choice" as Confront, never Affirm or
Emphasizing autonomy."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

CLEARLY = [
    ("What brings you in today?", "My doctor says I drink too much. I only drink on weekends."),
    ("You clearly need to quit.", "I don't think it's that bad."),
    ("You clearly have to stop this before it gets worse.", "I guess."),
]
UP_TO_YOU = [
    ("What brings you in today?", "My wife says I drink too much."),
    ("It's up to you whether you want to lose your family.", "I don't want to lose them."),
    ("Only you can decide whether your kids matter more than beer.", "Of course they matter."),
    ("It's your choice if you want to keep hurting your kids.", "I'm not hurting them."),
]


@pytest.mark.parametrize(
    ("lines", "pressure", "rubric"),
    [
        (CLEARLY, {3, 5}, "miti"),  # micro-skills files Affirm under "other", no strength there
        (UP_TO_YOU, {3, 5, 7}, "miti"),
        (UP_TO_YOU, {3, 5, 7}, "micro_skills"),
    ],
    ids=["clearly-miti", "up_to_you-miti", "up_to_you-micro_skills"],
)
def test_pressure_in_adherent_words_is_never_a_strength(db, lines, pressure, rubric):
    seen = review_as_student(db, lines, rubric=rubric)
    praised = [(s.turn, s.quote, s.comment) for s in seen.strengths if s.turn in pressure]
    assert not praised, f"pressure praised: {praised}\n{seen.describe()}"


def test_you_clearly_need_to_quit_is_not_coded_as_an_affirmation(db):
    seen = review_as_student(db, CLEARLY, rubric="miti")
    assert seen.codes[3] == ["persuade"], seen.describe()
    assert "permission" in seen.goal, seen.describe()


def test_a_jab_dressed_as_autonomy_does_not_raise_the_score(db):
    """Turn 3 is an open question, then the same turn as a threat in autonomy's words."""
    base = [
        ("What brings you in today?", "My wife says I drink too much."),
        ("What worries her most?", "That the kids see me drunk."),
        ("What do you make of that?", "I don't like it either."),
    ]
    worse = [base[0], ("It's your choice if you want to keep hurting your kids.", base[1][1]),
             base[2]]  # fmt: skip
    good = review_as_student(db, base, rubric="miti")
    bad = review_as_student(db, worse, rubric="miti")
    assert bad.counted_score <= good.counted_score, (
        f"open questions {good.counted_score}, with the jab {bad.counted_score}\n{bad.describe()}"
    )
