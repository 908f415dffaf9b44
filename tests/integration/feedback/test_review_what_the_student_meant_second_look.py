"""A second attack on the third review attack's fixes (2026-12-07): a verdict after a "your own
view" frame typed without a comma, a double-sided reflection of self-blame read as agreeing with it,
more empathic "You must ..." guesses read as advice, an AnnoMI expert's "You gotta be at your top
pitch" corrected as advice, "you could've killed somebody" not read as hindsight, "Tell me, could
you walk me through ...?" read as closed, a kept "It's up to you" counted as a fault in Practise
this moment, and "all I wanted were" in a better reply."""

from __future__ import annotations

import re

import pytest

from backend.reviews import try_coding
from tests.integration.feedback.student_view import (
    annomi_turns,
    moment_coding,
    review_as_student,
    review_turns_as_student,
)

ARGUING = re.compile(r"argu|confront", re.IGNORECASE)


# 1. A verdict after a "your own view" frame, typed without a comma -------------------------------
DENIAL = "My wife thinks I drink too much, but honestly it's not a problem."
NO_COMMA = {
    "feel_like_but_kidding_yourself": (
        DENIAL, "You feel like it's not a problem but you're kidding yourself."
    ),
    "tell_yourself_but_an_excuse": (
        "I've got it under control. I only drink because work is so stressful.",
        "You tell yourself it's under control but that's just an excuse.",
    ),
    "feel_like_an_excuse_and_it_is": (
        "I only drink because work is so stressful.", "You feel like it's an excuse and it is."
    ),
    "dont_you_feel_like_making_excuses": (
        "I only drink because work is so stressful.",
        "Don't you feel like you're just making excuses?",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(NO_COMMA))
def test_a_verdict_after_a_your_own_view_frame_without_a_comma_is_still_arguing(db, case):
    """What a student notices: the client says "My wife thinks I drink too much, but honestly
    it's not a problem." and the student types "You feel like it's not a problem but you're
    kidding yourself." (or "You tell yourself it's under control but that's just an excuse.",
    "You feel like it's an excuse and it is.", "Don't you feel like you're just making
    excuses?"). Before d146607 each was a confrontation. Now the review (MITI) codes it a
    complex or simple reflection, no confrontation, and can praise it as a strength.

    9723cce made the "client's own view" frame (`coding._CLIENTS_VIEW`) cover "its clause only"
    by stopping at a comma or semicolon; typed without the comma (as chat typing mostly is) the
    clause runs to the full stop, so the student's own verdict after "but" / "and" is exempt, and
    `_ENDORSED` (agreement after the frame) never sees "and it is". "Don't you feel like ...?"
    is a leading question, not a reflection of the client's view. A regression of d146607 that
    9723cce's fix left open.

    Why it matters: "..., but you're kidding yourself" is the labelling MI training removes; the
    same sentence is arguing with a comma and good listening without one."""
    client, student = NO_COMMA[case]
    seen = review_as_student(
        db, [("What brings you in today?", client), (student, "I don't know.")], rubric="miti"
    )
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == 3]
    assert not praised, f"{student!r} praised: {praised}\n{seen.describe()}"
    assert "confront" in seen.codes.get(3, []), f"{student!r}: {seen.codes}\n{seen.describe()}"


# 2. A two-sided reflection after the frame read as agreement -------------------------------------
TWO_SIDED = [
    ("Hi, thanks for coming in. What's been on your mind?",
     "I'm such a bad dad. I missed my son's birthday because I was drinking."),
    ("You feel you haven't been a responsible father, and you are scared he won't forgive you.",
     "Yeah. He's nine, he won't forget that."),
    ("It stays with you, picturing how he felt that day.",
     "I keep telling myself it was a one-off, but deep down I know it's not."),
    ("Part of you suspects you're making excuses, and you do want things to be different.",
     "I do. I want him to have a dad who shows up."),
    ("Showing up for him matters more to you than anything.", "It does."),
    ("Where would you like to start?", "Maybe not drinking on the days I have him."),
    ("Keeping those days clear feels like a place you could begin.", "I think I can do that."),
]  # fmt: skip
DOUBLE_SIDED_TURNS = {3, 7}


