"""Code a batch of counselor utterances with the feedback model (one rubric code per utterance).

One forced-tool call (`LLMGateway.structured`, on FEEDBACK_MODEL) per batch: the rubric's code
definitions are the cached system prefix, the numbered utterances the message. The answer is checked
against the rubric: a code it does not define, or an utterance left uncoded, gets one repair request
listing the rubric's codes; whatever is still wrong after it becomes the rubric's "other" code when it
has one, else None. In demo mode (no API key) nothing is called and the result is None: the caller
uses the rule-based coder (`backend.services.utterance_coder`).

No database is touched; the caller owns any transaction (none should be open during the call).
"""

from __future__ import annotations

import json

from backend.errors import ValidationError
from backend.llm import LLMGateway, StructuredAnswer, get_gateway
from backend.schemas.rubrics import RubricDefinition
from backend.utils.text import clean_text

CODING_TOOL = "record_codes"
MAX_BATCH = 50  # keeps one answer well inside FEEDBACK_MAX_TOKENS
MAX_UTTERANCE_CHARS = 4000
FALLBACK_CODE = "other"

INSTRUCTIONS = """You code counselor utterances from counseling practice conversations.
Give each numbered utterance exactly one code from the rubric below: the code whose definition fits
what the utterance does for the client. Use only the code keys listed here, spelled exactly, and
code every utterance once. Record your answer with the record_codes tool.

Rubric codes (key: name, kind; definition; example):
"""


def instructions(rubric: RubricDefinition) -> str:
    """The stable prefix for this rubric (cached across batches): the task, then each code."""
    lines = [
        f"- {code.key}: {code.name} ({code.kind}{', complex' if code.complex else ''}); "
        f"{code.definition} Example: {json.dumps(code.example, ensure_ascii=False)}"
        for code in rubric.codes
    ]
    return INSTRUCTIONS + "\n".join(lines)


def input_schema(rubric: RubricDefinition) -> dict:
    """The tool's schema: one {utterance, code} item per numbered utterance."""
    return {
        "type": "object",
        "properties": {
            "codes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "utterance": {"type": "integer", "minimum": 1},
                        "code": {"type": "string", "enum": rubric.code_keys},
                    },
                    "required": ["utterance", "code"],
                },
            }
        },
        "required": ["codes"],
    }


def code_utterances(
    utterances: list[str],
    rubric: RubricDefinition,
    *,
    gateway: LLMGateway | None = None,
) -> list[str | None] | None:
    """The model's code for each utterance, in order, or None in demo mode (no API key).

    A code is a key of `rubric`; an utterance the model left uncoded or gave an unknown code even
    after one repair gets "other" when the rubric has it, else None. Raises `ValidationError` for
    an empty, over-long or control-character utterance or a batch over MAX_BATCH, and
    `GatewayError` when the API fails."""
    gateway = gateway or get_gateway()
    if gateway.demo_mode:
        return None
    texts = [
        clean_text(
            text,
            field=f"utterance_{number}",
            label=f"Utterance {number}",
            max_chars=MAX_UTTERANCE_CHARS,
            required=True,
        )
        for number, text in enumerate(utterances, start=1)
    ]
    if not texts:
        return []
    if len(texts) > MAX_BATCH:
        raise ValidationError(f"Code at most {MAX_BATCH} utterances at a time, not {len(texts)}.")
    prefix = instructions(rubric)
    context = f"Utterances in this batch: {len(texts)}, numbered 1 to {len(texts)}."
    messages: list[dict] = [{"role": "user", "content": _numbered(texts)}]
    codes: dict[int, str] = {}
    for _attempt in range(2):
        answer = gateway.structured(
            instructions=prefix,
            context=context,
            messages=messages,
            tool_name=CODING_TOOL,
            tool_description="Record one rubric code for each numbered utterance.",
            input_schema=input_schema(rubric),
        )
        if answer is None:  # demo mode was handled above
            raise RuntimeError("The gateway has no API client.")
        codes, errors = _read(answer.data, len(texts), rubric)
        if not errors:
            break
        messages = messages + _repair_messages(answer, errors, rubric)
    fallback = FALLBACK_CODE if rubric.code(FALLBACK_CODE) is not None else None
    return [codes.get(number, fallback) for number in range(1, len(texts) + 1)]


def _numbered(texts: list[str]) -> str:
    return "\n".join(
        f"{number}. {json.dumps(text, ensure_ascii=False)}"
        for number, text in enumerate(texts, start=1)
    )


def _read(data: dict, count: int, rubric: RubricDefinition) -> tuple[dict[int, str], list[str]]:
    """The valid codes by utterance number, and each problem with the answer."""
    codes: dict[int, str] = {}
    errors: list[str] = []
    items = data.get("codes")
    if not isinstance(items, list):
        return codes, ["the answer has no 'codes' list"]
    for item in items:
        if not isinstance(item, dict):
            errors.append(f"{json.dumps(item)[:80]} is not an {{utterance, code}} object")
            continue
        number, code = item.get("utterance"), item.get("code")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= count:
            errors.append(f"utterance {json.dumps(number)[:20]} is not between 1 and {count}")
        elif number in codes:
            errors.append(f"utterance {number} is coded more than once")
        elif not isinstance(code, str) or rubric.code(code) is None:
            errors.append(
                f"{json.dumps(code)[:60]} (utterance {number}) is not a code of this rubric"
            )
        else:
            codes[number] = code
    missing = [number for number in range(1, count + 1) if number not in codes]
    if missing:
        errors.append("no valid code for utterance " + ", ".join(map(str, missing)))
    return codes, errors


def _repair_messages(
    answer: StructuredAnswer, errors: list[str], rubric: RubricDefinition
) -> list[dict]:
    """The answer as given, then a tool result listing its problems and the rubric's codes."""
    listing = "\n".join(f"- {error}" for error in errors)
    return [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": answer.tool_use_id,
                    "name": CODING_TOOL,
                    "input": answer.data,
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": answer.tool_use_id,
                    "is_error": True,
                    "content": "The codes cannot be accepted; fix these problems and call "
                    f"{CODING_TOOL} again with a code for every utterance:\n{listing}\n"
                    f"The only valid codes are: {', '.join(rubric.code_keys)}.",
                }
            ],
        },
    ]
