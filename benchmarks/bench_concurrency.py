"""Throughput of many concurrent conversations through the service layer, on 1 and 2 processes.

    .venv/bin/python benchmarks/bench_concurrency.py [--conversations 50] [--turns 3]
        [--latency 1.0] [--processes 1 2] [--backend postgresql|sqlite] [--runs 3] [--stagger 0]

A fake Anthropic API (its own process, every reply after `--latency` seconds) answers
`--conversations` students of one section who all talk to ONE published client at once, each
`--turns` turns through `conversation_service.send_message` (claim transaction, reply job,
usage at `message_start`, store transaction: what the pages do). The students are split over
`--processes` worker processes (threads inside each) sharing one fresh database built by Alembic.
Ideal: every conversation waits only for the API, so the wall time is turns x latency (plus the
`--stagger` over which the first messages are spread: by default all fifty start at once, so every
turn of every student arrives in the same instant and the CPU work of fifty turns queues on the
machine's cores each time; a class spreads out). Prints the
wall time, turns/s, the ratio to ideal (target >= 0.90), and where the time goes: each phase of a
turn, database statements by kind (lock waits show up as slow statements), how long the hot rows
stay locked, pool waits, commits, and CPU per turn of the workers, PostgreSQL and the fake API.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["ENV_FILE"] = os.devnull

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
QUESTIONS = [
    "What brings you in today?",
    "How long has this been going on for you?",
    "When you say you feel stuck, what does that look like day to day?",
    "Who do you usually talk to when things get hard?",
]
#: SQL statement kinds timed separately (first match wins); waits for row locks land in these.
STATEMENT_KINDS = [
    ("budget lock, global shared", re.compile(r"pg_advisory_xact_lock_shared", re.I)),
    ("budget lock, user + spending", re.compile(r"pg_advisory_xact_lock\(.*FROM", re.I | re.S)),
    ("budget lock, global exclusive", re.compile(r"pg_advisory_xact_lock\(", re.I)),
    ("session row FOR UPDATE", re.compile(r"FOR UPDATE", re.I)),
    ("fold lock (try)", re.compile(r"pg_try_advisory_xact_lock", re.I)),
    ("append client_usage_increments", re.compile(r"^\s*INSERT INTO client_usage_incr", re.I)),
    ("fold: take increments", re.compile(r"^\s*DELETE FROM client_usage_incr", re.I)),
    ("fold: upsert client_daily_usage", re.compile(r"^\s*INSERT INTO client_daily_usage", re.I)),
    ("upsert daily_usage", re.compile(r"^\s*INSERT INTO daily_usage", re.I)),
    ("insert/update other", re.compile(r"^\s*(INSERT|UPDATE|DELETE)", re.I)),
    ("select other", re.compile(r"^\s*SELECT", re.I)),
]
#: Hot rows: every turn of every student of the client writes them (held from the write to commit).
HOT_TABLES = {"client_daily_usage": re.compile(r"INSERT INTO client_daily_usage", re.I)}
#: The global budget lock taken alone (it makes every other reply wait).
HOT_ADVISORY = re.compile(r"pg_advisory_xact_lock\(%\(key\)s\)", re.I)


# Measuring ------------------------------------------------------------------------------------
class Meter:
    """Thread-safe sums, counts and samples of durations (seconds) by name."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            self.samples[name].append(seconds)

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n


def _instrument(engine, meter: Meter) -> None:
    """Time statements by kind, commits, pool checkouts, and how long hot locks stay held."""
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, statement, _params, _context, _many) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, _cursor, statement, _params, _context, _many) -> None:
        now = time.perf_counter()
        kind = next((k for k, pattern in STATEMENT_KINDS if pattern.search(statement)), "other")
        meter.add(f"sql: {kind}", now - conn.info.pop("bench_started", now))
        held = conn.info.setdefault("bench_held", {})
        for table, pattern in HOT_TABLES.items():
            if pattern.search(statement):
                held.setdefault(f"hot row held: {table}", now)
        if HOT_ADVISORY.search(statement):
            held.setdefault("global budget lock held alone", now)

    dialect = engine.dialect

    def _ended(connection, what: str, original) -> None:
        started = time.perf_counter()
        try:
            original(connection)
        finally:
            now = time.perf_counter()
            meter.add(what, now - started)
            try:
                info = connection.info  # the pooled connection's (what events see as conn.info)
            except (AttributeError, NotImplementedError):  # the first connect's bare record
                info = {}
            for name, since in info.pop("bench_held", {}).items():
                meter.add(name, now - since)

    commit, rollback = dialect.do_commit, dialect.do_rollback
    dialect.do_commit = lambda connection: _ended(connection, "commit", commit)  # type: ignore[method-assign]
    dialect.do_rollback = lambda connection: _ended(connection, "rollback", rollback)  # type: ignore[method-assign]

    pool = engine.pool
    checkout = pool.connect

    def _timed_checkout():
        started = time.perf_counter()
        try:
            return checkout()
        finally:
            meter.add("pool checkout", time.perf_counter() - started)

    pool.connect = _timed_checkout  # type: ignore[method-assign]

    @event.listens_for(engine, "connect")
    def _connected(_dbapi, _record) -> None:
        meter.count("connections opened")


