"""What a review may say, checked without a model: the counts behind every figure (MITI's totals,
the neutral class, the counted score), the answer's rules (several codes per turn, no non-adherent
strength, no turn on both lists) and the risk check."""

from __future__ import annotations

import random
import re

import pytest

from backend.reviews import (
    indicators,
    offline_review,
    phrases,
    progress_service,
    review_prompt,
    review_rules,
    risk,
)
from backend.reviews.agreement_service import weighted_kappa
from backend.reviews.read_models import RiskCheck
from backend.reviews.rubric_schema import NOT_CODED, RubricDefinition
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.turns import Turn

RUBRICS = {rubric.key: rubric for rubric in load_builtin_rubrics()}
MITI, MICRO = RUBRICS["miti"], RUBRICS["micro_skills"]


# Counts -----------------------------------------------------------------------------------------
def test_mi_adherent_and_non_adherent_totals_follow_miti_4_2_1():
    codes = [
        "affirm", "seeking_collaboration", "emphasizing_autonomy",  # MIA = 3
        "persuade", "confront",  # MINA = 2
        "persuade_with_permission", "giving_information", "open_question",  # neither
    ]  # fmt: skip
    counted = indicators.count_indicators(codes, MITI)
    assert (counted["mi_adherent"], counted["mi_non_adherent"]) == (3, 2)
    # Micro-skills can tell unasked advice (non-adherent) but has no MI-adherent codes.
    micro = indicators.count_indicators(["advice", "other"], MICRO)
    assert (micro["mi_adherent"], micro["mi_non_adherent"]) == (None, 1)


def test_the_neutral_class_is_left_out_of_every_indicator():
    with_backchannels = ["simple_reflection", "open_question", *[NOT_CODED] * 6]
    without = ["simple_reflection", "open_question"]
    a = indicators.count_indicators(with_backchannels, MITI)
    b = indicators.count_indicators(without, MITI)
    assert a["not_coded"] == 6 and b["not_coded"] == 0
    for key in ("reflection_to_question", "counted_score", "coded_utterances", "mi_adherent"):
        assert a[key] == b[key], key


def test_counted_score_rewards_reflecting_and_penalises_telling():
    reflective = indicators.count_indicators(["complex_reflection"] * 3 + ["open_question"], MITI)
    lecturing = indicators.count_indicators(["giving_information"] * 3 + ["closed_question"], MITI)
    pushing = indicators.count_indicators(["persuade"] * 2 + ["closed_question"] * 2, MITI)
    assert reflective["counted_score"] == pytest.approx(50 + 50 * 3 / 4)
    # Its one question has no reflection to go with: a fifth of it counts against the score too.
    assert lecturing["counted_score"] == pytest.approx(50 - 50 * (3 + 1 / 5) / 4)
    # Unasked advice is input and non-adherent: it counts twice (and the score stops at 0).
    assert pushing["counted_score"] == 0
    assert indicators.count_indicators([NOT_CODED], MITI)["counted_score"] is None


def test_questions_beyond_five_for_each_reflection_count_against_the_score():
    """An interview of questions alone (a checklist) is not fair reflective listening: up to
    five questions for each reflection weigh nothing, each question beyond them counts a fifth
    of a piece of advice. No AnnoMI session long enough for a verdict asks so many."""
    checklist = indicators.count_indicators(["closed_question"] * 11, MITI)
    assert checklist["counted_score"] == pytest.approx(50 - 50 * (11 / 5) / 11)
    one_in_five = indicators.count_indicators(["simple_reflection"] + ["open_question"] * 5, MITI)
    assert one_in_five["counted_score"] == pytest.approx(50 + 50 * 1 / 6)
    one_in_ten = indicators.count_indicators(["simple_reflection"] + ["closed_question"] * 10, MITI)
    assert one_in_ten["counted_score"] == pytest.approx(50)
    assert checklist["counted_score"] < indicators.COUNTED_SCORE_FAIR


def test_a_reflection_then_a_question_counts_in_both_ratios():
    counted = indicators.count_indicators(["simple_reflection", "open_question"], MITI)
    assert counted["reflections"] == 1 and counted["questions"] == 1
    assert counted["reflection_to_question"] == 1.0


