"""(An attack, 2026-12-06.) Everyday orders slip past the new rule: a
lead-in it does not know ("Please", "Honestly,", "Well,", "Look,"), a negative imperative ("Don't
drink tonight."), a verb not on its list ("Delete", "Block", "See your GP"), a tag question
("Go to the GP, okay?") or the client's verb used for another step ("You'll call your mum" after
"I'll call the council") is not unasked advice."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

# A student tells a woman leaving an abusive partner what to do, turn after turn.
ORDERS = [
    ("What's been happening?", "He turned up at my flat again last night. Drunk."),
    ("Please call the police next time.", "I don't know if I want to involve them."),
    ("Honestly, just ring them.", "He'd go mad."),
    ("Delete his number.", "We've got a kid together, I can't."),
    ("Block him on everything else then.", "Maybe."),
    ("Don't open the door to him again.", "I'll try."),
    ("See your GP this week about the sleeping.", "I'm not sleeping, that's true."),
    ("Go to the GP, okay?", "Fine."),
    ("Well, change the locks tomorrow.", "With what money?"),
    ("Look, tell your landlord it's an emergency.", "I suppose I'll call the council tomorrow."),
    ("You'll call your mum tonight and tell her everything as well.", "She'll just say I told you so."),
    ("Don't drink tonight either, you need a clear head.", "Okay."),
]  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="orders the plan rule does not know are not advice to the coder: verbs it leaves out "
    "because invitations share them ('See your GP', 'Go to the GP, okay?', 'Tell your landlord'), "
    "'Delete his number', and 'Don't open the door'; the session is 3/5 and fair (it was 4/5 and "
    "good before 'Please' and 'Honestly,' became lead-ins)",
)
def test_a_session_of_everyday_orders_is_not_rated_good_on_avoiding_premature_advice(db):
    """What happens: eleven of twelve turns tell the client what to do ("Please call the police
    next time.", "Honestly, just ring them.", "Delete his number.", "Block him on everything
    else then.", "Don't open the door to him again.", "See your GP this week", "Well, change the
    locks tomorrow.", "You'll call your mum tonight ..."), not one asked for. Most are coded
    not at all, or as a paraphrase or a closed question; "Avoiding premature advice" is rated
    4/5, the counted score is "good", the goal is about reflections, and "Please call the
    police next time.", "Honestly, just ring them." and "Delete his number." are praised as
    strengths ("it follows the client's lead").

    What should happen: as for the plan 1a3b194 catches ("Apply again.", "Tomorrow you'll
    call the council."), a run of orders is "jumps to advice or solutions almost at once,
    repeatedly": at most 2, and the goal names advice.

    Why it matters: the fix made the review strict about the textbook form of an order and
    blind to the way students actually give them; a student who says "Please call the police"
    learns that it is fine while "Call the police" is not."""
    seen = review_as_student(db, ORDERS)
    assert seen.ratings, seen.describe()
    assert seen.rating("Avoiding premature advice") <= 2, seen.describe()
    assert "advice" in seen.goal, seen.describe()
