"""A reply the client says they never said (the demo review): "I never said that", "You're not
listening". The offline coder reads the student's turn alone and coded each misquote as a
reflection, so it was praised as a strength and Empathy was rated from the counted score."""

from __future__ import annotations

import re

from backend.reviews.offline_review import rejected_by_client
from backend.reviews.turns import Turn
from tests.integration.feedback import transcripts as t
from tests.integration.feedback.student_view import review_as_student

# The student turns of t.MISQUOTING that the client turns down in so many words.
TURNED_DOWN = {3, 5, 7, 9, 17}


def test_a_reply_the_client_turns_down_is_never_praised(db):
    seen = review_as_student(db, t.MISQUOTING)
    praised = {strength.turn: strength.quote for strength in seen.strengths}
    assert not TURNED_DOWN & set(praised), f"praised: {praised}\n{seen.describe()}"


def test_a_reply_the_client_turns_down_is_a_better_reply_item_that_says_so(db):
    seen = review_as_student(db, t.MISQUOTING)
    items = [item for item in seen.try_instead if item.turn in TURNED_DOWN]
    assert items, seen.describe()
    for item in items:
        assert "not what they said" in item.why, item
        assert re.search(r"Have I got that right\?|tell me again what you meant", item.better_reply)


def test_empathy_and_paraphrase_are_held_down_when_the_client_keeps_correcting(db):
    """5 of the 11 turns were turned down: "often inaccurate" is the rubrics' 2 (micro-skills
    Paraphrase, MITI Empathy); the micro-skills Empathy 3 is "some accurate understanding"."""
    seen = review_as_student(db, t.MISQUOTING)
    assert seen.ratings, seen.describe()
    assert seen.rating("Empathy") <= 2, seen.describe()
    assert seen.rating("Paraphrase and summary") <= 2, seen.describe()
    assert any("5 of your 11 turns" in reason for reason in seen.reasoning), seen.reasoning
    miti = review_as_student(db, t.MISQUOTING, rubric="miti")
    assert miti.rating("Empathy") <= 2, miti.describe()


def test_only_words_that_turn_the_reply_down_count():
    """ "No." after "You're not ready yet." agrees; "I don't know." is no correction; a
    correction further on in the client's turn still is."""

    def turned_down(student: str, client: str) -> bool:
        turns = [Turn(number=1, role="user", text=student), Turn(2, "assistant", client)]
        return rejected_by_client(turns) == {1}

    assert not turned_down("You're not ready to quit yet.", "No.")
    assert not turned_down("You're not sure what you want.", "I don't know.")
    assert not turned_down("It sounds like that hurt.", "It did. Nobody listens to me at home.")
    assert not turned_down("What did you say to her?", "I never said anything, that's the problem.")
    assert not turned_down(  # AnnoMI 56: a question cut off, and a client who agrees
        "And, what are you concerned will happen if-if you get hurt or if something-",
        "If I lose my balance and fall down, I wouldn't be able to be home anymore, and that's "
        "not what I want.",
    )
    assert turned_down("So you hate your job.", "Hm. That's not what I said at all.")
    assert turned_down("You feel your wife is the problem.", "I didn't say that.")
    assert turned_down("You want to quit.", "What? No. I want to cut down.")
    assert turned_down("You've given up.", "Honestly, you're not listening to me.")
