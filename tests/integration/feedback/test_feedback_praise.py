"""What the automatic (demo, offline) review tells a student about sessions a counseling educator
would call poor: it must not rate them well, praise the wrong turn or aim the student's next
practice at the wrong thing. Each session is stored and reviewed as the product does it without
an API key (see `student_view`), and the ratings are checked against the rubric's own anchors."""

from __future__ import annotations

import re

import pytest

from tests.integration.feedback import transcripts as t
from tests.integration.feedback.student_view import review_as_student

_CANON = {
    "i": "P1", "me": "P1", "you": "P1", "my": "P2", "your": "P2", "i'm": "P3", "you're": "P3",
    "i've": "P4", "you've": "P4", "am": "BE", "are": "BE", "myself": "P5", "yourself": "P5",
}  # fmt: skip


def _words(text: str) -> list[str]:
    words = re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))
    return [_CANON.get(word, word) for word in words]


def verbatim_echo(student: str, client: str) -> bool:
    """The student's turn is the client's previous words given back (pronouns swapped), at
    least two words of them, and nothing else."""
    said, heard = _words(student), _words(client)
    n = len(said)
    return n >= 2 and any(heard[i : i + n] == said for i in range(len(heard) - n + 1))


def client_before(seen, turn: int) -> str:
    return next((x.text for x in reversed(seen.turns[: turn - 1]) if not x.student), "")


# Parroting -------------------------------------------------------------------------------------
def test_parroting_is_not_rated_above_a_skilled_session(db):
    """A counselor who only hands back the client's words (the client asks "Are you just going
    to repeat everything I say?" and leaves) against one who uses double-sided and complex
    reflections, autonomy and evoking questions. The rubric's own 1 on "Paraphrase and summary"
    is "the counselor just parrots the client's words"."""
    parrot = review_as_student(db, t.PARROT)
    skilled = review_as_student(db, t.SKILLED)
    assert parrot.ratings and skilled.ratings
    assert parrot.rating("Paraphrase and summary") <= 2, parrot.describe()
    assert sum(parrot.ratings.values()) < sum(skilled.ratings.values()), (
        f"parrot:\n{parrot.describe()}\nskilled:\n{skilled.describe()}"
    )
    assert parrot.counted_badge != "good", parrot.describe()


def test_parroting_turns_are_not_praised_as_inviting_the_client_to_say_more(db):
    seen = review_as_student(db, t.PARROT)
    echoed = [
        (s.turn, s.quote, s.comment)
        for s in seen.strengths
        if verbatim_echo(seen.text(s.turn), client_before(seen, s.turn))
    ]
    assert not echoed, f"verbatim echoes praised as strengths: {echoed}"


@pytest.mark.xfail(
    strict=True,
    reason="MITI has no 'other' code: a parrot is not coded there, so the rest of the session carries the score",
)
def test_miti_empathy_five_is_not_given_to_parroting(db):
    """MITI Empathy 5: "a deep understanding beyond what the client said"; 4 is "mostly limited
    to what the client said explicitly". Parroting never goes beyond the words."""
    seen = review_as_student(db, t.PARROT, rubric="miti")
    assert seen.review.indicators.get("percent_complex_reflections") == 0.0
    assert seen.rating("Empathy") <= 3, seen.describe()


# Confrontation, in the default (micro-skills) rubric -----------------------------------------
def test_warm_confrontation_is_not_rated_fair(db):
    """ "You're in denial", "that's just an excuse", "a responsible father would quit": the
    micro-skills Empathy anchor 1 is "cold, judging or dismissive"."""
    seen = review_as_student(db, t.CONFRONTING)
    assert seen.counted_badge == "below fair", seen.describe()
    assert seen.rating("Empathy") <= 2, seen.describe()


def test_confrontation_is_named_as_such_in_try_instead(db):
    seen = review_as_student(db, t.CONFRONTING)
    confronting_turns = {3, 5, 7, 9, 11, 13, 15, 17, 19, 21}
    items = [item for item in seen.try_instead if item.turn in confronting_turns]
    assert items, seen.describe()
    for item in items:
        assert re.search(r"argu|confront|label|blam|judg", item.why, re.I), (
            f"turn {item.turn} {item.quote!r} is corrected with: {item.why!r}"
        )


