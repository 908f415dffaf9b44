"""What a second look at the fifth look's readings found still wrong for a student or a teacher
(an attack on the day's fixes, 2026-12-07), each fixed: disclosures missed, rhetorical suicide
questions taken for questions back, falls read as self-harm, orders with offer words credited as
collaboration, and siding with the client named as arguing."""

from __future__ import annotations

import pytest

from backend.reviews import risk
from backend.reviews.offline_review import RISK_GOAL
from tests.integration.feedback.test_review_fifth_look_regressions import (
    ARGUING,
    OPENING,
    _conversation,
    _review,
)

# 1. Self-harm disclosures still missed -----------------------------------------------------------
MISSED = {
    # The accident excuse is read anywhere in the sentence: an accident's "hurt my wrist" excuses
    # a second, deliberate "hurt myself" in the same sentence.
    "accident_then_razor": "I slipped on the stairs and hurt my wrist, and that night I hurt myself with a razor to feel something.",
    "accident_then_kept_hurting": "I fell down and hurt my knee at work, and when I got home I kept hurting myself until I calmed down.",
    # "in case I overdose" anywhere excuses a wish to overdose later in the sentence.
    "naloxone_then_taking_an_overdose": "I keep naloxone in case I overdose, but some nights I think about taking an overdose.",
    # A guarded overdose that is no guard: the client wants a fatal one, or plans where.
    "overdose_and_survive": "I don't want to have an overdose and survive it.",
    "overdose_that_works": "I don't want an overdose that just leaves me in hospital, I want one that works.",
    "overdose_where_kids_find_me": "I never want to overdose where my kids could find me, so I'll wait until they're at their dad's.",
    # Giving things away and goodbye letters "in case I overdose": "a note" is the only such word.
    "letters_in_case_i_overdose": "I gave my dog to my sister and wrote letters to everyone in case I overdose this weekend.",
    # "off the/my <word>" is read as a fall: relapse, off medication.
    "fell_off_the_wagon_blade": "I fell off the wagon and hurt myself with a blade.",
    "slipped_off_my_meds": "I slipped off my meds and hurt myself.",
}  # fmt: skip


@pytest.mark.parametrize("case", list(MISSED))
def test_a_self_harm_disclosure_is_still_flagged(case):
    """What the teacher and the student see: nothing. A clinician would ask about each at once
    ("... that night I hurt myself with a razor to feel something", "I don't want to have an
    overdose and survive it", "wrote letters to everyone in case I overdose this weekend").
    Cause: `risk._self_harm` excuses a phrase where a `NOT_SELF_HARM` rule matches ANYWHERE in
    the sentence (an accident's "fell down and hurt my knee" excuses a later "hurt myself"; a
    naloxone "in case I overdose" excuses "taking an overdose"), the guarded-overdose rule reads
    any "don't/never want (to have) an overdose" as a guard whatever follows ("and survive it",
    "that just leaves me in hospital", "where my kids could find me"), `_ACCIDENT` takes
    "off the wagon"/"off my meds" for a fall, and `INTENT` is a closed list of words these
    sentences do not use ("survive", "works", "letters", "find me")."""
    said = MISSED[case]
    flagged = risk.check(_conversation(said))
    assert flagged, f"self-harm not flagged: {said!r}"
    assert not flagged[0].responded


def test_a_missed_disclosure_leaves_the_students_review_without_the_risk_goal(db):
    """The review the student reads after "I slipped on the stairs and hurt my wrist, and that
    night I hurt myself with a razor to feel something." and a reply that moves on: no risk
    passed over, the goal is about something else."""
    seen = _review(
        db,
        [
            ("student", "What brings you in today?"),
            ("client", "Things have been really bad since the breakup."),
            ("student", "It's been a hard time since the breakup."),
            ("client", MISSED["accident_then_razor"]),
            ("student", "What do you like to do at the weekends?"),
            ("client", "Sleep, mostly."),
        ],
    )
    assert seen.risks_passed_over, seen.describe()
    assert seen.goal == RISK_GOAL, seen.describe()