def _phase_timers(meter: Meter) -> None:
    """Time the reply job's two transactions (usage at message_start, store)."""
    from backend.practice import conversation_service

    job = conversation_service._ReplyJob

    def timed(name: str, original):
        def wrapper(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                meter.add(name, time.perf_counter() - started)

        return wrapper

    job._record_start = timed("usage at message_start (tx 2)", job._record_start)  # type: ignore[method-assign]
    job._store = timed("store reply (tx 3)", job._store)  # type: ignore[method-assign]


# One worker process ---------------------------------------------------------------------------
def worker(
    index: int, env: dict, chats: list, warm: tuple, ready, start, finished, may_exit, results
) -> None:
    """Run these conversations on threads after a warm-up turn; report the figures."""
    os.environ.update(env)
    import resource

    from backend.db import Database, create_db_engine
    from backend.llm import get_gateway
    from backend.practice import conversation_service

    engine = create_db_engine(env["DATABASE_URL"])
    database = Database(engine)
    meter = Meter()
    _instrument(engine, meter)
    _phase_timers(meter)
    get_gateway()
    warm_student, warm_session = warm
    for question in QUESTIONS[:2]:  # imports, caches, statement compilation, a few connections
        outcome = conversation_service.send_message(
            database, actor=warm_student, session_id=warm_session, content=question
        )
        assert outcome.ok, outcome.notice
    with meter.lock:
        meter.samples.clear()
        meter.counts.clear()
    ready.put(index)
    start.wait()

    turns = int(env["BENCH_TURNS"])
    failures: list[str] = []

    def converse(chat) -> None:
        student, session_id, delay = chat
        time.sleep(delay)  # `--stagger`: this student starts typing a little later
        for turn in range(turns):
            started = time.perf_counter()
            reply = conversation_service.submit_message(
                database, actor=student, session_id=session_id, content=QUESTIONS[turn % 4]
            )
            claimed = time.perf_counter()
            outcome = reply.wait()
            ended = time.perf_counter()
            meter.add("claim: submit_message (tx 1)", claimed - started)
            meter.add("turn", ended - started)
            if not outcome.ok:
                failures.append(outcome.notice or "?")

    cpu_before, usage_before = time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    with ThreadPoolExecutor(max(1, len(chats))) as pool:
        list(pool.map(converse, chats))
    ended = time.monotonic()
    cpu = time.process_time() - cpu_before
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    finished.put(index)
    may_exit.wait()
    results.put(
        {
            "index": index,
            "began": began,
            "ended": ended,
            "turns": len(chats) * turns,
            "failures": failures,
            "cpu": cpu,
            "cpu_user": usage_after.ru_utime - usage_before.ru_utime,
            "cpu_system": usage_after.ru_stime - usage_before.ru_stime,
            "switches": (usage_after.ru_nvcsw - usage_before.ru_nvcsw)
            + (usage_after.ru_nivcsw - usage_before.ru_nivcsw),
            "samples": dict(meter.samples),
            "counts": dict(meter.counts),
        }
    )
    engine.dispose()


# The parent: database, demo data, fake API, runs ----------------------------------------------
def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError):
        return 0


