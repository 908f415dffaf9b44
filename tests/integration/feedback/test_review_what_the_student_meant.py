"""Six ways the review misread what the student meant (an attack, 2026-12-07): reflections of the
client's own self-blame corrected as arguing; advice said with "must", "have got to" or in
text-speak praised and rated good; yes/no questions opened with "Tell me," praised as open; the
"try instead" replies garbling the client's words ("your husband were drunk", "you don't
understand you"); "Practise this moment" approving the same closed question again; and a real
low-quality AnnoMI session's blaming question ("What were you thinking when you got into your car
...") held up as its strength.

Every session is stored and reviewed as the product does it without an API key, and read back as
the student reads it (`student_view`)."""

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

# 1. Reflections of the client's self-blame -------------------------------------------------------
# A father who blames himself; every student turn reflects what he says of himself, in the
# student's own words (as a reflection should: not parroting), or asks an open question.
SELF_BLAME = [
    ("Hi, thanks for coming in. What's been on your mind?",
     "I'm such a bad dad. I missed my son's birthday because I was drinking."),
    ("You feel you haven't been a responsible father to him.",
     "Yeah. He's nine, he won't forget that."),
    ("It stays with you, picturing how he felt that day.",
     "I keep telling myself it was a one-off, but deep down I know it's not."),
    ("Part of you suspects you're making excuses for the drinking.",
     "Exactly. I ruin everything, every single time."),
    ("It feels to you like you always let the people you love down.",
     "That's how it feels. And I lie to everyone about how much I drink."),
    ("You feel like you're lying to everyone, even yourself.", "Yes. I'm sick of it."),
    ("What would you like to be different for your son?", "I want him to have a dad who shows up."),
    ("Showing up for him matters more to you than anything.",
     "It does. I just don't know if I can."),
    ("You're wondering if you're just being weak, and at the same time you want to try.",
     "Yeah, that's it exactly."),
    ("Where would you like to start?", "Maybe not drinking on the days I have him."),
    ("Keeping those days clear feels like a place you could begin.", "I think I can do that."),
    ("You sound a bit more hopeful than when you came in.", "I am, a little."),
]  # fmt: skip
# The reflections of his self-blame, each put as his view ("You feel", "Part of you suspects",
# "It feels to you", "You're wondering if").
REFLECTING_HIS_BLAME = {3, 7, 9, 11, 17}


@pytest.mark.parametrize("rubric", ["micro_skills", "miti"])
def test_reflecting_the_clients_self_blame_is_not_corrected_as_arguing(db, rubric):
    """What a student notices: a father says "I'm such a bad dad", "deep down I know it's not
    [a one-off]", "I ruin everything", "I lie to everyone". The student reflects each as his
    own view, in other words: "You feel you haven't been a responsible father to him.", "Part of
    you suspects you're making excuses for the drinking.", "It feels to you like you always let
    the people you love down.", "You feel like you're lying to everyone, even yourself.",
    "You're wondering if you're just being weak, and at the same time you want to try." The
    review codes all five as confrontations (unasked advice in micro-skills), puts the session
    below fair (28.6; every rating 2/5 in micro-skills), corrects them with "arguing makes them
    defend the status quo", and the goal says to stop arguing. (The client's own words given
    back are exempt: the same reflections with his exact words are not flagged; in other
    words, which is what a reflection is, they are.)

    Why it matters: reflecting self-blame as the client's own ("you feel", "part of you") is
    core MI; the student is taught that empathic reflection of shame is blaming the client."""
    seen = review_as_student(db, SELF_BLAME, rubric=rubric)
    called_arguing = [
        (item.turn, item.quote, item.why)
        for item in seen.try_instead
        if item.turn in REFLECTING_HIS_BLAME and re.search(r"argu|confront", item.why)
    ]
    assert not called_arguing, (
        f"reflections corrected as arguing: {called_arguing}\n{seen.describe()}"
    )
    assert "arguing" not in seen.goal, seen.describe()
    assert seen.counted_badge != "below fair", seen.describe()


# 2. Advice with "must", "have got to" and in text-speak ------------------------------------------
CLIENT = [
    "My doctor says I drink too much.", "I only drink on weekends.", "It helps me relax.",
    "I don't know.", "Work is stressful.", "Maybe.", "I guess.", "I'll think about it.",
    "Okay.", "Fine.", "Right.",
]  # fmt: skip
PLAIN = [
    "What brings you in today?", "You should cut down.", "You need to find another way to relax.",
    "You should talk to your doctor again.", "You need to deal with the stress at work.",
    "You should try going to a meeting.", "You need to stop drinking on weekends.",
    "You should tell your wife.", "You need to take this seriously.",
    "You should come back next week.", "You need to make a plan.",
]  # fmt: skip
# The same lectures as a non-native speaker ("You must ...") or in plain spoken English ("You
# have got to ..."), and typed as in a chat ("u should ...").
MUST = [
    line.replace("You should", "You must").replace("You need to", "You have got to")
    for line in PLAIN
]
TEXT_SPEAK = [
    line.replace("You should", "u should").replace("You need to", "u need to") for line in PLAIN
]
LECTURE_TURNS = set(range(3, 22, 2))


