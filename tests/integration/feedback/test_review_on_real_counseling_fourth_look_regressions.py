"""(An attack on the day's fixes, 2026-12-07.) The automatic (offline) review after "a fourth look" at
AnnoMI: what the new rules get wrong for a student. Real counseling is copied from AnnoMI's
training split (Wu et al., ICASSP 2022; Future Internet 15(3):110, 2023) with its transcript id
and utterance numbers (the first annotator's row where there are several); the other lines are a
student's made-up practice session. Each test reads the review as the student sees it."""

from __future__ import annotations

import re

import pytest

from tests.integration.feedback.student_view import review_turns_as_student

ASK_PERMISSION = re.compile(r"ask permission|without permission|unasked", re.IGNORECASE)
ADVICE_CODES = {"advice", "persuade"}


def _turns(excerpt):
    return [("user" if who == "counselor" else "assistant", text) for who, text in excerpt]


def _review(db, excerpt, rubric=None):
    return review_turns_as_student(db, _turns(excerpt), rubric=rubric)


# 1. "Have you considered whether you should ...?" is a suggestion in a question's clothes ---------
OPENING = [
    ("counselor", "What brings you in today?"),
    ("client", "My wife made me come. Honestly I don't really want to stop drinking, it's how I unwind after work."),
]  # fmt: skip
DISGUISED = {
    "whether_you_should_try_patches": "Have you considered whether you should try nicotine patches?",
    "whether_aa_might_help": "Have you thought about whether AA might help?",
    "what_would_happen_to_your_kids": "Have you thought about what would happen to your kids if you keep drinking?",
}  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(DISGUISED))
def test_a_suggestion_or_warning_after_have_you_thought_about_wh_is_still_advice(db, case, rubric):
    """What the student sees: the client says he does not want to stop drinking; the student
    answers "Have you considered whether you should try nicotine patches?" (or "... whether AA
    might help?", "Have you thought about what
    would happen to your kids if you keep drinking?"). Before e1860d6 the review coded each as
    unasked advice / Persuade and said to ask permission; now it is a plain question, not
    corrected as advice at all, and the warning about the kids is even praised as a strength
    ("it follows the client's lead and invites them to say more").

    Why it is wrong: these name what the counselor wants (patches, AA, stopping) or warn of
    consequences: the righting reflex dressed as a question, which MITI codes Persuade and
    micro-skills as advice. Only a question that asks the client for their own plan ("what it
    might take to get there") evokes. Cause: `coding._EVOKING` exempts any wh-word after "have
    you thought about/considered" ("whether you should", "whether AA might help") from the advice
    rules (`coding._telling`)."""
    said = DISGUISED[case]
    seen = _review(db, [*OPENING, ("counselor", said), ("client", "I don't know.")], rubric)
    codes = seen.codes.get(3, [])
    praised = [s.quote for s in seen.strengths if s.turn == 3]
    assert not praised, f"{said!r} praised as a strength\n{seen.describe()}"
    assert ADVICE_CODES & set(codes), f"{said!r} coded {codes}, not advice\n{seen.describe()}"


# 2. "the strength of your ..." is still an affirmation --------------------------------------------
STRENGTH_OF_LOVE = [
    ("counselor", "How have things been since we last met?"),
    ("client", "I moved back in with my mum so I could look after the kids while she's in hospital. I haven't had a drink since."),
    ("counselor", "You put your kids first, even when it meant giving up your own place. That says a lot about the strength of your love for them."),
    ("client", "They're everything to me."),
]  # fmt: skip


