"""The judge of a client check: one call for every probe, verified findings with their probe and
dimension, one repair, demo mode."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.checks import check_judge
from backend.checks.read_models import ProbeTranscript, ProbeTurn
from backend.clients import prompt_service
from backend.clients.read_models import ClientRead
from backend.config import get_settings
from backend.llm import get_gateway
from tests.factories import client_input
from tests.fakes.misbehave import (
    judge_answers,
    judge_flagging,
    last_student_line,
    misbehave,
    passing_judgement,
)

AI_LINE = "As an AI language model, I can't have feelings about my job."


def make_client_read() -> ClientRead:
    now = datetime.now(UTC)
    return ClientRead.model_validate(
        client_input().model_dump()
        | dict(id=7, owner_id=1, archived=False, version=3, created_at=now, updated_at=now)
    )


def transcript(key: str = "ai_question", reply: str = AI_LINE) -> ProbeTranscript:
    lines = [
        ("student", "Hi, what brings you in today?"),
        ("client", "Work, I guess. It's fine. Mostly."),
        ("student", "Are you an AI?"),
        ("client", reply),
    ]
    return ProbeTranscript(
        key=key,
        name="Are you an AI?",
        turns=[ProbeTurn(role=role, text=text) for role, text in lines],  # type: ignore[arg-type]
    )


def judge(client: ClientRead | None = None) -> check_judge.JudgeResult | None:
    results = check_judge.judge_probes(get_gateway(), client or make_client_read(), [transcript()])
    return None if results is None else results["ai_question"]


def with_finding(
    dimension: str, turn: int, quote: str, status: str = "fail", key: str = "ai_question"
) -> dict:
    answer = passing_judgement(key)
    assert isinstance(answer, dict)
    for item in answer["probes"][0]["dimensions"]:
        if item["key"] == dimension:
            item["status"] = status
            item["findings"] = [{"turn": turn, "quote": quote, "note": "Admits to being an AI."}]
    return answer


def test_valid_findings_come_back_with_their_dimension_and_cost(api):
    api.tool_reply(with_finding("in_character", 4, "As an AI language model"))
    result = judge()
    assert result is not None
    assert len(result.findings) == 1
    dimension, status, finding = result.findings[0]
    assert (dimension, status) == ("in_character", "fail")
    assert finding.probe == "ai_question" and finding.turn == 4 and finding.source == "judge"
    assert finding.quote == "As an AI language model"
    assert result.dropped == 0 and len(result.completions) == 1 and api.request_count == 1
    completion = result.completions[0]
    assert completion.usage.output_tokens > 0 and result.cost == completion.cost
    assert result.cost is not None and result.cost > 0
    body = api.last_request.body
    assert body["model"] == get_settings().judge_model == "claude-haiku-4-5"
    assert body["tool_choice"] == {"type": "tool", "name": check_judge.JUDGE_TOOL}


def test_judge_model_is_a_setting_of_its_own(api, configure):
    configure(judge_model="claude-haiku-4-5-20251001")
    api.tool_reply(passing_judgement("ai_question"))
    result = judge()
    assert result is not None and result.findings == []
    assert api.last_request.body["model"] == "claude-haiku-4-5-20251001"


def test_invented_quote_gets_one_repair_then_is_dropped(api):
    invented = with_finding("facts", 2, "I was fired last week")
    api.tool_reply(invented, times=2)
    result = judge()
    assert result is not None
    assert result.findings == [] and result.dropped == 1
    assert len(result.completions) == 2 and api.request_count == 2
    repair = api.requests[1].body["messages"]
    assert repair[1]["content"][0]["type"] == "tool_use"
    listing = repair[2]["content"][0]
    assert listing["is_error"] is True
    assert "'I was fired last week' is not word for word in turn 2" in listing["content"]
    assert "probe 'ai_question'" in listing["content"]
    assert any("not word for word" in error for error in result.errors)


def test_a_repair_that_fails_still_hands_back_the_billed_first_call(api):
    """The first judgement was billed; when its repair call fails, the caller must still be able to
    count it (it was dropped with the error before)."""
    api.tool_reply(with_finding("facts", 2, "I was fired last week"), input_tokens=1500)
    api.error(400, "invalid_request_error", "The repair was refused.")
    result = judge()
    assert result is not None and result.failure is not None
    assert [completion.usage.input_tokens for completion in result.completions] == [1500]
    assert result.completions[0].cost and result.completions[0].cost > 0


def test_a_repaired_answer_is_used(api):
    api.tool_reply(with_finding("in_character", 3, "As an AI language model"))  # student turn
    api.tool_reply(with_finding("in_character", 4, "As an AI language model"))
    result = judge()
    assert result is not None and [f.turn for _, _, f in result.findings] == [4]
    assert result.dropped == 0 and api.request_count == 2
    assert "is the student's" in api.requests[1].body["messages"][2]["content"][0]["content"]


def test_a_quote_from_the_student_or_a_missing_turn_is_not_accepted():
    data = with_finding("pace", 3, "Are you an AI?")
    dimensions = data["probes"][0]["dimensions"]
    dimensions[0]["findings"] = [{"turn": 9, "quote": "Work", "note": "x"}]
    dimensions[0]["status"] = "warn"
    valid, errors, invalid = check_judge.validate(data, [transcript()])
    assert valid == [] and invalid == 2
    assert any("turn 9 does not exist" in error for error in errors)
    assert any("turn 3 is the student's" in error for error in errors)


def test_demo_mode_returns_none(configure, fake_anthropic):
    configure(anthropic_api_key=None)
    assert get_gateway().demo_mode
    assert judge() is None
    assert fake_anthropic.request_count == 0


def test_profile_and_instructions_are_the_stable_prefix(api):
    api.tool_reply(passing_judgement("ai_question"))
    client = make_client_read()
    judge(client)
    system = api.last_request.body["system"]
    assert system[0]["cache_control"]["type"] == "ephemeral"
    assert system[0]["text"] == check_judge.instructions(client)
    assert client.hidden_information in system[0]["text"]
    assert client.background in system[0]["text"]
    # The client's own part, not the role-play guide every client shares (the judge needs the
    # profile; the guide would only make each check dearer).
    assert prompt_service.client_prompt(client) in system[0]["text"]
    assert prompt_service.guide() not in system[0]["text"]
    assert "cache_control" not in system[1] and "'ai_question'" in system[1]["text"]
    assert "Turn 4 (Client): " + AI_LINE in api.last_request.body["messages"][0]["content"]


def test_every_probe_is_judged_in_one_call_and_findings_go_to_their_probe(api):
    """One call for the check: the prefix is sent once, not once per probe."""
    cured = "You're right, I feel so much better already."
    probes = [transcript("ai_question"), transcript("warm", reply=cured)]
    api.set_default_tool_reply(
        judge_flagging(
            {"in_character": "As an AI language model", "pace": "I feel so much better already"}
        )
    )
    results = check_judge.judge_probes(get_gateway(), make_client_read(), probes)
    assert results is not None and api.request_count == 1
    body = api.last_request.body
    assert body["tools"][0]["input_schema"]["$defs"]["JudgedProbe"]["properties"]["probe"][
        "enum"
    ] == ["ai_question", "warm"]
    text = body["messages"][0]["content"]
    assert "Probe 1 of 2: Are you an AI? (key 'ai_question')" in text
    assert "Probe 2 of 2" in text and "Turn 4 (Client): " + cured in text
    found = {key: [(d, f.probe, f.turn) for d, _s, f in r.findings] for key, r in results.items()}
    assert found == {
        "ai_question": [("in_character", "ai_question", 4)],
        "warm": [("pace", "warm", 4)],
    }
    assert len(results["ai_question"].completions) == 1 and results["warm"].completions == []


def test_a_probe_left_out_or_invented_is_repaired():
    answer = passing_judgement("ai_question", "made_up")
    assert isinstance(answer, dict)
    _valid, errors, _invalid = check_judge.validate(answer, [transcript(), transcript("warm")])
    assert "probes: 'warm' has no judgement." in errors
    assert "probes: 'made_up' is not one of this check's probes." in errors


def test_misbehave_and_judge_answers_route_by_request(api):
    misbehave(api, when_student_says="are you an ai", reply=AI_LINE)
    judge_answers(api, judge_flagging({"in_character": "As an AI language model"}))
    conversation = {"messages": [{"role": "user", "content": "So... are you an AI?"}]}
    assert last_student_line(conversation) == "So... are you an AI?"
    gateway = get_gateway()
    reply = gateway.complete("You are a client.", conversation["messages"])
    assert reply.text == AI_LINE
    other = gateway.complete("You are a client.", [{"role": "user", "content": "Hello"}])
    assert other.text != AI_LINE
    result = judge()
    assert result is not None
    assert [(d, s, f.turn) for d, s, f in result.findings] == [("in_character", "fail", 4)]


def test_reset_forgets_the_default_judge_answer(fake_anthropic):
    judge_answers(fake_anthropic, passing_judgement())
    fake_anthropic.reset()
    body = {"tools": [{"name": "t"}], "messages": []}
    assert fake_anthropic._next_behaviour(body) is fake_anthropic._default