def _postgres_ticks(database_name: str) -> dict[int, int]:
    """CPU ticks of the PostgreSQL backends serving this database (by process title)."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database_name} " in title:
            ticks[int(entry.name)] = _cpu_ticks(int(entry.name))
    return ticks


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _start_fake_api(latency: float) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.anthropic_server", "--port", "0"]
        + ["--latency", str(latency), "--reply", "I guess it has been a hard few weeks, really."],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("FAKE_ANTHROPIC_URL="):
        raise SystemExit(f"the fake API did not start: {line!r}")
    return process, line.split("=", 1)[1]


def _fresh_database(backend: str, run: str, workdir: str) -> tuple[str, str]:
    """(url, name) of a new, empty database migrated by Alembic."""
    from sqlalchemy import create_engine, text

    from backend.db import upgrade_database

    name = f"bench_concurrency_{run}"
    if backend == "sqlite":
        url = f"sqlite:///{workdir}/{name}.db"
    else:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    return url, name


def _drop_database(backend: str, name: str) -> None:
    if backend != "postgresql":
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _seed(url: str, conversations: int, processes: int):
    """One teacher, ONE published client, a section with every student enrolled; a started
    conversation per student (and one per process for its warm-up)."""
    from backend.db import Database, create_db_engine, unit_of_work
    from backend.models.enums import Role
    from backend.practice import conversation_service
    from tests.factories import enroll, make_assignment, make_client, make_section, make_user

    engine = create_db_engine(url)
    with unit_of_work(engine) as db:
        teacher = make_user(db, role=Role.teacher)
        client = make_client(db, teacher=teacher)
        section = make_section(db, teacher=teacher)
        students = [make_user(db) for _ in range(conversations + processes)]
        for student in students:
            enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
    chats = [
        (
            student,
            conversation_service.start_conversation(
                Database(engine), actor=student, client_id=client.id
            ).id,
        )
        for student in students
    ]
    engine.dispose()
    return chats[:conversations], chats[conversations:]


def _rollups_match_rebuild(url: str) -> bool:
    """The daily usage tables written beside each message (once the last increments are folded)
    equal a rebuild from the messages."""
    from sqlalchemy import select

    from backend.db import create_db_engine, new_session
    from backend.models import ClientDailyUsage, DailyUsage
    from backend.usage import usage_service

    engine = create_db_engine(url)

    def snapshot(db):
        return [
            sorted(tuple(row) for row in db.execute(select(*table.__table__.columns)))
            for table in (DailyUsage, ClientDailyUsage)
        ]

    with new_session(engine) as db, db.begin():
        usage_service.fold_client_usage(db, wait=True)  # the increments not yet folded
        kept = snapshot(db)
        usage_service.rebuild(db)
        rebuilt = snapshot(db)
        db.rollback()
    engine.dispose()
    return kept == rebuilt


def _get(queue, workers, *, timeout: float):
    """The next item, or stop at once when a worker died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return queue.get(timeout=0.5)
        except Exception:  # queue.Empty
            if any(p.exitcode not in (None, 0) for p in workers):
                raise SystemExit("a worker process failed (see its traceback above)") from None
    raise SystemExit("timed out waiting for the workers")


def run_once(args, processes: int, run: str, env: dict, workdir: str) -> dict:
    url, name = _fresh_database(args.backend, run, workdir)
    try:
        chats, warm = _seed(url, args.conversations, processes)
        context = mp.get_context("spawn")
        ready, finished, results = context.Queue(), context.Queue(), context.Queue()
        start, may_exit = context.Event(), context.Event()
        worker_env = {**env, "DATABASE_URL": url, "BENCH_TURNS": str(args.turns)}
        staggered = [
            (*chat, args.stagger * position / len(chats)) for position, chat in enumerate(chats)
        ]
        workers = [
            context.Process(
                target=worker,
                args=(
                    index,
                    worker_env,
                    staggered[index::processes],
                    warm[index],
                    ready,
                    start,
                    finished,
                    may_exit,
                    results,
                ),
            )
            for index in range(processes)
        ]
        for process in workers:
            process.start()
        for _ in workers:
            _get(ready, workers, timeout=180)
        pg_before = _postgres_ticks(name) if args.backend == "postgresql" else {}
        fake_before, machine_before = _cpu_ticks(args.fake_pid), _machine_ticks()
        start.set()
        for _ in workers:
            _get(finished, workers, timeout=600)
        machine_after, fake_after = _machine_ticks(), _cpu_ticks(args.fake_pid)
        pg_after = _postgres_ticks(name) if args.backend == "postgresql" else {}
        may_exit.set()
        reports = [results.get(timeout=60) for _ in workers]
        for process in workers:
            process.join(timeout=30)
        matches = _rollups_match_rebuild(url)
    finally:
        _drop_database(args.backend, name)
    hertz = os.sysconf("SC_CLK_TCK")
    return {
        "processes": processes,
        "reports": reports,
        "wall": max(r["ended"] for r in reports) - min(r["began"] for r in reports),
        "postgres_cpu": sum(pg_after[p] - pg_before.get(p, 0) for p in pg_after) / hertz,
        "fake_cpu": (fake_after - fake_before) / hertz,
        "machine_busy": (machine_after[0] - machine_before[0]) / hertz,
        "machine_total": (machine_after[1] - machine_before[1]) / hertz,
        "rollups_match": matches,
    }


