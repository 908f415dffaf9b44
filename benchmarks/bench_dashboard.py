"""Time one admin-dashboard refresh on a large database, beside the same figures done in pandas.

    .venv/bin/python benchmarks/bench_dashboard.py [--sessions 50000] [--messages-per-session 20]
        [--runs 5] [--backend sqlite|postgresql|both]

Fills a fresh database (SQLite file, and PostgreSQL when reachable) with sessions and messages
spread over 30 days, then times everything the dashboard computes for one refresh (median of
`--runs`), and the time to load the same rows into pandas and compute the headline figures there.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = os.devnull

from sqlalchemy import create_engine, insert, text

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
    Section,
    SessionFeedback,
    User,
)
from backend.schemas.accounts import UserRead
from backend.services import (
    event_service,
    feedback_service,
    metrics_service,
    usage_service,
)

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BATCH = 20_000


def fill(engine, sessions: int, per_session: int, now: datetime) -> None:
    """Users, clients, sections and `sessions` conversations of `per_session` messages each."""
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
        for session_id in range(1, sessions + 1):
            start = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
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
            insert(SessionFeedback),
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
        connection.execute(
            insert(Event),
            [
                {
                    "created_at": now - timedelta(seconds=rng.uniform(0, 30 * 86400)),
                    "severity": rng.choice(["info", "warning", "error"]),
                    "category": "api_overloaded",
                    "message": "x",
                    "details": {},
                }
                for _ in range(5000)
            ],
        )
    with unit_of_work(engine) as db:
        usage_service.rebuild(db)  # the daily tables the app keeps beside each message
        feedback_service.rebuild_tallies(db)
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


def one_refresh(engine, admin: UserRead) -> dict[str, float]:
    """Everything the dashboard computes for one refresh, timed part by part (ms)."""
    settings = get_settings()
    parts: dict[str, float] = {}
    with unit_of_work(engine, write=False) as db:
        for name, call in (
            ("now figures", lambda: metrics_service.now_figures(db, actor=admin)),
            ("active sessions", lambda: metrics_service.active_sessions(db, actor=admin)),
            ("24 h by hour", lambda: metrics_service.hourly_usage(db, actor=admin)),
            ("7 days", lambda: metrics_service.daily_usage(db, actor=admin, days=7)),
            ("30 days", lambda: metrics_service.daily_usage(db, actor=admin, days=30)),
            *[
                (f"by {by}", lambda by=by: metrics_service.breakdown(db, actor=admin, by=by))
                for by in ("model", "teacher", "section", "client")
            ],
            (
                "top 10 students",
                lambda: metrics_service.breakdown(db, actor=admin, by="student", limit=10),
            ),
            ("budgets", lambda: metrics_service.budget_status(db, settings, actor=admin)),
            ("feedback", lambda: feedback_service.feedback_shares(db, actor=admin)),
            ("error log", lambda: event_service.list_events(db, actor=admin, limit=100)),
        ):
            started = time.perf_counter()
            call()
            parts[name] = (time.perf_counter() - started) * 1000
    return parts


def pandas_refresh(engine) -> float:
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
            text("SELECT id, user_id, client_id, status, started_at FROM sessions"), connection
        )
    messages["created_at"] = pd.to_datetime(messages["created_at"], utc=True)
    today = pd.Timestamp.now(tz="UTC").normalize()
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


def run(label: str, database_url: str, args) -> None:
    print(f"{label}:")
    upgrade_database(database_url)
    engine = create_db_engine(database_url)
    now = datetime.now(UTC)
    fill(engine, args.sessions, args.messages_per_session, now)
    with unit_of_work(engine, write=False) as db:
        admin = UserRead.model_validate(db.get(User, 1021))
    one_refresh(engine, admin)  # warm the caches once, as a running dashboard would be
    runs = [one_refresh(engine, admin) for _ in range(args.runs)]
    totals = [sum(parts.values()) for parts in runs]
    for name in runs[0]:
        print(f"  {name:<16} median {statistics.median(r[name] for r in runs):8.1f} ms")
    print(
        f"  ONE REFRESH      median {statistics.median(totals):8.1f} ms   "
        f"(min {min(totals):.1f}, max {max(totals):.1f}; target under 150 ms)"
    )
    pandas_ms = [pandas_refresh(engine) for _ in range(max(1, args.runs // 2))]
    print(
        f"  pandas load+compute median {statistics.median(pandas_ms):8.1f} ms "
        f"({len(pandas_ms)} runs)"
    )
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50_000)
    parser.add_argument("--messages-per-session", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(
        f"{args.sessions:,} sessions x {args.messages_per_session} messages over 30 days; "
        f"median of {args.runs} refreshes"
    )
    if args.backend in {"sqlite", "both"}:
        run("SQLite", f"sqlite:///{tempfile.mkdtemp(prefix='bench-dash-')}/dash.db", args)
    if args.backend in {"postgresql", "both"}:
        name = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:
            print(f"PostgreSQL: not reachable ({type(error).__name__}); skipped")
            return 0
        try:
            run("PostgreSQL", POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", args)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
