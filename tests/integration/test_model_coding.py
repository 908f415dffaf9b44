"""The model coder (coding_service.code_utterances) and the eval script's model section, against
the fake API. No database is touched, so these run once (not per backend)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backend.errors import ValidationError
from backend.rubrics import load_builtin_rubrics
from backend.services import coding_service
from tests.integration.conftest import TEST_API_KEY

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "utterances.jsonl"
LINE = re.compile(r"^(\d+)\. (.*)$")


def rubric(key: str):
    return next(r for r in load_builtin_rubrics() if r.key == key)


def sent_utterances(body: dict) -> list[str]:
    """The utterances of a coding request, in order (the first user message, one per line)."""
    first = body["messages"][0]["content"]
    return [json.loads(match.group(2)) for match in map(LINE.match, first.splitlines()) if match]


UTTERANCES = [
    "What brings you in today?",
    "It sounds like work has been wearing you down.",
    "You should talk to your boss.",
]


def test_codes_each_utterance_with_one_cached_forced_call(api):
    api.tool_reply(
        {
            "codes": [
                {"utterance": 1, "code": "open_question"},
                {"utterance": 3, "code": "persuade"},
                {"utterance": 2, "code": "simple_reflection"},
            ]
        }
    )

    codes = coding_service.code_utterances(UTTERANCES, rubric("miti"))

    assert codes == ["open_question", "simple_reflection", "persuade"]
    (request,) = api.messages_requests()
    body = request.body
    assert body["tool_choice"] == {"type": "tool", "name": "record_codes"}
    prefix = body["system"][0]
    assert prefix["cache_control"]["type"] == "ephemeral"
    for code in rubric("miti").codes:  # every definition sits in the cached prefix
        assert code.key in prefix["text"] and code.definition in prefix["text"]
    assert sent_utterances(body) == UTTERANCES
    enum = body["tools"][0]["input_schema"]["properties"]["codes"]["items"]["properties"]["code"]
    assert enum["enum"] == rubric("miti").code_keys


def test_unknown_code_gets_one_repair_listing_the_rubrics_codes(api):
    bad = {
        "codes": [
            {"utterance": 1, "code": "open_question"},
            {"utterance": 2, "code": "mind_reading"},
            {"utterance": 3, "code": "persuade"},
        ]
    }
    api.tool_reply(bad)
    api.tool_reply(
        {
            "codes": [
                {"utterance": 1, "code": "open_question"},
                {"utterance": 2, "code": "complex_reflection"},
                {"utterance": 3, "code": "persuade"},
            ]
        }
    )

    codes = coding_service.code_utterances(UTTERANCES, rubric("miti"))

    assert codes == ["open_question", "complex_reflection", "persuade"]
    requests = api.messages_requests()
    assert len(requests) == 2
    repair = requests[1].body["messages"]
    assert repair[1]["content"][0]["type"] == "tool_use"
    assert repair[1]["content"][0]["input"] == bad
    result = repair[2]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True
    assert '"mind_reading" (utterance 2) is not a code of this rubric' in result["content"]
    assert ", ".join(rubric("miti").code_keys) in result["content"]


@pytest.mark.parametrize(("key", "fallback"), [("micro_skills", "other"), ("miti", None)])
def test_still_unknown_after_the_repair_becomes_other_or_none(api, key, fallback):
    answer = {
        "codes": [
            {"utterance": 1, "code": "open_question"},
            {"utterance": 2, "code": "mind_reading"},
        ]
    }  # utterance 3 left out as well
    api.tool_reply(answer, times=2)

    codes = coding_service.code_utterances(UTTERANCES, rubric(key))

    assert codes == ["open_question", fallback, fallback]
    assert api.request_count == 2  # one repair, never a third call
    problems = api.messages_requests()[1].body["messages"][2]["content"][0]["content"]
    assert "no valid code for utterance 2, 3" in problems


def test_demo_mode_returns_none_without_calling(configure, fake_anthropic):
    configure(anthropic_api_key=None, anthropic_base_url=fake_anthropic.base_url)

    assert coding_service.code_utterances(UTTERANCES, rubric("miti")) is None
    assert fake_anthropic.request_count == 0


def test_typed_text_is_checked_before_any_call(api):
    with pytest.raises(ValidationError):
        coding_service.code_utterances(["Fine.", "bad\x00text"], rubric("miti"))
    with pytest.raises(ValidationError):
        coding_service.code_utterances(["Why?"] * (coding_service.MAX_BATCH + 1), rubric("miti"))
    assert api.request_count == 0


def run_eval(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "eval_review.py")],
        cwd=ROOT,
        env={**base, "ENV_FILE": os.devnull, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_eval_script_prints_the_model_coders_figures_with_a_key(fake_anthropic):
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    label = {row["text"]: row["code"] for row in rows}

    def labelled(body: dict) -> dict:
        texts = sent_utterances(body)
        return {"codes": [{"utterance": n, "code": label[t]} for n, t in enumerate(texts, start=1)]}

    batches = -(-len(rows) // 20)
    fake_anthropic.tool_reply(labelled, times=batches)

    done = run_eval(
        {
            "ANTHROPIC_API_KEY": TEST_API_KEY,
            "ANTHROPIC_BASE_URL": fake_anthropic.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
        }
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Demo coder (rule-based)" in out
    model = out[out.index("Model coder") :]
    assert model.startswith("Model coder (claude-haiku-4-5, batches of 20)")
    for code in rubric("miti").code_keys:
        assert re.search(rf"^{code}\s+1\.00\s+1\.00\s+\d+$", model, re.M), code
    assert f"accuracy {len(rows)}/{len(rows)} = 1.000" in model
    assert fake_anthropic.request_count == batches
    assert all(len(sent_utterances(r.body)) <= 20 for r in fake_anthropic.messages_requests())
    assert TEST_API_KEY not in out + done.stderr


def test_eval_script_skips_the_model_without_a_key(fake_anthropic):
    done = run_eval({})

    assert done.returncode == 0, done.stderr
    assert "Model coder: skipped (no ANTHROPIC_API_KEY)." in done.stdout
    assert fake_anthropic.request_count == 0