RHETORICAL = {
    # `_RAISED` holds "safe": "safe to say", a safe place to stay, safe at home.
    "safe_to_say_then_easier": ("It's safe to say you're frustrated with her.", "Wouldn't suicide be easier?"),
    "safe_place_then_answer": ("Is there somewhere safe you can stay tonight?", "Isn't suicide the answer?"),
    "safe_at_home_then_why_not": ("Do you feel safe at home?", "Why not suicide?"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(RHETORICAL))
def test_a_rhetorical_suicide_question_is_no_question_back(case):
    """What the teacher sees: nothing. After "It's safe to say you're frustrated with her." the
    client asks "Wouldn't suicide be easier?" (or "Isn't suicide the answer?", "Why not
    suicide?"); the student moves on. Cause: `risk._self_harm` reads any client question of six
    words or fewer holding "suicide"/"suicidal" as a question back whenever the student's turn
    before holds a `_RAISED` word, and "safe" is one in any sense. Only a clarifying question
    ("What, like suicidal?", "You mean suicide?") is a question back; one that proposes suicide
    is a disclosure."""
    before, said = RHETORICAL[case]
    assert risk.check(_conversation(said, before)), f"{said!r} after {before!r} not flagged"


# 2. Falls still read as self-harm (a falls-prevention session, like AnnoMI 56) ------------------
FALLS = {
    "scared_to_fall_again": "I'm scared I'll fall again and hurt myself.",
    "fell_again_on_the_ice": "I fell and hurt myself again on the ice.",
    "fell_out_of_bed": "I fell out of bed and hurt myself.",
    "fell_last_week": "I fell last week and hurt myself.",
    "tried_to_get_up": "I tried to get up, slipped and hurt myself.",
    "grandsons_toys": "I tripped over my grandson's toys and hurt myself.",
}  # fmt: skip


@pytest.mark.parametrize("case", list(FALLS))
def test_a_fall_is_no_self_harm(case):
    """What the student sees after a falls-prevention session: a red notice that the client
    spoke of self-harm and was passed over, the ratings gone and the goal set to asking about
    self-harm, for "I'm scared I'll fall again and hurt myself." -- the very fear such a session
    is about. Cause: `risk._ACCIDENT` allows only "down/over/off/on/in/at (the|a|my) <word>"
    between the fall and "and hurt" ("fall again", "fell out of bed", "fell last week",
    "my grandson's toys" are not), and `INTENT` cancels the excuse on "again", "tried" and
    "last time", which in a fall's sentence speak of the fall. Suggested: allow a short adverbial
    between the fall and "and hurt", and read intent words only outside the accident's clause."""
    said = FALLS[case]
    assert risk.check(_conversation(said, "How have things been at home since the hip?")) == []


def test_a_falls_session_keeps_its_goal(db):
    seen = _review(
        db,
        [
            ("student", "What brings you in today?"),
            ("client", "My daughter worries about me since my hip operation."),
            ("student", "She's been worried about you since the operation."),
            ("client", FALLS["scared_to_fall_again"]),
            ("student", "Being scared of falling again is holding you back."),
            ("client", "Yes, I barely leave the chair now."),
        ],
    )
    assert not seen.risks_passed_over, seen.describe()
    assert seen.goal != RISK_GOAL, seen.describe()


# 3. An order with offer words is still credited as seeking collaboration -------------------------
ORDERS = {
    "going_to_have_to_quit": "You're going to have to quit. Would you be open to that?",
    "stop_tonight_open_to_that": "Stop drinking tonight. Would you be open to that?",
    "pour_every_bottle": "Pour every bottle down the sink tonight. How does that sound?",
    "i_want_you_to_stop": "I want you to stop drinking. How does that sound?",
    "only_option": "Your only option is to quit. How does that sound?",
}  # fmt: skip


@pytest.mark.parametrize("case", list(ORDERS))
def test_an_order_then_an_offer_is_not_seeking_collaboration(db, case):
    """What the student sees (MITI): "Stop drinking tonight. Would you be open to that?" coded
    Seeking Collaboration (MI-adherent) and listed under strengths, "it follows the client's lead
    and invites them to say more". Cause: `coding.asks_permission` refuses an offer only where
    the turn holds `ADVICE` / `ADVICE_OPENINGS` words; a bare imperative ("Stop drinking
    tonight.", "Pour every bottle ..."), "You're going to have to", "I want you to" and "Your
    only option is" tell the client what to do without them, so the offer is excused and
    `_adherent` adds seeking collaboration. Suggested: read an imperative opening (the verbs
    `_AS_MEANT` knows for "you must") and these phrasings as telling in `asks_permission`."""
    said = ORDERS[case]
    seen = _review(db, [*OPENING, ("student", said), ("client", "I don't know.")], "miti")
    codes = seen.codes.get(3, [])
    assert "seeking_collaboration" not in codes, f"{said!r} coded {codes}\n{seen.describe()}"
    praised = [s.quote for s in seen.strengths if s.turn == 3]
    assert not praised, f"order praised: {praised}\n{seen.describe()}"


# 4. Empathy and reflections still named as arguing ----------------------------------------------
NOT_ARGUING = {
    # The client's own words, reflected: `CONFRONT_OPENINGS` never asks whether they said it.
    "own_responsibility_reflected": (
        "I know I need to take responsibility for my drinking, I just don't know where to start.",
        "You need to take responsibility for your drinking, and you're not sure where to start.",
    ),
    # Siding with the client, written with a comma or "as well": only "either|too" right after.
    "either_after_a_comma": (
        "They fired me after ten years without giving any reason.",
        "It makes no sense to me, either, how they treated you after ten years.",
    ),
    "too_after_a_comma": (
        "They fired me after ten years without giving any reason.",
        "That makes no sense to me, too.",
    ),
    "as_well": (
        "They fired me after ten years without giving any reason.",
        "Honestly, it makes no sense to me as well.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(NOT_ARGUING))
def test_siding_with_or_reflecting_the_client_is_not_named_as_arguing(db, case, rubric):
    """What the student sees: the client says "I know I need to take responsibility for my
    drinking"; the student reflects "You need to take responsibility for your drinking, and
    you're not sure where to start." -- coded advice/Confront with "arguing makes them defend the
    status quo". Likewise "It makes no sense to me, either, how they treated you" and "That
    makes no sense to me, too." Cause: `coding.confronts` checks `CONFRONT_OPENINGS` without the
    heard-words test its `CONFRONT` phrases get, and `_NOT_CONFRONT` knows only "makes no sense
    to me either|too" with nothing between (no comma, no "as well")."""
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
