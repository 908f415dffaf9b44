"""Whether what the automatic (demo, offline) review quotes and says is true to the transcript:
the words it cites for praise or correction, the "better replies" built on the client's words,
and the reasons its ratings give."""

from __future__ import annotations

import re

import pytest

from backend.errors import ValidationError
from backend.practice import conversation_service
from backend.reviews import review_rules
from tests.integration.feedback import transcripts as t
from tests.integration.feedback.student_view import review_as_student

# What a turn says before it does anything: a quote of only this shows nothing of the turn.
FILLERS = {
    "okay", "ok", "right", "sure", "i see", "got it", "mm", "mm-hmm", "uh-huh", "yeah",
    "yeah, yeah", "yes", "no", "thanks for sharing", "i hear you", "hi", "hello", "all right",
    "okay, okay", "great",
}  # fmt: skip


def bare(quote: str) -> str:
    return re.sub(r"[.!?,\s]+$", "", quote.strip().lower())


# The reason given for a rating ----------------------------------------------------------------
def test_rating_reasoning_does_not_claim_a_risk_that_no_client_voiced(db):
    """No client turn speaks of harm here, and the review's own risk check finds none."""
    seen = review_as_student(db, t.LEAD_INS)
    assert seen.content.risk == []
    claims = [r for r in seen.reasoning if "risk" in r.lower()]
    assert not claims, f"shown under every rating: {claims[0]!r}"


# Quotes of strengths and "try instead" items ----------------------------------------------------
def test_a_strength_quotes_the_words_that_earned_it(db):
    seen = review_as_student(db, t.LEAD_INS)
    empty = [(s.turn, s.quote, s.comment) for s in seen.strengths if bare(s.quote) in FILLERS]
    assert not empty, f"praise shown beside a filler, not the turn's words: {empty}"


def test_a_try_instead_item_quotes_what_it_corrects(db):
    """ "You need to quit completely, cutting down never works." is corrected as unasked advice;
    the student must see those words, not "I hear you."."""
    seen = review_as_student(db, t.LEAD_INS)
    empty = [
        (i.turn, i.quote, i.why, seen.text(i.turn))
        for i in seen.try_instead
        if bare(i.quote) in FILLERS
    ]
    assert not empty, f"corrections shown beside a filler: {empty}"


# Better replies built on the client's words -----------------------------------------------------
@pytest.mark.parametrize(
    ("client", "wrong", "right"),
    [
        ("No one listens to me anymore.", "you said one listens", "no one listens to you"),
        ("Like I said, I drink because I'm lonely.", "you said you said", "you drink because"),
        ("But I really want to keep my job.", "you said but", "you really want to keep"),
    ],
)
def test_a_better_reply_gives_the_clients_words_back_correctly(db, client, wrong, right):
    lines = [
        ("How has your week been?", client),
        ("Did you tell anyone about it?", "Not really."),
        ("What would you like to happen?", "I want things to change."),
    ]
    seen = review_as_student(db, lines)
    item = next(i for i in seen.try_instead if i.turn == 3)
    reply = item.better_reply.lower()
    assert wrong not in reply and right in reply, (
        f"client said {client!r}; try: {item.better_reply!r}"
    )


def test_a_better_reply_is_a_sentence_a_counselor_could_say(db):
    """The skilled session's double-sided reflection gets a "better" reply; it must at least be
    English ("It sounds like but it's a lot on weekends" is not)."""
    seen = review_as_student(db, t.SKILLED)
    broken = [
        (i.turn, i.better_reply)
        for i in seen.try_instead
        if re.search(r"\b(sounds like|you said) (but|and|or|like)\b", i.better_reply, re.I)
    ]
    assert not broken, broken


# What held up -------------------------------------------------------------------------------
SESSIONS = {
    "skilled": t.SKILLED,
    "parrot": t.PARROT,
    "confronting": t.CONFRONTING,
    "advice_as_reflection": t.ADVICE_AS_REFLECTION,
    "closed_only": t.CLOSED_ONLY,
    "misquoting": t.MISQUOTING,
    "lead_ins": t.LEAD_INS,
    "monologues": t.MONOLOGUES,
    "spanish": t.SPANISH_CONFRONTING,
    "typos": t.with_typos(t.SKILLED),
    "spacing": [
        ("  What brings you in today?\n\n", "Work.   Mostly work."),
        ("It  sounds like\nwork has been   heavy.", "It has."),
        ("You\u2019re worn out.\n\nWhat keeps you going?", "My kids."),
    ],
}


@pytest.mark.parametrize("name", sorted(SESSIONS))
@pytest.mark.parametrize("rubric", ["micro_skills", "miti"])
def test_every_quote_is_word_for_word_in_the_turn_it_cites(db, name, rubric):
    """Pinned: the demo review passes the checks a model's review must pass (cited turns exist
    and are the student's, quotes word for word, no non-adherent strength, no turn on both
    lists)."""
    seen = review_as_student(db, SESSIONS[name], rubric=rubric)
    data = seen.content.model_dump(exclude={"demo"})
    _answer, errors = review_rules.validate(data, seen.turns, seen.rubric)
    # (A three-turn session may have nothing to try instead: that count is not a quote's check;
    # a review that could not read its session rates nothing.)
    unrated = ("try_instead: give", "scores: no score") if seen.content.not_english else ()
    assert [e for e in errors if not e.startswith(("try_instead: give", *unrated))] == []
    for item in [*seen.strengths, *seen.try_instead]:
        assert " ".join(item.quote.split()) in " ".join(seen.text(item.turn).split())


def test_a_message_of_only_whitespace_never_reaches_a_review():
    """Pinned: the product refuses it before it is stored."""
    with pytest.raises(ValidationError):
        conversation_service.validate_content(" \n\t  ")