@pytest.mark.parametrize("rubric", ["micro_skills", "miti"])
def test_a_double_sided_reflection_of_self_blame_is_not_arguing(db, rubric):
    """What a student notices: d146607 made "You feel you haven't been a responsible father to
    him." and "Part of you suspects you're making excuses for the drinking." reflections. The
    student says the same and goes on to the other side, as MI teaches: "You feel you haven't
    been a responsible father, and you are scared he won't forgive you.", "Part of you suspects
    you're making excuses, and you do want things to be different." The review codes both as
    confrontations (unasked advice in micro-skills), corrects them with "arguing makes them
    defend the status quo" and the goal tells the student to stop arguing.

    9723cce's `coding._ENDORSED` takes any "and you are / you do / you have / it is" after the
    frame for the student agreeing with the client's self-blame, so the second half of a
    double-sided reflection puts the first half back among the confrontation words ("a
    responsible", "you're making excuses"). As before d146607 (an old gap for this form), but it
    undoes d146607's fix as soon as the reflection goes on.

    Why it matters: the double-sided reflection is the most valued MI reflection; the student is
    told that reflecting shame with the hope beside it is blaming the client."""
    seen = review_as_student(db, TWO_SIDED, rubric=rubric)
    called_arguing = [
        (t.turn, t.quote, t.why)
        for t in seen.try_instead
        if t.turn in DOUBLE_SIDED_TURNS and ARGUING.search(t.why)
    ]
    assert not called_arguing, f"reflections called arguing: {called_arguing}\n{seen.describe()}"
    assert "arguing" not in seen.goal, seen.describe()


# 3. Empathic "You must ..." guesses beyond `_AS_MEANT`'s verb list -------------------------------
LOSS = [
    ("Hi, what would you like to talk about today?",
     "My mum died in March. I was with her every day at the hospice, and now I have to sort out "
     "her house on my own."),
    ("You must have so much on your plate right now.", "I do. Nobody else is helping."),
    ("You must also be exhausted.", "I'm running on fumes."),
    ("You must find it hard to even walk into that house.", "I sat in the car for an hour."),
    ("You must get so tired of people asking how you are.", "God, yes."),
    ("You must often feel like you're on your own with all of it.", "Every day."),
]  # fmt: skip
MUST_GUESSES = {3, 5, 7, 9, 11}


def test_empathic_you_must_guesses_are_not_called_unasked_advice(db):
    """What a student notices: a grieving client; the student answers with empathic guesses, the
    everyday English for them: "You must have so much on your plate right now.", "You must also
    be exhausted.", "You must find it hard to even walk into that house.", "You must get so
    tired of people asking how you are.", "You must often feel like you're on your own with all
    of it." Before d146607 all five were reflections. Now the review (default micro-skills
    rubric) codes every one as unasked advice, puts the session below fair and "corrects" them
    with "Would it be all right if I shared an idea that has helped others?".

    d146607 put "you must" into `coding.ADVICE`; 9723cce's `_AS_MEANT` spares "you must" only
    before a fixed list of verbs with only "really / so / still / surely" between: "must have
    so much" ("have" + a noun), "must find", "must get", "must hear", and any other adverb
    ("also", "often") fall through to advice. A regression of d146607.

    Why it matters: these are textbook empathic guesses; the student is told that empathy for a
    grieving client is unasked advice and handed a script to offer her advice instead."""
    seen = review_as_student(db, LOSS)
    as_advice = {t: c for t, c in seen.codes.items() if t in MUST_GUESSES and "advice" in c}
    assert not as_advice, f"empathic guesses coded as advice: {as_advice}\n{seen.describe()}"
    assert seen.counted_badge != "below fair", seen.describe()