def test_a_short_session_has_no_evidence_for_verdicts():
    short = [Turn(n, "user" if n % 2 else "assistant", "So you feel stuck.") for n in range(1, 8)]
    stored = indicators.session_indicators(short, ["simple_reflection"] * 4, MITI)
    assert stored["student_turns"] == 4 and stored["enough_evidence"] is False
    long = [Turn(n, "user" if n % 2 else "assistant", "So you feel stuck.") for n in range(1, 22)]
    assert indicators.session_indicators(long, [], MITI)["enough_evidence"] is True


def test_the_teacher_is_told_when_model_and_offline_counts_disagree():
    assert indicators.disagreement({"counted_score": 80.0, "offline_counted_score": 40.0}) == (
        80.0,
        40.0,
    )
    assert indicators.disagreement({"counted_score": 60.0, "offline_counted_score": 50.0}) is None
    assert indicators.disagreement({"counted_score": 60.0}) is None


# The answer's rules -----------------------------------------------------------------------------
TURNS = [
    Turn(1, "user", "What brings you in?"),
    Turn(2, "assistant", "My drinking. I want to cut down but work is stressful."),
    Turn(3, "user", "You want to cut down. What makes now the time?"),
    Turn(4, "assistant", "My kids noticed."),
    Turn(5, "user", "You should just stop drinking."),
    Turn(6, "assistant", "Easy for you to say."),
    Turn(7, "user", "Mm-hmm."),
]


def _answer(**overrides) -> dict:
    answer = {
        "client_talk": [{"turn": 2, "kind": "change", "quote": "I want to cut down"}],
        "codes": [
            {"turn": 1, "code": "open_question"},
            {"turn": 3, "code": "simple_reflection"},
            {"turn": 3, "code": "open_question"},
            {"turn": 5, "code": "persuade"},
            {"turn": 7, "code": NOT_CODED},
        ],
        "scores": [
            {"criterion": c.key, "turns": [2, 3], "reasoning": "Because.", "score": 3}
            for c in MITI.criteria
        ],
        "strengths": [{"turn": 3, "quote": "You want to cut down.", "comment": "A reflection."}],
        "try_instead": [
            {
                "turn": 5,
                "quote": "You should just stop drinking.",
                "better_reply": "What would cutting down look like for you?",
                "why": "It evokes instead of telling.",
            }
        ],
        "goal": "Reflect before asking.",
    }
    return answer | overrides


def _errors(answer: dict, rubric: RubricDefinition = MITI) -> list[str]:
    return review_rules.validate(answer, TURNS, rubric)[1]


def test_a_turn_may_hold_a_reflection_and_a_question_and_backchannels_stay_uncoded():
    parsed, errors = review_rules.validate(_answer(), TURNS, MITI)
    assert errors == [] and parsed is not None
    assert [c.code for c in parsed.codes if c.turn == 3] == ["simple_reflection", "open_question"]


@pytest.mark.parametrize(
    ("text", "quote", "whole"),
    [
        ("My dad keeps calling me 'a lost cause' and I want to prove him wrong.", "a lost cause", True),
        ("Staying at my parents' place less, for one.", "Staying at my parents", True),
        ("So your parents' opinion matters a lot to you.", "So your parents", True),
        ("I don't know what to do.", "I don", False),
        ("I don't know what to do.", "t know what", False),
        ("You sound irresponsible with your money.", "responsible with your money", False),
    ],
)  # fmt: skip
def test_a_quote_is_whole_words_even_beside_an_apostrophe(text, quote, whole):
    """Quote marks and a plural possessive end a word; a contraction does not."""
    assert phrases.has_words(text, quote) is whole


def test_the_offline_reviews_quote_of_a_long_turn_is_whole_words():
    """It cut a long first sentence at 300 characters, mid-word: the teacher's editor, which
    starts from it, then refused to save the review unchanged."""
    long_turn = " ".join(["overwhelming"] * 40)
    quote = offline_review._whole_words(long_turn)
    assert long_turn.startswith(quote) and len(quote) <= 300
    assert phrases.has_words(long_turn, quote)


