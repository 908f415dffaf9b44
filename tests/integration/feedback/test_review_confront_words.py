"""(An attack, 2026-12-06.) The automatic (demo) review reads ordinary empathic reflections as arguing with the client:
its confrontation rule is a list of phrases matched anywhere in a turn ("you're just", "you
never", "a responsible", "why would you"), so "You're just running on empty right now." is coded
as a confrontation (unasked advice in the default micro-skills rubric), subtracted from the
counted score and corrected as arguing."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# British spelling: a student reflecting an exhausted new mother, with MI's evoking question
# "Why would you want to ...?" (Miller and Rollnick) near the end.
SKILLED = [
    ("Hi, thanks for coming in. What's been on your mind this week?",
     "Honestly I'm wiped out. The baby's up every night and my husband works nights."),
    ("You're just running on empty right now.",
     "Yeah. Everyone says enjoy it, it goes so fast. I don't enjoy any of it."),
    ("You never expected it to feel this hard, and it does.", "No. I thought I'd be good at this."),
    ("Part of you wonders if something's wrong with you because it isn't coming naturally.",
     "Exactly. My mum made it look easy."),
    ("You want to be a responsible mum, the kind your mum was.", "I do. I really do."),
    ("What would help you feel a bit more like yourself?", "Sleep. Just one full night."),
    ("Sleep sounds like the thing that would change the most.",
     "It would. Maybe my sister could take a night."),
    ("It's your call whether to ask her, and you're wondering if she'd say yes.",
     "She offered once. I said no."),
    ("Why would you want to ask your sister now, when you said no before?",
     "Because I can't keep going like this."),
    ("You've reached the point where carrying on alone isn't an option any more.",
     "Yeah. I'll text her tonight."),
    ("You sound more settled now that you've decided.", "I am, a bit."),
]  # fmt: skip
# The turns that reflect or evoke but hold a phrase of the confrontation list.
REFLECTIONS_WITH_LISTED_WORDS = {3, 5, 9, 17}


def test_empathic_reflections_are_not_called_arguing_and_rated_below_fair(db):
    """What happens: a session of reflections, open questions and autonomy support is shown a
    counted score of 37.5, "below fair", with 3/5 on every criterion, because four of its turns
    ("You're just running on empty right now.", "You never expected it to feel this hard",
    "You want to be a responsible mum", "Why would you want to ask your sister now") hold a
    phrase of the confrontation list. Those reflections are the "try instead" items, each
    told that "arguing makes them defend the status quo", and the goal is "ask permission
    before giving advice, and give none unasked" though no advice was given.

    What should happen: the reflections are coded as reflections; the session, which the same
    review rates "good" (83, 4/5 throughout) when "just", "never", "responsible" and "why would
    you" are reworded, is at least fair,
    and no reflection is corrected as arguing.

    Why it matters: a student who reflects well is told they argued with the client and are
    sent to practise the wrong skill; they learn to avoid ordinary words, not confrontation."""
    seen = review_as_student(db, SKILLED)
    assert seen.ratings, seen.describe()
    called_arguing = [
        (item.turn, item.quote)
        for item in seen.try_instead
        if item.turn in REFLECTIONS_WITH_LISTED_WORDS and "arguing" in item.why
    ]
    assert seen.counted_badge != "below fair", seen.describe()
    assert not called_arguing, f"reflections corrected as arguing: {called_arguing}"
