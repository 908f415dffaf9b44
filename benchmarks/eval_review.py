"""Per-code precision, recall and support of the review coders against the hand-labelled set.

    .venv/bin/python benchmarks/eval_review.py

Codes every utterance of tests/data/utterances.jsonl with the rule-based demo coder under the MITI
rubric and prints, per code, precision, recall and support, then accuracy overall and per split
("dev": the rules were written with these in view; "holdout": labelled after the rules were frozen,
the honest figure for new text). With ANTHROPIC_API_KEY set (and ANTHROPIC_BASE_URL, if any), the
same utterances are coded by the feedback model through `coding_service.code_utterances` in batches
of BATCH, and its figures are printed after the demo coder's; without a key that part is skipped.
An utterance the model left uncoded counts as a miss (shown as "(none)").
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ENV_FILE", os.devnull)

from backend.config import get_settings  # noqa: E402
from backend.llm import GatewayError  # noqa: E402
from backend.rubrics import load_builtin_rubrics  # noqa: E402
from backend.schemas.rubrics import RubricDefinition  # noqa: E402
from backend.services import coding_service  # noqa: E402
from backend.services.utterance_coder import code_utterance  # noqa: E402

BATCH = 20
NO_CODE = "(none)"
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "utterances.jsonl"


def load_rows() -> list[dict]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def miti() -> RubricDefinition:
    return next(r for r in load_builtin_rubrics() if r.key == "miti")


def model_codes(utterances: list[str], rubric: RubricDefinition | None = None) -> list[str] | None:
    """The feedback model's code for each utterance (batches of BATCH), or None in demo mode."""
    rubric = rubric or miti()
    predicted: list[str] = []
    for start in range(0, len(utterances), BATCH):
        batch = coding_service.code_utterances(utterances[start : start + BATCH], rubric)
        if batch is None:
            return None
        predicted += [code or NO_CODE for code in batch]
    return predicted


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
    rubric = miti()
    rows = load_rows()
    texts, labels = [row["text"] for row in rows], [row["code"] for row in rows]
    demo = [code_utterance(text, rubric) for text in texts]
    print(f"{len(rows)} hand-labelled counselor utterances, rubric {rubric.name!r}")
    report("Demo coder (rule-based)", labels, demo, rubric.code_keys)
    accuracy_by_split(rows, demo)

    if not os.environ.get("ANTHROPIC_API_KEY"):
        print("\nModel coder: skipped (no ANTHROPIC_API_KEY).")
        return 0
    try:
        predicted = model_codes(texts, rubric)
    except GatewayError as error:
        print(f"\nModel coder: failed ({error}).")
        return 1
    if predicted is None:
        print("\nModel coder: skipped (the gateway is in demo mode).")
        return 0
    model = get_settings().feedback_model
    report(f"Model coder ({model}, batches of {BATCH})", labels, predicted, rubric.code_keys)
    accuracy_by_split(rows, predicted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