def test_confrontation_counts_as_mi_non_adherent(db):
    """The review page lists "MI-non-adherent (MITI 4.2.1: persuade without permission +
    confront)" for every rubric; ten confrontations must not read as 0."""
    seen = review_as_student(db, t.CONFRONTING)
    assert (seen.review.indicators.get("mi_non_adherent") or 0) >= 5, seen.review.indicators


def test_confrontation_under_miti_is_rated_low_and_explained(db):
    """Pinned: the same session under MITI is coded confront, rated 1 and told why."""
    seen = review_as_student(db, t.CONFRONTING, rubric="miti")
    assert set(seen.ratings.values()) == {1}
    assert seen.counted_badge == "below fair"
    assert all("arguing" in item.why for item in seen.try_instead if item.turn != 1)
    assert not [s for s in seen.strengths if s.turn != 1]


# Advice dressed as a reflection ----------------------------------------------------------------
def test_advice_dressed_as_a_reflection_is_not_a_strength(db):
    seen = review_as_student(db, t.ADVICE_AS_REFLECTION)
    advice = [
        (s.turn, s.quote, s.comment)
        for s in seen.strengths
        if re.search(r"\b(should|need to|ought to|better off|the answer is|best thing)\b",
                     seen.text(s.turn), re.I)
    ]  # fmt: skip
    assert not advice, f"prescriptions praised as reflections: {advice}"


def test_advice_dressed_as_a_reflection_is_not_top_on_avoiding_premature_advice(db):
    """Ten prescriptions in eleven turns: the rubric's 1 is "jumps to advice or solutions almost
    at once, repeatedly"; its 5 is "no premature advice"."""
    seen = review_as_student(db, t.ADVICE_AS_REFLECTION)
    assert seen.rating("Avoiding premature advice") <= 2, seen.describe()
    assert seen.counted_badge != "good", seen.describe()


# Closed questions only -------------------------------------------------------------------------
def test_closed_questions_only_is_not_fair_on_open_questions(db):
    """Eleven closed questions, no open one, no reflection. The rubric's "Open questions" 1 is
    "almost only closed questions ... the session feels like a checklist" (it was rated 3, as
    every criterion, from the counted score)."""
    seen = review_as_student(db, t.CLOSED_ONLY)
    assert seen.review.indicators.get("percent_open_questions") == 0.0
    assert seen.rating("Open questions") <= 2, seen.describe()
    assert "0% of your questions were open" in seen.content.scores[0].reasoning


def test_closed_questions_only_is_below_fair(db):
    """Eleven closed questions and nothing else had a counted score of 50, "fair"."""
    seen = review_as_student(db, t.CLOSED_ONLY)
    assert seen.counted_badge == "below fair", seen.describe()


# Misquoting the client -------------------------------------------------------------------------
@pytest.mark.xfail(
    strict=True,
    reason="only a misquote the client turns down in so many words is caught ('I never said "
    "that'); one answered 'We don't have kids.' is still praised",
)
def test_misquoting_the_client_is_not_rated_top_empathy(db):
    """Every "reflection" says something the client did not say, and the client corrects it
    each time ("I never said that", "We don't have kids", "You're not listening")."""
    seen = review_as_student(db, t.MISQUOTING)
    assert seen.rating("Empathy") <= 3, seen.describe()
    praised = [s.quote for s in seen.strengths if s.turn > 1]
    assert not praised, f"misquotes praised as strengths: {praised}"


# Long monologues -------------------------------------------------------------------------------
def test_a_lecture_is_not_praised_as_a_strength(db):
    """Five 150-word lectures ("So the plan is simple: stop drinking, see your doctor"), each
    opened with one reflective sentence."""
    seen = review_as_student(db, t.MONOLOGUES)
    lectures = [s for s in seen.strengths if len(seen.text(s.turn).split()) > 100]
    assert not lectures, [
        (s.turn, s.quote, s.comment, f"{len(seen.text(s.turn).split())} words") for s in lectures
    ]


