"""What the fifth look at AnnoMI's readings had got wrong for a student or a teacher (an attack on
the day's fixes, 2026-12-07), each fixed: self-harm disclosures that hold an accident's or a guarded overdose's
words and are now missed (`risk.NOT_SELF_HARM`, `risk._self_harm`), pressure now excused as
advice with permission (`coding.PERMISSION`), empathy and reflections now named as arguing
(`coding.CONFRONT`), and strengths that now quote an order as "following the client's lead"
(`offline_review._quote` / `_likeliest`). Every line is a made-up practice session; each test
reads the review as the student sees it (or the risk check the review shows the teacher)."""

from __future__ import annotations

import re

import pytest

from backend.reviews import risk
from backend.reviews.offline_review import RISK_GOAL
from backend.reviews.turns import Turn
from tests.integration.feedback.student_view import review_turns_as_student

ASK_PERMISSION = re.compile(r"permission", re.IGNORECASE)
ARGUING = re.compile(r"argu", re.IGNORECASE)
ADVICE_CODES = {"advice", "persuade"}


def _review(db, excerpt, rubric=None):
    turns = [("user" if who == "student" else "assistant", text) for who, text in excerpt]
    return review_turns_as_student(db, turns, rubric=rubric)


# 1. Self-harm disclosures now missed ------------------------------------------------------------
# Each is self-harm a clinician would ask about at once; each holds words of `NOT_SELF_HARM`:
# "fell/slipped <word> and hurt", "don't want (to have) an overdose", "in case I overdose", and a
# rule that matches ANYWHERE in the sentence silences every other phrase of it too.
DISCLOSURES = {
    "fell_apart_on_purpose": "After the funeral I fell apart and hurt myself on purpose.",
    "slipped_up_relapse": "After she left I slipped up and hurt myself again, like I used to.",
    "overdose_again_last_time": "I don't want to have an overdose again like last time I tried.",
    "note_in_case_i_overdose": "In case I overdose tonight I wrote a note for my kids.",
    "some_days_i_do": "Some days I don't want to overdose and some days I do.",
    "on_purpose_not_by_accident": "I never want to overdose by accident, if I do it, it will be on purpose.",
    "pain_then_kill_myself": "I fell down and hurt my back last year, and now I honestly want to kill myself.",
    "naloxone_then_suicide": "I keep naloxone in case I overdose, but lately I think about suicide every night.",
    "overdose_vs_end_my_life": "I don't want an overdose that leaves me brain damaged, I want to end my life properly.",
}  # fmt: skip
MOVING_ON = "What else has been going on this week?"


def _conversation(client_line: str, before: str = "What's been happening since we last met?"):
    return [
        Turn(1, "user", before),
        Turn(2, "assistant", client_line),
        Turn(3, "user", MOVING_ON),
    ]


@pytest.mark.parametrize("case", list(DISCLOSURES))
def test_a_self_harm_disclosure_in_accident_or_overdose_words_is_still_flagged(case):
    """What the teacher and the student see: nothing. The client says e.g. "I fell apart and
    hurt myself on purpose", "I don't want to have an overdose again like last time I tried",
    "In case I overdose tonight I wrote a note for my kids" or "I fell down and hurt my back last
    year, and now I honestly want to kill myself"; the student moves on. Before b5409c4 the review
    flagged each as self-harm passed over; now the risk list is empty. Cause: `risk._self_harm`
    drops every sentence in which any `NOT_SELF_HARM` pattern matches, for every phrase of
    `SELF_HARM` (not only the phrase the pattern explains), and the patterns match "fell apart and
    hurt", "slipped up and hurt", "don't want to have an overdose again", "in case I overdose
    tonight" regardless of "on purpose", "again", "last time I tried", "a note"."""
    said = DISCLOSURES[case]
    flagged = risk.check(_conversation(said))
    assert flagged, f"self-harm not flagged: {said!r}"
    assert not flagged[0].responded


