"""Per-code precision, recall and support of the review coders against the hand-labelled set.

    .venv/bin/python benchmarks/eval_review.py

Codes every utterance of tests/data/utterances.jsonl with the rule-based demo coder under the MITI
rubric and prints, per code, precision, recall and support, then accuracy overall and per split
("dev": the rules were written with these in view; "holdout": labelled after the rules were frozen,
the honest figure for new text). With ANTHROPIC_API_KEY set, the model path is evaluated through the
review service: `model_codes` is the hook for it (not wired yet, so it reports that it skipped).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ENV_FILE", os.devnull)

from backend.rubrics import load_builtin_rubrics  # noqa: E402
from backend.schemas.rubrics import RubricDefinition  # noqa: E402
from backend.services.utterance_coder import code_utterance  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "utterances.jsonl"


def load_rows() -> list[dict]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def model_codes(utterances: list[str]) -> list[str] | None:
    """The model's code for each utterance via the review service, or None when not evaluated.

    Hook for the review service's model path (structured output over the rubric's codes); until it
    is wired in here this returns None and the report says the model was skipped.
    """
    return None


def report(title: str, labels: list[str], predicted: list[str], codes: list[str]) -> None:
    """Print precision, recall and support per code, and the accuracy (computed here, no sklearn)."""
    hits = Counter(label for label, guess in zip(labels, predicted, strict=True) if label == guess)
    support, guessed = Counter(labels), Counter(predicted)
    print(f"\n{title}")
    print(f"{'code':<26}{'precision':>10}{'recall':>8}{'support':>9}")
    for code in codes:
        precision = f"{hits[code] / guessed[code]:.2f}" if guessed[code] else "-"
        recall = f"{hits[code] / support[code]:.2f}" if support[code] else "-"
        print(f"{code:<26}{precision:>10}{recall:>8}{support[code]:>9}")
    correct = sum(hits.values())
    print(f"accuracy {correct}/{len(labels)} = {correct / len(labels):.3f}")


def accuracy_by_split(rows: list[dict], predicted: list[str]) -> None:
    for split in sorted({row["split"] for row in rows}):
        pairs = [
            (r["code"], p) for r, p in zip(rows, predicted, strict=True) if r["split"] == split
        ]
        correct = sum(label == guess for label, guess in pairs)
        print(f"  {split:<8} {correct}/{len(pairs)} = {correct / len(pairs):.3f}")


def main() -> int:
    rubric: RubricDefinition = next(r for r in load_builtin_rubrics() if r.key == "miti")
    rows = load_rows()
    texts, labels = [row["text"] for row in rows], [row["code"] for row in rows]
    demo = [code_utterance(text, rubric) for text in texts]
    print(f"{len(rows)} hand-labelled counselor utterances, rubric {rubric.name!r}")
    report("Demo coder (rule-based)", labels, demo, rubric.code_keys)
    accuracy_by_split(rows, demo)

    if not os.environ.get("ANTHROPIC_API_KEY"):
        print("\nModel coder: skipped (no ANTHROPIC_API_KEY).")
        return 0
    print("\nModel coder: the model path is evaluated by the review service.")
    predicted = model_codes(texts)
    if predicted is None:
        print("  skipped: model_codes() is not wired to the review service yet.")
        return 0
    report("Model coder", labels, predicted, rubric.code_keys)
    accuracy_by_split(rows, predicted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
