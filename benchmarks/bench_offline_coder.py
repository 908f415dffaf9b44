"""How long the offline coder takes: one utterance, and a whole session's offline review.

    .venv/bin/python benchmarks/bench_offline_coder.py [--data ../shared/data/annomi/annomi-train.csv]

Loads the shipped weights once (timed), then codes counselor utterances of the AnnoMI file one
at a time with their client context, and reviews 40-turn stretches of its transcripts with the
product's offline review (coder, rules, counts, risk check, strengths and better replies).
Prints medians and 95th percentiles; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ENV_FILE", os.devnull)

from backend.reviews import evaluation
from backend.reviews.annomi import previous_client_text
from backend.reviews.learned_coder import MODEL_PATH, LearnedCoder, default_coder
from backend.reviews.offline_review import offline_review

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "annomi" / "annomi-train.csv"
)
SESSION_TURNS = 40


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered) * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--utterances", type=int, default=1000)
    args = parser.parse_args()

    started = time.perf_counter()
    LearnedCoder.load(MODEL_PATH)
    print(
        f"load the weights ({MODEL_PATH.stat().st_size / 1e6:.2f} MB): "
        f"{(time.perf_counter() - started) * 1e3:.0f} ms"
    )
    coder = default_coder()
    transcripts = evaluation.load(args.data)
    pairs = [
        (u.text, previous_client_text(t, i))
        for t in transcripts
        for i, u in enumerate(t.utterances)
        if u.speaker == "counselor"
    ][: args.utterances]
    one = []
    for text, context in pairs:
        started = time.perf_counter()
        coder.predict(text, context)
        one.append(time.perf_counter() - started)
    print(f"one counselor utterance ({len(one)} coded one by one): {_ms(one)}")

    rubric = evaluation.miti()
    sessions = []
    for transcript in transcripts:
        turns = evaluation.turns_of(transcript)
        for start in range(0, len(turns) - SESSION_TURNS + 1, SESSION_TURNS):
            stretch = turns[start : start + SESSION_TURNS]
            if not any(turn.student for turn in stretch):
                continue
            started = time.perf_counter()
            offline_review(stretch, rubric)
            sessions.append(time.perf_counter() - started)
    print(
        f"offline review of a {SESSION_TURNS}-turn session ({len(sessions)} sessions): {_ms(sessions)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
