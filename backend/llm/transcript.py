"""A conversation's turns as a prompt shows them to a model: JSON, one object a line. Whatever a
turn's text holds (newlines, lines that look like turns, instructions) stays inside its string, so
no one can forge a turn; the review and the continuing client's memory both read turns so."""

from __future__ import annotations

import json
from collections.abc import Iterable


def turns_json(turns: Iterable[tuple[int, bool, str]]) -> str:
    """(turn number, said by the student?, text) for each turn, as a JSON list."""
    objects = [
        json.dumps(
            {"turn": number, "speaker": "student" if student else "client", "text": text},
            ensure_ascii=False,
        )
        for number, student, text in turns
    ]
    return "[\n" + ",\n".join(objects) + "\n]"
