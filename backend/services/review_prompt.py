"""The review prompt: the rubric, its coding notes and worked examples (the long stable prefix,
cached), the numbered transcript, and the repair request after an invalid answer.

The same functions serve production reviews and `benchmarks/eval_review.py --model`, so the
benchmark measures exactly what students get.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from backend.llm import StructuredAnswer
from backend.rubrics import RUBRIC_DIR
from backend.schemas.rubrics import RubricDefinition
from backend.services.review_rules import Turn, validate

# The prompt -------------------------------------------------------------------------------------
INSTRUCTIONS = """You review a counseling student's practice conversation with a simulated client,
the way their teacher would, using the rubric below. You call the record_review tool once.

Rules:
- Code every student turn with exactly one of the rubric's utterance codes (by its key).
- Score every criterion 1-5 by its anchors, with one sentence of reasoning and the student turns
  the score rests on.
- Give 2 or 3 strengths. Each quotes the student: copy words exactly from the turn you cite.
- Give 2 or 3 "try instead" items. Each copies one student line exactly from the turn cited,
  offers a better reply the student could have said, in their own voice, and says why in the
  rubric's terms.
- Give one concrete goal for the next practice.
- Cite only turn numbers of the student's turns. Never quote the client.
- Do not count or compute ratios: indicators are counted separately.
- Write to the student, warmly and specifically. Never reveal anything about the client that the
  client did not say in the conversation.

The rubric (JSON):
"""


NOTES_HEADER = """

Coding and scoring notes for this rubric:
"""
EXAMPLES_HEADER = """

Worked examples. The conversations are made up; they show how a review under this rubric reads
(what to code, how to score, how to quote). Review the real conversation on its own merits.
"""


@dataclass(frozen=True)
class WorkedExample:
    """A made-up transcript and its full review, kept as data next to the built-in rubric."""

    title: str
    turns: tuple[Turn, ...]
    review: dict


def instructions(rubric: RubricDefinition) -> str:
    """The long stable prefix: the same for every review with this rubric version (cached).

    Instructions, the rubric, then its worked examples: together longer than the feedback
    model's minimum cacheable prefix, so a class reviewed together pays the cache-read price."""
    text = INSTRUCTIONS + json.dumps(rubric.model_dump(mode="json"), indent=1, ensure_ascii=False)
    notes = _examples_file(rubric.key)[0]
    if notes:
        text += NOTES_HEADER + "\n".join(f"- {note}" for note in notes)
    examples = worked_examples(rubric)
    if examples:
        text += EXAMPLES_HEADER + "\n\n".join(
            f"Example {number}: {example.title}\n\n"
            + "\n".join(_turn_line(turn) for turn in example.turns)
            + "\n\nIts review (the record_review input):\n"
            + json.dumps(example.review, ensure_ascii=False)
            for number, example in enumerate(examples, start=1)
        )
    return text


def worked_examples(rubric: RubricDefinition) -> list[WorkedExample]:
    """The rubric's worked examples that still pass validation against it (a teacher's edited
    copy that dropped a code or criterion loses the examples that use it)."""
    return [
        example
        for example in _examples_file(rubric.key)[1]
        if validate(example.review, list(example.turns), rubric)[0] is not None
    ]


@lru_cache(maxsize=16)
def _examples_file(key: str) -> tuple[tuple[str, ...], tuple[WorkedExample, ...]]:
    """A built-in rubric's coding notes and worked examples (none for other keys)."""
    path = RUBRIC_DIR / f"{key}_examples.json"
    if not path.is_file():
        return (), ()
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(data.get("notes", ())), tuple(
        WorkedExample(
            title=item["title"],
            turns=tuple(
                Turn(number, "user" if turn["role"] == "student" else "assistant", turn["text"])
                for number, turn in enumerate(item["turns"], start=1)
            ),
            review=item["review"],
        )
        for item in data["examples"]
    )


def _turn_line(turn: Turn) -> str:
    return f"Turn {turn.number} ({'Student' if turn.student else 'Client'}): {turn.text}"


def context(turns: list[Turn]) -> str:
    numbers = ", ".join(str(turn.number) for turn in turns if turn.student)
    return f"The student's turns in this conversation are: {numbers}."


def transcript(turns: list[Turn]) -> str:
    lines = [_turn_line(turn) for turn in turns]
    return "Transcript:\n\n" + "\n\n".join(lines) + "\n\nReview the student's turns."


def repair_messages(answer: StructuredAnswer, errors: list[str]) -> list[dict]:
    """The answer as the model gave it, then a tool result listing each problem to fix."""
    listing = "\n".join(f"- {error}" for error in errors)
    return [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": answer.tool_use_id,
                    "name": "record_review",
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
                    "content": "The review cannot be accepted; fix these problems and call "
                    f"record_review again with the whole review:\n{listing}",
                }
            ],
        },
    ]
