"""Scripting a client check against the fake API: per-probe misbehaviour and judge answers.

A check's probes run concurrently, so a FIFO script cannot say which probe gets which reply.
These helpers answer by the request body instead::

    misbehave(fake, when_student_says="Are you an AI", reply="As an AI language model, I can't.")
    judge_answers(fake, judge_flagging({"in_character": "As an AI language model"}))

Client replies (requests without tools) go through the `misbehave` rules, newest first, then the
fake's earlier default; judge calls (requests with tools) get `judge_answers`' answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.fakes.anthropic_server import FakeAnthropic

DIMENSION_KEYS = ("facts", "in_character", "hidden_information", "pace", "style_and_difficulty")
Body = dict[str, Any]
_TURN = re.compile(r"^Turn (\d+) \((Student|Client)[^)]*\): (.*)$")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content or [] if isinstance(block, dict))


def last_student_line(body: Body) -> str:
    """The text of the last user message (the student's latest line in a conversation)."""
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    return _text(users[-1].get("content")) if users else ""


def misbehave(
    fake: FakeAnthropic, *, when_student_says: str, reply: str | Callable[[Body], str]
) -> FakeAnthropic:
    """From now on, a client reply whose student line contains `when_student_says` (any case)
    is `reply`; every other request gets what it got before. Rules stack."""
    previous = fake._default.text
    needle = when_student_says.casefold()

    def answer(body: Body) -> str:
        if not body.get("tools") and needle in last_student_line(body).casefold():
            return reply(body) if callable(reply) else reply
        return previous(body) if callable(previous) else previous

    return fake.set_default_reply(answer)


def judge_answers(fake: FakeAnthropic, answer: dict | Callable[[Body], dict]) -> FakeAnthropic:
    """Every unscripted judge call (a request with tools) answers `answer`."""
    return fake.set_default_tool_reply(answer)


def client_turns(body: Body) -> dict[int, str]:
    """The client's numbered turns in a judge request's transcript (the first user message)."""
    messages = body.get("messages") or []
    text = _text(messages[0].get("content")) if messages else ""
    turns = {}
    for line in text.splitlines():
        match = _TURN.match(line)
        if match and match.group(2) == "Client":
            turns[int(match.group(1))] = match.group(3)
    return turns


def passing_judgement() -> dict:
    """A judge answer that passes every dimension."""
    return {
        "dimensions": [{"key": key, "status": "pass", "findings": []} for key in DIMENSION_KEYS]
    }


def judge_flagging(phrases: dict[str, str], status: str = "fail") -> Callable[[Body], dict]:
    """A judge that fails (or warns) each dimension in `phrases` when a client turn contains
    its phrase, quoting it verbatim; everything else passes."""

    def answer(body: Body) -> dict:
        turns = client_turns(body)
        dimensions = []
        for key in DIMENSION_KEYS:
            phrase = phrases.get(key)
            hits = [n for n, text in turns.items() if phrase and phrase in text]
            findings = [
                {"turn": n, "quote": phrase, "note": f"The client said {phrase!r}."}
                for n in hits[:2]
            ]
            dimensions.append(
                {"key": key, "status": status if findings else "pass", "findings": findings}
            )
        return {"dimensions": dimensions}

    return answer
