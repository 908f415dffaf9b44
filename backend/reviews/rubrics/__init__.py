"""The built-in rubrics, kept as plain JSON data next to this module (one file per rubric)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from backend.reviews.rubric_schema import RubricDefinition

RUBRIC_DIR = Path(__file__).resolve().parent
BUILTIN_FILES = ("miti.json", "micro_skills.json")


def load_builtin_rubrics() -> list[RubricDefinition]:
    """Every built-in rubric, validated; a broken file fails loudly at start-up, not in a review."""
    return [
        RubricDefinition.model_validate_json((RUBRIC_DIR / name).read_text(encoding="utf-8"))
        for name in BUILTIN_FILES
    ]


@cache
def _builtin_names() -> dict[tuple[str, str], str]:
    return {
        (rubric.key, criterion.key): criterion.name
        for rubric in load_builtin_rubrics()
        for criterion in rubric.criteria
    }


def as_built(rubric: RubricDefinition, criterion_key: str) -> bool:
    """Whether the rubric's criterion is still the built-in one of its key, by name: what is
    written for that one (the demo review's caps, the worked examples the model is shown) fits
    it. A teacher's copy can only rewrite a criterion to score something new ("Open questions"
    rewritten as "Summaries"), and the caps and examples had judged "Summaries" by open
    questions (an attack, 2026-12-07)."""
    named = next((c.name for c in rubric.criteria if c.key == criterion_key), None)
    return named is not None and named == _builtin_names().get((rubric.key, criterion_key))
