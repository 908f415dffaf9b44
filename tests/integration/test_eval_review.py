"""The model path, measured: `benchmarks/eval_review.py --model` sends exactly the production
review request (the same function), and a stored review's request carries the client's difficulty
and learning goals and the assignment. Everything runs against the fake API on 127.0.0.1."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from backend.config import get_settings
from backend.db import Database, unit_of_work
from backend.llm import get_gateway
from backend.models import Assignment, ClientProfile
from backend.models.enums import Difficulty
from backend.reviews import review_prompt, review_service
from backend.reviews.rubrics import load_builtin_rubrics
from tests.integration.conftest import TEST_API_KEY
from tests.integration.reads import transcript_turns
from tests.integration.test_reviews import ended_session

ROOT = Path(__file__).resolve().parents[2]
ANNOMI_COLUMNS = [
    "mi_quality",
    "transcript_id",
    "video_title",
    "video_url",
    "topic",
    "utterance_id",
    "interlocutor",
    "timestamp",
    "utterance_text",
    "annotator_id",
    "therapist_input_exists",
    "therapist_input_subtype",
    "reflection_exists",
    "reflection_subtype",
    "question_exists",
    "question_subtype",
    "main_therapist_behaviour",
    "client_talk_type",
]
# (text, AnnoMI main behaviour, the MITI code the fake model gives it); client turns have no code.
HIGH = [
    ("What brings you in today?", "question", "open_question"),
    ("My wife wants me to drink less.", None, None),
    ("It sounds like her worry matters to you.", "reflection", "complex_reflection"),
    ("It does. I want to be around for my kids.", None, None),
    ("It took courage to say that out loud.", "other", "affirm"),
    ("Thanks. I guess I could cut back on weekdays.", None, None),
    ("How might you start?", "question", "open_question"),
    ("Maybe no beer on Mondays.", None, None),
]
LOW = [
    ("Do you drink every day?", "question", "closed_question"),
    ("Most days, yes.", None, None),
    ("You should stop drinking right away.", "therapist_input", "persuade"),
    ("I don't think I can.", None, None),
    ("Drinking damages your liver.", "therapist_input", "giving_information"),
    ("I know that.", None, None),
    ("You don't think you can stop.", "reflection", "simple_reflection"),
    ("Not now, anyway.", None, None),
]
MODEL_CODE = {text: code for text, _label, code in HIGH + LOW if code}


def rubric(key: str):
    return next(r for r in load_builtin_rubrics() if r.key == key)


def write_annomi_csv(path: Path) -> Path:
    """Two tiny transcripts in the AnnoMI columns: one high and one low MI quality."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ANNOMI_COLUMNS)
        writer.writeheader()
        for transcript_id, (quality, lines) in enumerate((("high", HIGH), ("low", LOW))):
            for utterance_id, (text, label, _code) in enumerate(lines):
                counselor = label is not None
                writer.writerow(
                    {
                        "mi_quality": quality,
                        "transcript_id": transcript_id,
                        "video_title": "test",
                        "video_url": "",
                        "topic": "reducing alcohol consumption",
                        "utterance_id": utterance_id,
                        "interlocutor": "therapist" if counselor else "client",
                        "timestamp": "00:00:00",
                        "utterance_text": text,
                        "annotator_id": 1,
                        "therapist_input_exists": label == "therapist_input"
                        if counselor
                        else "n/a",
                        "therapist_input_subtype": "n/a",
                        "reflection_exists": label == "reflection" if counselor else "n/a",
                        "reflection_subtype": "n/a",
                        "question_exists": label == "question" if counselor else "n/a",
                        "question_subtype": "n/a",
                        "main_therapist_behaviour": label if counselor else "n/a",
                        "client_talk_type": "n/a" if counselor else "neutral",
                    }
                )
    return path


