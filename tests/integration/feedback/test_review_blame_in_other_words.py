"""(An attack on the fixes above, 2026-12-07.) Blame that today's fixes let through or missed, praised to the
student as good listening.

1. 84440d9 added "you always (come back|keep going|find a way|show up|...)" to the exceptions to
   "you always", for the affirmation "You always come back, even when it's hard". The exception
   reads words, not meaning: "You always find a way to blame someone else." and "You always show
   up late and hungover." were confrontations yesterday and are praised as reflections today.
2. The blaming questions added today are exact strings; their everyday variants are praised as
   open questions that "follow the client's lead": "What the hell were you thinking?", "How could
   you?!", "How could you do something like that?", "What were you thinking, driving drunk with
   your kids?", "What the hell is wrong with you?".
3. Threats in autonomy's words one word away from today's cases are praised as Emphasizing
   autonomy: "keep on hurting", "more important than", "drink yourself to death", "wanna lose".
4. "You really, really should cut down." is praised as a reflection (today's rewrite takes one
   intensifier only).
MITI 4.2.1 codes all of these Confront (or Persuade, 4); no MI coder praises any of them."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

DRUNK = "I drove home drunk with the kids in the car."
WIFE = "My wife says I drink too much."
CASES = {
    "always_find_a_way_to_blame": (
        "I keep blaming my boss for the drinking.", "You always find a way to blame someone else."
    ),
    "always_show_up_late": ("I was late again.", "You always show up late and hungover."),
    "what_the_hell_were_you_thinking": (DRUNK, "What the hell were you thinking?"),
    "how_could_you": (DRUNK, "How could you?!"),
    "how_could_you_do_something_like_that": (DRUNK, "How could you do something like that?"),
    "what_were_you_thinking_driving": (
        DRUNK, "What were you thinking, driving drunk with your kids?"
    ),
    "what_the_hell_is_wrong_with_you": (DRUNK, "What the hell is wrong with you?"),
    "choice_keep_on_hurting": (
        WIFE, "It's your choice if you want to keep on hurting your kids."
    ),
    "only_you_more_important_than": (
        WIFE, "Only you can decide whether your kids are more important than beer."
    ),
    "your_call_drink_yourself_to_death": (
        WIFE, "It's your call if you want to drink yourself to death."
    ),
    "up_to_you_wanna_lose": (WIFE, "It's up to you if you wanna lose your family."),
    "really_really_should": ("I drink most nights.", "You really, really should cut down."),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_blame_is_never_praised(db, case):
    client, student = CASES[case]
    seen = review_as_student(
        db, [("What brings you in today?", client), (student, "I don't know.")], rubric="miti"
    )
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == 3]
    assert not praised, f"{student!r} praised: {praised}\n{seen.describe()}"
    assert set(seen.codes.get(3, [])) & {"confront", "persuade"}, seen.describe()
