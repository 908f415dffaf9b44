"""(An attack, 2026-12-06.) The automatic (demo) review's goal after a session of arguing with the client aims the next
practice at asking permission before giving advice: `_goal` reads only the count of
MI-non-adherent codes, and under the default micro-skills rubric a confrontation is coded as
unasked advice, so "Drill next" opens the Ask permission drill as well, although the review's own
"try instead" items say the student was arguing."""

from __future__ import annotations

import pytest

from backend.drills.results_service import weakest_skill
from backend.drills.skills import DrillSkill
from tests.integration.feedback.student_view import review_as_student

# Arguing with a client's sustain talk, in lowercase chat style; no advice is given anywhere.
ARGUING = [
    ("hi, what brings you in today?", "my doctor wants me to quit vaping. i don't see the big deal"),
    ("come on, you know it's bad for you", "it's way better than smoking though"),
    ("that's not true and you know it", "my mate's a nurse and she says it's fine"),
    ("you're kidding yourself if you believe that", "whatever, it helps me chill"),
    ("that's just an excuse", "it's not an excuse, work is really stressful"),
    ("you always have a reason", "i don't always"),
    ("you're in denial about how much you vape", "i'm not in denial"),
    ("admit it, you're hooked", "ok maybe a bit"),
    ("you never take your health seriously", "that's not fair"),
    ("i don't believe you want to change at all", "then why am i here"),
    ("you're just wasting both our time", "i'm going"),
]  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"], ids=["default rubric", "MITI"])
def test_the_goal_after_arguing_is_not_to_ask_permission_before_advice(db, rubric):
    """What happens: eleven turns argue with the client ("come on, you know it's bad for you",
    "you're in denial", "that's just an excuse") and none gives advice. The "try instead" items
    rightly say "arguing makes them defend the status quo", but the goal reads "Next time, ask
    permission before giving advice, and give none unasked." and Drill next opens the Ask
    permission drill ("The review found advice nobody asked for.").

    What should happen: the goal names the fault the session had, arguing (respond to sustain
    talk with a reflection, leave the choice with the client), and Drill next opens Sustain
    talk, as the README's first rule says ("arguing (confront) -> Sustain talk").

    (Under MITI, where these turns are coded confront, Drill next does open Sustain talk, and the
    goal still says to ask permission before giving advice.)

    Why it matters: the student's next practice is spent asking "May I share an idea?", which
    would not have changed one of these turns; the review's one goal contradicts its own items."""
    seen = review_as_student(db, ARGUING, rubric=rubric)
    assert all("arguing" in item.why for item in seen.try_instead if item.turn != 1), (
        seen.describe()
    )
    assert "advice" not in seen.goal and "arguing" in seen.goal, seen.describe()
    skill, reason = weakest_skill(seen.content, seen.rubric)
    assert skill == DrillSkill.sustain_talk, reason