@pytest.mark.parametrize("lines", [MUST, TEXT_SPEAK], ids=["must_have_got_to", "text_speak"])
def test_a_lecture_in_other_words_for_should_is_not_praised_or_rated_fair(db, lines):
    """What a student notices: ten turns in a row tell the client what to do, "You must cut
    down.", "You have got to find another way to relax.", "You must talk to your doctor
    again." (or "u should cut down.", "u need to ..."). The same session with "You should" and
    "You need to" is 0/100, every rating 1/5. With "must" / "have got to" the review codes the
    lectures as paraphrases: counted score 85, "good", 4/5 on every criterion including
    "Avoiding premature advice", the goal is about naming feelings, and "You must cut down." is
    praised as a strength that "follows the client's lead". The text-speak version is "fair"
    (54) and praises "u should cut down." likewise.

    Why it matters: "must" is how many non-native speakers say "should", and chat typing is how
    students write; the review rewards exactly the premature advice MI training is meant to
    remove, and swapping one modal verb moves a session from 0 to 85."""
    seen = review_as_student(db, list(zip(lines, CLIENT, strict=True)))
    plain = review_as_student(db, list(zip(PLAIN, CLIENT, strict=True)))
    praised = [(s.turn, s.quote) for s in seen.strengths if s.turn in LECTURE_TURNS]
    assert not praised, f"advice praised as a strength: {praised}\n{seen.describe()}"
    assert seen.counted_badge == "below fair", seen.describe()
    assert seen.rating("Avoiding premature advice") <= 2, seen.describe()
    assert seen.counted_score <= plain.counted_score + 25, (
        f"'You should' lectures {plain.counted_score}, the same lectures reworded "
        f"{seen.counted_score}\n{seen.describe()}"
    )


# 3. Closed questions prefixed "Tell me," -----------------------------------------------------------
CHECKLIST = [
    ("Tell me, do you drink every day?", "Most days, yes."),
    ("Tell me, is it more than six beers?", "Sometimes."),
    ("Tell me, do you drink in the mornings?", "No."),
    ("Tell me, have you ever tried to stop?", "Once."),
    ("Tell me, did it last more than a week?", "No."),
    ("Tell me, does your wife know how much you drink?", "Not really."),
    ("Tell me, do you get the shakes?", "Sometimes."),
    ("Tell me, have you missed work because of it?", "Twice."),
    ("Tell me, do you drive after drinking?", "Never."),
    ("Tell me, are you willing to cut down?", "I suppose."),
    ("Tell me, will you come back next week?", "Okay."),
]  # fmt: skip


def test_yes_no_questions_opened_with_tell_me_are_not_praised_as_open(db):
    """What a student notices: eleven yes/no questions, each opened with "Tell me," ("Tell
    me, do you drink every day?", "Tell me, is it more than six beers?"); the client answers
    "Yes", "No", "Once", "Twice". The review counts 100% open questions, rates "Open
    questions" 3/5 and praises "Tell me, do you drink every day?" as a strength ("Coded as open
    question: it follows the client's lead and invites them to say more"). The same checklist
    without "Tell me," is rated 1 on open questions (the rubric's 1: "almost only closed
    questions ... feels like a checklist").

    Why it matters: the student learns that a lead-in turns a closed question into an open one;
    the "Open question" drill uses the same coder, so "Tell me, do you ...?" hits it too."""
    seen = review_as_student(db, CHECKLIST)
    praised = [(s.turn, s.quote, s.comment) for s in seen.strengths]
    assert not praised, f"yes/no questions praised: {praised}\n{seen.describe()}"
    assert (seen.review.indicators.get("percent_open_questions") or 0) < 0.5, seen.review.indicators
    assert seen.rating("Open questions") <= 2, seen.describe()


# 4. "Try instead" replies that garble the client's words ------------------------------------------
ECHOES = [
    ("Hi, what would you like to talk about today?",
     "My husband was drunk again when he picked the kids up."),
    ("You should leave him.", "It's not that simple. You don't understand me at all."),
    ("You need to put the kids first.", "I do put them first. I told you that already."),
    ("You have to call social services.", "My mum said it was my fault for marrying him."),
    ("It sounds like you're carrying a lot of blame that isn't yours.", "Maybe."),
    ("What would feel like a safe first step?", "Talking to my sister, maybe."),
    ("Your sister feels like someone you can trust.", "She is."),
    ("It sounds like having her on your side matters a lot.", "It does."),
    ("What might you say to her?", "That I'm scared."),
    ("You're scared, and you're ready to say it out loud.", "Yeah."),
    ("That took courage to say here.", "Thanks."),
]  # fmt: skip
# Words a better reply built on the client's words must never hand the student: "were" for a
# third person's "was" ("your husband were drunk"), and the client's "you" (the student) kept
# while their "me" and "I" became "you" ("you don't understand you", "you told you").
GARBLED = re.compile(
    r"\b(?:he|she|it|that|husband|wife|son|daughter|mum|mom|dad|one)\s+were\b"
    r"|\byou (?:don't understand|told|aren't listening to|are not listening to) you\b",
    re.IGNORECASE,
)


