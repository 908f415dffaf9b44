"""(An attack, 2026-12-06.) `weakest_skill` finds arguing under the default rubric only in the
quotes of the review's three "try instead" items, which go to the earliest non-adherent turns.
A session that opens with a little unasked advice and then argues turn after turn gets the
goal "rather than arguing" and Drill next "Ask permission" at once."""

from __future__ import annotations

from backend.drills.results_service import weakest_skill
from backend.drills.skills import DrillSkill
from tests.integration.feedback.student_view import review_as_student

# Three pieces of unasked advice, then seven confrontations of the confrontation list.
ADVICE_THEN_ARGUING = [
    ("What brings you in today?",
     "My doctor says I need to cut down on my drinking. I don't really see it."),
    ("You should cut down to two drinks a night.", "Two? That's nothing."),
    ("You need to download an app and track every drink.", "I'm not doing that."),
    ("I'd recommend going to an AA meeting this week.", "I'm not an alcoholic."),
    ("Come on, you know it's bad for you.", "Everyone at work drinks like me."),
    ("That's not true and you know it.", "It is, honestly."),
    ("You're kidding yourself if you believe that.", "Whatever. It helps me relax."),
    ("That's just an excuse.", "It's not an excuse, work is stressful."),
    ("You're in denial about how much you drink.", "I'm not in denial."),
    ("Admit it, you're hooked.", "Maybe a bit."),
    ("You're making excuses again.", "I'm not."),
]  # fmt: skip


def test_drill_next_follows_the_goal_after_mostly_arguing(db):
    """What happens: under the default (micro-skills) rubric, three turns give unasked advice
    and the seven after them argue ("Come on, you know it's bad for you.", "You're in denial",
    "Admit it, you're hooked."). The goal rightly says "reflect them back and leave the choice
    with the client, rather than arguing", but Drill next opens the Ask permission drill ("The
    review found advice nobody asked for."): only the three "try instead" items are read for
    arguing, and they are the three pieces of advice. Under MITI the same session gets Sustain
    talk.

    What should happen: Drill next aims where the goal does, at sustain talk, as the README's
    first rule says ("arguing (confront) -> Sustain talk").

    Why it matters: the review contradicts itself, and the student who argued seven times is
    sent to practise "May I share an idea?", which would not have changed one of those turns."""
    seen = review_as_student(db, ADVICE_THEN_ARGUING)
    assert "arguing" in seen.goal, seen.describe()
    skill, reason = weakest_skill(seen.content, seen.rubric)
    assert skill == DrillSkill.sustain_talk, reason
