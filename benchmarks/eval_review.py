"""How well reviews code and score real counseling: AnnoMI transcripts through the product's code.

    .venv/bin/python benchmarks/eval_review.py --data ../shared/data/annomi/annomi-train.csv
    ANTHROPIC_API_KEY=... .venv/bin/python benchmarks/eval_review.py --data FILE --model --limit 20

Reads any CSV in the AnnoMI columns (one label per counselor utterance: the majority's), codes
every counselor utterance with its client context through the shipped offline coder and reviews
every transcript the way a stored review is computed (`backend.reviews.evaluation`), then prints
macro-F1 over AnnoMI's four classes (question, reflection, therapist input, other) against the
experts' main code, the AUC of the shown (counted) score against the file's high/low MI quality
labels, per-class precision, recall and F1, and the confusion matrix.

With --model (ANTHROPIC_API_KEY set, and ANTHROPIC_BASE_URL if any) the same transcripts are also
reviewed by the review model through `review_service.review_transcript`, exactly the production
path of a stored review (the cached prompt and worked examples, the forced tool with the rubric's
enums, validation and one repair), under the MITI rubric with the counselor as the
student. The model's codes give its macro-F1 and, through the same `shown_score`, its AUC; the
AUC of the model's own mean criterion score is printed beside it, with the cost and tokens.
--limit N reviews only N transcripts (alternately low and high quality, so both are there), and
the offline coder is measured again on those N for a like-for-like comparison. A review still
invalid after its repair (or an API failure) is counted and left out of the model's figures.
The longest AnnoMI sessions (up to ~200 counselor turns) need more output than a practice session:
the run says how many answers stopped at REVIEW_MAX_TOKENS (raise it in the environment if any).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ENV_FILE", os.devnull)

from backend.config import get_settings
from backend.llm import LLMGateway
from backend.llm.shared_state import MemoryStore
from backend.llm.usage import Usage
from backend.reviews import (
    evaluation,
    review_service,
)
from backend.reviews.annomi import AnnomiTranscript
from backend.reviews.learned_coder import default_coder
from backend.reviews.review_service import ReviewOutcome
from backend.reviews.rubric_schema import RubricDefinition

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "annomi" / "annomi-train.csv"


def sample(transcripts: list[AnnomiTranscript], limit: int | None) -> list[AnnomiTranscript]:
    """The first `limit` transcripts taking low and high quality in turn (all without a limit)."""
    if limit is None or limit >= len(transcripts):
        return transcripts
    low = [t for t in transcripts if not t.high_quality]
    high = [t for t in transcripts if t.high_quality]
    chosen: list[AnnomiTranscript] = []
    while len(chosen) < limit and (low or high):
        for group in (low, high):
            if group and len(chosen) < limit:
                chosen.append(group.pop(0))
    return sorted(chosen, key=lambda t: t.transcript_id)


def model_reviews(
    transcripts: list[AnnomiTranscript], rubric: RubricDefinition, workers: int
) -> dict[int, ReviewOutcome]:
    """Each transcript reviewed through the production path; the first alone, so it writes the
    prompt cache that the others then read."""
    gateway = LLMGateway(get_settings(), store=MemoryStore())  # the app's breaker is not ours

    def review(transcript: AnnomiTranscript) -> tuple[int, ReviewOutcome]:
        outcome = review_service.review_transcript(
            evaluation.turns_of(transcript), rubric, client=None, brief=None, gateway=gateway
        )
        if outcome.failure is not None:
            mark = f"API error: {outcome.failure.summary}"
        else:
            mark = "ok" if outcome.content else f"invalid: {'; '.join(outcome.errors)[:300]}"
        print(f"  transcript {transcript.transcript_id}: {mark}", file=sys.stderr, flush=True)
        return transcript.transcript_id, outcome

    outcomes = dict([review(transcripts[0])])
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes.update(pool.map(review, transcripts[1:]))
    return outcomes


def model_codes(transcript: AnnomiTranscript, outcome: ReviewOutcome) -> list[list[str]]:
    """The model's codes for each counselor utterance, in order (none: not coded)."""
    if outcome.content is None:
        raise ValueError(f"transcript {transcript.transcript_id} has no review")
    by_turn: dict[int, list[str]] = defaultdict(list)
    for item in outcome.content.codes:
        by_turn[item.turn].append(item.code)
    return [by_turn[turn.number] for turn in evaluation.turns_of(transcript) if turn.student]


