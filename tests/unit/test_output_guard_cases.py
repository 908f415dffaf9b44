"""The labelled leaks and innocent replies of tests/data/guard_cases.jsonl: every case marked
"must" is decided right (the unmarked ones are the benchmark's honest hard cases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.practice import output_guard
from tests.unit.test_output_guard import profile, stream

CASES = [
    json.loads(line)
    for line in (Path(__file__).parents[1] / "data" / "guard_cases.jsonl").read_text().splitlines()
    if line.strip()
]


def caught(case: dict) -> bool:
    """Whether the guard stops this reply, in its conversation."""
    guard = output_guard.guard_for(
        profile(case["hidden"]),
        student_turns=1,
        run_words=6,
        student_said=case.get("student", []),
        client_said=case.get("earlier", []),
    )
    stream(guard, case["reply"])
    return guard.leaked is not None


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["must"]], ids=lambda c: f"{c['kind']}: {c['reply'][:40]}"
)
def test_every_must_case_is_decided_right(case):
    assert caught(case) == case["leak"]


def test_the_set_has_leaks_innocent_replies_and_hard_cases():
    kinds = {case["kind"] for case in CASES}
    assert {"verbatim", "paraphrase", "padded", "split", "numbers as words"} <= kinds
    assert any(not case["leak"] and case["must"] for case in CASES)
    assert any(not case["must"] for case in CASES)
