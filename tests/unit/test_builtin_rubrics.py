"""The built-in rubrics load from their JSON files and satisfy the rubric schema."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from backend.reviews.rubric_schema import RubricDefinition
from backend.reviews.rubrics import RUBRIC_DIR, load_builtin_rubrics

# MITI 4.2.1's behaviour codes, except that its one Question code is split into open and closed
# questions as MITI 3.1.1 and the MISC do (for teaching; the definitions say so).
MITI_CODES = {
    "open_question", "closed_question", "simple_reflection", "complex_reflection", "affirm",
    "seeking_collaboration", "emphasizing_autonomy", "giving_information", "persuade",
    "persuade_with_permission", "confront",
}  # fmt: skip


def _by_key() -> dict[str, RubricDefinition]:
    return {rubric.key: rubric for rubric in load_builtin_rubrics()}


def test_both_builtin_rubrics_load_and_validate():
    rubrics = _by_key()
    assert set(rubrics) == {"miti", "micro_skills"}
    for rubric in rubrics.values():
        for criterion in rubric.criteria:
            assert list(criterion.anchors) == [1, 2, 3, 4, 5]
        for code in rubric.codes:
            assert code.definition and code.example


def test_miti_has_miti_4_codes_with_the_misc_question_split_ratings_and_thresholds():
    miti = _by_key()["miti"]
    assert set(miti.code_keys) == MITI_CODES
    for key in ("open_question", "closed_question"):
        assert "MITI 3.1.1 and the MISC" in miti.code(key).definition
    adherence = {c.key: c.adherence for c in miti.codes if c.adherence}
    assert adherence == {
        "affirm": "adherent", "seeking_collaboration": "adherent",
        "emphasizing_autonomy": "adherent", "persuade": "non_adherent", "confront": "non_adherent",
    }  # fmt: skip
    empathy = next(c for c in miti.criteria if c.key == "empathy")
    assert "mostly limited to what the client said explicitly" in empathy.anchors[4]
    assert "beyond what the client said" in empathy.anchors[5]
    softening = next(c for c in miti.criteria if c.key == "softening_sustain_talk")
    assert "Still gives preference to the client's sustain talk" in softening.anchors[3]
    assert [c.key for c in miti.criteria] == [
        "cultivating_change_talk", "softening_sustain_talk", "partnership", "empathy",
    ]  # fmt: skip
    thresholds = {i.key: (i.fair, i.good) for i in miti.indicators}
    assert thresholds == {
        "reflection_to_question": (1.0, 2.0),
        "percent_complex_reflections": (0.40, 0.50),
        "relational_average": (3.5, 4.0),
        "technical_average": (3.0, 4.0),
    }
    assert [c.key for c in miti.codes if c.complex] == ["complex_reflection"]
    assert {c.key for c in miti.codes if c.kind == "question"} == {
        "open_question", "closed_question",
    }  # fmt: skip


def test_micro_skills_has_the_six_criteria_and_a_small_code_set():
    micro = _by_key()["micro_skills"]
    assert [c.key for c in micro.criteria] == [
        "open_questions", "reflections_of_feeling", "paraphrase_and_summary", "empathy",
        "avoiding_premature_advice", "pacing",
    ]  # fmt: skip
    assert micro.code_keys == [
        "open_question", "closed_question", "reflection_of_feeling", "paraphrase", "summary",
        "information", "advice", "other",
    ]  # fmt: skip


def _miti_data() -> dict:
    return json.loads((RUBRIC_DIR / "miti.json").read_text(encoding="utf-8"))


def test_a_criterion_missing_an_anchor_is_rejected():
    data = _miti_data()
    del data["criteria"][0]["anchors"]["3"]
    with pytest.raises(ValidationError, match="anchors must describe exactly"):
        RubricDefinition.model_validate(data)


def test_only_a_reflection_can_be_complex():
    data = _miti_data()
    data["codes"][0]["complex"] = True  # open_question
    with pytest.raises(ValidationError, match="only a reflection can be complex"):
        RubricDefinition.model_validate(data)


def test_duplicate_code_keys_are_rejected():
    data = _miti_data()
    data["codes"].append(dict(data["codes"][0]))
    with pytest.raises(ValidationError, match="duplicate code keys: open_question"):
        RubricDefinition.model_validate(data)


def test_an_indicators_good_threshold_must_lie_beyond_fair():
    data = _miti_data()
    data["indicators"][0]["good"] = 0.5
    with pytest.raises(ValidationError, match="'good' must be beyond 'fair'"):
        RubricDefinition.model_validate(data)