def test_the_strength_of_your_love_for_your_kids_is_still_an_affirmation(db):
    """What the student sees (MITI): "You put your kids first, even when it meant giving up your
    own place. That says a lot about the strength of your love for them." is not coded Affirm
    (before e1860d6 it was); coded complex reflection and giving information, it is listed under
    "try instead" with "What do you already know about this, and what would be most useful to
    hear?".

    Why it is wrong: it names the client's own strength, the definition of an affirmation.
    Cause: `coding._strength_of_something` treats any "the strength of" as a thing's strength
    ("the strength of the medication") instead of checking whose: "the strength of your ..." is
    the client's."""
    seen = _review(db, STRENGTH_OF_LOVE, "miti")
    assert "affirm" in seen.codes.get(3, []), f"{seen.codes}\n{seen.describe()}"
    corrected = [(t.quote, t.better_reply) for t in seen.try_instead if t.turn == 3]
    assert not corrected, f"the affirmation corrected: {corrected}\n{seen.describe()}"


# 3. A good reflection that the coder also gave an information code is no longer a strength -------
# AnnoMI transcript 31 (high quality, "taking medicine / statins"), utterances 33-39; the experts
# code 36 and 38 as complex reflections.
T31 = [
    ("client", "-so take- taking the medicine sounds like the-the end of the game right now."),  # 33
    ("counselor", "Mm-hmm, yeah it would, I-I-I think that would, uh, go a long way toward reducing those risks."),  # 34
    ("client", "Yeah."),  # 35
    ("counselor", "Okay, um, so if so where we are right now if I understand is you're feeling more comfortable about the concern about muscle weakness?"),  # 36
    ("client", "Oh yeah."),  # 37
    ("counselor", "Uh, you seem fairly committed to taking the medicine to reduce your risk so that you can enjoy your retirement."),  # 38
    ("client", "Yeah."),  # 39
]  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
def test_a_complex_reflection_with_an_information_code_is_still_a_strength(db, rubric):
    """What the student sees: "Uh, you seem fairly committed to taking the medicine to reduce
    your risk so that you can enjoy your retirement." (AnnoMI 31, high quality; the experts code
    it a complex reflection) is no longer among the strengths; instead it is listed under "try
    instead" with "What do you already know about this, and what would be most useful to hear?"
    ("Asking what they know before informing ...").

    Why it is wrong: the turn informs of nothing; it gives back the client's change talk with
    its meaning (commitment, retirement), the reflection MI most wants. A secondary information
    code the learned coder adds is enough for `offline_review._good_rank` to refuse any strength
    (e1860d6: "a warning is never a strength"), and `_weakness` then ranks it for correction as
    information. Before e1860d6 it was a strength (rank 0, complex reflection)."""
    seen = _review(db, T31, rubric)
    assert "you seem fairly committed" in seen.text(6)
    corrected = [(t.quote, t.better_reply) for t in seen.try_instead if t.turn == 6]
    assert not corrected, f"the reflection corrected: {corrected}\n{seen.describe()}"
    assert any(s.turn == 6 for s in seen.strengths), f"{seen.codes}\n{seen.describe()}"