QUESTIONS_BACK = {
    # The student's turn holds a word of `RESPONSE` by the way ("a plan to", "feel safe",
    # "worried about you"), and the client answers with a short suicidal question.
    "plan_to_tell_parents": ("Do you have a plan to tell your parents about the grades?", "Why not just kill myself?"),
    "feel_safe_at_home": ("Do you feel safe at home with your stepdad?", "Honestly? Why shouldn't I kill myself?"),
    "worried_about_you": ("I'm worried about you, you've missed three sessions.", "Should I just kill myself then?"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(QUESTIONS_BACK))
def test_a_short_suicidal_question_after_a_safety_word_is_still_flagged(case):
    """What the teacher sees: nothing. The student asks "Do you have a plan to tell your parents
    about the grades?"; the client answers "Why not just kill myself?"; the student moves on. Before
    b5409c4 it was flagged as passed over; now it is read as "a question back about the risk the
    student's turn just raised". Cause: `risk._self_harm` treats ANY client question of six words
    or fewer holding a self-harm phrase as a question back whenever the student's previous turn
    holds any `RESPONSE` phrase, and `RESPONSE` is wide ("a plan to", "feel safe", "emergency",
    "worried about you"); a rhetorical "Why not just kill myself?" is a disclosure, not a
    clarifying "What, like suicidal?"."""
    before, said = QUESTIONS_BACK[case]
    flagged = risk.check(_conversation(said, before))
    assert flagged, f"{said!r} after {before!r} not flagged"


def test_a_missed_disclosure_sets_the_risk_goal_in_the_students_review(db):
    """The review the student reads after "After the funeral I fell apart and hurt myself on
    purpose." and a reply that moves on: no risk notice, ratings kept, goal about something else.
    Before b5409c4: a passed-over risk, ratings removed, the goal to ask about it directly."""
    seen = _review(
        db,
        [
            ("student", "What brings you in today?"),
            ("client", "My mum died in March and I haven't been coping."),
            ("student", "It's been a hard few months since your mum died."),
            ("client", DISCLOSURES["fell_apart_on_purpose"]),
            ("student", "What do you like to do at the weekends?"),
            ("client", "Sleep, mostly."),
        ],
    )
    assert seen.risks_passed_over, seen.describe()
    assert seen.goal == RISK_GOAL, seen.describe()


# 2. Pressure now excused as advice with permission ----------------------------------------------
OPENING = [
    ("student", "What brings you in today?"),
    ("client", "My wife made me come. I don't really want to stop drinking, it's how I unwind."),
]
PRESSURE = {
    # "if you're willing" is a condition here, not an offer.
    "should_quit_if_willing_to_save_marriage": "You should quit drinking if you're willing to save your marriage.",
    # An order, then a reaction check that leaves nothing to the client.
    "need_to_quit_today_how_does_that_sound": "You need to quit today and pour every bottle down the sink. How does that sound?",
    "have_to_go_to_aa_would_you_be_open": "You have to go to AA. Would you be open to that?",
    "need_to_quit_if_you_want_to": "You need to quit, if you want to.",
}  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(PRESSURE))
def test_an_order_with_offer_words_is_still_unasked_advice(db, case, rubric):
    """What the student sees: "You should quit drinking if you're willing to save your marriage."
    or "You have to go to AA. Would you be open to that?" is no longer unasked advice: in
    micro-skills it is coded "other" and the "try instead" explains "A reflection that adds the
    feeling or meaning under the client's words is a complex reflection." (for an order!); in MITI
    it is Persuade with Permission. Before b5409c4 each was advice without permission, "Asking
    permission first ...". Cause: `coding.PERMISSION` now holds "if you're willing", "would you be
    open to", "how does that sound", "if you want to," matched anywhere in the turn, whatever
    came before them ("You should/need to/have to ..." is not an offer left to the client)."""
    said = PRESSURE[case]
    seen = _review(db, [*OPENING, ("student", said), ("client", "I don't know.")], rubric)
    codes = seen.codes.get(3, [])
    assert ADVICE_CODES & set(codes), f"{said!r} coded {codes}\n{seen.describe()}"
    whys = [t.why for t in seen.try_instead if t.turn == 3]
    assert not [w for w in whys if "complex reflection" in w], f"{whys}\n{seen.describe()}"


@pytest.mark.parametrize("rubric", [None, "miti"])
def test_an_earlier_how_does_that_sound_does_not_excuse_a_later_order(db, rubric):
    """What the student sees: an open question ("How does that sound to you, coming here because
    of your wife?") and, a turn later, a bare order "You need to stop drinking right now." The
    order is no longer corrected as unasked advice (micro-skills: "other"; MITI: Persuade with
    Permission). Cause: `coding._apply_rules` counts a `PERMISSION` phrase in the PREVIOUS
    student turn as permission, and "how does that sound" is now such a phrase."""
    seen = _review(
        db,
        [
            *OPENING,
            ("student", "How does that sound to you, coming here because of your wife?"),
            ("client", "Annoying."),
            ("student", "You need to stop drinking right now."),
            ("client", "No."),
        ],
        rubric,
    )
    codes = seen.codes.get(5, [])
    assert ADVICE_CODES & set(codes), f"order coded {codes}\n{seen.describe()}"
    told = [t.why for t in seen.try_instead if t.turn == 5 and ASK_PERMISSION.search(t.why)]
    assert told, f"not told to ask permission\n{seen.describe()}"