@pytest.mark.parametrize(
    ("turn", "quote"),
    [(3, "ant to cut down."), (5, "ould just stop drinking."), (2, "I want to cut dow")],
)
def test_a_quote_is_whole_words_of_its_turn_never_a_piece_of_one(turn, quote):
    """A piece of a word can invert what was said ("responsible with your money" cut out of
    "irresponsible with your money" read as a strength)."""
    strengths = [{"turn": turn, "quote": quote, "comment": "A piece of a word."}]
    key = "client_talk" if turn == 2 else "strengths"
    pieces = [{"turn": 2, "kind": "change", "quote": quote}] if turn == 2 else strengths
    assert any("not word for word" in error for error in _errors(_answer(**{key: pieces})))


def test_no_strength_is_accepted_rather_than_a_false_one():
    assert _errors(_answer(strengths=[])) == []


def test_a_non_adherent_turn_is_never_a_strength():
    bad = _answer(
        strengths=[{"turn": 5, "quote": "You should just stop", "comment": "Direct and clear."}],
        try_instead=[{"turn": 1, "quote": "What brings you in?", "better_reply": "x", "why": "y"}],
    )
    assert any("cannot be a strength" in error for error in _errors(bad))


def test_one_turn_is_never_both_a_strength_and_a_try_instead():
    bad = _answer(
        try_instead=[{"turn": 3, "quote": "You want to cut down.", "better_reply": "x", "why": "y"}]
    )
    assert any("both cite turns [3]" in error for error in _errors(bad))


def test_codes_twice_or_not_coded_beside_a_code_are_refused():
    twice = _answer(codes=[*_answer()["codes"], {"turn": 1, "code": "open_question"}])
    assert any("twice" in error for error in _errors(twice))
    mixed = _answer(codes=[*_answer()["codes"], {"turn": 7, "code": "affirm"}])
    assert any("both 'not_coded' and coded" in error for error in _errors(mixed))


def test_codes_written_compactly_read_as_the_same_answer():
    """The tool asks for "turn:code" (a third of the output tokens); the answer, its checks and
    what is stored are the same as with the objects."""
    compact = _answer(codes=review_prompt.compact_codes(_answer()["codes"]))
    assert compact["codes"][:3] == ["1:open_question", "3:simple_reflection", "3:open_question"]
    read, errors = review_rules.validate(compact, TURNS, MITI)
    assert errors == [] and read is not None
    assert read == review_rules.validate(_answer(), TURNS, MITI)[0]
    assert read.model_dump()["codes"][0] == {"turn": 1, "code": "open_question"}
    assert "not a code of this rubric" in " ".join(_errors(_answer(codes=["1:mind_reading"])))
    assert any(error.startswith("codes.0") for error in _errors(_answer(codes=["open_question"])))


def test_the_tool_asks_for_compact_codes_of_the_rubric_and_the_examples_show_them():
    schema = review_prompt.review_tool_schema(MITI)
    assert "CodedTurn" not in schema["$defs"]
    pattern = re.compile(schema["properties"]["codes"]["items"]["pattern"])
    assert pattern.match("12:complex_reflection") and pattern.match("3:not_coded")
    assert not pattern.match("12:mind_reading") and not pattern.match("complex_reflection")
    prefix = review_prompt.instructions(MITI)
    assert '"codes": ["1:' in prefix and '{"turn": 1, "code"' not in prefix


def test_client_talk_quotes_the_client_and_scores_may_rest_on_client_turns():
    assert _errors(_answer()) == []  # scores cite client turn 2
    wrong = _answer(client_talk=[{"turn": 3, "kind": "change", "quote": "You want to cut down"}])
    assert any("student's, not the client's" in error for error in _errors(wrong))
    invented = _answer(client_talk=[{"turn": 2, "kind": "change", "quote": "I will quit"}])
    assert any("not word for word" in error for error in _errors(invented))


def test_the_open_closed_split_is_labelled_as_miti_3_and_misc_not_miti_4():
    for rubric in (MITI, MICRO):
        for key in ("open_question", "closed_question"):
            assert "MITI 3.1.1" in rubric.code(key).definition or key == "closed_question"
    assert "one Question code" in MITI.code("open_question").definition
    # "Have you tried nicotine patches?" is taught as one code (persuade) everywhere.
    assert "Persuade" in MITI.code("persuade").definition
    assert "nicotine patches" in MITI.code("closed_question").definition