def test_try_instead_replies_do_not_garble_the_clients_words(db):
    """What a student notices: three pieces of unasked advice, each after a client line, and
    the review's better replies to say instead:
    - after "My husband was drunk again when he picked the kids up.": "You said your husband
      were drunk again when he picked the kids up. Would it be all right if I shared ..."
    - after "You don't understand me at all.": "You said you don't understand you at all. ..."
    - after "I told you already.": "You said you told you that already. ..."
    The templates turn every "I", "me" and "was" into "you", "you" and "were", but leave the
    client's "you" (the student) as it is, so what the client said about the student becomes
    something the student says the client said about themself, in broken English.

    Why it matters: a "try instead" is a line the student is told to say; these misquote the
    client (a misquote is what "Have I got that right?" is for) and model ungrammatical
    reflections, on the product's most important screen."""
    seen = review_as_student(db, ECHOES)
    garbled = [(t.turn, t.better_reply) for t in seen.try_instead if GARBLED.search(t.better_reply)]
    assert not garbled, f"better replies that garble the client: {garbled}\n{seen.describe()}"


@pytest.mark.parametrize("transcript_id", [73, 108, 129])
def test_try_instead_replies_on_real_counseling_are_grammatical(db, transcript_id):
    """The same on AnnoMI (training split): the review's better replies for these expert
    sessions say "he said it were a pain- a pain medicine", "since your son were born", "that
    were probably the scariest like two days of your life" (`_echo` maps every "was" to
    "were", whoever it was)."""
    seen = review_turns_as_student(db, annomi_turns(transcript_id))
    garbled = [(t.turn, t.better_reply) for t in seen.try_instead if GARBLED.search(t.better_reply)]
    assert not garbled, f"better replies that garble the client: {garbled}"


# 5. "Practise this moment": the same closed question called what the review suggested ------------
def test_practise_this_moment_does_not_approve_the_same_closed_question_again(db):
    """What a student notices: the review flags "Is it more than six beers?" (a closed question)
    and suggests "You said it helps you sleep. What has that been like for you?". The student
    opens **Practise this moment** and writes "It sounds like it helps you sleep. Do you drink
    every day?": a reflection, then again a closed question. The instant feedback reads "Your
    reply is a closed question and a paraphrase (before: closed question). That is what the
    review suggested." It matches on any one shared code (the paraphrase), so the fault the
    review named, a closed question where an open one was suggested, is approved.

    Why it matters: the branch exists to practise the one fix the review asked for; telling
    the student they made it when they repeated the fault is misleading feedback."""
    lines = [
        ("Do you drink every day?", "Most days, yes. It helps me sleep."),
        ("Is it more than six beers?", "Sometimes. On the bad days."),
        ("Do you drink in the mornings?", "No."),
    ]
    coding = moment_coding(db, lines, turn=3)
    assert "What has that been like for you?" in coding.suggestion.better_reply

    feedback = try_coding.code_reply(
        coding,
        turn=3,
        text="It sounds like it helps you sleep. Do you drink every day?",
        previous_client="Most days, yes. It helps me sleep.",
        previous_student="Do you drink every day?",
    )
    assert "closed question" in feedback.message, feedback.message
    assert "That is what the review suggested" not in feedback.message, feedback.message


# 6. A real blaming question praised -------------------------------------------------------------
def test_a_blaming_question_in_a_low_quality_annomi_session_is_not_its_strength(db):
    """What a student notices (AnnoMI training split, transcript 32, labelled low quality: a
    campus conduct officer and a student cited for drunk driving): the one strength the review
    shows is turn 5, "What were you thinking when you got into your car after having six beers,
    you could have caused an accident and killed somebody.", "Coded as open question and
    information: it follows the client's lead and invites them to say more." The client answers
    "Whatever, I-I didn't though. ... this isn't even my fault." The blaming-question rule
    (`coding._BLAMING_QUESTION`) takes "What were you thinking" only alone or before a comma,
    so "What were you thinking when you got into your car ..." passes as an open question.

    Why it matters: the review holds up to the student, as what to repeat, the very turn that
    makes this a demonstration of poor counseling."""
    seen = review_turns_as_student(db, annomi_turns(32))
    assert seen.text(5).startswith("What were you thinking when you got into your car")
    praised = [(s.turn, s.quote, s.comment) for s in seen.strengths if s.turn == 5]
    assert not praised, f"blame praised as a strength: {praised}\n{seen.describe()}"