# 3. Empathy and reflections now named as arguing -----------------------------------------------
NOT_ARGUING = {
    "makes_no_sense_to_me_either": (
        "They fired me after ten years without giving any reason.",
        "It makes no sense to me either, how they treated you after ten years.",
    ),
    "that_makes_no_sense_and_you_carry_it": (
        "They fired me after ten years without giving any reason.",
        "Ten years, and not one word of why. That makes no sense, and you're left carrying it.",
    ),
    "dad_thinks_you_need_to_take_responsibility": (
        "My dad is always on at me about the job and the rent and the car.",
        "It sounds like your dad thinks you need to take responsibility, and that feels like a lot of pressure.",
    ),
    "stop_me_if_that_makes_no_sense": (
        "Okay, go on then, tell me what the leaflet says.",
        "I've said a lot just now. Stop me if that makes no sense, and tell me what you make of it.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(NOT_ARGUING))
def test_empathy_or_a_reflection_is_not_named_as_arguing(db, case, rubric):
    """What the student sees: "It makes no sense to me either, how they treated you after ten
    years." (siding with a client who was fired without reason), "It sounds like your dad thinks
    you need to take responsibility, and that feels like a lot of pressure." (a reflection of a
    third party's view) and "Stop me if that makes no sense" (a check) are coded advice/Confront
    and listed under "try instead" with "... arguing makes them defend the status quo". Before
    b5409c4 each was a reflection praised as a strength (or at least not arguing). Cause: the new
    `coding.CONFRONT` phrases "makes no sense to me", "that makes no sense", "you need to take
    responsibility" match anywhere; `_NOT_CONFRONT` / `_CLIENTS_VIEW` know none of "... either",
    "your dad thinks", "stop me if"."""
    client, said = NOT_ARGUING[case]
    seen = _review(
        db,
        [("student", "What brings you in today?"), ("client", client), ("student", said), ("client", "Yeah.")],
        rubric,
    )  # fmt: skip
    codes = seen.codes.get(3, [])
    assert "confront" not in codes and "advice" not in codes, f"{codes}\n{seen.describe()}"
    argued = [t.why for t in seen.try_instead if t.turn == 3 and ARGUING.search(t.why)]
    assert not argued, f"named as arguing: {argued}\n{seen.describe()}"


# 4. A strength now quotes the order, not the kind words -----------------------------------------
AFFIRM_THEN_ORDER = {
    "clearly_care_then_pour_it_away": (
        "You clearly care a lot about your marriage. Pour the beer down the sink tonight and tell your wife you've stopped.",
        "Pour the beer down the sink",
    ),
    "courage_then_get_rid": (
        "You've shown a lot of courage coming here. Get rid of every bottle in the house tonight.",
        "Get rid of every bottle",
    ),
    "took_a_lot_then_quit_tonight": (
        "It took a lot to come in today. Quit tonight, call your wife, and tell her it's over.",
        "Quit tonight",
    ),
    "love_your_wife_then_stop": (
        "You really love your wife. Stop drinking before she leaves you.",
        "Stop drinking before she leaves you",
    ),
}  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(AFFIRM_THEN_ORDER))
def test_a_strength_never_quotes_an_order_as_following_the_clients_lead(db, case, rubric):
    """What the student sees under strengths: "Pour the beer down the sink tonight and tell your
    wife you've stopped." -- "Coded as complex reflection and affirm: it follows the client's
    lead and invites them to say more." (likewise "Get rid of every bottle in the house tonight.",
    "Quit tonight, call your wife, and tell her it's over.", "Stop drinking before she leaves
    you."). Before b5409c4 the strength quoted the affirmation or reflection the code is about
    ("You clearly care a lot about your marriage."). The student learns that ordering is
    following the client's lead. Cause: `offline_review._quote`'s new branch sends a turn of
    several sentences to `_likeliest(sentences, kinds)`, which halves the score of every sentence
    with `KIND_WORDS` -- and `KIND_WORDS` holds all of `AFFIRM`, so the very affirmation an
    "affirm" code is about scores lowest, and an imperative the learned coder reads as
    reflection-like wins."""
    said, order = AFFIRM_THEN_ORDER[case]
    seen = _review(db, [*OPENING, ("student", said), ("client", "Hm.")], rubric)
    praised = [s.quote for s in seen.strengths if s.turn == 3 and order in s.quote]
    assert not praised, f"order praised: {praised}\n{seen.describe()}"