def review_for(body: dict, code_of=lambda text: "not_coded") -> dict:
    """A valid review of whatever transcript the request carries (what a model would answer)."""
    turns = transcript_turns(body["messages"][0]["content"])
    student = [(t["turn"], t["text"]) for t in turns if t["speaker"] == "student"]
    client = [(t["turn"], t["text"]) for t in turns if t["speaker"] == "client"]
    definitions = body["tools"][0]["input_schema"]["$defs"]
    criteria = definitions["CriterionScore"]["properties"]["criterion"]["enum"]
    return {
        "client_talk": [{"turn": client[0][0], "kind": "change", "quote": client[0][1]}],
        "codes": [{"turn": n, "code": code_of(text)} for n, text in student],
        "risk": [],
        "scores": [
            {"criterion": key, "turns": [student[0][0]], "reasoning": "A fair start.", "score": 3}
            for key in criteria
        ],
        "strengths": [],
        "try_instead": [
            {
                "turn": student[-1][0],
                "quote": student[-1][1],
                "better_reply": "What would that mean for you?",
                "why": "An open question invites the client's own words.",
            }
        ],
        "goal": "Reflect before you ask.",
    }


def run_eval(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "eval_review.py"), *args],
        cwd=ROOT,
        env={**base, "ENV_FILE": os.devnull, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def run_eval_here(monkeypatch, capsys, caplog):
    """`run_eval` through the script's `main(argv)` in this process (`run_eval` itself, a
    subprocess, is kept for the offline run): the same arguments and ANTHROPIC_ variables; its
    output, with anything it logged counted as standard error."""
    spec = importlib.util.spec_from_file_location(
        "eval_review_script", ROOT / "benchmarks" / "eval_review.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        for name in [name for name in os.environ if name.startswith("ANTHROPIC_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        capsys.readouterr()
        caplog.clear()
        code = script.main(args)
        captured = capsys.readouterr()
        get_settings.cache_clear()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err + caplog.text)

    return run


def test_eval_model_sends_the_production_review_request_and_prints_its_figures(
    fake_anthropic, tmp_path, run_eval_here
):
    data = write_annomi_csv(tmp_path / "annomi.csv")
    fake_anthropic.set_default_tool_reply(lambda body: review_for(body, MODEL_CODE.__getitem__))

    done = run_eval_here(
        ["--data", str(data), "--model", "--workers", "1"],
        {
            "ANTHROPIC_API_KEY": TEST_API_KEY,
            "ANTHROPIC_BASE_URL": fake_anthropic.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
        },
    )

    assert done.returncode == 0, done.stderr
    requests = fake_anthropic.messages_requests()
    assert len(requests) == 2  # one review per transcript, each valid at once
    miti = rubric("miti")
    for request in requests:
        body = request.body
        # API version 2026-10-21 refuses sampling parameters (the fake answers 400 as it does).
        assert not {"temperature", "top_p", "top_k"} & set(body)
        assert body["tool_choice"] == {"type": "tool", "name": "record_review"}
        assert body["system"][0]["text"] == review_prompt.instructions(miti)
        schema = body["tools"][0]["input_schema"]
        assert schema == review_prompt.review_tool_schema(miti)
        definitions = schema["$defs"]
        codes = schema["properties"]["codes"]  # "turn:code", only the rubric's codes
        assert codes["items"]["pattern"] == (
            "^[0-9]+:(" + "|".join(re.escape(key) for key in miti.codable_keys) + ")$"
        )
        score = definitions["CriterionScore"]["properties"]
        assert score["criterion"]["enum"] == [criterion.key for criterion in miti.criteria]
        assert (score["score"]["minimum"], score["score"]["maximum"]) == (1, 5)
        assert list(score) == ["criterion", "turns", "reasoning", "score"]  # evidence first
        assert definitions["ClientTalk"]["properties"]["kind"]["enum"] == ["change", "sustain"]
        order = list(schema["properties"])
        assert order.index("client_talk") < order.index("codes") < order.index("scores")
        assert transcript_turns(body["messages"][0]["content"])[0]["turn"] == 1

    out = done.stdout
    assert "Offline coder (shipped)" in out
    model = out[out.index("Model reviews") :]
    assert "2 of 2 valid" in model
    assert re.search(r"^macro-F1 1\.000\s+\(4 classes, counselor utterances\)$", model, re.M)
    assert re.search(r"^AUC \d\.\d{3}\s+\(shown score vs\. the file's high/low", model, re.M)
    assert re.search(r"^cost \$\d+\.\d{4} for 2 calls \(tokens: input [\d,]+, output", model, re.M)
    for name in ("question", "reflection", "therapist_input", "other"):
        assert re.search(rf"^{name}\s+1\.000\s+1\.000\s+1\.000\s+\d+$", model, re.M), name
    assert TEST_API_KEY not in out + done.stderr


def test_eval_without_model_makes_no_call_and_model_needs_a_key(
    fake_anthropic, tmp_path, run_eval_here
):
    data = write_annomi_csv(tmp_path / "annomi.csv")

    offline = run_eval(["--data", str(data)], {})  # the script as it is run, in its own process
    assert offline.returncode == 0, offline.stderr
    assert re.search(r"^macro-F1 \d\.\d{3}", offline.stdout, re.M)
    assert re.search(r"^AUC \d\.\d{3}", offline.stdout, re.M)
    assert "Model reviews" not in offline.stdout

    keyless = run_eval_here(["--data", str(data), "--model"], {})
    assert keyless.returncode == 2 and "ANTHROPIC_API_KEY" in keyless.stderr
    assert fake_anthropic.request_count == 0


# The production request -------------------------------------------------------------------------
@pytest.fixture
def briefed_classroom(classroom, committed_engine):
    """The classroom's client with learning goals and a difficulty, its assignment with
    instructions."""
    with unit_of_work(committed_engine) as db:
        client = db.get_one(ClientProfile, classroom.client.id)
        client.learning_goals = "Practise double-sided reflections of ambivalence."
        client.difficulty = Difficulty.advanced
        client.hidden_information = "Was recently passed over for promotion."
        assignment = db.get_one(Assignment, classroom.assignment.id)
        assignment.title = "Week 3: ambivalence"
        assignment.instructions = "Reflect both sides before asking about change."
    return classroom


def test_a_stored_review_sends_the_benchmarks_request_with_the_clients_brief(
    api, briefed_classroom, committed_engine
):
    room = briefed_classroom
    session_id = ended_session(committed_engine, room)
    api.set_default_tool_reply(review_for)

    review = review_service.create_review(
        Database(committed_engine), actor=room.student, session_id=session_id
    )

    assert review.ready
    (production,) = api.messages_requests()
    with unit_of_work(committed_engine) as db:
        job = review_service.prepare_review(db, actor=room.student, session_id=session_id)
    definition = job.rubric
    assert job.brief == review_prompt.ReviewBrief(
        title="Week 3: ambivalence", instructions="Reflect both sides before asking about change."
    )
    # The benchmark's call: the same function on the same transcript.
    outcome = review_service.review_transcript(
        job.turns, definition, client=job.client, brief=job.brief, gateway=get_gateway()
    )
    assert outcome.content is not None and outcome.failure is None
    benchmark = api.messages_requests()[-1]
    same = ("model", "max_tokens", "tools", "tool_choice", "messages")
    assert {key: production.body[key] for key in same} == {key: benchmark.body[key] for key in same}
    assert production.body["system"] == benchmark.body["system"]
    assert set(production.body) == set(benchmark.body)
    stable, varying = production.body["system"]
    assert stable["text"] == review_prompt.instructions(definition)
    assert production.body["tools"][0]["input_schema"] == review_prompt.review_tool_schema(
        definition
    )
    # The brief is in the per-call context, not in the cached prefix; the hidden fact nowhere.
    context = varying["text"]
    assert "cache_control" not in varying
    assert "Practise double-sided reflections of ambivalence." in context
    assert "difficulty advanced" in context
    assert "Week 3: ambivalence" in context
    assert "Reflect both sides before asking about change." in context
    for block in production.body["system"]:
        assert "passed over for promotion" not in block["text"]
    assert (
        "Week 3" not in stable["text"]
        and "double-sided reflections of ambivalence" not in (stable["text"])
    )


def test_the_fake_api_refuses_sampling_parameters_like_api_version_2026_10_21(fake_anthropic):
    body = {"model": "claude-haiku-4-5", "max_tokens": 10, "messages": [{"role": "user"}]}
    for name, value in (("temperature", 0), ("top_p", 0.9), ("top_k", 5)):
        request = urllib.request.Request(
            f"{fake_anthropic.base_url}/v1/messages",
            data=json.dumps({**body, name: value}).encode(),
            headers={"x-api-key": TEST_API_KEY, "content-type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 400
        error = json.loads(refused.value.read())["error"]
        assert error == {
            "type": "invalid_request_error",
            "message": f"{name}: Extra inputs are not permitted",
        }
