"""A session review: the model's structured answer (the tool's input schema) and read models.

The answer's JSON schema is what the forced tool declares, so its shape is valid by construction;
what a schema cannot say (a quote appears in turn 7, a code belongs to the rubric) the review
service checks before anything is stored.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from backend.models.review import ReviewSource, ReviewStatus
from backend.utils.text import reads_as

# Every text of an answer is bounded like the teacher's form (a review is read, not a book).
TEXT_MAX = 600
#: A code as the model writes it, compactly: "turn:code" ("3:open_question").
COMPACT_CODE = re.compile(r"^\s*(\d+)\s*:\s*([A-Za-z0-9_]+)\s*$")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ClientTalk(_Answer):
    """A client turn that argues for change or for the status quo (MI's change / sustain talk):
    marked first, so the global ratings are scored against what the client actually said."""

    turn: int = Field(description="The number of a client turn in the transcript.")
    kind: Literal["change", "sustain"] = Field(
        description="change: the client's own words for change; sustain: for staying the same."
    )
    quote: str = Field(
        description="The few words of that client turn that carry it, copied exactly.",
        max_length=TEXT_MAX,
    )


class CodedTurn(_Answer):
    turn: int = Field(description="The number of a student turn in the transcript.")
    code: str = Field(description="The key of one of the rubric's utterance codes.")


class RiskCheck(_Answer):
    """A client turn voicing self-harm or harm to others, and whether the student responded."""

    client_turn: int = Field(description="The client turn that voiced self-harm or harm.")
    quote: str = Field(
        description="Words copied exactly from that client turn.", max_length=TEXT_MAX
    )
    student_turn: int | None = Field(
        description="The student's next turn (none if the conversation ended there)."
    )
    responded: bool = Field(
        description="True only if that turn asked about it directly, took it seriously and did "
        "not move on to something else."
    )
    note: str = Field(description="One sentence for the teacher.", max_length=TEXT_MAX)


class CriterionScore(_Answer):
    # Evidence, then reasoning, then the score: the score is written after what it rests on.
    criterion: str = Field(description="The key of one of the rubric's criteria.")
    turns: list[int] = Field(description="The turns this score rests on.")
    reasoning: str = Field(description="One sentence: why this score.", max_length=TEXT_MAX)
    score: StrictInt = Field(description="1 to 5, by the criterion's anchors.")


class Strength(_Answer):
    turn: int = Field(description="A student turn.")
    quote: str = Field(description="Words copied exactly from that turn.", max_length=TEXT_MAX)
    comment: str = Field(
        description="What was good about it, in the rubric's terms.", max_length=TEXT_MAX
    )


class TryInstead(_Answer):
    turn: int = Field(description="A student turn that could have gone better.")
    quote: str = Field(
        description="The student's line, copied exactly from that turn.", max_length=TEXT_MAX
    )
    better_reply: str = Field(
        description="A better reply, in the student's own voice.", max_length=TEXT_MAX
    )
    why: str = Field(description="Why it is better, in the rubric's terms.", max_length=TEXT_MAX)


class ReviewAnswer(_Answer):
    """What the review model must answer (and what a stored review's content holds).

    Fields are in the order the model writes them: what the client said first, then the codes,
    the risk check and the scores, then what the student reads."""

    client_talk: list[ClientTalk] = Field(
        default_factory=list, description="Every client turn with change or sustain talk."
    )
    codes: list[CodedTurn] = Field(
        description="Every student turn's codes: one, or two where the turn does two things "
        "(a reflection, then a question)."
    )
    risk: list[RiskCheck] = Field(
        default_factory=list,
        description="Every client turn voicing self-harm or harm to others (empty if none).",
    )
    scores: list[CriterionScore] = Field(description="One score for every rubric criterion.")
    strengths: list[Strength] = Field(description="Up to 3 strengths, each quoting the student.")
    try_instead: list[TryInstead] = Field(
        description="1 to 3 better replies to try next time, each for a turn that is not a strength."
    )
    goal: str = Field(description="One goal for the next practice session.", max_length=TEXT_MAX)

    @model_validator(mode="before")
    @classmethod
    def _expand_compact_codes(cls, data: Any) -> Any:
        """Codes written compactly ("3:open_question", the tool's form: fewer output tokens) read
        as `CodedTurn`s; anything else is left for validation to report."""
        if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
            return data
        codes = []
        for item in data["codes"]:
            match = COMPACT_CODE.match(item) if isinstance(item, str) else None
            codes.append({"turn": int(match[1]), "code": match[2]} if match else item)
        return {**data, "codes": codes}


class ReviewContent(ReviewAnswer):
    """A stored review: the validated answer, whether it is the automatic demo review, and
    whether that review could not read the session (not in English: its goal says so)."""

    demo: bool = False
    not_english: bool = False

    @model_validator(mode="before")
    @classmethod
    def _clip_stored_texts(cls, data: Any) -> Any:
        """Reviews stored before texts were bounded still read (clipped), never crash a page."""
        if not isinstance(data, dict):
            return data
        clipped = dict(data)
        for part in ("client_talk", "risk", "scores", "strengths", "try_instead"):
            items = clipped.get(part)
            if isinstance(items, list):
                clipped[part] = [_clip(item) for item in items]
        if isinstance(clipped.get("goal"), str):
            clipped["goal"] = clipped["goal"][:TEXT_MAX]
        return clipped


def _clip(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    return {key: v[:TEXT_MAX] if isinstance(v, str) else v for key, v in item.items()}


class ReviewRead(BaseModel):
    """A review as a page shows it; `content` is None when it failed (never shown invalid)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: int
    rubric_version_id: int
    status: ReviewStatus
    source: ReviewSource
    released_at: datetime | None
    content: ReviewContent | None
    indicators: dict[str, Any]
    hidden_information_turn: int | None = None  # teachers and admins only
    # The teacher's version (teachers and admins see it beside the model's first `content`; a
    # student reads it as `content` once released, see `by_teacher`).
    teacher_content: ReviewContent | None = None
    teacher_indicators: dict[str, Any] | None = None
    reviewed_by_id: int | None = None
    reviewed_at: datetime | None = None
    teacher_released_at: datetime | None = None
    model: str | None
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost: Decimal | None
    created_at: datetime

    @property
    def ready(self) -> bool:
        return self.status == ReviewStatus.ready

    @property
    def demo(self) -> bool:
        """The automatic demo review (not once a student reads their teacher's version)."""
        return self.source == ReviewSource.demo and (self.content is None or self.content.demo)

    @property
    def by_teacher(self) -> bool:
        """Students read the teacher's version ("reviewed by your teacher")."""
        return self.teacher_released_at is not None

    @property
    def final_content(self) -> ReviewContent | None:
        """The version that counts: the teacher's when there is one, else the model's."""
        return self.teacher_content or self.content

    def final(self) -> ReviewRead:
        """This review with the version that counts as its `content` and `indicators` (what a
        teacher reads beside the conversation; the editor shows both versions)."""
        if self.teacher_content is None:
            return self
        indicators = self.teacher_indicators or self.indicators
        return self.model_copy(update={"content": self.teacher_content, "indicators": indicators})


class RubricRead(BaseModel):
    """A rubric with its latest version's definition."""

    id: int
    key: str
    name: str
    owner_id: int | None
    version_id: int
    version: int
    definition: dict[str, Any]

    @property
    def builtin(self) -> bool:
        return self.owner_id is None


def rubric_labels(
    rubrics: list[RubricRead], viewer_id: int, *, versions: bool = False
) -> dict[int, str]:
    """Each rubric as pickers and the Rubrics page name it: whose it is ("built-in", "yours",
    "another teacher's": an admin had read a teacher's rubric called "yours"), with its version,
    and two of one name told apart by "#id" (two copies had read alike: an attack, 2026-12-07)."""

    def whose(rubric: RubricRead) -> str:
        owner = (
            "built-in"
            if rubric.builtin
            else "yours"
            if rubric.owner_id == viewer_id
            else "another teacher's"
        )
        return f"{owner}, version {rubric.version}" if versions else owner

    labels = {r.id: f"{r.name} ({whose(r)})" for r in rubrics}
    alike = Counter(reads_as(label) for label in labels.values())
    return {
        key: f"{label} #{key}" if alike[reads_as(label)] > 1 else label
        for key, label in labels.items()
    }
