"""Time one full refresh of the admin figures on a large database, beside pandas doing the same.

    .venv/bin/python benchmarks/bench_dashboard.py [--sessions 50000] [--messages-per-session 20]
        [--runs 9] [--backend sqlite|postgresql|both] [--keep] [--database URL] [--no-pandas]

Fills a fresh database (a SQLite file, and PostgreSQL when reachable) with 30 days of a class:
sessions and messages on weekdays and in teaching hours (so today and the last 24 hours hold a
busy day's share), feedback, reviews and the event log. Then times one full refresh - every
figure the admin's Figures tabs load (Now, Usage with 7 and 30 days, Breakdowns, Budgets) and the
error log - as of 20:00 UTC yesterday, and prints the first (cold) refresh, which fills the cache
of closed periods, then the median, spread and a breakdown by part of `--runs` warm refreshes,
then one more refresh after emptying that cache; then the first refresh in a new process (a fresh
Python that imports the backend, connects and looks up the admin, then times its first refresh:
what an app process that just started pays, compiling included), the median of `--processes` such
processes; then the time to load the rows into pandas and compute the headline figures there.
`--keep` leaves the databases (for EXPLAIN) and prints where they are; `--database URL` times a
kept one again (no filling; the seeded clock must still be yesterday's).

The clock is yesterday's 20:00, not today's: the dashboard counts a period closed (cacheable)
only once it ended before the wall clock too, and today's 20:00 may be in the future.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = os.devnull

from sqlalchemy import create_engine, func, insert, select, text

from backend import event_log
from backend.actor import UserRead
from backend.config import get_settings
from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.models import (
    Assignment,
    AssignmentClient,
    ClientProfile,
    Enrollment,
    Event,
    Message,
    MessageRating,
    PracticeSession,
    RubricVersion,
    Section,
    SessionRating,
    SessionReview,
    User,
)
from backend.monitoring import metrics_service
from backend.practice import rating_service
from backend.reviews import rubric_service
from backend.usage import usage_service

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BATCH = 20_000


#: A class day in UTC: quiet at night, busy in teaching hours (weights per hour of the day).
HOUR_WEIGHTS = [0.1] * 7 + [0.5] * 2 + [1.0] * 9 + [0.6] * 4 + [0.2] * 2
#: The refresh is timed at this hour of a weekday, late in the day: "today" then holds most of
#: a day's messages (the worst case for today's figures), whatever the time the benchmark runs.
CLOCK_HOUR = 20


def bench_clock() -> datetime:
    """The moment the dashboard is refreshed: 20:00 UTC yesterday (a weekday in the seeded data,
    and in the past of the wall clock, which the dashboard's closed periods also wait for)."""
    yesterday = datetime.now(UTC) - timedelta(days=1)
    return yesterday.replace(hour=CLOCK_HOUR, minute=0, second=0, microsecond=0)


def start_times(rng: random.Random, count: int, now: datetime, days: int = 30) -> list[datetime]:
    """`count` session starts over `days` days before `now`: weekdays and teaching hours busier
    (weekends a quarter of a weekday; today counts as a weekday), sorted by time."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    slots, weights = [], []
    for day in range(days):
        day_weight = 0.25 if day % 7 in {5, 6} else 1.0
        for hour in range(24):
            start = midnight - timedelta(days=day) + timedelta(hours=hour)
            if start >= now:
                continue
            slots.append(start)
            weights.append(day_weight * HOUR_WEIGHTS[hour])
    chosen = rng.choices(slots, weights, k=count)
    return sorted(min(now, slot + timedelta(seconds=rng.uniform(0, 3600))) for slot in chosen)


def fill(engine, sessions: int, per_session: int, now: datetime) -> None:
    """Users, clients, sections, `sessions` conversations of `per_session` messages each, their
    feedback and reviews, and the event log, as 30 days of a class would leave them."""
    rng = random.Random(7)
    started = time.perf_counter()
    with engine.begin() as connection:
        users = (
            [{"username": f"teacher{i}", "role": "teacher"} for i in range(20)]
            + [{"username": f"student{i}", "role": "student"} for i in range(1000)]
            + [{"username": "admin", "role": "admin"}]
        )
        connection.execute(
            insert(User),
            [
                {
                    **u,
                    "display_name": u["username"].title(),
                    "password_hash": "x",
                    "is_active": True,
                    "created_at": now - timedelta(days=40),
                }
                for u in users
            ],
        )
        teacher_ids = list(range(1, 21))
        student_ids = list(range(21, 1021))
        connection.execute(
            insert(ClientProfile),
            [
                {
                    "owner_id": teacher_ids[i % 20],
                    "name": f"Client {i}",
                    "personality_traits": ["anxious", "guarded"],
                    "communication_style": "plain",
                    "difficulty": "beginner",
                    "background": "",
                    "presenting_concern": "",
                    "challenges": "",
                    "learning_goals": "",
                    "hidden_information": "",
                    "archived": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(100)
            ],
        )
        connection.execute(
            insert(Section),
            [
                {
                    "teacher_id": teacher_ids[i],
                    "name": f"Section {i}",
                    "join_code": f"CODE{i:04d}",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(20)
            ],
        )
        connection.execute(
            insert(Assignment),
            [
                {
                    "section_id": i + 1,
                    "title": f"Assignment {i}",
                    "instructions": "",
                    "status": "published",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(20)
            ],
        )
        connection.execute(
            insert(AssignmentClient),
            [{"assignment_id": (c % 20) + 1, "client_id": c + 1} for c in range(100)],
        )
        connection.execute(
            insert(Enrollment),
            [
                {"section_id": (s % 20) + 1, "student_id": sid, "enrolled_at": now}
                for s, sid in enumerate(student_ids)
            ],
        )

        session_rows, message_rows, message_id = [], [], 0
        starts = start_times(rng, sessions, now)
        for session_id, start in enumerate(starts, start=1):
            client = rng.randrange(100)
            active = start > now - timedelta(minutes=30)
            cost_total, tokens = Decimal(0), [0, 0, 0, 0]
            for sequence in range(1, per_session + 1):
                at = min(now, start + timedelta(seconds=20 * sequence))
                reply = sequence % 2 == 0
                usage = (
                    [
                        rng.randint(200, 2000),
                        rng.randint(10, 120),
                        rng.choice([0, 0, 1500]),
                        rng.choice([0, 1500, 3000]),
                    ]
                    if reply
                    else [0, 0, 0, 0]
                )
                cost = (
                    (
                        Decimal(usage[0])
                        + usage[1] * 5
                        + Decimal(usage[2]) * Decimal("1.25")
                        + Decimal(usage[3]) / 10
                    )
                    / 1_000_000
                    if reply
                    else None
                )
                message_rows.append(
                    {
                        "session_id": session_id,
                        "sequence_number": sequence,
                        "role": "assistant" if reply else "user",
                        "content": "text " * 8,
                        "created_at": at,
                        "token_count": usage[1] if reply else 10,
                        "model": "claude-haiku-4-5" if reply else None,
                        "input_tokens": usage[0],
                        "output_tokens": usage[1],
                        "cache_write_tokens": usage[2],
                        "cache_read_tokens": usage[3],
                        "cost": cost,
                        "latency_ms": rng.randint(400, 6000) if reply else None,
                        "time_to_first_token_ms": rng.randint(150, 900) if reply else None,
                    }
                )
                if reply:
                    cost_total += cost
                    tokens = [a + b for a, b in zip(tokens, usage, strict=False)]
            message_id += per_session
            session_rows.append(
                {
                    "user_id": student_ids[session_id % 1000],
                    "client_id": client + 1,
                    "assignment_id": (client % 20) + 1,
                    "mode": "practice",
                    "status": "active" if active else "completed",
                    "started_at": start,
                    "ended_at": None if active else start + timedelta(seconds=20 * per_session + 1),
                    "model": "claude-haiku-4-5",
                    "input_tokens": tokens[0],
                    "output_tokens": tokens[1],
                    "cache_write_tokens": tokens[2],
                    "cache_read_tokens": tokens[3],
                    "total_tokens": sum(tokens),
                    "estimated_cost": cost_total,
                    "unpriced_replies": 0,
                    "message_count": per_session,
                }
            )
            if len(message_rows) >= BATCH:
                connection.execute(insert(PracticeSession), session_rows)
                connection.execute(insert(Message), message_rows)
                session_rows, message_rows = [], []
        if session_rows:
            connection.execute(insert(PracticeSession), session_rows)
            connection.execute(insert(Message), message_rows)
        # Feedback as a pilot would have it: a form on 30% of sessions, thumbs on 10% of replies.
        connection.execute(
            insert(SessionRating),
            [
                {
                    "session_id": sid,
                    "user_id": student_ids[sid % 1000],
                    "realism": rng.randint(2, 5),
                    "usefulness": rng.randint(2, 5),
                    "comment": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for sid in range(1, sessions + 1)
                if rng.random() < 0.3
            ],
        )
        connection.execute(
            insert(MessageRating),
            [
                {
                    "message_id": mid,
                    "user_id": student_ids[((mid - 1) // per_session + 1) % 1000],
                    "positive": rng.random() < 0.8,
                    "created_at": now,
                }
                for mid in range(2, sessions * per_session + 1, 2)
                if rng.random() < 0.1
            ],
        )
        # The event log: API failures and the like, and 1% of replies cut off after billing
        # (the 24-hour view reads those from the log).
        events = [
            {
                "created_at": at,
                "severity": rng.choice(["info", "warning", "error"]),
                "category": "api_overloaded",
                "message": "x",
                "details": {},
            }
            for at in start_times(rng, 5000, now)
        ] + [
            {
                "created_at": at,
                "severity": "warning",
                "category": metrics_service.UNKEPT_REPLY_CATEGORY,
                "message": "x",
                "details": {
                    "input_tokens": 900,
                    "cache_write_tokens": 0,
                    "cache_read_tokens": 1500,
                    "output_tokens_estimated": 40,
                    "cost": "0.00125",
                },
            }
            for at in start_times(rng, sessions * per_session // 200, now)
        ]
        for offset in range(0, len(events), BATCH):
            connection.execute(insert(Event), events[offset : offset + BATCH])
    with unit_of_work(engine) as db:
        rubric_service.seed_builtin_rubrics(db)
        rubric_version = db.scalar(select(func.min(RubricVersion.id)))
    with engine.begin() as connection:
        # A review for 60% of the sessions ended (the model's, some automatic demo ones), written
        # a minute after the end, with content the size of a real one.
        content = {"summary": "x" * 600, "criteria": [{"score": 3, "comment": "y" * 150}] * 6}
        reviews = [
            {
                "session_id": row_id,
                "rubric_version_id": rubric_version,
                "status": "ready",
                "source": "model" if rng.random() < 0.9 else "demo",
                "content": content,
                "indicators": {},
                "model": "claude-haiku-4-5",
                "cost": Decimal("0.0031"),
                "created_at": ended + timedelta(minutes=1),
            }
            for row_id, ended in connection.execute(
                select(PracticeSession.id, PracticeSession.ended_at).where(
                    PracticeSession.ended_at <= now - timedelta(minutes=1)
                )
            )
            if rng.random() < 0.6
        ]
        for offset in range(0, len(reviews), BATCH):
            connection.execute(insert(SessionReview), reviews[offset : offset + BATCH])
    with unit_of_work(engine) as db:
        usage_service.rebuild(db)  # the daily tables the app keeps beside each message
        rating_service.rebuild_tallies(db)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(
        f"  filled {sessions:,} sessions / {sessions * per_session:,} messages "
        f"in {time.perf_counter() - started:.0f} s"
    )


def one_refresh(engine, admin: UserRead, now: datetime) -> dict[str, float]:
    """Everything the Figures tabs and the error log load, timed part by part (ms)."""
    settings = get_settings()
    parts: dict[str, float] = {}
    with unit_of_work(engine, write=False) as db:
        for name, call in (
            ("now figures", lambda: metrics_service.now_figures(db, actor=admin, now=now)),
            ("active sessions", lambda: metrics_service.active_sessions(db, actor=admin)),
            ("feedback", lambda: rating_service.rating_shares(db, actor=admin)),
            ("review costs", lambda: metrics_service.review_costs(db, actor=admin, now=now)),
            ("24 h by hour", lambda: metrics_service.hourly_usage(db, actor=admin, now=now)),
            ("7 days", lambda: metrics_service.daily_usage(db, actor=admin, days=7, now=now)),
            ("30 days", lambda: metrics_service.daily_usage(db, actor=admin, days=30, now=now)),
            (
                "breakdowns",
                lambda: metrics_service.breakdowns(db, actor=admin, students=10, now=now),
            ),
            ("budgets", lambda: metrics_service.budget_status(db, settings, actor=admin, now=now)),
            ("error log", lambda: event_log.list_events(db, actor=admin, limit=100)),
        ):
            started = time.perf_counter()
            call()
            parts[name] = (time.perf_counter() - started) * 1000
    return parts


def new_process_refresh(database_url: str, now: datetime) -> dict[str, float]:
    """The first refresh in a fresh Python process, timed in that process (`--first-refresh`)."""
    command = [sys.executable, __file__, "--first-refresh", database_url, now.isoformat()]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.splitlines()[-1])


def first_refresh(database_url: str, now: datetime) -> dict[str, float]:
    """In this new process: connect, find the admin (as a log-in would), then time one refresh.

    Like the app, which freezes what its imports allocated (`gc.freeze()`), so the collections
    a refresh triggers need not walk it; the collections during the refresh are counted."""
    import gc

    collections = []
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info))
    engine = create_db_engine(database_url)
    with unit_of_work(engine, write=False) as db:
        admin = UserRead.model_validate(db.scalar(select(User).where(User.role == "admin")))
    gc.freeze()
    collections.clear()
    started = time.perf_counter()
    parts = one_refresh(engine, admin, now)
    total = (time.perf_counter() - started) * 1000
    full = sum(1 for info in collections if info["generation"] == 2)
    engine.dispose()
    return {"total": total, "full_collections": full, "collections": len(collections), **parts}


def pandas_refresh(engine, now: datetime) -> float:
    """Load the same rows into pandas and compute the headline figures there (ms)."""
    import pandas as pd

    started = time.perf_counter()
    with engine.connect() as connection:
        messages = pd.read_sql(
            text(
                "SELECT session_id, role, created_at, model, input_tokens, output_tokens, "
                "cache_write_tokens, cache_read_tokens, cost, latency_ms FROM messages"
            ),
            connection,
        )
        sessions = pd.read_sql(
            text("SELECT id, user_id, client_id, status, started_at FROM practice_sessions"),
            connection,
        )
    messages["created_at"] = pd.to_datetime(messages["created_at"], utc=True)
    today = pd.Timestamp(now).normalize()
    todays = messages[messages["created_at"] >= today]
    _ = (
        todays["cost"].sum(),
        todays[["input_tokens", "output_tokens"]].sum(),
        todays["latency_ms"].median(),
        todays["latency_ms"].quantile(0.95),
    )
    _ = messages.groupby(messages["created_at"].dt.floor("D"))["cost"].sum()
    _ = (
        messages.merge(sessions, left_on="session_id", right_on="id")
        .groupby("client_id")["cost"]
        .sum()
    )
    _ = (sessions["status"] == "active").sum()
    return (time.perf_counter() - started) * 1000


def shares(engine, now: datetime) -> str:
    """How many messages fall today and in the last 24 hours (what the heaviest parts read)."""
    with engine.connect() as connection:
        total, today, day = connection.execute(
            select(
                func.count(),
                func.count().filter(Message.created_at >= now.replace(hour=0)),
                func.count().filter(Message.created_at >= now - timedelta(hours=24)),
            ).where(Message.created_at <= now)
        ).one()
    return (
        f"  today {today:,} messages ({today / total:.1%}), "
        f"last 24 h {day:,} ({day / total:.1%}); clock {now:%Y-%m-%d %H:%M} UTC"
    )


def run(label: str, database_url: str, args) -> None:
    print(f"{label}:")
    upgrade_database(database_url)
    engine = create_db_engine(database_url)
    now = bench_clock()
    if not args.database:
        fill(engine, args.sessions, args.messages_per_session, now)
    print(shares(engine, now))
    with unit_of_work(engine, write=False) as db:
        admin = UserRead.model_validate(db.scalar(select(User).where(User.role == "admin")))
    metrics_service.forget_closed_periods()
    cold = one_refresh(engine, admin, now)  # fills the cache of closed periods
    runs = [one_refresh(engine, admin, now) for _ in range(args.runs)]
    totals = [sum(parts.values()) for parts in runs]
    for name in runs[0]:
        values = [r[name] for r in runs]
        print(
            f"  {name:<16} median {statistics.median(values):7.1f} ms"
            f"   (min {min(values):6.1f}, max {max(values):6.1f}; cold {cold[name]:6.1f})"
        )
    print(f"  COLD REFRESH     {sum(cold.values()):7.1f} ms   (the first one, empty cache)")
    metrics_service.forget_closed_periods()
    emptied = sum(one_refresh(engine, admin, now).values())
    print(f"  CACHE EMPTIED    {emptied:7.1f} ms   (one refresh after forgetting it)")
    fresh = [new_process_refresh(database_url, now) for _ in range(args.processes)]
    firsts = sorted(fresh, key=lambda figures: figures["total"])
    middle = firsts[len(firsts) // 2]
    slowest = ", ".join(
        f"{name} {middle[name]:.1f}"
        for name in sorted(runs[0], key=lambda name: middle[name], reverse=True)[:3]
    )
    print(
        f"  NEW PROCESS      median {middle['total']:7.1f} ms   (min {firsts[0]['total']:.1f}, "
        f"max {firsts[-1]['total']:.1f}, {len(firsts)} processes; target under 100 ms; "
        f"median's slowest parts: {slowest}; garbage collections during it: "
        f"{middle['collections']:.0f}, full {middle['full_collections']:.0f})"
    )
    quartiles = statistics.quantiles(totals, n=4)
    print(
        f"  ONE REFRESH      median {statistics.median(totals):7.1f} ms   "
        f"(min {min(totals):.1f}, max {max(totals):.1f}, quartiles {quartiles[0]:.1f}-"
        f"{quartiles[2]:.1f}, {len(totals)} runs; target under 100 ms)"
    )
    if not args.no_pandas:
        pandas_ms = [pandas_refresh(engine, now) for _ in range(2)]
        print(f"  pandas load+compute median {statistics.median(pandas_ms):7.1f} ms (2 runs)")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50_000)
    parser.add_argument("--messages-per-session", type=int, default=20)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--processes", type=int, default=5, help="new processes timed")
    parser.add_argument("--keep", action="store_true", help="leave the databases for EXPLAIN")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    parser.add_argument("--database", help="a database kept by --keep: time it, fill nothing")
    parser.add_argument(
        "--first-refresh", nargs=2, metavar=("URL", "CLOCK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.first_refresh:
        url, clock = args.first_refresh
        print(json.dumps(first_refresh(url, datetime.fromisoformat(clock))))
        return 0
    print(
        f"{args.sessions:,} sessions x {args.messages_per_session} messages over 30 days; "
        f"{args.runs} refreshes after a cold one; load average {os.getloadavg()[0]:.2f}"
    )
    if args.database:
        run(
            "PostgreSQL" if args.database.startswith("postgresql") else "SQLite",
            args.database,
            args,
        )
        return 0
    if args.backend in {"sqlite", "both"}:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-dash-')}/dash.db"
        run("SQLite", url, args)
        if args.keep:
            print(f"  kept {url}")
    if args.backend in {"postgresql", "both"}:
        name = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:
            print(f"PostgreSQL: not reachable ({type(error).__name__}); skipped")
            return 0
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            run("PostgreSQL", url, args)
        finally:
            if args.keep:
                print(f"  kept {url}")
            else:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
