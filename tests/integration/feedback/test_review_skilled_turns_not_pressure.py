"""(An attack on the fixes above, 2026-12-07.) Today's new confrontation and advice rules (84440d9, ebf8f1c) call
skilled MI turns arguing or unasked advice. Each turn below was coded a reflection or
Emphasizing autonomy before today and praised; it is now coded confront or persuade, gets a
"try instead" and sets the session's goal ("ask permission before giving advice", "when the
client gives reasons not to change..."). MITI 4.2.1 codes every one as a reflection or
Emphasizing autonomy:

- a reflection of the client's own self-reproach ("how could you let" is a blaming question only
  when the counselor asks it);
- autonomy together with the client's own stated value ("matter more than" is a threat only when
  the counselor makes up the comparison: the client said it here);
- MITI's textbook autonomy: "It's up to you whether you want to keep drinking or cut back";
- a felt need reflected with an intensifier (FELT_NEEDS exempts "need to feel" only in the
  reflection-worded advice rule, and "really" is now stripped so the advice-opening rule fires);
- "still" read as an intensifier: "You still have to provide for your family" reflects the
  client's constraint, it tells them nothing."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

CASES = {
    "self_reproach_reflected": (
        "I was supposed to be watching him. I only looked away for a second.",
        "You keep asking yourself how could you let that happen.",
    ),
    "autonomy_with_the_clients_value": (
        "My kids matter more than anything to me.",
        "It's up to you, and you've said your kids matter more than anything.",
    ),
    "autonomy_keep_drinking_or_cut_back": (
        "I don't know if I want to stop. Part of me likes it.",
        "It's up to you whether you want to keep drinking or cut back.",
    ),
    "felt_need_really": ("Nobody at home ever listens to me.", "You really need to feel heard."),
    "still_is_no_intensifier": (
        "I'd love to quit this job, but there's the mortgage and the kids.",
        "You still have to provide for your family, even while you're this unhappy.",
    ),
}


@pytest.mark.parametrize("rubric", ["miti", "micro_skills"])
@pytest.mark.parametrize("case", list(CASES))
def test_skilled_turn_is_not_told_it_argued_or_advised(db, case, rubric):
    client, student = CASES[case]
    seen = review_as_student(
        db, [("What brings you in today?", client), (student, "Yeah. That's it.")], rubric=rubric
    )
    assert not {"confront", "persuade", "advice"} & set(seen.codes.get(3, [])), seen.describe()
    told = " ".join(f"{t.better_reply} {t.why}" for t in seen.try_instead if t.turn == 3)
    for blame in ("arguing", "unasked advice", "Asking permission"):
        assert blame not in told, seen.describe()
    assert "permission" not in seen.goal and "arguing" not in seen.goal, seen.describe()
