"""Regressions of the third review attack's fixes (d146607), found by an attack on them
(2026-12-07): a "your own view" frame let the student's verdict after it through ("..., but you're
in denial."); every empathic "You must miss her." became advice, and "You've got to be proud of
that." too; "What were you thinking when you realised you could have lost him?" became blame;
"Tell me, if ..., what ...?" became closed; "I really was" came back "you really was"; and
Practise this moment refused a fix that kept the original's reflection."""

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

# 1. The student's verdict after a "your own view" frame ------------------------------------------
DENIAL = "My wife thinks I drink too much, but honestly it's not a problem."
FRAMED_BLAME = {
    "telling_yourself_but_in_denial": (
        DENIAL, "You keep telling yourself it's not a problem, but you're in denial."
    ),
    "feel_like_an_excuse_and_it_is": (
        "I only drink because work is so stressful.",
        "You feel like it's an excuse, and it is.",
    ),
    "feel_lazy_and_i_agree": (
        "I haven't looked for a job in months.",
        "You feel that you're just being lazy, and honestly I agree.",
    ),
    "afraid_you_will_regret_it_and_you_will": (
        "I'm not going to stop, whatever happens.",
        "You're afraid you'll regret it, and you will.",
    ),
    "part_of_you_knows_you_are_in_denial": (DENIAL, "Part of you knows you're in denial."),
    "it_feels_like_you_always_make_excuses": (
        "I was late to work again because of the traffic.",
        "It feels like you always make excuses, doesn't it.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(FRAMED_BLAME))
def test_blame_after_a_your_own_view_frame_is_still_blame(db, case):
    """What a student notices: the client says "My wife thinks I drink too much, but honestly
    it's not a problem." The student answers "You keep telling yourself it's not a problem, but
    you're in denial." (or "You feel like it's an excuse, and it is.", "You feel that you're
    just being lazy, and honestly I agree.", "You're afraid you'll regret it, and you will.",
    "Part of you knows you're in denial." to a client who said nothing of the kind, or "It
    feels like you always make excuses, doesn't it.", the student's own feeling). Before
    the third attack's fixes each was a confrontation; now the review praises it as a strength ("Coded as
    simple reflection: it follows the client's lead ...") and codes no confrontation.

    The new `_NOT_CONFRONT` branch exempts everything from the frame to the end of the sentence,
    so the student's own verdict after "but" / "and" (and the label "in denial", which the
    client never gave themself) passes as the client's view.

    Why it matters: "You keep telling yourself X, but you're in denial" is the textbook
    labelling confrontation MI training exists to remove; the student is taught it is good
    listening."""
    client, student = FRAMED_BLAME[case]
    seen = review_as_student(
        db, [("What brings you in today?", client), (student, "I don't know.")], rubric="miti"
    )
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == 3]
    assert not praised, f"{student!r} praised: {praised}\n{seen.describe()}"
    assert "confront" in seen.codes.get(3, []), seen.describe()


# 2. Empathic guesses with "must" read as orders ---------------------------------------------------
GRIEF = [
    ("Hi, what would you like to talk about today?",
     "My mum died in March. I was with her every day at the hospice."),
    ("You must really miss her.", "Every single day."),
    ("You must love her very much.", "She was everything to me."),
    ("You must have gone through so much those months.", "I barely slept."),
    ("You must care about your family a lot, looking after her like that.",
     "Someone had to."),
    ("You must have worked so hard to be there every day.", "I did my best."),
]  # fmt: skip
GUESSES = {3, 5, 7, 9, 11}


def test_empathic_guesses_with_must_are_not_called_unasked_advice(db):
    """What a student notices: a woman whose mother died; the student answers with empathic
    guesses, "You must really miss her.", "You must love her very much.", "You must have gone
    through so much those months.", "You must have worked so hard to be there every day." The
    review (the default micro-skills rubric) now codes every one as unasked advice, rates
    "Avoiding premature advice" down, puts the session below fair, praises none of them and
    "corrects" them with "Would it be all right if I shared an idea that has helped others?".
    Before the third attack's fixes they were paraphrases / reflections.

    `coding.ADVICE` gained "you must"; `_AS_MEANT` spares only "you must be / feel / have
    been|felt|had|found|thought|wondered", so "must miss", "must love", "must have gone",
    "must have worked", "must care" are orders.

    Why it matters: "You must ..." is how English guesses at what someone feels; the student
    is told that empathy is unasked advice and handed a script to offer advice to a grieving
    client instead."""
    seen = review_as_student(db, GRIEF)
    as_advice = {turn: codes for turn, codes in seen.codes.items() if "advice" in codes}
    assert not as_advice, f"empathic guesses coded as advice: {as_advice}\n{seen.describe()}"
    corrected = [(t.turn, t.quote, t.better_reply) for t in seen.try_instead if t.turn in GUESSES]
    assert not any("shared an idea" in better for _, _, better in corrected), (
        f"guesses corrected as advice: {corrected}\n{seen.describe()}"
    )
    assert seen.counted_badge != "below fair", seen.describe()


def test_an_expert_reflection_with_must_in_annomi_is_not_corrected_as_advice(db):
    """The same on AnnoMI's training split: high-quality transcript 85, turn 127, "You must like
    that statue." (expert code: reflection; the client answers "I really don't, but,
    apparently, when I'm in that state, uh, there's something about it"). Before the third attack's fixes the
    review coded it a complex reflection; now it codes it advice and lists it among the three
    "try instead" items, with "Would it be all right if I shared an idea that has helped
    others?" as the better reply. It is the only AnnoMI turn whose code the commit's "must"
    rules changed from right to wrong."""
    seen = review_turns_as_student(db, annomi_turns(85))
    assert seen.text(127) == "You must like that statue."
    assert "advice" not in seen.codes.get(127, []), seen.codes.get(127)
    corrected = [(t.turn, t.quote, t.better_reply) for t in seen.try_instead if t.turn == 127]
    assert not corrected, f"an expert reflection corrected: {corrected}"


DEGREE = "I finally finished my degree after ten years of night classes."
GOT_TO_BE = {
    "youve_got_to_be_proud": "You've got to be proud of that.",
    "youve_got_to_be_relieved": "You've got to be so relieved.",
    "you_have_got_to_be_exhausted": "You have got to be exhausted after ten years of that.",
}


@pytest.mark.parametrize("case", list(GOT_TO_BE))
def test_an_affirmation_with_got_to_be_is_not_unasked_advice(db, case):
    """What a student notices: the client says "I finally finished my degree after ten years
    of night classes." and the student answers "You've got to be proud of that." (or "You've
    got to be so relieved.", "You have got to be exhausted after ten years of that."). Before
    the third attack's fixes the review praised it (affirmation / reflection); now it codes it persuading,
    shows it as a "try instead" and offers "You said you finally finished your degree ...
    Would it be all right if I shared an idea that has helped others?" instead.

    `coding.ADVICE` gained "you've got to" and "you have got to", but `_AS_MEANT` turns only
    "you (have to|got to|gotta) be <feeling>" into a guess and only "you should ... proud" into
    an affirmation: "you've got to be" and "you have got to be" fall through to advice.

    Why it matters: the brief's own example of a guess ("You must be exhausted.") is spared,
    its everyday spoken form is not; the student is told to replace an affirmation of a
    ten-year effort by an offer of advice."""
    seen = review_as_student(
        db, [("What brings you in today?", DEGREE), (GOT_TO_BE[case], "I am.")]
    )
    assert not set(seen.codes.get(3, [])) & {"advice", "persuade"}, seen.describe()
    as_advice = [
        (t.quote, t.better_reply, t.why)
        for t in seen.try_instead
        if t.turn == 3 and "shared an idea" in t.better_reply
    ]
    assert not as_advice, f"an affirmation corrected as advice: {as_advice}\n{seen.describe()}"


# 3. "What were you thinking when ..." read as hindsight blame -------------------------------------
THINKING = {
    "realised_you_could_have_lost_him": (
        "My son nearly drowned while I was passed out on the sofa.",
        "What were you thinking when you realised you could have lost him?",
    ),
    "chose_to_stop_what_could_have_helped": (
        "I stopped for three months last year.",
        "What were you thinking when you chose to stop, and what might have made it easier?",
    ),
    "decided_to_call_no_question_mark": (
        "I finally rang the helpline on Sunday.",
        "What were you thinking when you decided to call us",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(THINKING))
def test_asking_what_the_client_thought_is_not_hindsight_blame(db, case):
    """What a student notices: the client says "My son nearly drowned while I was passed out on
    the sofa."; the student asks "What were you thinking when you realised you could have lost
    him?" (or "What were you thinking when you chose to stop, and what might have made it
    easier?", or "What were you thinking when you decided to call us" typed, as in a chat,
    without its question mark). Each is an open question about the client's experience and was
    coded so before the third attack's fixes; now the review codes it a confrontation, the "try instead" says
    "arguing makes them defend the status quo", and the goal tells the student to stop arguing.

    `coding._BLAMING_HINDSIGHT` matches "could/might/should have" anywhere after "What were you
    thinking when", even inside what the client realised or in a second question, and takes
    every such sentence without a "?" for blame (the README's own counter-example, "What were
    you thinking when you decided to come in?", is blame without its question mark).

    Why it matters: asking for the client's thoughts at a turning point is an evocative open
    question; the student is told it is arguing."""
    client, student = THINKING[case]
    seen = review_as_student(
        db, [("What brings you in today?", client), (student, "I don't know.")], rubric="miti"
    )
    assert "confront" not in seen.codes.get(3, []), seen.describe()
    arguing = [(t.turn, t.why) for t in seen.try_instead if re.search(r"argu|confront", t.why)]
    assert not arguing, f"an open question corrected as arguing: {arguing}\n{seen.describe()}"


# 4. "Tell me, if ..., what ...?" read as a yes/no question ----------------------------------------
OPEN_WITH_IF = [
    ("Tell me, if you could change one thing about your drinking, what would it be?",
     "Probably the weekends. That's when it gets out of hand."),
    ("Tell me, if the weekends went differently, how would your week look?",
     "I'd have more energy on Mondays, and I wouldn't fight with my wife."),
    ("Tell me, if you decided to cut down, where would you start?",
     "Maybe not keeping beer in the house."),
    ("Tell me, if things stayed as they are, what worries you most?",
     "That my kids grow up thinking this is normal."),
]  # fmt: skip


def test_open_questions_with_if_after_tell_me_are_not_closed(db):
    """What a student notices: four open questions, each "Tell me, if ..., what / how / where
    ...?" ("Tell me, if you could change one thing about your drinking, what would it be?");
    the client answers each at length. Before the third attack's fixes they were open questions; now the review
    counts them all as closed questions (0% open questions) and lists them as "try instead"
    items with "An open question invites the client's own story instead of a yes or a no."

    `coding._YES_NO` lists "if" among the words that make what follows "Tell me," a yes/no
    question ("Tell me if you ever drink alone."), so "Tell me, if ..., what ...?" is one too.

    Why it matters: the student is told to replace an open question by an open question, and
    the open-question count the review and the drill use is wrong."""
    seen = review_as_student(db, OPEN_WITH_IF)
    closed = {turn: codes for turn, codes in seen.codes.items() if "closed_question" in codes}
    assert not closed, f"open questions coded closed: {closed}\n{seen.describe()}"
    assert (seen.review.indicators.get("percent_open_questions") or 0) >= 0.5, (
        seen.review.indicators
    )


# 5. "was" after an adverb --------------------------------------------------------------------------
def test_try_instead_does_not_hand_back_you_really_was(db):
    """What a student notices: the client says "I really was scared when he came home drunk."
    and the student gives unasked advice. The review's better reply reads "You said you really
    was scared when he came home drunk. Would it be all right if I shared an idea ...". Before
    the third attack's fixes it read "you really were scared".

    `offline_review._second_person` makes "was" "were" only when the word right before it is
    "I", so "I really was", "I never was", "I just was", "I always was" come back as "you
    really was" ... (the commit's own garble check looks only for "he / she / husband ...
    were").

    Why it matters: the better reply is a line the student is told to say; it misquotes the
    client in broken English on the product's most important screen."""
    seen = review_as_student(
        db,
        [
            ("Hi, what brings you in?", "I really was scared when he came home drunk."),
            ("You should leave him.", "I can't."),
        ],
    )
    replies = [t.better_reply for t in seen.try_instead if t.turn == 3]
    assert replies, seen.describe()
    assert not re.search(r"\byou (?:\w+ )?was\b", replies[0], re.IGNORECASE), replies[0]


# 6. Practise this moment: the fix made, the reflection kept ------------------------------------
def test_practise_this_moment_approves_the_fix_that_keeps_the_reflection(db):
    """What a student notices: the review flags "It sounds like the evenings are hard. Do you
    drink every day?" (a paraphrase and a closed question; the client's last words, "The
    evenings are the worst, you know." speak to the student, so the suggestion has no echo)
    and suggests "What has that been like for you?". In **Practise this moment** the student
    keeps the reflection and makes the question open: "It sounds like the evenings are hard.
    What has that been like for you?" The feedback reads "Your reply is an open question and a
    paraphrase (before: closed question and paraphrase). The review suggested an open
    question." Before the third attack's fixes it said "That is what the review suggested."

    `TryFeedback.follows_the_suggestion` rejects any code the reply shares with the original
    turn but not with the suggestion: the kept reflection counts as "something the suggestion
    replaced", though the suggestion only replaced the closed question.

    Why it matters: the student did exactly the one fix asked for (and kept a good
    reflection); being told it is not what was suggested teaches them to drop reflections."""
    lines = [
        ("What brings you in today?", "The evenings are the worst, you know."),
        ("It sounds like the evenings are hard. Do you drink every day?", "Most days, yes."),
        # Three stronger turns, so the review praises these and corrects turn 3.
        ("You're worried the evenings are taking over, and part of you wants them back.",
         "Yeah. I used to paint in the evenings."),
        ("Painting was something that made you feel like yourself.", "It really was."),
        ("You feel sad that you lost that part of yourself, and you want her back.", "Exactly."),
    ]  # fmt: skip
    coding = moment_coding(db, lines, turn=3)
    assert "closed_question" in coding.before, coding.before
    assert "What has that been like for you?" in coding.suggestion.better_reply

    feedback = try_coding.code_reply(
        coding,
        turn=3,
        text="It sounds like the evenings are hard. What has that been like for you?",
        previous_client="The evenings are the worst, you know.",
        previous_student="What brings you in today?",
    )
    assert "open question" in feedback.message, feedback.message
    assert "That is what the review suggested" in feedback.message, feedback.message


# 7. "am" of the clock ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "client",
    ["I wake up at 6 am and start drinking.", "I start drinking at 10 AM most days now."],
)
def test_try_instead_keeps_the_hour_the_client_named(db, client):
    """What a student notices: the client says "I wake up at 6 am and start drinking." and the
    student gives unasked advice. The review's better reply read "You said you wake up at 6 are
    and start drinking. ...": every "am" became "are", the hour's too.

    `offline_review._second_person` turned "am" into "are" wherever it stood; now, as with
    "was", only when said of "I" ("I really am" is "you really are").

    Why it matters: the better reply is a line the student is told to say, and it misquotes
    the client."""
    seen = review_as_student(
        db, [("Hi, what brings you in?", client), ("You should stop drinking.", "I can't.")]
    )
    replies = [t.better_reply for t in seen.try_instead if t.turn == 3]
    assert replies, seen.describe()
    assert not re.search(r"\b\d+ are\b", replies[0], re.IGNORECASE), replies[0]
    assert re.search(r"\b\d+ am\b", replies[0], re.IGNORECASE), replies[0]


def test_try_instead_still_turns_i_really_am_round(db):
    """The other side of the fix above: "I really am tired of it." comes back as "you really
    are tired of it", not "you really am"."""
    seen = review_as_student(
        db,
        [
            ("Hi, what brings you in?", "I really am tired of hiding the bottles."),
            ("You should throw them out.", "Maybe."),
        ],
    )
    replies = [t.better_reply for t in seen.try_instead if t.turn == 3]
    assert replies, seen.describe()
    assert re.search(r"\byou really are tired\b", replies[0], re.IGNORECASE), replies[0]


# "am" said of I, and only of I --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("client", "wrong", "right"),
    [
        (
            "My wife is worn out by all this, and so am I.",
            r"\bso am you\b",
            r"\bso are you\b",
        ),
        (
            "I definitely am not ready to give up drinking.",
            r"\byou definitely am\b",
            r"\byou definitely are\b",
        ),
        (
            "I usually am drunk by the time the kids are in bed.",
            r"\byou usually am\b",
            r"\byou usually are\b",
        ),
    ],
    ids=["so_am_i", "i_definitely_am", "i_usually_am"],
)
def test_try_instead_turns_am_round_when_said_of_i(db, client, wrong, right):
    """The client says "... and so am I." / "I definitely am not ready ..." and the student
    gives unasked advice. The review's better reply, a line the student is told to say, now
    reads "... and so am you" / "you definitely am not ready": until today every "am" became
    "are" (right here); the fix for "at 6 am" (`offline_review._second_person`) turns "am" only
    when the word before it (skipping a short list of adverbs) is "I", so "am I" and any adverb
    not on the list ("definitely", "usually", "certainly") are left as "am". (An attack on the
    day's fixes, 2026-12-07.)"""
    seen = review_as_student(
        db, [("Hi, what brings you in?", client), ("You should stop drinking.", "I can't.")]
    )
    replies = [t.better_reply for t in seen.try_instead if t.turn == 3]
    assert replies, seen.describe()
    assert not re.search(wrong, replies[0], re.IGNORECASE), replies[0]
    assert re.search(right, replies[0], re.IGNORECASE), replies[0]


def test_try_instead_turns_am_round_before_a_comma(db):
    """The client says "I know what I am, and I drink every night." The review's better reply
    reads "You said you know what you am, and you drink every night.": a word with its comma
    ("am,") is looked up as it stands in `offline_review._second_person`, so it is never
    turned round (not a regression of today's fix: it was so before; "was," likewise). (An attack on the
    day's fixes, 2026-12-07.)"""
    seen = review_as_student(
        db,
        [
            ("Hi, what brings you in?", "I know what I am, and I drink every night."),
            ("You should stop drinking.", "I can't."),
        ],
    )
    replies = [t.better_reply for t in seen.try_instead if t.turn == 3]
    assert replies, seen.describe()
    assert not re.search(r"\byou am\b", replies[0], re.IGNORECASE), replies[0]