def test_an_expert_turn_with_you_gotta_in_annomi_is_not_unasked_advice(db):
    """The same on AnnoMI's training split: high-quality transcript 64, turn 201, "Mm-hmm. It's
    harder when you're trying to create your career, get that going. You gotta- you gotta be at
    your- at your top, top pitch." (expert code: therapist input, information; the counselor
    gives back the pressure of a young career). Before d146607 the review coded it information;
    now it is unasked advice ("You gotta" in `coding.ADVICE`) and one of the session's three "try
    instead" items, with "Would it be all right if I shared an idea that has helped others?" as
    the better reply. The README says "You must like
    that statue." was the only AnnoMI turn the "must" rules turned from right to wrong; this one
    was turned too, and stays so after 9723cce."""
    seen = review_turns_as_student(db, annomi_turns(64))
    assert seen.text(201).endswith("You gotta- you gotta be at your- at your top, top pitch.")
    corrected = [(t.turn, t.quote, t.better_reply) for t in seen.try_instead if t.turn == 201]
    assert not corrected, f"an expert turn corrected as advice: {corrected}"
    assert "advice" not in seen.codes.get(201, []), seen.codes.get(201)


# 4. Hindsight blame with "could've" ----------------------------------------------------------------
HINDSIGHT = [
    ("So what happened on Saturday?", "I drove home from the party. I'd had maybe six beers."),
    ("What were you thinking when you got in the car, you could've killed somebody.",
     "Whatever. Nothing happened."),
]  # fmt: skip


def test_hindsight_blame_typed_with_could_ve_is_still_blame(db):
    """What a student notices: the client says he drove home after six beers; the student
    answers "What were you thinking when you got in the car, you could've killed somebody."
    (AnnoMI 32's blaming turn as people type it, with "could've"). The review (MITI) codes no
    confrontation: it is persuading and an open question, and the goal asks for permission
    before advice instead of naming the arguing. With "could have" spelt out it is a
    confrontation.

    9723cce narrowed `coding._BLAMING_HINDSIGHT` to ", you could have <harm>"; "could've" (and
    "might've") no longer match. d146607's form caught it (a sentence without a question mark);
    before d146607 nothing did (an old gap, reopened by 9723cce).

    Why it matters: the contraction is how the sentence is said and typed; the blame is the
    same, and the student's goal misses the fault."""
    seen = review_as_student(db, HINDSIGHT, rubric="miti")
    assert "confront" in seen.codes.get(3, []), f"{seen.codes}\n{seen.describe()}"


# 5. Open questions after "Tell me," read as closed --------------------------------------------------
TELL_ME = [
    ("Tell me, could you walk me through a typical evening?",
     "I get home around six, open a beer, and it goes from there."),
    ("Tell me, do you drink alone? What's that like for you?",
     "Mostly alone. It's quiet, but it's lonely too."),
    ("Tell me, would you say more about the lonely part?",
     "My wife goes to bed early. I just sit there with the TV."),
    ("Tell me, is it always like that? And what would you want the evenings to look like?",
     "I'd like to actually talk to her. Like we used to."),
]  # fmt: skip


def test_open_questions_beside_a_yes_no_after_tell_me_are_not_closed(db):
    """What a student notices: four open questions, each opened with "Tell me,": "Tell me, could
    you walk me through a typical evening?", "Tell me, do you drink alone? What's that like for
    you?", "Tell me, would you say more about the lonely part?", "Tell me, is it always like
    that? And what would you want the evenings to look like?"; the client answers each at
    length. Before d146607 all four were open questions; now the review counts them all as
    closed (0% open questions) and corrects them with "An open question invites the client's
    own story instead of a yes or a no."

    `coding._subtype` reads only the sentences that open with "Tell me": "could" and "would"
    (`_YES_NO`) make a polite request for a story ("could you walk me through", itself one of
    `OPEN_OPENINGS`) a yes/no question, and an open question in the next sentence of the same
    turn is never read. A regression of d146607.

    Why it matters: the student is told to replace open questions by the open question they
    asked; the open-question percentage and rating the review and drills use are wrong."""
    seen = review_as_student(db, TELL_ME)
    closed = {turn: codes for turn, codes in seen.codes.items() if "closed_question" in codes}
    assert not closed, f"open questions coded closed: {closed}\n{seen.describe()}"
    assert (seen.review.indicators.get("percent_open_questions") or 0) >= 0.5, (
        seen.review.indicators
    )