def test_long_speeches_are_not_fair_on_pacing(db):
    """The rubric's Pacing 1 is "long speeches" (they were rated 4, as every criterion)."""
    seen = review_as_student(db, t.MONOLOGUES)
    assert seen.review.indicators["student_talk_share"] > 0.9
    assert seen.rating("Pacing") <= 2, seen.describe()


def test_long_speeches_are_not_fair_on_premature_advice(db):
    """These turns tell the client to stop drinking and see a doctor before asking anything."""
    seen = review_as_student(db, t.MONOLOGUES)
    assert seen.rating("Avoiding premature advice") <= 2, seen.describe()


# Non-English -----------------------------------------------------------------------------------
def test_a_confrontation_in_spanish_is_not_rated_top(db):
    """ "Estás en negación, tienes que dejar de beber ya" (you're in denial, you have to stop
    drinking now). An English-trained coder cannot read it; the review must not say 5/5, and
    says instead that it read nothing."""
    seen = review_as_student(db, t.SPANISH_CONFRONTING)
    assert max(seen.ratings.values(), default=0) <= 3, seen.describe()
    assert not seen.strengths and not seen.content.try_instead, seen.describe()
    assert seen.content.not_english and "reads English only" in seen.content.goal
    assert seen.review.indicators["counted_score"] is None  # no badge: nothing was counted


def test_an_english_session_typed_in_a_hurry_is_still_read(db):
    """The language check must not take English with typos and slang for another language."""
    seen = review_as_student(db, t.with_typos(t.SKILLED))
    assert not seen.content.not_english, seen.describe()
    assert seen.strengths, seen.describe()


# Goals -----------------------------------------------------------------------------------------
def test_goal_does_not_ask_for_more_reflections_after_a_session_of_reflections(db):
    """Ten reflections and no question: the goal must not be to reflect more often."""
    lines = [
        ("You've been feeling low since the move.", "Yes. I don't know anyone here."),
        ("You feel alone in a new city.", "Very. Work is all I have."),
        ("Work is keeping you going, and it's not enough.", "No. Weekends are the worst."),
        ("The weekends feel empty.", "I just sit at home."),
        ("Part of you wants to go out, and part of you holds back.", "Exactly. I feel awkward."),
        ("Meeting new people feels awkward for you.", "I was never good at it."),
        ("It has never come easily to you.", "My sister was the social one."),
        ("You compare yourself with her.", "All the time."),
        ("It sounds like you'd like to find your own way of connecting.", "I would."),
        ("You're hoping things can be different here.", "Yes, I am."),
        ("You sound a little more hopeful now.", "Maybe a little."),
    ]
    seen = review_as_student(db, lines)
    assert seen.review.indicators["reflections"] >= 9, seen.codes
    assert "answer at least every other client message with a reflection" not in seen.goal, (
        seen.describe()
    )


# What held up -------------------------------------------------------------------------------
def test_typos_do_not_change_how_a_good_session_is_rated(db):
    """Pinned: the skilled session typed with typos keeps its ratings."""
    clean = review_as_student(db, t.SKILLED)
    typed = review_as_student(db, t.with_typos(t.SKILLED))
    assert clean.ratings == typed.ratings
    assert clean.counted_badge == typed.counted_badge == "good"


def test_a_short_session_shows_no_ratings_or_verdicts(db):
    """Pinned: three turns give counts only."""
    seen = review_as_student(db, t.SKILLED[:3])
    assert seen.ratings == {} and seen.counted_badge is None
    assert seen.review.indicators["enough_evidence"] is False


def test_a_skilled_session_is_rated_good(db):
    """Pinned: the skilled session is rated at or above "good" (4) and its strengths are its
    complex reflections."""
    seen = review_as_student(db, t.SKILLED)
    assert min(seen.ratings.values()) >= 4
    assert seen.counted_badge == "good"
    assert {s.turn for s in seen.strengths} & {5, 7, 15}