def test_every_threshold_names_its_source():
    for rubric in (MITI, MICRO):
        for indicator in rubric.indicators:
            assert indicator.source, f"{rubric.key}.{indicator.key}"
    assert (
        "MITI 3.1.1"
        in next(i for i in MICRO.indicators if i.key == "percent_open_questions").source
    )


def test_micro_skills_splits_paraphrase_from_reflection_of_feeling_and_has_information():
    kinds = {code.key: code.kind for code in MICRO.codes}
    assert kinds["paraphrase"] == kinds["reflection_of_feeling"] == "reflection"
    assert kinds["information"] == "input" and MICRO.code("advice").adherence == "non_adherent"


# Risk -------------------------------------------------------------------------------------------
def _conversation(*lines: str) -> list[Turn]:
    return [
        Turn(number, "assistant" if number % 2 else "user", text)
        for number, text in enumerate(lines, start=1)
    ]


def test_a_self_harm_statement_the_student_passes_over_is_flagged():
    turns = _conversation(
        "Honestly some nights I think everyone would be better off without me.",
        "Okay. So how is work going these days?",
    )
    [item] = risk.check(turns)
    assert (item.client_turn, item.student_turn, item.responded) == (1, 2, False)
    assert "better off without me" in item.quote and "moved on" in item.note


def test_asking_directly_counts_as_a_response():
    turns = _conversation(
        "Sometimes I just want to end it all.",
        "That sounds really serious. Are you having thoughts of killing yourself?",
    )
    assert [item.responded for item in risk.check(turns)] == [True]
    angry = _conversation("I swear I could kill him for this.", "So he let you down again.")
    assert [item.responded for item in risk.check(angry)] == [False]
    assert risk.check(_conversation("Work is killing me lately.", "Tell me more.")) == []


SELF_HARM = "Honestly, everyone would be better off without me."
HARM_TO_OTHERS = "If he does that one more time I swear I'll make him pay."


@pytest.mark.parametrize(
    "moving_on",
    [
        "There's no harm in taking a break from work. What do you do on weekends?",
        "Better safe than sorry, I guess. How is the new job?",
        "Do you have a plan for the holidays?",
        "That sounds like a crisis at work. What happened with your boss?",
        "What are your thoughts of the new manager?",
    ],
)
def test_a_reply_that_only_shares_an_everyday_word_with_a_response_is_moving_on(moving_on):
    """ "harm", "safe", "a plan" anywhere in the reply counted as asking about the risk: the
    teacher read "answered" where the student changed the subject."""
    assert [item.responded for item in risk.check(_conversation(SELF_HARM, moving_on))] == [False]


@pytest.mark.parametrize(
    ("voiced", "asking"),
    [
        (SELF_HARM, "Are you safe right now?"),
        (SELF_HARM, "When you say they'd be better off without you, are you thinking of suicide?"),
        (SELF_HARM, "Do you have a plan to end your life?"),
        (SELF_HARM, "I'm worried about you. Are you thinking of harming yourself?"),
        (SELF_HARM, "Have you had thoughts of hurting yourself?"),
        (SELF_HARM, "Are you having thoughts of taking your own life?"),  # the C-SSRS wording
        (SELF_HARM, "Do you have a plan for how you'd do it?"),
        (SELF_HARM, "I want to make sure you're safe. Is it safe for you to be alone tonight?"),
        (SELF_HARM, "Can you stay safe tonight, until we talk again?"),
        (HARM_TO_OTHERS, "When you say make him pay, are you thinking about harming him?"),
        (HARM_TO_OTHERS, "Are you planning to harm him?"),
    ],
)  # fmt: skip
def test_a_reply_that_asks_about_the_risk_or_names_it_is_a_response(voiced, asking):
    assert [item.responded for item in risk.check(_conversation(voiced, asking))] == [True]


def test_model_and_offline_risk_merge_conservatively():
    offline = [RiskCheck(client_turn=3, quote="q", student_turn=4, responded=False, note="n")]
    model = [
        RiskCheck(client_turn=3, quote="q", student_turn=4, responded=True, note="m"),
        RiskCheck(client_turn=7, quote="r", student_turn=8, responded=True, note="m"),
    ]
    merged = risk.merge(model, offline)
    assert [(item.client_turn, item.responded) for item in merged] == [(3, False), (7, True)]


