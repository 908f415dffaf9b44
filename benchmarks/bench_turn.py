"""Overhead of one conversation turn over a bare SDK call, against the fake API (zero latency).

    .venv/bin/python benchmarks/bench_turn.py [--turns 300] [--database-url URL]

Times N turns through `conversation_service.send_message` (validation, budget check, rate limit,
three transactions, prompt, history, the streamed SDK call in its reply job, the output guard,
cost) and, interleaved in the same run, N direct streamed SDK calls replaying exactly the request
that turn sent (system prompt and history as the fake API received them); prints the median and
p95 of each, the overhead per turn, and the transactions and statements per turn.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = os.devnull


QUESTIONS = [
    "What brings you in today?",
    "How long has this been going on for you?",
    "It sounds like work has been really overwhelming lately. What is that like for you?",
    "When you say you feel stuck, what does that look like day to day?",
    "Who do you usually talk to when things get hard?",
]


def _replay(fake) -> dict:
    """The last request the fake API received, as keyword arguments for `messages.create`."""
    body = dict(fake.last_request.body)
    body.pop("stream", None)
    return body


def _direct_stream(gateway, request: dict) -> None:
    """The same call the product makes (streamed), straight through the SDK: the baseline."""
    # The gateway's own SDK client (built on its first call since the SDK is imported lazily).
    with gateway._sdk().messages.stream(**request) as stream:
        for _text in stream.text_stream:
            pass
        stream.get_final_message()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument(
        "--turns-per-conversation",
        type=int,
        default=20,
        help="a new conversation (new student) after this many turns",
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    from tests.fakes.anthropic_server import FakeAnthropic

    fake = FakeAnthropic(chunk_delay=0.0).start()
    workdir = tempfile.mkdtemp(prefix="bench-turn-")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.db"
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "ANTHROPIC_API_KEY": "bench-key",
            "ANTHROPIC_BASE_URL": fake.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "USER_RATE_LIMIT": "100000/minute",
            "GLOBAL_RATE_LIMIT": "100000/hour",
            "USER_DAILY_TOKEN_BUDGET": "1000000000",
            "GLOBAL_DAILY_COST_BUDGET_USD": "100000",
        }
    )

    from backend.db import Database, create_db_engine, unit_of_work, upgrade_database
    from backend.llm import get_gateway
    from backend.practice import conversation_service
    from tests.factories import enroll, make_classroom, make_user

    upgrade_database(database_url)
    engine = create_db_engine(database_url)
    conversations = -(-args.turns // args.turns_per_conversation) + 1
    with unit_of_work(engine) as db:
        room = make_classroom(db)
        client, section = room.client, room.section
        students = [room.student] + [make_user(db) for _ in range(conversations - 1)]
        for student in students[1:]:
            enroll(db, section=section, student=student)
    chats = [
        (
            student,
            conversation_service.start_conversation(
                Database(engine), actor=student, client_id=client.id
            ),
        )
        for student in students
    ]
    student, session = chats.pop()
    gateway = get_gateway()

    # Warm up both paths (connection pool, imports, caches).
    for _ in range(20):
        conversation_service.send_message(
            Database(engine), actor=student, session_id=session.id, content="Warm-up question?"
        )
    for _ in range(20):
        _direct_stream(gateway, _replay(fake))

    from sqlalchemy import event

    statements = [0]
    transactions = [0]
    event.listen(
        engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
    )
    event.listen(engine, "begin", lambda *_: transactions.__setitem__(0, transactions[0] + 1))
    # The circuit breaker's shared state, when it lives in the database (its own engine).
    state_engine = getattr(getattr(gateway, "store", None), "engine", None)
    if state_engine is not None:
        event.listen(
            state_engine,
            "before_cursor_execute",
            lambda *_: statements.__setitem__(0, statements[0] + 1),
        )

    turn_ms, sdk_ms, turn_cpu_ms, sdk_cpu_ms = [], [], [], []
    for index in range(args.turns):
        if index % args.turns_per_conversation == 0:
            student, session = chats.pop()
        # Interleave the two so background noise hits both alike.
        started, cpu = time.perf_counter(), time.process_time()
        outcome = conversation_service.send_message(
            Database(engine),
            actor=student,
            session_id=session.id,
            content=QUESTIONS[index % len(QUESTIONS)],
        )
        turn_ms.append((time.perf_counter() - started) * 1000)
        turn_cpu_ms.append((time.process_time() - cpu) * 1000)
        assert outcome.ok, outcome.notice
        request = _replay(fake)
        started, cpu = time.perf_counter(), time.process_time()
        _direct_stream(gateway, request)
        sdk_ms.append((time.perf_counter() - started) * 1000)
        sdk_cpu_ms.append((time.process_time() - cpu) * 1000)

    fake.stop()
    backend = engine.dialect.name
    median_turn, median_sdk = statistics.median(turn_ms), statistics.median(sdk_ms)
    print(
        f"backend: {backend}; turns: {args.turns} in conversations of "
        f"{args.turns_per_conversation}; fake API latency: 0 ms"
    )
    print(
        f"per turn: {transactions[0] / args.turns:.1f} transactions, "
        f"{statements[0] / args.turns:.1f} statements (BEGIN included)"
    )
    print(f"send_message   median {median_turn:7.3f} ms   p95 {percentile(turn_ms, 0.95):7.3f} ms")
    print(f"direct SDK     median {median_sdk:7.3f} ms   p95 {percentile(sdk_ms, 0.95):7.3f} ms")
    print(
        f"overhead/turn  median {median_turn - median_sdk:7.3f} ms   "
        f"p95 {percentile(turn_ms, 0.95) - percentile(sdk_ms, 0.95):7.3f} ms   "
        f"(target: median under 1 ms on SQLite, 2 ms on PostgreSQL)"
    )
    # Wall time waits for the CPU on a busy machine; this process's CPU time (the fake API's
    # thread included, on both sides; not the database server's) is steadier under load.
    print(
        f"CPU overhead   median "
        f"{statistics.median(turn_cpu_ms) - statistics.median(sdk_cpu_ms):7.3f} ms   "
        f"(this process; load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
