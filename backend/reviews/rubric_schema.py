"""The rubric format: criteria with 1-5 anchors, utterance codes, and summary indicators.

Built-in rubrics are JSON files in `backend/reviews/rubrics/` validated by `RubricDefinition`; a teacher's
own rubric uses the same shape, so one validator covers both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCORE_MIN, SCORE_MAX = 1, 5
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
# Every rubric text and list is bounded: a rubric is part of every review request it scores, so
# its size is the review's cost (the form's `max_chars` use the same numbers).
NAME_MAX, MEANING_MAX, ANCHOR_MAX = 120, 2000, 600
DEFINITION_MAX, EXAMPLE_MAX, DESCRIPTION_MAX, SOURCE_MAX = 2000, 1000, 4000, 300
MAX_CRITERIA, MAX_CODES, MAX_INDICATORS = 12, 20, 12
# Thresholds are ratios, shares and 1-5 averages; anything this far out is a typing slip.
THRESHOLD_LIMIT = 1000.0

# "input" is what AnnoMI calls therapist input (information, advice, persuasion); "other" is the
# rest (affirmations, autonomy, collaboration, confrontation, anything a teacher adds).
CodeKind = Literal["question", "reflection", "input", "other"]
# MITI 4.2.1's summary totals: MI-Adherent (seek collaboration + affirm + emphasize autonomy) and
# MI Non-Adherent (persuade + confront).
Adherence = Literal["adherent", "non_adherent"]
# Greetings, backchannels ("Mm-hmm.") and fragments: MITI leaves them uncoded, so every rubric
# accepts this code and no indicator counts it.
NOT_CODED = "not_coded"
NOT_CODED_NAME = "Not coded (greeting, backchannel or fragment)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Criterion(_Strict):
    """One thing scored 1-5, with what each score looks like."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=NAME_MAX)
    meaning: str = Field(min_length=1, max_length=MEANING_MAX)
    anchors: dict[int, Annotated[str, Field(max_length=ANCHOR_MAX)]]

    @field_validator("anchors")
    @classmethod
    def _every_score_anchored(cls, anchors: dict[int, str]) -> dict[int, str]:
        expected = set(range(SCORE_MIN, SCORE_MAX + 1))
        if set(anchors) != expected:
            raise ValueError(f"anchors must describe exactly the scores {sorted(expected)}")
        if any(not text.strip() for text in anchors.values()):
            raise ValueError("every anchor needs a description")
        return dict(sorted(anchors.items()))


class UtteranceCode(_Strict):
    """A behaviour code given to one counselor utterance."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=NAME_MAX)
    definition: str = Field(min_length=1, max_length=DEFINITION_MAX)
    example: str = Field(min_length=1, max_length=EXAMPLE_MAX)
    kind: CodeKind = "other"
    # A complex reflection adds meaning beyond what the client said (counts for % complex).
    complex: bool = False
    adherence: Adherence | None = None

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, key: str) -> str:
        if key == NOT_CODED:
            raise ValueError(f"{NOT_CODED!r} is reserved for utterances left uncoded")
        return key

    @model_validator(mode="after")
    def _only_reflections_are_complex(self) -> UtteranceCode:
        if self.complex and self.kind != "reflection":
            raise ValueError(f"code {self.key!r}: only a reflection can be complex")
        return self


class Indicator(_Strict):
    """A summary figure with its fair and good thresholds."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=NAME_MAX)
    fair: float = Field(allow_inf_nan=False, ge=-THRESHOLD_LIMIT, le=THRESHOLD_LIMIT)
    good: float = Field(allow_inf_nan=False, ge=-THRESHOLD_LIMIT, le=THRESHOLD_LIMIT)
    higher_is_better: bool = True
    # Where the thresholds come from (a manual, a paper, or "our own choice"), shown with them.
    source: str = Field(default="", max_length=SOURCE_MAX)

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Indicator:
        in_order = self.good >= self.fair if self.higher_is_better else self.good <= self.fair
        if not in_order:
            raise ValueError(f"indicator {self.key!r}: 'good' must be beyond 'fair'")
        return self


class RubricDefinition(_Strict):
    """A whole rubric as stored in a built-in JSON file or written by a teacher."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=NAME_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    criteria: list[Criterion] = Field(min_length=1, max_length=MAX_CRITERIA)
    codes: list[UtteranceCode] = Field(min_length=1, max_length=MAX_CODES)
    indicators: list[Indicator] = Field(default_factory=list, max_length=MAX_INDICATORS)

    @model_validator(mode="after")
    def _unique_keys(self) -> RubricDefinition:
        for label, items in (
            ("criterion", self.criteria),
            ("code", self.codes),
            ("indicator", self.indicators),
        ):
            keys = [item.key for item in items]
            duplicates = sorted({key for key in keys if keys.count(key) > 1})
            if duplicates:
                raise ValueError(f"duplicate {label} keys: {', '.join(duplicates)}")
        return self

    def code(self, key: str) -> UtteranceCode | None:
        """The code with this key, or None when the rubric has no such code."""
        return next((code for code in self.codes if code.key == key), None)

    @property
    def code_keys(self) -> list[str]:
        return [code.key for code in self.codes]

    @property
    def codable_keys(self) -> list[str]:
        """Every code a turn may get: the rubric's own and `NOT_CODED`."""
        return [*self.code_keys, NOT_CODED]

    def code_name(self, key: str) -> str:
        """The code's name as readers see it (the key itself for an unknown code)."""
        if key == NOT_CODED:
            return NOT_CODED_NAME
        code = self.code(key)
        return code.name if code else key
