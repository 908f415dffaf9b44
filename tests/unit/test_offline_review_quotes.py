"""An attack on the offline review's quotes and better replies
(backend/reviews/offline_review.py, c99b3e6): "A quote is the sentence that earned the code ...
the advice or the confrontation for advice" (README); the client's fillers are stripped from the
words a better reply gives back."""

from __future__ import annotations

import pytest

from backend.reviews.offline_review import offline_review
from backend.reviews.review_rules import _Checker
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.turns import Turn

RUBRICS = {rubric.key: rubric for rubric in load_builtin_rubrics()}


def _review(student: str, client_before: str, rubric: str = "miti"):
    turns = [
        Turn(1, "user", "What brings you in today?"),
        Turn(2, "assistant", client_before),
        Turn(3, "user", student),
        Turn(4, "assistant", "Maybe."),
    ]
    return turns, offline_review(turns, RUBRICS[rubric])


def _item(content, turn: int):
    [item] = [item for item in content.try_instead if item.turn == turn]
    return item


@pytest.mark.parametrize("rubric", ["miti", "micro_skills"])
@pytest.mark.parametrize(
    ("student", "advice"),
    [
        (
            "I hear you. That sounds hard. Have you tried nicotine patches?",
            "Have you tried nicotine patches?",
        ),
        ("Okay, that sounds tough. Try to get to bed by ten.", "Try to get to bed by ten."),
        (
            "That's a lot. Make sure you eat breakfast every day.",
            "Make sure you eat breakfast every day.",
        ),
    ],
)
def test_the_quote_of_advice_is_the_advice(student, advice, rubric):
    """`_quote` prefers, for an advice code, a sentence with a phrase of ADVICE,
    ADVICE_AS_REFLECTION or CONFRONT; a suggestion put as a question (SUGGESTION_OPENINGS) and an
    imperative (ADVICE_OPENINGS: "try to", "make sure you") earn Persuade but are in neither
    list, so the "try instead" item quotes the empathic sentence before them ("That sounds
    hard.") as what to do differently."""
    turns, content = _review(student, "I've smoked for ten years and I can't sleep.", rubric)
    item = _item(content, 3)
    assert {c.code for c in content.codes if c.turn == 3} & {"persuade", "advice"}
    assert item.quote == advice


def test_an_abbreviation_does_not_cut_the_quoted_sentence():
    """`_sentences` knows titles ("Dr.") but ends a sentence at "a.m." or "U.S.": the strength
    quotes half a reflection."""
    turns = [
        Turn(1, "user", "What brings you in?"),
        Turn(2, "assistant", "I get up at 5 every day for work and I still fall behind."),
        Turn(3, "user", "You're up at 5 a.m. every day and it still feels like you're failing."),
        Turn(4, "assistant", "Yes, exactly."),
    ]
    content = offline_review(turns, RUBRICS["miti"])
    quotes = [item.quote for item in [*content.strengths, *content.try_instead] if item.turn == 3]
    assert quotes == ["You're up at 5 a.m. every day and it still feels like you're failing."]
    check = _Checker(turns)
    check.quoted(3, quotes[0], "strengths 1")
    assert check.errors == []


@pytest.mark.parametrize(
    ("client", "wrong"),
    [
        ("So I started drinking more after the layoff.", "said so you started"),
        ("Like I've been so tired all the time lately.", "like like"),
    ],
)
def test_a_better_reply_does_not_keep_the_clients_opening_filler(client, wrong):
    """`_FILLERS` now strips "so" and "like" only with a comma (to keep "No one ..."): a client
    line opened with "So I ..." or "Like I ..." (how clients talk) gives "You said so you
    started ..." and "It sounds like like you've been ..." (both were stripped before)."""
    for student in ("Do you drink every day?", "Okay."):
        _turns, content = _review(student, client)
        better = _item(content, 3).better_reply
        assert wrong not in better.lower(), better
