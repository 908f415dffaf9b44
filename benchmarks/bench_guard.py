"""How well the output guard separates leaks from innocent replies, and what it costs per chunk.

    .venv/bin/python benchmarks/bench_guard.py
    .venv/bin/python benchmarks/bench_guard.py --annomi ../shared/data/annomi/annomi-train.csv

Recall (leaks stopped) and false alarms (innocent replies stopped) on the labelled set
tests/data/guard_cases.jsonl, all cases and the "must" cases apart (the unmarked ones are hard on
purpose: a paraphrase without the fact's words, the fact's words about someone else), with the
cases it gets wrong listed. Then the guard's time per chunk while a 100-word reply streams in
chunks of about four characters, against the word-run guard it replaced (issue 19), which
re-read the whole draft at every chunk.

--annomi FILE: real clients' words, every distinct client utterance of an AnnoMI CSV through the
guard of a client with no hidden information (the rules that need none: speaking out of role,
reciting the instructions), in chunks of four characters; prints how many were stopped and
which. Each one is a false alarm: a real client said it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["ENV_FILE"] = os.devnull

from backend.clients.read_models import ClientInput, ClientRead
from backend.practice import output_guard

CASES = ROOT / "tests" / "data" / "guard_cases.jsonl"
RUN_WORDS = 6
HIDDEN = (
    "Lost their job at the bakery on Elm Street last March after 12 years. Has been drinking a "
    "bottle of vodka a day since the divorce. She is secretly pregnant."
)
REPLY = (
    "I don't know, it's hard to say where to start. Mornings are the worst, I think. I wake up "
    "early and lie there, going over the same things again and again, the money and the house "
    "and what my mother would say if she saw me now. My sister calls sometimes, but I let it "
    "ring. It's not that I don't love her. I just can't keep pretending everything is fine when "
    "it isn't, and she always knows when I'm pretending. Maybe that's why I came here today. I "
    "guess I wanted someone to listen for once, without fixing it."
)


def client(hidden: str) -> ClientRead:
    data = ClientInput(
        name="Alex Rivera",
        occupation="Barista",
        background="Grew up in a busy household.",
        presenting_concern="Feels stuck at work.",
        personality_traits=["anxious", "guarded"],
        hidden_information=hidden,
    )
    now = datetime.now(UTC)
    fields = dict(id=1, owner_id=1, archived=False, version=1, created_at=now, updated_at=now)
    return ClientRead(**data.model_dump(), **fields)


def stopped(case: dict) -> bool:
    guard = output_guard.guard_for(
        client(case["hidden"]),
        student_turns=1,
        run_words=RUN_WORDS,
        student_said=case.get("student", []),
        client_said=case.get("earlier", []),
    )
    reply = case["reply"]
    for index in range(0, len(reply), 4):
        guard.feed(reply[index : index + 4])
    guard.finish()
    return guard.leaked is not None


def rates(cases: list[dict], label: str) -> None:
    leaks = [c for c in cases if c["leak"]]
    innocent = [c for c in cases if not c["leak"]]
    caught = sum(c["stopped"] for c in leaks)
    alarms = sum(c["stopped"] for c in innocent)
    print(
        f"{label:<14} recall {caught}/{len(leaks)} ({caught / len(leaks):.0%})   "
        f"false alarms {alarms}/{len(innocent)} ({alarms / max(len(innocent), 1):.0%})"
    )


class OldGuard:
    """The word-run guard before issue 19 (its per-chunk work only, for the timing)."""

    word = re.compile(r"[^\W_]+(?:'[^\W_]+)?")

    def __init__(self, text: str, size: int) -> None:
        words = [w.lower() for w in self.word.findall(text)]
        self.runs = {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}
        self.size, self.text, self.checked = size, "", 0

    def feed(self, chunk: str) -> None:
        self.text += chunk
        spans = [m.span() for m in self.word.finditer(self.text)]
        complete = len(spans) - 1
        words = [self.text[a:b].lower() for a, b in spans[:complete]]
        for index in range(max(self.checked - self.size + 1, 0), complete - self.size + 1):
            if tuple(words[index : index + self.size]) in self.runs:
                return
        self.checked = complete


def per_chunk(make, chunks: list[str], rounds: int = 200) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        guard = make()
        for chunk in chunks:
            guard.feed(chunk)
    return (time.perf_counter() - start) / (rounds * len(chunks)) * 1e6


def real_clients(path: Path) -> None:
    """Every distinct client utterance of an AnnoMI CSV through the guard: false alarms."""
    import csv

    with path.open(newline="", encoding="utf-8") as file:
        said = {r["utterance_text"] for r in csv.DictReader(file) if r["interlocutor"] == "client"}
    profile = client("")
    alarms = []
    for text in sorted(said):
        guard = output_guard.guard_for(profile, student_turns=0, run_words=RUN_WORDS)
        for index in range(0, len(text), 4):
            guard.feed(text[index : index + 4])
        guard.finish()
        if guard.leaked is not None:
            alarms.append((guard.leaked, guard.quote, text))
    print(f"{len(alarms)} of {len(said)} AnnoMI client utterances stopped ({path.name})")
    for leaked, quote, text in alarms:
        print(f"  [{leaked}] {quote!r} in {text[:160]!r}")


def main() -> None:
    if "--annomi" in sys.argv:
        real_clients(Path(sys.argv[sys.argv.index("--annomi") + 1]))
        return
    cases = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    for case in cases:
        case["stopped"] = stopped(case)
    print(f"{len(cases)} labelled replies ({CASES.relative_to(ROOT)})")
    rates(cases, "all cases")
    rates([c for c in cases if c["must"]], '"must" cases')
    rates([c for c in cases if not c["must"]], "hard cases")
    print("\nDecided wrong:")
    for case in cases:
        if case["stopped"] != case["leak"]:
            verdict = "missed leak " if case["leak"] else "false alarm "
            print(f"  {verdict} [{case['kind']}] {case['reply']!r} ({case.get('note', '')})")

    assert len(REPLY.split()) == 100
    chunks = [REPLY[i : i + 4] for i in range(0, len(REPLY), 4)]
    profile = client(HIDDEN)
    new = per_chunk(
        lambda: output_guard.guard_for(profile, student_turns=0, run_words=RUN_WORDS), chunks
    )
    instructions = output_guard.prompt_service.instruction_text(profile)
    old = per_chunk(lambda: OldGuard(instructions + " " + HIDDEN, RUN_WORDS), chunks)
    print(f"\nA 100-word reply in {len(chunks)} chunks of 4 characters:")
    print(f"  new guard {new:6.1f} µs per chunk (facts and word runs, incremental)")
    print(f"  old guard {old:6.1f} µs per chunk (word runs only, re-reads the draft)")
    long_chunks = chunks * 10
    new_long = per_chunk(
        lambda: output_guard.guard_for(profile, student_turns=0, run_words=RUN_WORDS),
        long_chunks,
        rounds=20,
    )
    old_long = per_chunk(lambda: OldGuard(instructions + " " + HIDDEN, RUN_WORDS), long_chunks, 20)
    print("A 1,000-word reply (the same text ten times):")
    print(f"  new guard {new_long:6.1f} µs per chunk, old guard {old_long:6.1f} µs per chunk")


if __name__ == "__main__":
    main()
