"""The offline coder's documented rules (on utterances we labelled ourselves), its mapping onto
each rubric, and the offline review built on it: what a student reads must never praise the wrong
behaviour. The quality claim on real counseling is `backend.reviews.train_coder`'s (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.reviews.coding import StudentTurn, code_turns, directs
from backend.reviews.offline_review import offline_review
from backend.reviews.rubric_schema import NOT_CODED, RubricDefinition
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.turns import Turn

DATA = Path(__file__).resolve().parents[1] / "data"
RUBRICS = {rubric.key: rubric for rubric in load_builtin_rubrics()}
MITI, MICRO = RUBRICS["miti"], RUBRICS["micro_skills"]


def code_turn(turn: StudentTurn | str, rubric: RubricDefinition) -> list[str]:
    """One turn's codes (a bare string has no context)."""
    return code_turns([turn if isinstance(turn, StudentTurn) else StudentTurn(turn)], rubric)[0]


# The rules on top of the learned classes ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Confront wins over whatever the grammar says.
        ("Come on, that's just an excuse.", ["confront"]),
        ("Why do you keep doing this to your family?", ["confront"]),
        # A suggestion put as a question is one code: persuade ("Have you tried ...?").
        ("Have you tried nicotine patches?", ["persuade"]),
        ("Why don't you just take a break from work?", ["persuade"]),
        # Advice words make unasked advice persuasion.
        ("You should really join a support group.", ["persuade"]),
        ("I think you need to cut down on the drinking.", ["persuade"]),
        # With permission in the same turn it is persuade with permission.
        (
            "Would it be okay if I shared an idea? Some people find a sleep diary helps.",
            ["persuade_with_permission"],
        ),
        # MI-adherent moves the data set files under "other".
        ("It's completely your choice whether you cut down.", ["emphasizing_autonomy"]),
        ("That took real courage to come in today.", ["affirm"]),
    ],
)
def test_each_documented_rule(text, expected):
    assert code_turn(text, MITI) == expected


def test_permission_asked_in_the_previous_turn_carries_over_to_the_advice():
    turn = StudentTurn(
        "You should try keeping a sleep diary for a week.",
        previous_client="Sure, go ahead.",
        previous_student="Would it be okay if I shared a suggestion?",
    )
    assert code_turn(turn, MITI) == ["persuade_with_permission"]


@pytest.mark.parametrize("text", ["Mm-hmm.", "Okay.", "Yeah.", "Right.", "Uh-huh."])
def test_backchannels_are_not_coded(text):
    assert code_turn(StudentTurn(text, previous_client="It's been a rough week."), MITI) == [
        NOT_CODED
    ]


def test_a_reflection_then_a_question_counts_as_both():
    turn = StudentTurn(
        "So you're worried the drinking is starting to affect your kids. "
        "What would you like to do about it?",
        previous_client="I don't know. My kids have started to notice when I drink.",
    )
    codes = code_turn(turn, MITI)
    assert {"simple_reflection", "complex_reflection"} & set(codes)
    assert "open_question" in codes
    # Where the learned layer names only the question, the stem rule adds the reflection.
    assert set(code_turn("It sounds like you're worried. What would help?", MITI)) == {
        "simple_reflection",
        "open_question",
    }


def test_codes_map_onto_micro_skills():
    feeling = StudentTurn(
        "You sound really frustrated and worn out by all of this.",
        previous_client="I've told them three times and nothing changes. I'm so tired of it.",
    )
    assert code_turn(feeling, MICRO)[0] == "reflection_of_feeling"
    assert code_turn("You should call her tonight.", MICRO) == ["advice"]
    # micro-skills has no confront code: its one MI-non-adherent code, unasked advice, stands in
    assert code_turn("Come on, that's just an excuse.", MICRO) == ["advice"]
    assert code_turn("Mm-hmm.", MICRO) == [NOT_CODED]


