"""Ask through a forced tool, validate the answer, repair once: the loop reviews and checks share.

The first call sends the messages; when `validate` finds problems, one repair call sends the answer
back with a tool result listing them (`StructuredAnswer.repair`); whatever the second answer is,
the loop stops there. Every call made is kept, so its usage and cost are counted even when the
answer never validated or a later call failed (`Validated.billed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from backend.llm.errors import GatewayError
from backend.llm.gateway import LLMGateway, StructuredAnswer
from backend.llm.usage import Completion

T = TypeVar("T")

#: The first answer and one repair.
ATTEMPTS = 2


@dataclass
class Validated(Generic[T]):
    """What came of asking: the last answer's value and problems, every call, any API failure.

    `value` is what `validate` made of the last answer (a caller may keep part of an answer that
    never validated); `errors` its problems (empty: accepted); `answers` every call made, the
    repair included; `failure` the `GatewayError` that ended the loop (the calls before it stay)."""

    value: T | None = None
    errors: list[str] = field(default_factory=list)
    answers: list[StructuredAnswer] = field(default_factory=list)
    failure: GatewayError | None = None

    @property
    def billed(self) -> list[Completion]:
        """Every call the API billed: the answers, and an answer it could not use (no tool call)."""
        failed = [self.failure.billed] if self.failure and self.failure.billed else []
        return [answer.completion for answer in self.answers] + failed

    @property
    def accepted(self) -> bool:
        return bool(self.answers) and self.failure is None and not self.errors


def ask_validated(
    gateway: LLMGateway,
    *,
    instructions: str,
    context: str,
    messages: list[dict],
    tool_name: str,
    tool_description: str,
    input_schema: dict,
    what: str,
    validate: Callable[[dict], tuple[T | None, list[str]]],
    model: str | None = None,
    first: StructuredAnswer | None = None,
) -> Validated[T]:
    """A forced-tool answer checked by `validate` (its value, and its problems: none means
    accepted), repaired once with those problems (`what` names the answer in the repair message:
    "review", "judgement"). A `GatewayError` is returned as `failure`, not raised.

    `first` is a first answer already made for these messages (a Message Batch's): it is checked
    the same way, and a repair it needs is a normal call.

    The gateway must have an API client (`gateway.demo_mode` is the caller's own path)."""
    if gateway.demo_mode:
        raise RuntimeError("The gateway has no API client; demo mode needs no model.")
    outcome: Validated[T] = Validated()
    for attempt in range(ATTEMPTS):
        try:
            answer = (
                first
                if attempt == 0 and first is not None
                else gateway.structured(
                    instructions=instructions,
                    context=context,
                    messages=messages,
                    tool_name=tool_name,
                    tool_description=tool_description,
                    input_schema=input_schema,
                    model=model,
                )
            )
        except GatewayError as error:
            outcome.failure = error
            return outcome
        if answer is None:  # demo mode is refused above
            raise RuntimeError("The gateway has no API client.")
        outcome.answers.append(answer)
        outcome.value, outcome.errors = validate(answer.data)
        if not outcome.errors:
            return outcome
        messages = messages + answer.repair(tool_name, what, outcome.errors)
    return outcome