def mean_score(outcome: ReviewOutcome) -> float:
    scores = outcome.content.scores if outcome.content else []
    return sum(item.score for item in scores) / len(scores) if scores else 0.0


def print_model_figures(
    transcripts: list[AnnomiTranscript], outcomes: dict[int, ReviewOutcome], rubric
) -> None:
    reviewed = [t for t in transcripts if outcomes[t.transcript_id].content is not None]
    failed = len(transcripts) - len(reviewed)
    api_errors = sum(1 for o in outcomes.values() if o.failure is not None)
    repaired = sum(1 for o in outcomes.values() if o.content is not None and len(o.calls) == 2)
    truncated = sum(1 for o in outcomes.values() for call in o.calls if call.truncated)
    model = get_settings().review_model
    print(
        f"\nModel reviews ({model}, production prompt and tool, rubric {rubric.key!r}): "
        f"{len(reviewed)} of {len(transcripts)} valid, {repaired} after a repair; "
        f"{failed} left out ({api_errors} API errors, {failed - api_errors} still invalid); "
        f"{truncated} answers stopped at REVIEW_MAX_TOKENS"
    )
    usage, cost, unpriced, calls = Usage(), Decimal(0), False, 0
    for outcome in outcomes.values():
        billed = outcome.billed()
        usage = usage.plus(billed["usage"])
        calls += len(outcome.calls)
        if billed["cost"] is None:
            unpriced = unpriced or bool(outcome.calls)
        else:
            cost += billed["cost"]
    price = "unpriced model" if unpriced else f"${cost:.4f}"
    print(
        f"cost {price} for {calls} calls (tokens: input {usage.input_tokens:,}, output "
        f"{usage.output_tokens:,}, cache write {usage.cache_write_tokens:,}, cache read "
        f"{usage.cache_read_tokens:,})"
    )
    if len({t.high_quality for t in reviewed}) < 2:
        print("No figures: the valid reviews do not include both high and low quality.")
        return
    result = evaluation.evaluate(
        reviewed, lambda t: model_codes(t, outcomes[t.transcript_id]), rubric
    )
    evaluation.print_evaluation(result, "Model coder (codes from the review)")
    own = evaluation.auc(
        [mean_score(outcomes[t.transcript_id]) for t in reviewed],
        [t.high_quality for t in reviewed],
    )
    print(f"AUC {own:.3f}                 (the model's mean criterion score vs. the same labels)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a CSV in AnnoMI columns")
    parser.add_argument("--model", action="store_true", help="also review with REVIEW_MODEL")
    parser.add_argument("--limit", type=int, default=None, help="model: review only N (>= 2)")
    parser.add_argument("--workers", type=int, default=4, help="model: reviews at once")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 2:
        parser.error("--limit needs at least 2 transcripts (one high, one low quality)")

    started = time.perf_counter()
    transcripts = evaluation.load(args.data)
    rubric = evaluation.miti()
    print(f"{args.data.name}: {len(transcripts)} transcripts, rubric {rubric.name!r}")
    evaluation.print_evaluation(evaluation.evaluate(transcripts), "Offline coder (shipped)")
    print(f"({time.perf_counter() - started:.1f} s)")
    if hashlib.sha256(args.data.read_bytes()).hexdigest() == default_coder().trained_on_sha256:
        print(
            "\nNote: the shipped coder was trained on this very file, so the figures above are "
            "in-sample.\nThe honest ones are out of fold: .venv/bin/python -m "
            f"backend.reviews.train_coder --data {args.data} --no-write"
        )
    if not args.model:
        return 0
    if get_settings().demo_mode:
        print("\n--model needs ANTHROPIC_API_KEY in the environment.", file=sys.stderr)
        return 2
    chosen = sample(transcripts, args.limit)
    if len(chosen) < len(transcripts):
        evaluation.print_evaluation(
            evaluation.evaluate(chosen), f"Offline coder on the {len(chosen)} reviewed below"
        )
    outcomes = model_reviews(chosen, rubric, args.workers)
    print_model_figures(chosen, outcomes, rubric)
    return 0


if __name__ == "__main__":
    sys.exit(main())