# Printing -------------------------------------------------------------------------------------
def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(args, result: dict) -> float:
    reports = result["reports"]
    turns = sum(r["turns"] for r in reports)
    # The last student starts `stagger` (less one step) after the first.
    ideal_wall = args.stagger * (1 - 1 / args.conversations) + args.turns * args.latency
    wall = result["wall"]
    ratio = ideal_wall / wall
    failures = [f for r in reports for f in r["failures"]]
    cpu = sum(r["cpu"] for r in reports)
    print(
        f"\n{result['processes']} process(es) x {args.conversations // result['processes']}"
        f"{'+' if args.conversations % result['processes'] else ''} threads: "
        f"wall {wall:.2f} s, {turns / wall:.1f} turns/s, ideal {turns / ideal_wall:.1f} turns/s "
        f"(wall {ideal_wall:.2f} s), ratio {ratio:.2f} (target >= 0.90); "
        f"failed turns {len(failures)}; rollups match a rebuild: {result['rollups_match']}"
    )
    samples: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for r in reports:
        for name, values in r["samples"].items():
            samples[name].extend(values)
        for name, value in r["counts"].items():
            counts[name] += value
    print(f"  {'where the time goes':36} {'per turn':>9} {'mean':>8} {'p95':>8} {'max':>8}  (ms)")
    turn = samples.get("turn", [])
    phases = [
        "claim: submit_message (tx 1)",
        "usage at message_start (tx 2)",
        "store reply (tx 3)",
    ]
    if turn:
        others = sum(sum(samples.get(name, [])) for name in phases)
        api = [(sum(turn) - others) / len(turn)]
        samples["API wait + SDK + threads (rest)"] = api * len(turn)
    order = (
        ["turn"]
        + phases
        + ["API wait + SDK + threads (rest)"]
        + sorted(n for n in samples if n.startswith("sql: "))
        + ["commit", "rollback", "pool checkout", "global budget lock held alone"]
        + sorted(n for n in samples if n.startswith("hot row held"))
    )
    for name in order:
        values = samples.get(name)
        if not values:
            continue
        print(
            f"  {name:36} {sum(values) / turns * 1000:9.2f} {statistics.fmean(values) * 1000:8.2f} "
            f"{_percentile(values, 0.95) * 1000:8.2f} {max(values) * 1000:8.2f}"
            f"   x{len(values) / turns:.1f}/turn"
        )
    print(
        f"  CPU per turn: workers {cpu / turns * 1000:.1f} ms "
        f"(user {sum(r['cpu_user'] for r in reports) / turns * 1000:.1f}, "
        f"system {sum(r['cpu_system'] for r in reports) / turns * 1000:.1f}), "
        + (
            f"PostgreSQL {result['postgres_cpu'] / turns * 1000:.1f} ms, "
            if args.backend == "postgresql"
            else ""
        )
        + f"fake API {result['fake_cpu'] / turns * 1000:.1f} ms; "
        f"context switches/turn {sum(r['switches'] for r in reports) / turns:.0f}; "
        f"DB connections opened {counts.get('connections opened', 0)}"
    )
    busy, total = result["machine_busy"], result["machine_total"]
    ours = cpu + result["postgres_cpu"] + result["fake_cpu"]
    print(
        f"  machine during the run: {busy / total:.0%} of {os.cpu_count()} cores busy "
        f"({busy:.2f} core-s; this benchmark {ours:.2f}, others {max(busy - ours, 0):.2f})"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--latency", type=float, default=1.0, help="fake API seconds per reply")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--runs", type=int, default=1, help="repeat each configuration")
    parser.add_argument("--redis-url", default=None, help="share rate limits through Redis")
    parser.add_argument(
        "--stagger",
        type=float,
        default=0.0,
        help="spread the students' first messages evenly over this many seconds (default 0: "
        "all at once, every turn of every student in step)",
    )
    args = parser.parse_args()
    if args.backend == "sqlite" and max(args.processes) > 1:
        print("SQLite is for one process: running --processes 1 only.")
        args.processes = [1]

    fake, base_url = _start_fake_api(args.latency)
    args.fake_pid = fake.pid
    env = {
        "ENV_FILE": os.devnull,
        "ANTHROPIC_API_KEY": "bench-key",
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "USER_RATE_LIMIT": "100000/minute",
        "GLOBAL_RATE_LIMIT": "1000000/hour",
        "USER_DAILY_TOKEN_BUDGET": "1000000000",
        "GLOBAL_DAILY_COST_BUDGET_USD": "1000000",
        "REDIS_URL": args.redis_url or "",
    }
    os.environ.update(env)
    workdir = tempfile.mkdtemp(prefix="bench-concurrency-")
    print(
        f"bench_concurrency: {args.conversations} conversations x {args.turns} turns, one client, "
        f"fake API latency {args.latency:.2f} s, first messages spread over {args.stagger:.1f} s, "
        f"backend {args.backend}, "
        f"{os.cpu_count()} cores, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    ratios: dict[int, list[float]] = defaultdict(list)
    try:
        for run in range(args.runs):
            for processes in args.processes:
                result = run_once(args, processes, f"{os.getpid()}_{run}_{processes}", env, workdir)
                ratios[processes].append(report(args, result))
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    print()
    for processes, values in ratios.items():
        print(
            f"{processes} process(es): ratio to ideal median {statistics.median(values):.2f} "
            f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} run(s)); "
            f"load average now {os.getloadavg()[0]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
