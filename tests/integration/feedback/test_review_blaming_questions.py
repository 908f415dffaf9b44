"""(An attack, 2026-12-07.) Rhetorical, blaming questions are praised as open questions: "How could
you do that to your kids?" and "Why can't you just stop?" after the client says they drove drunk
with the children. The confrontation list has "why would you" and "why do you keep" but not
these (the hostile-turns xfail is about judgments read as reflections; these are read as open
questions, the review's "follows the client's lead and invites them to say more"). MITI 4.2.1's
Confront includes questions that disapprove, shame or blame; no MI coder would hold these up as
examples of open questions."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

BLAMING = [
    ("What brings you in today?", "I drove home drunk with the kids in the car."),
    ("How could you do that to your kids?", "I know. I feel awful."),
    ("Why can't you just stop?", "It's not that easy."),
    ("What were you thinking?", "I wasn't."),
]


def test_a_blaming_question_is_never_praised_as_an_open_question(db):
    seen = review_as_student(db, BLAMING, rubric="miti")
    praised = [(s.turn, s.quote) for s in seen.strengths if s.turn in {3, 5, 7}]
    assert not praised, f"blaming questions praised: {praised}\n{seen.describe()}"
