"""The memory's words: the summary tool's prompt and answer, the offline summary, and the memory
without the sentences that give hidden information away (no database, no model: the memory job in
`memory_writer` uses them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from backend.clients.read_models import ClientRead
from backend.llm.transcript import turns_json
from backend.practice.memory_service import MAX_SUMMARY_CHARS

MEMORY_TOOL = "record_client_memory"
TOOL_DESCRIPTION = "Record what the client remembers of this student after the session."
#: Each part's longest answer (characters): the whole memory stays a few short lines.
PART_CHARS = 400
PARTS = {
    "discussed": "Discussed",
    "disclosed": "You told the student",
    "agreed": "Agreed",
    "relationship": "Relationship so far",
}
INSTRUCTIONS = f"""You keep the memory of a simulated counseling client: a person who meets the
same counseling student again next week. After each session you write what this person would
remember, for them to read before the next session. Call the {MEMORY_TOOL} tool once.

Write to the client, in the second person ("You told the student..."), in plain words, at most
two short sentences per field:
- discussed: what the two of you talked about.
- disclosed: what you (the client) told the student about yourself: facts, feelings, worries.
  Only what you actually said in the transcript; never add anything you did not say.
- agreed: any plan, homework or next step you agreed on; "" when none.
- relationship: how the relationship with the student feels so far (trust, rapport, tensions).

Merge the memory so far (it covers the earlier sessions) with this session: keep what still
matters, drop what does not, and keep the whole memory under 150 words. Never quote the student
at length and never invent events."""


class MemoryAnswer(BaseModel):
    """The summary tool's answer: one short text per part."""

    discussed: str = Field(default="", max_length=PART_CHARS)
    disclosed: str = Field(default="", max_length=PART_CHARS)
    agreed: str = Field(default="", max_length=PART_CHARS)
    relationship: str = Field(default="", max_length=PART_CHARS)

    def text(self, *, without: frozenset[str] = frozenset()) -> str:
        """The memory as stored and shown: one line per part that says something."""
        lines = [
            f"{label}: {' '.join(getattr(self, part).split())}"
            for part, label in PARTS.items()
            if part not in without and getattr(self, part).strip()
        ]
        return "\n".join(lines)


def tool_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            part: {"type": "string", "maxLength": PART_CHARS, "description": label}
            for part, label in PARTS.items()
        },
        "required": list(PARTS),
    }


@dataclass(frozen=True)
class MemorySource:
    """What one memory needs, read in one transaction."""

    session_id: int
    user_id: int
    client: ClientRead
    turns: list[tuple[bool, str]]  # (said by the student?, text), in order
    previous: str
    previous_earned: bool
    #: The student's words in their earlier sessions with this client (no secret to them).
    said_before: tuple[str, ...]
    sessions: int  # the ended sessions of this student with this client, this one included
    day: str
    #: The meetings the memory covers once this one is in: more than `sessions` when this one is
    #: taken in after later ones (its memory job was lost), which the memory covers already.
    met: int = 0

    @property
    def meetings(self) -> int:
        return max(self.sessions, self.met)


def memory_context(source: MemorySource) -> str:
    """Who the client is (never their hidden information) and the memory so far."""
    client = source.client
    so_far = source.previous or "(none: this was your first session with this student)"
    return (
        f"You are {client.name}. Why you came: {client.presenting_concern or 'not specified'}.\n"
        f"This was session {source.sessions} with this student ({source.day})"
        + (
            f", taken in late: the memory so far covers later sessions too (you have met "
            f"{source.meetings} times)"
            if source.meetings > source.sessions
            else ""
        )
        + f".\n\nThe memory so far:\n{so_far}"
    )


def transcript(turns: list[tuple[bool, str]]) -> str:
    """The session's turns as JSON ("client" is you): a student's message cannot pass for words
    of yours, which the summary would then carry into the next session's instructions."""
    numbered = ((number, student, text) for number, (student, text) in enumerate(turns, 1))
    return 'The session\'s transcript ("client" is you):\n' + turns_json(numbered)


def offline_summary(source: MemorySource) -> str:
    """The free summary (demo mode, a used-up budget, an API failure): how long the session was
    and what the client said last, added to the memory so far (the oldest lines go first when it
    grows too long). Never the student's words: the memory is part of the client's instructions
    in the next session, where a quoted message would read as one."""
    student = [text for said_by_student, text in source.turns if said_by_student]
    client = [text for said_by_student, text in source.turns if not said_by_student]
    messages = f"{len(student)} message{'s' if len(student) != 1 else ''}"
    answer = MemoryAnswer(
        discussed=f"Session {source.sessions} ({source.day}): the student sent you {messages}.",
        disclosed=_clip(f"You said “{client[-1]}”") if client else "",
        relationship=f"You have met {source.meetings} time{'s' if source.meetings > 1 else ''}.",
    )
    text = answer.text()
    if source.previous:
        text = f"{source.previous}\n\n{text}"
    return text[-MAX_SUMMARY_CHARS:].lstrip()


def _clip(text: str, most: int = 160) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


#: Where a sentence ends inside a line (after its closing quotation mark, if any).
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…]”)\s+")


def without_leaks(text: str, leak: Callable[[str], str | None]) -> str:
    """`text` without the sentences that give the hidden information away (a fact spread over
    several sentences loses each of them); lines stay lines."""
    pieces = [
        (number, sentence)
        for number, line in enumerate(text.splitlines())
        for sentence in SENTENCE_END.split(line)
        if sentence.strip()
    ]
    while True:
        joined, spans = _composed(pieces)
        quote = leak(joined)
        if quote is None:
            return joined
        start = joined.find(quote)
        end = start + len(quote)
        keep = [
            piece
            for piece, (first, last) in zip(pieces, spans, strict=True)
            if start >= 0 and (last <= start or first >= end)
        ]
        if len(keep) == len(pieces):  # nothing to drop found: keep nothing rather than the leak
            return ""
        pieces = keep


def _composed(pieces: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The sentences joined (a space within a line, a new line between lines), and where each
    one is in the text."""
    text, spans, last_line = "", [], None
    for number, sentence in pieces:
        if text:
            text += " " if number == last_line else "\n"
        spans.append((len(text), len(text) + len(sentence)))
        text += sentence
        last_line = number
    return text, spans
