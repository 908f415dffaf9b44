"""The built-in rubrics, kept as plain JSON data next to this module (one file per rubric)."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from backend.reviews.rubric_schema import RubricDefinition
from backend.utils.text import reads_as

RUBRIC_DIR = Path(__file__).resolve().parent
BUILTIN_FILES = ("miti.json", "micro_skills.json")


def load_builtin_rubrics() -> list[RubricDefinition]:
    """Every built-in rubric, validated; a broken file fails loudly at start-up, not in a review."""
    return [
        RubricDefinition.model_validate_json((RUBRIC_DIR / name).read_text(encoding="utf-8"))
        for name in BUILTIN_FILES
    ]


@cache
def _builtin_keys() -> dict[str, str]:
    """Each built-in criterion's key by its name as it reads."""
    return {
        reads_as(criterion.name): criterion.key
        for rubric in load_builtin_rubrics()
        for criterion in rubric.criteria
    }


def criterion_key(name: str) -> str:
    """The key a criterion of this name is summed up under, whatever key a rubric gives it: the
    built-in criterion's of that name ("Open Questions" is open_questions), else one made of the
    name ("Summaries" is summaries). A teacher's copy can only rewrite a criterion to score
    something new ("Open questions" rewritten as "Summaries"), and figures, the demo review's
    caps and the worked examples the model is shown had taken "Summaries" for open questions
    (an attack, 2026-12-07). The same name always gives the same key, whichever sessions a
    figure or a file holds."""
    folded = reads_as(name)
    if (builtin := _builtin_keys().get(folded)) is not None:
        return builtin
    slug = folded.replace(" ", "_")
    if re.fullmatch(r"[a-z][a-z0-9_]{0,59}", slug):
        return slug  # the name itself, in letters, digits and spaces
    # Other characters (punctuation, another script) or a long name: a part of the name and a
    # hash of all of it, so two names never share a key ("Reflections (+)" and "Reflections
    # (-)" had been one row, a rating lost: an attack on the day's fixes, 2026-12-07).
    stem = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")[:40]
    digest = hashlib.sha256(folded.encode()).hexdigest()[:8]
    return f"{stem}_{digest}" if stem and stem[0].isalpha() else f"criterion_{digest}"


def as_built(rubric: RubricDefinition) -> bool:
    """Whether each criterion of the rubric is the built-in one its key names (by name)."""
    return all(criterion_key(c.name) == c.key for c in rubric.criteria)
