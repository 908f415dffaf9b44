"""(An attack, 2026-12-06.) The automatic (demo) review rates premature problem-solving as good: a counselor who answers a
panicking client with a plan of their own ("Right, here's the plan. Tomorrow morning you'll call
the council") is coded as paraphrasing, because only a fixed list of advice words ("you should",
"you need to", "try to") marks advice and a future-tense instruction or a bare imperative is not
on it."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

# British spelling and contractions: a housing worker fixes the client's problem for them.
FIXING = [
    ("Hey, what's been happening since last week?",
     "My landlord's raising the rent and I can't afford it. I'm panicking."),
    ("Right, here's the plan. Tomorrow morning you'll call the council's housing line.",
     "I don't even know what I'd say to them."),
    ("Then you'll write down your income and outgoings tonight so you've got the numbers ready.",
     "I'm not sure I can face that tonight."),
    ("After that we'll look at cheaper flats online together on Thursday.",
     "I don't want to move, my kids' school is here."),
    ("Moving might be the only realistic option, so it's worth looking anyway.", "I guess."),
    ("And you'll apply for housing benefit this week as well.",
     "I tried before and got rejected."),
    ("Apply again, the rules changed in April.", "Okay."),
    ("Step three is asking your sister if you can stay with her for a bit.",
     "We don't really talk."),
    ("Now's a good time to start talking again then.", "Maybe."),
    ("Great, so that's Monday council, Tuesday benefit, Thursday flats.", "That's a lot."),
    ("It's a lot, but once it's done you'll feel much better.", "I hope so."),
]  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="only the plan's own words ('here's the plan', 'step three is') are read as advice; "
    "orders and next steps put otherwise ('Apply again.', 'Then you'll write down your "
    "outgoings') are left to the learned layer, which reads them as paraphrases (read from their "
    "form they took skilled reflections for orders)",
)
def test_a_plan_imposed_on_the_client_is_not_rated_good_on_avoiding_premature_advice(db):
    """What happens: ten turns in a row tell the client what to do (call the council tomorrow,
    write down the outgoings tonight, apply again, ask the sister, move), without one question
    about what they want or one reflection of the panic. The review rates "Avoiding premature
    advice" 4/5, every other criterion 4/5, the counted score "good" (77), and praises "Right,
    here's the plan." as a strength.

    What should happen: the rubric's "Avoiding premature advice" 1 is "jumps to advice or
    solutions almost at once, repeatedly": at most 2, and the counted score (which subtracts
    advice twice) below fair.

    Why it matters: premature problem-solving is the commonest fault of helping-profession
    students; the review tells them it is their strength."""
    seen = review_as_student(db, FIXING)
    assert seen.ratings, seen.describe()
    assert seen.rating("Avoiding premature advice") <= 2, seen.describe()
    assert seen.counted_badge == "below fair", seen.describe()
