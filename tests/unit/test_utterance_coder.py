"""The demo coder: agreement with the hand-labelled set in tests/data/, and each rule on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.rubrics import load_builtin_rubrics
from backend.schemas.rubrics import RubricDefinition
from backend.services.utterance_coder import behaviour, code_utterance, count_indicators

DATA = Path(__file__).resolve().parents[1] / "data"
RUBRICS = {rubric.key: rubric for rubric in load_builtin_rubrics()}
MITI, MICRO = RUBRICS["miti"], RUBRICS["micro_skills"]

# Agreement floors, each a few points under what the coder measured when it was written (so a
# regression fails, a one-utterance wobble does not). Measured on 137 utterances + 33 turns:
# - "dev" (103 utterances, the rules were written and tuned with them in view): 102/103 = 0.990.
#   Floor 0.96: three more misses fail.
# - "holdout" (34 utterances written and labelled after the rules were frozen, never tuned on):
#   21/34 = 0.618; this is the honest estimate of the coder on new text. Floor 0.55: two more
#   misses fail.
# - all utterances: 123/137 = 0.898. Floor 0.87.
# - counselor turns of tests/data/transcripts.json (labelled before the coder first ran on them,
#   61% then; the rules were tuned once after): 29/33 = 0.879. Floor 0.80.
FLOORS = {"dev": 0.96, "holdout": 0.55, "all": 0.87}
TRANSCRIPT_FLOOR = 0.80


def _utterances() -> list[dict]:
    lines = (DATA / "utterances.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _transcripts() -> list[dict]:
    return json.loads((DATA / "transcripts.json").read_text(encoding="utf-8"))["transcripts"]


def _accuracy(pairs: list[tuple[str, str]]) -> float:
    return sum(code_utterance(text, MITI) == label for text, label in pairs) / len(pairs)


def test_the_labelled_sets_are_well_formed():
    rows = _utterances()
    assert len(rows) >= 80
    assert {row["code"] for row in rows} == set(MITI.code_keys)
    assert {row["split"] for row in rows} == {"dev", "holdout"}
    transcripts = _transcripts()
    assert len(transcripts) >= 6
    for transcript in transcripts:
        speakers = [turn["speaker"] for turn in transcript["turns"]]
        assert 6 <= len(speakers) <= 10
        assert speakers == ["counselor", "client"] * (len(speakers) // 2) + ["counselor"] * (
            len(speakers) % 2
        )
        assert set(transcript["scores"]) == {c.key for c in MITI.criteria}
        assert all(1 <= score <= 5 for score in transcript["scores"].values())
        assert transcript["justification"]
        codes = [turn["code"] for turn in transcript["turns"] if turn["speaker"] == "counselor"]
        assert set(codes) <= set(MITI.code_keys)


@pytest.mark.parametrize("split", ["dev", "holdout", "all"])
def test_demo_coder_agrees_with_the_hand_labels(split):
    rows = [row for row in _utterances() if split in ("all", row["split"])]
    accuracy = _accuracy([(row["text"], row["code"]) for row in rows])
    assert accuracy >= FLOORS[split], f"{split}: {accuracy:.3f} < {FLOORS[split]}"


def test_demo_coder_agrees_with_the_hand_coded_transcript_turns():
    pairs = [
        (turn["text"], turn["code"])
        for transcript in _transcripts()
        for turn in transcript["turns"]
        if turn["speaker"] == "counselor"
    ]
    assert _accuracy(pairs) >= TRANSCRIPT_FLOOR


# --- one small test per rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # open: wh-words, how, tell me, and auxiliary-first invitations to elaborate
        ("What brings you here?", "open_question"),
        ("How does that affect your sleep?", "open_question"),
        ("Tell me about your family.", "open_question"),
        ("Could you describe what happened?", "open_question"),
        # closed: auxiliary first, a number or a short fact, tag questions
        ("Do you smoke?", "closed_question"),
        ("How many cigarettes a day?", "closed_question"),
        ("Where do you work?", "closed_question"),
        ("You work nights, right?", "closed_question"),
        # reflections: simple stems, and complex ones with an added feeling, metaphor, two sides
        ("It sounds like the week was long.", "simple_reflection"),
        ("You feel like nobody listens?", "simple_reflection"),
        ("So you stopped going to the gym.", "simple_reflection"),
        ("You feel betrayed by her.", "complex_reflection"),
        ("It's like you're stuck in a loop.", "complex_reflection"),
        ("On the one hand you like it, and on the other it costs you.", "complex_reflection"),
        ("Let me see if I've got this: the job, the move, the evenings.", "summary"),
        # advice
        ("You should call her.", "persuade"),
        ("Have you tried meditation?", "persuade"),
        ("Why don't you take a break?", "persuade"),
        ("I think you need to rest.", "persuade"),
        ("What have you tried so far?", "open_question"),
        (
            "Would it be okay if I shared an idea? Some people use an alarm.",
            "persuade_with_permission",
        ),
        ("Would it be okay if I shared some information?", "seeking_collaboration"),
        # affirm, collaboration, autonomy, confront, information
        ("That took courage.", "affirm"),
        ("You've worked hard on this.", "affirm"),
        ("What would you like to talk about?", "seeking_collaboration"),
        ("Shall we make a plan?", "seeking_collaboration"),
        ("It's your choice.", "emphasizing_autonomy"),
        ("That's up to you.", "emphasizing_autonomy"),
        ("What might help, if you decided to try?", "open_question"),
        ("Come on, that's an excuse.", "confront"),
        ("Why would you do that?", "confront"),
        ("Research shows exercise helps mood.", "giving_information"),
        ("The office opens at nine.", "giving_information"),
    ],
)
def test_each_rule(text, expected):
    assert behaviour(text) == expected


def test_codes_are_mapped_onto_the_rubric_in_use():
    assert code_utterance("Let me sum up: work, sleep, money.", MITI) == "complex_reflection"
    assert code_utterance("To sum up: work, sleep, money.", MICRO) == "summary"
    assert code_utterance("You feel betrayed.", MICRO) == "reflection"
    assert code_utterance("You should call her.", MICRO) == "advice"
    assert code_utterance("That took courage.", MICRO) == "other"
    assert code_utterance("Come on, that's an excuse.", MICRO) == "other"


def test_a_rubric_without_a_matching_code_gets_one_of_the_same_kind():
    data = MICRO.model_dump()
    data["codes"] = [
        {**code, "key": "question"} if code["key"] == "open_question" else code
        for code in data["codes"]
        if code["key"] not in ("closed_question", "other")
    ]
    rubric = RubricDefinition.model_validate(data)
    assert code_utterance("Do you smoke?", rubric) == "question"
    assert code_utterance("That took courage.", rubric) == rubric.codes[-1].key


def test_every_code_is_a_key_of_the_rubric():
    for rubric in RUBRICS.values():
        for row in _utterances():
            assert code_utterance(row["text"], rubric) in rubric.code_keys


# --- counted indicators -------------------------------------------------------------------------


def test_indicators_are_counted_from_the_codes():
    codes = [
        "open_question", "closed_question", "simple_reflection", "complex_reflection",
        "complex_reflection", "complex_reflection", "affirm", "open_question",
    ]  # fmt: skip
    assert count_indicators(codes, MITI) == {
        "reflection_to_question": 4 / 3,
        "percent_complex_reflections": 3 / 4,
        "percent_open_questions": 2 / 3,
    }


def test_indicators_without_a_denominator_are_none():
    assert count_indicators(["affirm"], MITI) == {
        "reflection_to_question": None,
        "percent_complex_reflections": None,
        "percent_open_questions": None,
    }


def test_a_rubric_without_complex_reflections_cannot_report_their_share():
    counted = count_indicators(["reflection", "summary", "open_question"], MICRO)
    assert counted == {
        "reflection_to_question": 2.0,
        "percent_complex_reflections": None,
        "percent_open_questions": 1.0,
    }


def test_a_code_outside_the_rubric_is_refused():
    with pytest.raises(ValueError, match="not in rubric 'micro_skills': persuade"):
        count_indicators(["persuade"], MICRO)
