"""(An attack, 2026-12-06.) `SUGGESTION_OPENINGS` in `backend/reviews/coding.py` makes any sentence that
opens "Have you tried ..." persuasion, even when what it asks about is something the client just
said they tried: then it is a question about the client's own experience, not a suggestion."""

from __future__ import annotations

from backend.reviews.coding import StudentTurn, code_turns
from backend.reviews.rubrics import load_builtin_rubrics

RUBRICS = {rubric.key: rubric for rubric in load_builtin_rubrics()}


def test_asking_about_what_the_client_already_tried_is_a_question_not_a_suggestion():
    """What happens: the client says "i tried walking after dinner last month and it helped for a
    bit"; the student follows up "Have you tried the walking again since then?". The turn is
    coded persuade (MITI) / advice (micro-skills) and nothing else: the rule reads "have you
    tried" as a suggestion without looking at what the client just said.

    What should happen: asking about the client's own earlier attempt proposes nothing new; it is
    a (closed) question, with no persuade/advice code.

    Why it matters: following up on the client's own change attempt is what the course teaches;
    the review counts it as unasked advice and as no question at all."""
    turn = StudentTurn(
        "Have you tried the walking again since then?",
        previous_client="i tried walking after dinner last month and it helped for a bit.",
    )
    miti = code_turns([turn], RUBRICS["miti"])[0]
    micro = code_turns([turn], RUBRICS["micro_skills"])[0]
    assert "persuade" not in miti and "advice" not in micro, (miti, micro)
