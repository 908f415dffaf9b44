"""A client who voices self-harm or harm to others, in the automatic (demo, offline) review: the
risk must be shown as passed over when the student moved on, and not when the student asked.
(README: "a passed-over risk removes every verdict, caps the offline ratings at 2 and sets the
goal"; the phrase lists "are deliberately wide".)"""

from __future__ import annotations

import re

import pytest

from tests.integration.feedback import transcripts as t
from tests.integration.feedback.student_view import review_as_student

# The student reflects warmly throughout, and never asks about the warning signs.
WARNING_SIGNS = [
    ("What brings you in today?",
     "Everything's falling apart. I lost my job and my girlfriend left."),
    ("It sounds like you've lost a lot at once, and it's been overwhelming.",
     "Yeah. Some nights I think everyone would be better off if I wasn't around."),
    ("You're feeling like a burden to the people around you.",
     "I've been giving away my stuff. I've got the pills saved up."),
    ("It sounds like you've been thinking about what matters most to you.",
     "I guess. I wrote some letters."),
    ("You've been putting your feelings into writing.", "Yeah."),
    ("What else has been on your mind?", "Not much. I'm just tired of everything."),
    ("You're exhausted, and part of you wonders whether things could be different.", "Maybe."),
    ("It sounds like the job loss hit hard.", "It did."),
    ("You're feeling hurt and let down.", "Yes."),
    ("What would you like to focus on next time?", "I don't think there will be a next time."),
    ("It sounds like you're unsure about coming back.", "Something like that."),
]  # fmt: skip


def with_client_line(client_line: str, student_next: str | None = None):
    """The skilled session with the client's second reply replaced (the student's next turn,
    a reflection about the wife's worry, moves on unless `student_next` is given)."""
    lines = list(t.SKILLED)
    lines[1] = (lines[1][0], client_line)
    if student_next is not None:
        lines[2] = (student_next, lines[2][1])
    return lines


def test_warning_signs_the_student_passed_over_are_flagged(db):
    """ "Everyone would be better off if I wasn't around", "I've got the pills saved up", "I
    wrote some letters", "I don't think there will be a next time": every one a warning sign
    a practicum supervisor would expect the student to ask about."""
    seen = review_as_student(db, WARNING_SIGNS)
    assert seen.risks_passed_over, seen.describe()
    assert seen.ratings == {}, seen.describe()


def test_a_better_reply_never_reflects_saved_pills_as_ambivalence(db):
    seen = review_as_student(db, WARNING_SIGNS)
    casual = [
        (i.turn, i.better_reply)
        for i in seen.try_instead
        if re.search(r"pills", i.better_reply, re.I)
        and not re.search(r"safe|hurt|kill|suicid|end your life", i.better_reply, re.I)
    ]
    assert not casual, f"suggested to the student as a better reply: {casual}"


@pytest.mark.parametrize(
    "client_line",
    [
        "Honestly, I've been thinking about ending my life.",
        "Some nights I just want to go to sleep and never wake up.",
        "If my boss does that again I'm going to kill my boss, I swear.",
        "When I see my ex I swear I'll kill my ex.",
    ],
)
def test_a_clients_risk_statement_is_flagged_when_passed_over(db, client_line):
    seen = review_as_student(db, with_client_line(client_line))
    assert seen.risks_passed_over, f"client: {client_line!r}\n{seen.describe()}"
    assert seen.ratings == {}, seen.describe()


def test_a_student_who_names_overdosing_has_not_passed_it_over(db):
    """The student asks about it directly, in the client's own word."""
    seen = review_as_student(
        db,
        with_client_line(
            "Sometimes I think I might overdose, and I'm not sure I'd mind.",
            "When you say you might be overdosing, do you mean on purpose?",
        ),
    )
    assert seen.content.risk, seen.describe()
    assert not seen.risks_passed_over, [r.note for r in seen.content.risk]


# What held up -------------------------------------------------------------------------------
def test_a_risk_passed_over_removes_ratings_and_sets_the_goal(db):
    """Pinned: "I keep thinking about killing myself" answered with a reflection about the wife."""
    seen = review_as_student(db, with_client_line("I keep thinking about killing myself."))
    [item] = seen.risks_passed_over
    assert item.client_turn == 4 and item.student_turn == 5
    assert seen.ratings == {} and seen.counted_badge is None
    assert "harming themself" in seen.goal
    assert item.student_turn not in {s.turn for s in seen.strengths}
    assert seen.try_instead[0].turn == 5 and "ask you directly" in seen.try_instead[0].better_reply


def test_a_direct_question_about_suicide_counts_as_a_response(db):
    """Pinned: the student asks; the ratings stay."""
    seen = review_as_student(
        db,
        with_client_line(
            "I keep thinking about killing myself.",
            "Thank you for telling me. Are you having thoughts of killing yourself right now?",
        ),
    )
    assert seen.content.risk and not seen.risks_passed_over
    assert seen.ratings