def test_a_rubric_without_a_matching_code_gets_one_of_the_same_kind():
    data = MICRO.model_dump()
    data["codes"] = [
        {**code, "key": "question"} if code["key"] == "open_question" else code
        for code in data["codes"]
        if code["key"] not in ("closed_question", "other", "advice")
    ]
    rubric = RubricDefinition.model_validate(data)
    assert code_turn("What brings you in today?", rubric) == ["question"]
    assert code_turn("Come on, that's just an excuse.", rubric) == [NOT_CODED]


def test_every_code_is_the_rubrics_or_not_coded():
    for rubric in RUBRICS.values():
        for row in _labelled():
            assert set(code_turn(row["text"], rubric)) <= set(rubric.codable_keys)


# Our hand-labelled utterances: a regression check, not the quality claim -----------------------
def _labelled() -> list[dict]:
    lines = (DATA / "utterances.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# Measured when the learned coder shipped: 127 of 137 (0.927) hand-labelled utterances (no context;
# the rules were written with them in view) get their label among their codes. Five more misses fail.
LABELLED_FLOOR = 0.89


def test_the_hand_labelled_utterances_keep_their_codes():
    rows = _labelled()
    hits = sum(row["code"] in code_turn(row["text"], MITI) for row in rows)
    assert hits / len(rows) >= LABELLED_FLOOR, f"{hits}/{len(rows)}"


# Our hand-coded practice transcripts, coded with their context: 25 of 33 counselor turns (0.758)
# when the learned coder shipped, the misses mostly simple vs. complex reflection. Floor: 0.70.
TRANSCRIPT_FLOOR = 0.70


def test_the_hand_coded_transcripts_keep_their_codes_in_context():
    transcripts = json.loads((DATA / "transcripts.json").read_text(encoding="utf-8"))
    hits = total = 0
    for transcript in transcripts["transcripts"]:
        previous = ""
        for turn in transcript["turns"]:
            if turn["speaker"] == "client":
                previous = turn["text"]
                continue
            total += 1
            hits += turn["code"] in code_turn(StudentTurn(turn["text"], previous), MITI)
    assert hits / total >= TRANSCRIPT_FLOOR, f"{hits}/{total}"


# The offline review -----------------------------------------------------------------------------
def _turns(*pairs: tuple[str, str]) -> list[Turn]:
    turns = []
    for student, client in pairs:
        turns.append(Turn(len(turns) + 1, "user", student))
        if client:
            turns.append(Turn(len(turns) + 1, "assistant", client))
    return turns


LECTURE = _turns(
    ("Your blood sugar was 240 this morning.", "I know, I know. I forgot my pills again."),
    ("You need to take your insulin every day.", "It's hard with my night shifts at the plant."),
    ("Come on, that's just an excuse.", "Fine. Whatever you say."),
    ("Have you tried setting an alarm?", "No."),
)


def test_a_session_of_persuading_and_confronting_lists_no_strength_and_says_what_to_try():
    review = offline_review(LECTURE, MITI)
    assert review.strengths == []
    assert review.try_instead and all(item.turn in (1, 3, 5, 7) for item in review.try_instead)
    assert review.scores == []  # four turns: too short for ratings
    assert "permission" in review.goal


def test_no_review_lists_a_non_adherent_turn_as_a_strength_or_one_turn_twice():
    mixed = _turns(
        ("What brings you in today?", "My drinking, I guess. My wife is upset."),
        ("It sounds like your wife's worry matters to you.", "It does. I don't want to lose her."),
        ("You should stop drinking right away.", "Easy for you to say."),
        ("You're not sure you can stop all at once.", "Exactly."),
    )
    review = offline_review(mixed, MITI)
    non_adherent = {
        item.turn
        for item in review.codes
        if MITI.code(item.code) and MITI.code(item.code).adherence == "non_adherent"
    }
    assert 5 in non_adherent
    strengths = {item.turn for item in review.strengths}
    assert strengths and not strengths & non_adherent
    assert not strengths & {item.turn for item in review.try_instead}


def test_better_replies_fit_the_turn_and_use_the_clients_words():
    review = offline_review(LECTURE, MITI)
    by_turn = {item.turn: item.better_reply for item in review.try_instead}
    assert set(by_turn) == {3, 5, 7}  # the weakest turns: persuading and confronting
    # Each replaced code has its template, built on what the client said just before.
    assert by_turn[3].startswith("You said you forgot your pills again. Would it be all right")
    assert by_turn[5].startswith("It sounds like it's hard with your night shifts at the plant")
    assert "whatever you say" not in by_turn[7].lower()  # too little to give back
    closed = offline_review(
        _turns(
            ("Hi, thanks for coming.", "I can't sleep since the layoff last month."),
            ("Do you sleep at all?", "Not really."),
        ),
        MITI,
    )
    reply = next(item.better_reply for item in closed.try_instead if item.turn == 3)
    assert "you can't sleep since the layoff last month" in reply.lower()


def test_a_long_session_gets_ratings_from_the_counted_score():
    pairs = [
        ("It sounds like work has been really hard on you.", "It has. I'm exhausted all the time.")
    ] * 10
    review = offline_review(_turns(*pairs), MITI)
    assert {score.criterion for score in review.scores} == {c.key for c in MITI.criteria}
    assert all(score.score >= 4 for score in review.scores)
    assert "Counted" in review.scores[0].reasoning


def test_a_self_harm_statement_passed_over_is_flagged_and_the_session_is_not_called_good():
    pairs = [("It sounds like this week has been a lot.", "It has. Work is crushing me.")] * 9
    pairs.append(
        ("You're carrying a lot.", "Sometimes I think everyone would be better off without me.")
    )
    pairs.append(("So how is your sister doing these days?", "She's fine."))
    review = offline_review(_turns(*pairs), MITI)
    [flag] = review.risk
    assert (flag.client_turn, flag.student_turn, flag.responded) == (20, 21, False)
    assert all(score.score <= 2 for score in review.scores)
    assert "directly" in review.goal
    assert 21 not in {item.turn for item in review.strengths}
    assert (
        review.try_instead[0].turn == 21
        and "hurting yourself" in review.try_instead[0].better_reply
    )


def test_an_invitation_to_talk_is_an_open_question_not_a_suggestion():
    """AnnoMI's annotators code "So why don't you start by telling me a little bit about
    yourself?" (transcript 44) an open question; the review told the student it was unasked
    advice, as "why don't you" opens a suggestion put as a question."""
    invitation = "So why don't you start by telling me a little bit about yourself?"
    assert code_turn(invitation, MICRO) == ["open_question"]
    assert code_turn("Why don't you just stop buying it?", MICRO) == ["advice"]


# Known limit (README, the review's rules): an order or a next step is read from a plan's words
# only; read from its form it took skilled reflections for orders.
ORDERS_BY_FORM = pytest.mark.xfail(
    strict=True, reason="an order without a plan's or an advice word is left to the learned layer"
)


@pytest.mark.parametrize(
    ("text", "client", "telling"),
    [
        ("Right, here's the plan.", "I don't know what to do.", True),
        ("So the plan is simple: stop drinking.", "My liver tests were bad.", True),
        pytest.param(
            "Apply again, the rules changed in April.",
            "I tried before and got rejected.",
            True,
            marks=ORDERS_BY_FORM,
        ),
        pytest.param(
            "Tomorrow morning you'll call the council.",
            "I'm panicking about the rent.",
            True,
            marks=ORDERS_BY_FORM,
        ),
        # The client's own next step, given back, is a reflection.
        ("So tomorrow you'll call the council.", "I think I'll call the council tomorrow.", False),
        # Invitations to talk, behind a lead-in or not (noticed on 2026-12-06).
        ("Take your time.", "I don't know where to start.", False),
        ("So, take your time.", "It's hard to say.", False),
        ("Talk to me about what happened.", "It was a bad week.", False),
        ("Start wherever you like.", "There's a lot.", False),
        ("Okay, take a breath.", "Sorry, I'm shaking.", False),
        ("Feel free to stop me.", "Okay.", False),
        ("All right, thanks. Call me anytime.", "Thanks.", False),  # an AnnoMI closing
    ],
)
def test_a_plan_or_an_order_is_telling_but_an_invitation_to_talk_is_not(text, client, telling):
    assert directs(StudentTurn(text, client)) is telling
