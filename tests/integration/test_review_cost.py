"""The review's stable prefix (instructions, rubric, worked examples) is long enough to be cached."""

from __future__ import annotations

import json

import pytest

from backend.db import Database, unit_of_work
from backend.llm.tokens import estimate_tokens
from backend.rubrics import load_builtin_rubrics
from backend.services import review_prompt, review_rules, review_service
from tests.factories import enroll, make_user
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
    assert "Turn 1 (Student)" in first["messages"][0]["content"]
