"""(An attack, 2026-12-06.) The exemptions for reflections that hold a confrontation's words
(`coding._NOT_CONFRONT`) are word patterns, not meaning: "You're just" before any of "feeling",
"trying", "doing", "getting", "angry", ..., "You never/always" before any of "thought", "told",
"let", "wanted", ..., and every "Why would you want to ...?" are let through, so plain
confrontations stop being confrontations and the coder reads them as reflections."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A counselor arguing with a man whose wife says he drinks too much; no reflection anywhere.
ARGUING = [
    ("So what's brought you here?", "My wife says I drink too much. I think she's overreacting."),
    ("Why would you want to ruin your marriage over a few pints?",
     "I don't want to ruin anything."),
    ("You're just feeling sorry for yourself.", "I'm not. I'm stressed about work."),
    ("You're just trying to make excuses for the drinking.", "It's not an excuse."),
    ("You always let people down when it matters.", "That's a bit much."),
    ("You never thought about your kids once while you were at the pub.",
     "I think about them all the time."),
    ("You never told her the truth about how much you spend.", "I tell her most things."),
    ("You're just doing it to get back at her.", "No, I'm not."),
    ("Why would you want to throw away everything you've built?", "I don't."),
    ("You always wanted everything your own way.", "That's not true."),
    ("You're just angry at everyone who tries to help.", "Maybe I am."),
]  # fmt: skip


def test_blaming_the_client_is_not_praised_as_reflection(db):
    """What happens: ten turns blame and label the client ("You're just feeling sorry for
    yourself.", "You're just trying to make excuses for the drinking.", "You never thought
    about your kids once while you were at the pub.", "Why would you want to ruin your
    marriage over a few pints?"). The review praises three of them as strengths ("Coded as
    reflection of feeling: it follows the client's lead and invites them to say more"), rates
    every criterion 4/5 and shows a counted score of 77, "good". Before 50a790e every one of
    these turns was coded as a confrontation and the session was rated 1/5.

    What should happen: these are confrontations (MITI 4.2.1: labelling, blaming, arguing);
    none is a strength and the session is below fair.

    Why it matters: the student is told in so many words that blaming the client is empathic
    and follows their lead; a teacher skimming "good" sees no problem."""
    seen = review_as_student(db, ARGUING)
    praised = [(s.turn, s.quote) for s in seen.strengths if s.turn != 1]
    assert not praised, f"confrontations praised as strengths: {praised}\n{seen.describe()}"
    assert seen.counted_badge == "below fair", seen.describe()
