"""The review's stable prefix (instructions, rubric, worked examples) is long enough to be cached."""

from __future__ import annotations

import json

import pytest

from backend.db import Database, unit_of_work
from backend.llm.tokens import estimate_tokens
from backend.reviews import review_prompt, review_rules, review_service
from backend.reviews.rubric_schema import RubricDefinition
from backend.reviews.rubrics import load_builtin_rubrics
from tests.factories import enroll, make_user
from tests.integration.reads import transcript_turns
from tests.integration.test_reviews import ended_session, valid_answer

# Claude Haiku 4.5's minimum cacheable prefix: a shorter prefix is silently not cached.
HAIKU_45_MIN_CACHEABLE_TOKENS = 4096


@pytest.mark.parametrize("rubric", load_builtin_rubrics(), ids=lambda rubric: rubric.key)
def test_stable_prefix_exceeds_the_minimum_cacheable_length(rubric):
    prefix = review_prompt.instructions(rubric)
    assert len(review_prompt.worked_examples(rubric)) >= 1
    assert "Worked examples" in prefix and "Its review (the record_review input)" in prefix
    assert estimate_tokens(prefix) > HAIKU_45_MIN_CACHEABLE_TOKENS
    assert review_prompt.instructions(rubric) == prefix  # byte-identical every time: cacheable


@pytest.mark.parametrize("rubric", load_builtin_rubrics(), ids=lambda rubric: rubric.key)
def test_every_worked_example_passes_the_reviews_own_validation(rubric):
    notes, examples = review_prompt._examples_file(rubric.key)
    assert notes and len(examples) == 2
    for example in examples:
        answer, errors = review_rules.validate(example.review, list(example.turns), rubric)
        assert errors == [] and answer is not None, example.title
        student_turns = {turn.number for turn in example.turns if turn.student}
        assert {item.turn for item in answer.codes} == student_turns


def test_a_teachers_rubric_that_drops_a_code_loses_the_examples_using_it():
    micro = next(r for r in load_builtin_rubrics() if r.key == "micro_skills")
    edited = micro.model_copy(update={"codes": [c for c in micro.codes if c.key != "summary"]})
    titles = [example.title for example in review_prompt.worked_examples(edited)]
    assert len(titles) == 1 and "weaker" in titles[0]  # the strong example codes a summary


def teachers_rubric() -> RubricDefinition:
    """A teacher's own small rubric: no examples file of its own."""
    return RubricDefinition.model_validate(
        {
            "key": "warm_listening",
            "name": "Warm listening",
            "criteria": [
                {
                    "key": "warmth",
                    "name": "Warmth",
                    "meaning": "The client feels welcome.",
                    "anchors": {str(score): f"Warmth level {score}." for score in range(1, 6)},
                }
            ],
            "codes": [
                {
                    "key": "asks",
                    "name": "Asks",
                    "definition": "Any question.",
                    "example": "How was your week?",
                    "kind": "question",
                },
                {
                    "key": "gives_back",
                    "name": "Gives back",
                    "definition": "Says back what the client said.",
                    "example": "You had a hard week.",
                    "kind": "reflection",
                },
            ],
        }
    )


def _micro_without_its_examples() -> RubricDefinition:
    micro = next(r for r in load_builtin_rubrics() if r.key == "micro_skills")
    dropped = {"summary", "advice"}  # each of its two examples uses one of them
    return micro.model_copy(update={"codes": [c for c in micro.codes if c.key not in dropped]})


@pytest.mark.parametrize("rubric", [teachers_rubric(), _micro_without_its_examples()])
def test_a_rubric_without_fitting_examples_gets_the_generic_ones_and_stays_cacheable(rubric):
    assert review_prompt.worked_examples(rubric) == []
    prefix = review_prompt.instructions(rubric)
    generic = review_prompt.generic_examples()
    assert len(generic) >= 2
    for number, example in enumerate(generic, start=1):  # few-shot: every example is there
        assert f"Example {number}: {example.title}" in prefix
    assert "What each student turn does" in prefix and "How it scores" in prefix
    assert estimate_tokens(prefix) > HAIKU_45_MIN_CACHEABLE_TOKENS
    assert review_prompt.instructions(rubric) == prefix


def test_the_generic_examples_hold_up_under_any_rubric():
    """Their quotes, client talk and risk items pass the review's own validation once codes
    and scores of a rubric are added; every student turn's behaviour is described."""
    rubric = teachers_rubric()
    for example in review_prompt.generic_examples():
        student = [turn.number for turn in example.turns if turn.student]
        assert [turn for turn, _does in example.behaviours] == student, example.title
        assert example.scoring and not {"codes", "scores"} & set(example.review)
        answer = {
            **example.review,
            "codes": [{"turn": number, "code": "not_coded"} for number in student],
            "scores": [
                {"criterion": "warmth", "turns": student[:1], "reasoning": "Warm.", "score": 3}
            ],
        }
        parsed, errors = review_rules.validate(answer, list(example.turns), rubric)
        assert errors == [] and parsed is not None, example.title


def test_the_review_request_caches_the_prefix_and_it_is_the_same_for_the_whole_class(
    api, classroom, committed_engine
):
    with unit_of_work(committed_engine) as db:
        classmate = make_user(db)
        enroll(db, section=classroom.section, student=classmate)
    bodies = []
    for student in (classroom.student, classmate):
        session_id = ended_session(committed_engine, classroom, actor=student)
        api.tool_reply(valid_answer())
        review_service.create_review(
            Database(committed_engine), actor=student, session_id=session_id
        )
        bodies.append(api.last_request.body)

    first, second = bodies
    stable, varying = first["system"]
    assert stable["cache_control"]["type"] == "ephemeral"  # the last stable block is marked
    assert "cache_control" not in varying
    assert "Worked examples" in stable["text"]
    assert estimate_tokens(stable["text"]) > HAIKU_45_MIN_CACHEABLE_TOKENS
    # Tools and the stable block are the cached prefix: identical for every student.
    assert second["system"][0] == stable
    assert json.dumps(second["tools"]) == json.dumps(first["tools"])
    assert transcript_turns(first["messages"][0]["content"])[0]["speaker"] == "student"