# 6. "Practise this moment": a kept autonomy statement counts as the fault ------------------------
def test_practise_this_moment_approves_the_fix_that_keeps_the_clients_choice(db):
    """What a student notices (default micro-skills rubric): the review flags "It's up to you.
    Do you drink every day?" (coded closed question and "other", micro-skills' code for
    emphasising autonomy) and suggests "You said ... What has that been like for you?". In
    **Practise this moment** the student keeps the autonomy statement and makes the question
    open: "It's up to you. What has drinking been like for you?" The feedback says "The review
    suggested ..." instead of "That is what the review suggested." Before d146607 it approved
    the fix (one shared code, the open question).

    `try_coding.FAULTS` (9723cce) counts "other" as a fault the suggestion replaced, but in
    micro-skills "other" is where emphasising autonomy, affirmation, collaboration and asking
    permission go: keeping any of them beside the fix is taken for repeating the fault.

    Why it matters: the student made exactly the fix asked for and kept an MI-adherent
    statement; being told otherwise teaches them to drop support for the client's choice."""
    lines = [
        ("What brings you in today?", "My doctor says I drink too much. It helps me sleep."),
        ("It's up to you. Do you drink every day?", "Most days, yes. It helps me sleep."),
        ("You're worried the drinking is taking over, and part of you wants your evenings back.",
         "Yeah. I used to paint in the evenings."),
        ("Painting was something that made you feel like yourself.", "It really was."),
        ("You feel sad that you lost that part of yourself, and you want it back.", "Exactly."),
    ]  # fmt: skip
    coding = moment_coding(db, lines, turn=3)
    assert "closed_question" in coding.before, coding.before
    assert "What has that been like for you?" in coding.suggestion.better_reply

    feedback = try_coding.code_reply(
        coding,
        turn=3,
        text="It's up to you. What has drinking been like for you?",
        previous_client="Most days, yes. It helps me sleep.",
        previous_student="What brings you in today?",
    )
    assert "open question" in feedback.message, feedback.message
    assert "That is what the review suggested" in feedback.message, feedback.message


# 7. "Try instead" replies that garble "was" ----------------------------------------------------------
GARBLED = re.compile(r"\b(?:wanted|had|saved|said|needed|did) were\b|\byou wasn't\b", re.IGNORECASE)
WAS_CLIENTS = [
    "All I wanted was a quiet night in with my kids.",
    "The money I saved was gone in a week.",
    "I wasn't there for him when he needed me.",
]


@pytest.mark.parametrize("client", WAS_CLIENTS)
def test_try_instead_does_not_hand_back_wanted_were(db, client):
    """What a student notices: the client says "All I wanted was a quiet night in with my
    kids." (or "The money I saved was gone in a week.", "I wasn't there for him when he needed
    me.") and the student gives unasked advice. The review's better reply reads "You said all
    you wanted were a quiet night in with your kids. Would it be all right if I shared ..."
    ("the money you saved were gone", "you wasn't there for him").

    9723cce's `offline_review._second_person` makes "was" "were" when the nearest of a few
    subject words in the four words before it is "I", so "All I wanted was" and "the money I
    saved was" (where "I" is the subject of another verb) become "were"; d146607 had them right
    (the word before was not "I"), the parent had them wrong too. "wasn't" is not in
    `SECOND_PERSON` at all (an old gap: "you wasn't").

    Why it matters: the better reply is a line the student is told to say; it misquotes the
    client in broken English."""
    seen = review_as_student(
        db, [("Hi, what brings you in?", client), ("You should stop drinking.", "I can't.")]
    )
    replies = [t.better_reply for t in seen.try_instead if t.turn == 3]
    assert replies, seen.describe()
    assert not GARBLED.search(replies[0]), replies[0]
