"""Ask through a forced tool, validate, repair once (backend/llm/validated.py) against the fake API."""

from __future__ import annotations

from backend.llm import get_gateway
from backend.llm.errors import ErrorCategory
from backend.llm.validated import Validated, ask_validated
from tests.fakes.anthropic_server import FakeAnthropic

TOOL = "record_colour"
SCHEMA = {
    "type": "object",
    "properties": {"colour": {"type": "string"}},
    "required": ["colour"],
}


def only_primaries(data: dict) -> tuple[str | None, list[str]]:
    """The colour if it is a primary one, else the problem to repair."""
    colour = data.get("colour")
    if colour in ("red", "yellow", "blue"):
        return colour, []
    return None, [f"colour: {colour!r} is not a primary colour."]


def ask() -> Validated[str]:
    return ask_validated(
        get_gateway(),
        instructions="Name a colour.",
        context="Any primary colour will do.",
        messages=[{"role": "user", "content": "Which colour?"}],
        tool_name=TOOL,
        tool_description="Record the colour.",
        input_schema=SCHEMA,
        what="colour",
        validate=only_primaries,
    )


def test_a_valid_first_answer_takes_one_call(api: FakeAnthropic) -> None:
    api.tool_reply({"colour": "blue"})
    asked = ask()
    assert asked.accepted and asked.value == "blue" and asked.errors == []
    assert api.request_count == 1 and len(asked.answers) == 1
    assert api.last_request.body["tool_choice"] == {"type": "tool", "name": TOOL}


def test_an_invalid_answer_is_repaired_once_with_its_errors(api: FakeAnthropic) -> None:
    api.tool_reply({"colour": "green"}, output_tokens=7)
    api.tool_reply({"colour": "red"}, output_tokens=5)
    asked = ask()
    assert asked.accepted and asked.value == "red"
    assert api.request_count == 2
    question, answer, repair = api.requests[1].body["messages"]
    assert question == {"role": "user", "content": "Which colour?"}
    assert answer["content"][0]["type"] == "tool_use"
    assert answer["content"][0]["input"] == {"colour": "green"}
    result = repair["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True
    assert result["tool_use_id"] == answer["content"][0]["id"]
    assert "- colour: 'green' is not a primary colour." in result["content"]
    assert f"call {TOOL} again with the whole colour" in result["content"]
    # Both calls are kept, so both are billed.
    assert [a.completion.usage.output_tokens for a in asked.answers] == [7, 5]


def test_an_answer_invalid_twice_gives_up_with_its_errors(api: FakeAnthropic) -> None:
    api.tool_reply({"colour": "green"})
    api.tool_reply({"colour": "purple"})
    asked = ask()
    assert not asked.accepted and asked.value is None
    assert asked.errors == ["colour: 'purple' is not a primary colour."]
    assert api.request_count == 2 and len(asked.answers) == 2


def test_a_failed_repair_keeps_the_first_call(api: FakeAnthropic) -> None:
    api.tool_reply({"colour": "green"})
    api.overloaded()
    asked = ask()
    assert not asked.accepted
    assert asked.failure is not None and asked.failure.kind == ErrorCategory.overloaded
    assert len(asked.answers) == 1 and asked.answers[0].completion.cost is not None
    assert asked.errors == ["colour: 'green' is not a primary colour."]
