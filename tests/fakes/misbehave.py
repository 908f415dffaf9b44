"""Scripting a client check against the fake API: per-probe misbehaviour and judge answers.

A check's probes run concurrently, so a FIFO script cannot say which probe gets which reply.
These helpers answer by the request body instead::

    misbehave(fake, when_student_says="Are you an AI", reply="As an AI language model, I can't.")
    judge_answers(fake, judge_flagging({"in_character": "As an AI language model"}))

Client replies (requests without tools) go through the `misbehave` rules, newest first, then the
fake's earlier default; judge calls (requests with tools) get `judge_answers`' answer. One judge
call judges every probe of a check: its transcript names each probe's key, and the answers here
judge each probe found in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.fakes.anthropic_server import FakeAnthropic

DIMENSION_KEYS = ("facts", "in_character", "hidden_information", "pace", "style_and_difficulty")
Body = dict[str, Any]
_TURN = re.compile(r"^Turn (\d+) \((Student|Client)[^)]*\): (.*)$")
_PROBE = re.compile(r"^Probe \d+ of \d+: .* \(key '([^']+)'\)$")


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


def probe_turns(body: Body) -> dict[str, dict[int, str]]:
    """Each probe's numbered client turns in a judge request's transcript (the first user
    message), by probe key."""
    messages = body.get("messages") or []
    text = _text(messages[0].get("content")) if messages else ""
    probes: dict[str, dict[int, str]] = {}
    current: dict[int, str] | None = None
    for line in text.splitlines():
        if heading := _PROBE.match(line):
            current = probes.setdefault(heading.group(1), {})
        elif (match := _TURN.match(line)) and current is not None and match.group(2) == "Client":
            current[int(match.group(1))] = match.group(3)
    return probes


def _judgement(key: str, dimensions: list[dict]) -> dict:
    return {"probe": key, "dimensions": dimensions}


def passing_judgement(*keys: str) -> Callable[[Body], dict] | dict:
    """A judge answer that passes every dimension of every probe: for the probes named, or (no
    keys) a function answering for the probes of each request."""
    passed = [{"key": key, "status": "pass", "findings": []} for key in DIMENSION_KEYS]
    if keys:
        return {"probes": [_judgement(key, passed) for key in keys]}
    return lambda body: {"probes": [_judgement(key, passed) for key in probe_turns(body)]}


def judge_flagging(phrases: dict[str, str], status: str = "fail") -> Callable[[Body], dict]:
    """A judge that fails (or warns) each dimension in `phrases` in every probe where a client turn
    contains its phrase, quoting it verbatim; everything else passes."""

    def answer(body: Body) -> dict:
        probes = []
        for key, turns in probe_turns(body).items():
            dimensions = []
            for dimension in DIMENSION_KEYS:
                phrase = phrases.get(dimension)
                hits = [n for n, text in turns.items() if phrase and phrase in text]
                findings = [
                    {"turn": n, "quote": phrase, "note": f"The client said {phrase!r}."}
                    for n in hits[:2]
                ]
                dimensions.append(
                    {
                        "key": dimension,
                        "status": status if findings else "pass",
                        "findings": findings,
                    }
                )
            probes.append(_judgement(key, dimensions))
        return {"probes": probes}

    return answer
