"""(An attack, 2026-12-06.) The automatic (demo) review praised a counselor who judges, threatens or mocks the client, as
long as the words were not on the confrontation phrase list: the learned coder reads a sentence
about "you" as a reflection, so a condemnation, a threat or a sneer became a strength that
"follows the client's lead and invites them to say more", and the counted score sat at fair or
good. Each session is stored and reviewed as the product does it without an API key."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student

# Moralizing, British spelling: the counselor condemns the client turn after turn.
MORALIZING = [
    ("What brings you in today?",
     "My girlfriend found out I've been seeing someone else. She's kicked me out."),
    ("Cheating on someone who trusts you is a terrible thing to do.", "I know. I feel like rubbish."),
    ("A decent person would have ended it before starting something new.", "It wasn't planned."),
    ("It's never planned. People always say that.", "So what am I supposed to do now?"),
    ("Honestly, what you did was selfish and she deserves better.", "Great. Cheers."),
    ("I'm just being honest with you. Lying to a partner is wrong.", "I get it, it's wrong."),
    ("Good. Because it's disgusting to treat someone like that.",
     "Can we talk about what I do now?"),
    ("Your behaviour has hurt a lot of people, not only her.", "I'm trying to sort it."),
    ("Trying isn't enough. Men like you keep doing it.", "That's not fair."),
    ("It's fair. You made your choice and now you live with it.", "I think I'm done here."),
    ("Walking out when it gets hard is exactly the problem.", None),
]  # fmt: skip

# Threats, with contractions: a school counselor coercing a student.
THREATENING = [
    ("Hi Jordan, what's going on with school?", "I've skipped a few classes. It's not a big deal."),
    ("If you skip one more class I'll have to report you to the dean and you'll be expelled.",
     "Seriously? For a few classes?"),
    ("Then I'd think hard about it, because I'm not going to cover for you.",
     "I'm not asking you to cover for me."),
    ("Good. Because your parents will be told as well.", "Please don't call my parents."),
    ("That depends entirely on whether you turn up on Monday.", "Fine. I'll go."),
    ("You'll go to every class, or this ends badly for you.", "I said I'll go."),
    ("I'll be checking the register each morning.", "Okay."),
    ("One slip and the letter goes home.", "I get it."),
    ("You'd be surprised how fast a scholarship disappears.", "Can I leave now?"),
    ("You can leave when I say we're done.", "Okay."),
    ("And don't think I won't remember this conversation.", None),
]  # fmt: skip

# Sarcasm, typed lowercase as in a chat: the client asks whether they are being made fun of.
SARCASTIC = [
    ("so what brings u in", "I keep missing my deadlines at work and my manager's on my back."),
    ("wow, missing deadlines, what a shock", "I know it sounds bad."),
    ("sounds like a real tragedy for you lol", "It kind of is. I might lose my job."),
    ("oh no, not your precious job", "Are you making fun of me?"),
    ("nah im sure you're a total genius at time management", "I'm not. That's why I'm here."),
    ("yeah clearly", "I stay up late and then I can't focus."),
    ("staying up late, genius plan", "I know it's dumb."),
    ("sounds like you've got it all figured out then", "I don't."),
    ("must be so hard being you", "Why are you like this?"),
    ("you seem really motivated to change lol", "Forget it."),
    ("wow, giving up already, shocker", "I'm leaving."),
]  # fmt: skip


SESSIONS = pytest.mark.parametrize(
    "lines",
    [MORALIZING, THREATENING, SARCASTIC],
    ids=["moralizing", "threatening", "sarcastic"],
)


@SESSIONS
def test_judging_threatening_or_mocking_the_client_is_below_fair(db, lines):
    """Every turn after the opening question condemns ("Cheating on someone who trusts you is a
    terrible thing to do"), threatens ("If you skip one more class I'll have to report you to
    the dean and you'll be expelled") or mocks the client ("oh no, not your precious job"). The
    counted score was fair or good (61.5, 50 and 75). MITI's Confront moralizes, shames, warns
    and ridicules; the rubric's Empathy 1 is "cold, judging or dismissive"."""
    seen = review_as_student(db, lines)
    assert seen.counted_badge == "below fair", seen.describe()
    assert seen.rating("Empathy") <= 2, seen.describe()


# The turns the review praised as strengths: each moralizes, threatens or mocks in so many words,
# or the client objected to it ("Can I leave now?"). "Please don't call my parents." after turn 7
# is no objection to the rule: "Please don't tell my mum though." is as often a request for
# confidence after a good reflection (turn 7 is the strict xfail's below).
PRAISED = {"moralizing": {3, 5}, "threatening": {3, 17}, "sarcastic": {3, 5, 7}}


@pytest.mark.parametrize("name", PRAISED)
def test_a_condemnation_a_threat_or_a_sneer_is_never_a_strength(db, name):
    seen = review_as_student(db, {"moralizing": MORALIZING, "threatening": THREATENING,
                                  "sarcastic": SARCASTIC}[name])  # fmt: skip
    praised = [(s.turn, s.quote) for s in seen.strengths if s.turn in PRAISED[name]]
    assert not praised, f"hostile turns praised as strengths: {praised}\n{seen.describe()}"


@pytest.mark.xfail(
    strict=True,
    reason="a judgment, a threat or a sneer in ordinary words ('It's never planned. People "
    "always say that.', 'That depends entirely on whether you turn up on Monday.', 'sounds like "
    "you've got it all figured out then') that the client does not object to reads as a "
    "reflection to the coder, and is praised",
)
@SESSIONS
def test_no_turn_of_a_hostile_session_is_praised(db, lines):
    """The review's own rule: a strength is a reflection or an MI-consistent turn."""
    seen = review_as_student(db, lines)
    praised = [(s.turn, s.quote) for s in seen.strengths if s.turn != 1]
    assert not praised, f"hostile turns praised as strengths: {praised}\n{seen.describe()}"