# Agreement --------------------------------------------------------------------------------------
def test_weighted_kappa_matches_scikit_learn():
    from sklearn import metrics as sklearn_metrics  # a dev dependency (it trains the coder)

    rng = random.Random(7)
    for table in range(50):
        # Some tables lean on a few scores, as teachers' and the model's do.
        weights = [rng.random() ** 3 for _ in range(5)] if table % 2 else [1.0] * 5
        pairs = [
            (rng.choices(range(1, 6), weights)[0], rng.randint(1, 5))
            for _ in range(rng.randint(10, 60))
        ]
        expected = sklearn_metrics.cohen_kappa_score(
            [a for a, _ in pairs],
            [b for _, b in pairs],
            labels=[1, 2, 3, 4, 5],
            weights="quadratic",
        )
        assert weighted_kappa(pairs) == pytest.approx(expected)
    assert weighted_kappa([]) is None
    assert weighted_kappa([(3, 3)] * 12) is None


def test_review_texts_are_bounded_and_a_score_is_a_number_not_a_boolean():
    """Issue 19, item 4: a 200,000-character comment was stored and shown; `True` passed as 1."""
    long_comment = _answer(
        strengths=[{"turn": 3, "quote": "You want to cut down.", "comment": "x" * 200_000}]
    )
    assert any("strengths.0.comment" in error for error in _errors(long_comment))
    for field in ("better_reply", "why", "quote"):
        item = {**_answer()["try_instead"][0], field: "y" * 5000}
        assert any(f"try_instead.0.{field}" in e for e in _errors(_answer(try_instead=[item])))
    scores = _answer()["scores"]
    boolean = _answer(scores=[{**scores[0], "score": True}, *scores[1:]])
    assert any("scores.0.score" in error for error in _errors(boolean))


def test_a_review_stored_before_texts_were_bounded_still_reads():
    from backend.reviews.read_models import TEXT_MAX, ReviewContent

    stored = _answer(
        strengths=[{"turn": 3, "quote": "You want to cut down.", "comment": "x" * 200_000}]
    )
    content = ReviewContent.model_validate(stored)
    assert len(content.strengths[0].comment) == TEXT_MAX


def test_top_marks_on_a_short_or_poor_session_are_flagged_for_the_teacher():
    """Issue 19, item 5: a forged turn coaxed 5 on every criterion."""
    top, mixed = [5, 5, 5, 5], [5, 4, 5, 5]
    short = {"enough_evidence": False, "offline_counted_score": 80.0}
    poor = {"enough_evidence": True, "offline_counted_score": 20.0}
    sound = {"enough_evidence": True, "offline_counted_score": 75.0}
    assert indicators.implausible_top_scores(top, short)
    assert indicators.implausible_top_scores(top, poor)
    assert not indicators.implausible_top_scores(top, sound)
    assert not indicators.implausible_top_scores(mixed, short)
    assert not indicators.implausible_top_scores([], short)


@pytest.mark.parametrize(
    ("stored", "content", "by_teacher", "counts"),
    [
        ({"enough_evidence": True}, {"scores": [{"score": 4}]}, False, True),
        ({"enough_evidence": False}, {"scores": []}, False, False),  # too short
        ({"enough_evidence": False}, {"scores": [{"score": 5}]}, True, True),  # the teacher rated
        ({"enough_evidence": False}, {"scores": [{"score": 5}]}, False, False),
        (
            {"enough_evidence": True},
            {
                "scores": [{"score": 5}],
                "risk": [
                    {
                        "client_turn": 2,
                        "quote": "q",
                        "student_turn": 3,
                        "responded": False,
                        "note": "n",
                    }
                ],
            },
            True,
            False,  # a risk passed over removes every verdict, the teacher's too
        ),
    ],
)
def test_ratings_count_where_the_review_shows_them(stored, content, by_teacher, counts):
    """One rule for the review page, the grades file and class figures."""
    assert progress_service.verdicts_shown(stored, content, by_teacher=by_teacher) is counts
