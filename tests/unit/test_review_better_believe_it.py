"""(An attack, 2026-12-06.) "You'd better believe it" is an English affirmation, but "you'd better" is in
`ADVICE` (and so `ADVICE_OPENINGS`) in `backend/reviews/coding.py`, and the rule fires on any
sentence that opens with it."""

from __future__ import annotations

from backend.reviews.coding import StudentTurn, code_turns
from backend.reviews.rubrics import load_builtin_rubrics

RUBRICS = {rubric.key: rubric for rubric in load_builtin_rubrics()}


def test_youd_better_believe_it_affirms_and_gives_no_advice():
    """What happens: the client marvels that she made it to the appointment and the student
    affirms her ("You'd better believe it. You got yourself here today, and that took real
    courage."). The turn is coded persuade (MITI) / advice (micro-skills), because "you'd better"
    opens a sentence, though nothing in it tells the client what to do.

    What should happen: an idiom of emphasis followed by an affirmation is an affirmation; no
    advice or persuasion code.

    Why it matters: the review marks a warm affirmation as unasked advice, lowers the
    "avoiding premature advice" rating and can set "ask permission before giving advice" as the
    student's goal for a turn that gave none."""
    turn = StudentTurn(
        "You'd better believe it. You got yourself here today, and that took real courage.",
        previous_client="can you believe i actually made it to the appointment? i nearly turned back.",
    )
    miti = code_turns([turn], RUBRICS["miti"])[0]
    micro = code_turns([turn], RUBRICS["micro_skills"])[0]
    assert "persuade" not in miti and "advice" not in micro, (miti, micro)
