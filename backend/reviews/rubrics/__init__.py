"""The built-in rubrics, kept as plain JSON data next to this module (one file per rubric)."""

from __future__ import annotations

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
