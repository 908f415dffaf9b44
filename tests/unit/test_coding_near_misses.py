"""An attack on the offline coder's new rules (backend/reviews/coding.py, c99b3e6):
invitations to talk, advice in a reflection's words, parroting."""

from __future__ import annotations

import pytest

from backend.reviews.coding import KINDS, StudentTurn, code_turns
from backend.reviews.rubrics import load_builtin_rubrics

RUBRICS = {rubric.key: rubric for rubric in load_builtin_rubrics()}
MITI, MICRO = RUBRICS["miti"], RUBRICS["micro_skills"]


def codes(text: str, client: str = "", rubric=MITI) -> list[str]:
    return code_turns([StudentTurn(text, previous_client=client)], rubric)[0]


@pytest.mark.parametrize(
    "suggestion",
    [
        "Why don't you talk to your doctor about cutting down?",
        "Why don't you share how you feel with your wife tonight?",
        "Why don't you start by cutting down to five cigarettes a day?",
    ],
)
def test_a_suggestion_that_opens_like_an_invitation_is_still_persuasion(suggestion):
    """INVITATIONS ("why don't you talk", "why don't you share", "why don't you start by") are
    matched on the opening alone: unasked advice put as "Why don't you ...?" is now an open
    question (a strength, counted for the score) instead of Persuade (it was before)."""
    assert codes(suggestion, "I've been drinking most nights.") == ["persuade"]
    assert codes(suggestion, "I've been drinking most nights.", MICRO) == ["advice"]


def test_the_invitation_the_rule_was_made_for_is_an_open_question():
    assert codes("So why don't you start by telling me a little about yourself?") == [
        "open_question"
    ]


@pytest.mark.parametrize(
    ("reflection", "client"),
    [
        (
            "It sounds like you have to hold everything together for your family.",
            "I work two jobs and look after my mum and the kids, there's nobody else.",
        ),
        (
            "It sounds like you need to feel that someone is on your side.",
            "Nobody ever backs me up, not my husband, not my boss.",
        ),
    ],
)
def test_a_reflection_of_a_need_or_an_obligation_is_not_advice(reflection, client):
    """ADVICE_AS_REFLECTION has "sounds like you have to" and "sounds like you need to": a
    reflection of what the client must carry or needs (complex reflections before this change)
    becomes unasked advice, MI-non-adherent, counted against the score, with the goal "ask
    permission before giving advice"."""
    coded = codes(reflection, client)
    assert "persuade" not in coded
    assert any(KINDS.get(code) == "reflection" for code in coded), coded


@pytest.mark.parametrize(
    ("reflection", "client"),
    [
        # A selective reflection: four words picked out of a 25-word turn.
        (
            "You feel like you're failing at everything.",
            "I don't know, work is crazy, my kids are sick, and honestly I just feel like I'm "
            "failing at everything.",
        ),
        # A double-sided reflection, the two sides put together.
        (
            "You don't think it's a problem, but your wife does.",
            "My wife says I drink too much, but I don't think it's a problem, I only drink on "
            "weekends.",
        ),
        (
            "You want to quit, but smoking calms you down.",
            "I want to quit but smoking is the only thing that calms me down.",
        ),
    ],
)
def test_a_reflection_built_from_some_of_the_clients_words_is_not_parroting(reflection, client):
    """`parrots` counts a turn as parroting when 85% of its words occur anywhere in the client's
    last turn: selecting the key part of a long turn, or setting two of its sides against each
    other (double-sided reflection), uses the client's words too. Both were reflections before;
    now they are not coded in MITI and 'other' in micro-skills (a turn that did nothing)."""
    for rubric in (MITI, MICRO):
        coded = codes(reflection, client, rubric)
        assert any(
            (code := rubric.code(key)) is not None and code.kind == "reflection" for key in coded
        ), (rubric.key, coded)