# 4. "Try instead" quotes the reflection as the fault -----------------------------------------------
REFLECTION_THEN_ADVICE = {
    "next_step": (
        "I've been offered a job across the country but I don't know what to do about my mum. She's not well.",
        "You're not sure what the next step is. You should just take the job.",
        "You should just take the job.",
    ),
    "needs_to_stop": (
        "The shouting at home every night is wearing me down. I can't sleep.",
        "You feel the fighting needs to stop. You have to move out.",
        "You have to move out.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFLECTION_THEN_ADVICE))
def test_try_instead_quotes_the_advice_not_the_reflection_before_it(db, case):
    """What the student sees: "You're not sure what the next step is. You should just take the
    job." is listed under "try instead" quoting "You're not sure what the next step is." (or
    "You feel the fighting needs to stop." for "... You have to move out.") as the words to
    replace with "Would it be all right if I shared an idea ...".

    Why it is wrong: the quoted sentence is the student's reflection, the good part; the advice
    is the next sentence. Before e1860d6 the quote was the advice. Cause:
    `offline_review.TELLING` ("the next step is", "needs to stop") counts as telling in any
    sentence, and `_quote` takes the first such sentence, a reflection's words included."""
    client, said, advice = REFLECTION_THEN_ADVICE[case]
    seen = _review(
        db,
        [
            ("counselor", "How are things?"),
            ("client", client),
            ("counselor", said),
            ("client", "Maybe."),
        ],
    )
    items = [t for t in seen.try_instead if t.turn == 3]
    assert items, f"the advice is not corrected\n{seen.describe()}"
    assert items[0].quote == advice, f"quoted {items[0].quote!r}\n{seen.describe()}"


# 5. Better replies: the client's words cut to nothing, a pronoun dropped, a real word halved -----
ECHOES = {
    # AnnoMI transcript 37 (high quality), utterance 37
    "t37_i_need_to_um": (
        "I need to, um, I need to see all these things that I've started to put into action, I need to see them through to the end.",
        "see all these things",
    ),
    # AnnoMI transcript 65 (high quality), utterance 20
    "t65_go_through_this": (
        "And if I do go through this, I just hope my friends understand and will support me in what I'm trying to do.",
        "go through this",
    ),
    # AnnoMI transcript 46 (high quality), utterance 7
    "t46_sometimes_with_my_friends": (
        "It's not a big deal. Sometimes with my friends, we'll drink a few beers and when we're hanging out or when we're at a party, and sometimes rum and cokes.",
        "drink a few beers",
    ),
    # AnnoMI transcript 24 (high quality), utterance 17
    "t24_if_my_friends": (
        "I guess if my friends, like if one of my friends decided to like quit with me, that would probably help too, but I-- all my friends love to smoke, so I don't see that happening in the near future.",
        "one of your friends",
    ),
    # made up: a reduplicated word is no stammer
    "so_so": ("Honestly my mood has been so-so for most of this past month.", "so-so"),
    "yo_yo": ("My weight has gone yo-yo ever since I had my second baby.", "yo-yo"),
    "bye_bye": ("We said bye-bye at the station and I never saw him again.", "bye-bye"),
    # made up: "that" is the thing tried, not a dangling word
    "try_that": (
        "I suppose I could try that, but I'm not sure it will make any difference to how I feel.",
        "try that",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ECHOES))
def test_better_reply_keeps_what_the_client_said(db, case):
    """What the student sees: after the client's line, the student asks a closed question; the
    "try instead" reply should give the client's words back: "You said .... What has that been
    like for you?". Now it reads "You said you need to, um." (AnnoMI 37), "You said if you do go
    through." (65, "this" dropped), "You said sometimes with your friends." (46), "You said you
    guess if your friends." (24), "your mood has been so for most of this past month", "your
    weight has gone yo ever since ...", "you said bye at the station", "you suppose you could
    try." Before e1860d6 the first four kept the substance ("you need to, um, you need to see
    all these things that you've started").

    Why it is wrong: the reply the student is told to copy says nothing the client said, or
    misquotes them. Causes: `offline_review._echo` cuts back to the LAST comma within 14 words
    whenever one is at word 4 or later, even when it leaves a filler or an opening clause;
    `_DANGLING` pops a pronoun ("this", "that") as if it were an article; `_STAMMER` collapses
    any word-hyphen-same-word, a reduplicated word ("so-so", "yo-yo", "bye-bye") included."""
    client, kept = ECHOES[case]
    seen = _review(
        db,
        [("counselor", "How are things?"), ("client", client), ("counselor", "Is that a problem?"), ("client", "I don't know.")],
    )  # fmt: skip
    items = [t for t in seen.try_instead if t.turn == 3]
    assert items, seen.describe()
    assert kept in items[0].better_reply, f"{items[0].better_reply!r}\n{seen.describe()}"


# AnnoMI transcript 74 (low quality, "piercing"), utterances 4-5; 100 (high), 31.
TRAILING = {
    "t74_a_change_and": ("Why? I don't know. I wanted a change and-", " and."),
    "t100_frustrating_because": ("It's really frustrating because-", " because."),
}


@pytest.mark.parametrize("case", list(TRAILING))
def test_better_reply_does_not_end_on_a_dangling_conjunction(db, case):
    """What the student sees: the client broke off ("I wanted a change and-"); the better reply
    reads "You said you wanted a change and. What has that been like for you?" (AnnoMI 74), "You
    said it's really frustrating because. ..." (AnnoMI 100).

    Why it is wrong: the reply the student is to copy is broken English; before e1860d6 the
    dash at least showed the client broke off. Cause: `offline_review._echo` now strips the
    trailing dash, but drops dangling words only when it cut the sentence itself."""
    client, dangling = TRAILING[case]
    seen = _review(
        db,
        [("counselor", "How are things?"), ("client", client), ("counselor", "Is that a problem?"), ("client", "I don't know.")],
    )  # fmt: skip
    items = [t for t in seen.try_instead if t.turn == 3]
    assert items, seen.describe()
    assert f"{dangling} " not in items[0].better_reply, f"{items[0].better_reply!r}"


# 6. "You might be better off ..." giving back the client's own view is no advice -----------------
BETTER_OFF = {
    "part_of_you": (
        "Sometimes I think I'd be better off on my own, without him dragging me down.",
        "Part of you thinks you might be better off without him.",
    ),
    "not_going_back": (
        "I left my job last month. Honestly, best decision I ever made.",
        "So you're thinking you might be better off not going back at all.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(BETTER_OFF))
def test_reflecting_the_clients_own_better_off_is_not_unasked_advice(db, case, rubric):
    """What the student sees: the client says "Sometimes I think I'd be better off on my own,
    without him dragging me down."; the student reflects "Part of you thinks you might be better
    off without him." The review codes it unasked advice / Persuade, lists it under "try
    instead" with "Would it be all right if I shared an idea ...?" ("Asking permission first
    turns unasked advice into advice the client can weigh.") and sets the goal "ask permission
    before giving advice". Before e1860d6 it was a (complex) reflection.

    Why it is wrong: "Part of you thinks ..." / "So you're thinking ..." hands back the client's
    own view; the counselor recommends nothing. Cause: e1860d6 added "you might be better off"
    (and "you'd really/probably be better off") to `coding.ADVICE_AS_REFLECTION`, which counts
    as advice wherever it stands, also inside a reflection's stem ("part of you thinks",
    "you're thinking", "you feel") of words the client said."""
    client, said = BETTER_OFF[case]
    seen = _review(db, [("counselor", "How are things?"), ("client", client), ("counselor", said), ("client", "Yeah, maybe.")], rubric)  # fmt: skip
    codes = seen.codes.get(3, [])
    assert not ADVICE_CODES & set(codes), f"{said!r} coded {codes}\n{seen.describe()}"
    told = [t for t in seen.try_instead if t.turn == 3 and ASK_PERMISSION.search(t.why)]
    assert not told, f"{said!r} corrected as unasked advice\n{seen.describe()}"


# 7. (Not new in e1860d6.) Any ask in the turn licenses its advice -------------------------------
@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.xfail(
    strict=True,
    reason="a known limit, older than the day's fixes: any ask in a turn ('May I ask ...?') "
    "licenses its advice",
)
def test_asking_permission_to_ask_a_question_does_not_license_the_advice(db, rubric):
    """What the student sees: "May I ask how much you drink? You need to cut down." is coded
    Persuade with permission (MITI) / "other" (micro-skills); no "try instead" tells the student
    to ask permission before advising, and the MI-non-adherent count stays 0.

    Why it is wrong: the student asked permission to ask a question, not to advise; "You need to
    cut down." is unasked advice (MITI: Persuade). Cause: `coding._apply_rules` treats any
    `PERMISSION` phrase anywhere in the turn ("may i", "would you like me to") as permission
    for the advice; e1860d6 extends it to the turn's second labels too."""
    said = "May I ask how much you drink? You need to cut down."
    seen = _review(db, [("counselor", "How are things?"), ("client", "I drink most nights, it helps me unwind."), ("counselor", said), ("client", "I guess.")], rubric)  # fmt: skip
    codes = seen.codes.get(3, [])
    assert ADVICE_CODES & set(codes), f"{said!r} coded {codes}\n{seen.describe()}"
