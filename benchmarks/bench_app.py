"""Server CPU and memory of the real app driven by a browser: turns, page opens, idle pages,
cold start, and a soak of hundreds of turns.

    .venv/bin/python benchmarks/bench_app.py [--database sqlite|postgresql|both] [--turns 30]
        [--page-opens 5] [--idle-pages 10] [--idle-seconds 60] [--memory-pages 20]
        [--soak-turns 300] [--soak-conversation-turns 50] [--rss-every 50]
        [--post-script-gc] [--file-watcher auto|none] [--quick]

For each database (a temporary SQLite file; a scratch PostgreSQL database on 127.0.0.1:5432,
created and dropped here), the schema comes from the project's Alembic upgrade and the demo data
from `seed_demo`, as in the tests; then `streamlit run mvp/app.py` starts from the project folder
(so `.streamlit/config.toml` applies) through the browser tests' `start_app`, with Streamlit's
default file watcher as the Dockerfile runs it (the tests turn it off), against the fake Anthropic
API of `tests/fakes` (in this process, on 127.0.0.1, no latency). Headless Chromium drives it
through Playwright with the browser tests' helpers (`log_in`, `open_client`, `say`).

Every CPU figure is the server's own clock: utime + stime of the streamlit process (and of any
child) from /proc/<pid>/stat, before and after the action, so the browser, the fake API and
PostgreSQL are not in it. The kernel counts in ticks of 1/CLK_TCK s (10 ms): single samples are
coarse, medians over many are not. Memory is VmRSS from /proc/<pid>/status. `--post-script-gc`
starts the app with `--runner.postScriptGC true` (Streamlit's default: a full garbage collection
after every script run), to compare with the project's setting (false). The machine's load average
is printed at the start, at each phase and at the end: other work on a shared machine slows the
browser's waits, while the server's CPU per action moves much less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["ENV_FILE"] = os.devnull

CLIENTS = ["Maya Thompson", "Daniel Reyes", "Ruth Okafor"]  # the demo clients
QUESTIONS = [
    "What brings you in today?",
    "How long has this been going on for you?",
    "It sounds like the exams have been weighing on you. What is that like?",
    "When you say you feel stuck, what does that look like day to day?",
    "Who do you usually talk to when things get hard?",
]
ADMIN = "bench.admin"
STUDENT = "demo.student"
WAIT_MS = 90_000  # one script run on a busy shared machine
SETTLE_S = 1.0  # after closing a page: let the server drop its session before the next sample
HERTZ = os.sysconf("SC_CLK_TCK")


# The server's clock and memory, from /proc ---------------------------------------------------
def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _process_tree(root: int) -> list[int]:
    """`root` and every live descendant (Streamlit starts none, but a child would count)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat_fields(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_ms(root: int) -> float:
    """CPU (user + system) used so far by `root`, its live descendants and its reaped children."""
    ticks = 0
    for pid in _process_tree(root):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if pid == root:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: children waited for
    return ticks * 1000 / HERTZ


def rss_mb(root: int) -> float:
    """Resident memory (VmRSS) of `root` and its live descendants, in MB."""
    kilobytes = 0
    for pid in _process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                kilobytes += int(line.split()[1])
    return kilobytes / 1024


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def idle_per_page(figures: Figures) -> float:
    """Server CPU ms per idle open page per minute, over the server's own idle work."""
    extra = figures.idle_all_ms_per_minute - figures.idle_none_ms_per_minute
    return extra / max(figures.idle_pages, 1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


@dataclass
class Figures:
    """What one database's run measured (ms of server CPU, MB, seconds)."""

    database: str
    cold_start_s: float = 0.0
    cold_start_cpu: float = 0.0
    turn_cpu: list[float] = field(default_factory=list)
    turn_wall: list[float] = field(default_factory=list)
    opens: dict[str, list[float]] = field(default_factory=dict)
    idle_none_ms_per_minute: float = 0.0  # the server with no page open
    idle_all_ms_per_minute: float = 0.0  # the server with the idle pages open
    idle_pages: int = 0
    rss: dict[str, float] = field(default_factory=dict)
    soak: list[tuple[int, float, float]] = field(default_factory=list)  # turns, RSS, CPU median


# The database, the app, the browser ----------------------------------------------------------
@contextmanager
def scratch_database(kind: str, workdir: Path) -> Iterator[str]:
    """A new database built by the project's Alembic upgrade (dropped afterwards)."""
    from sqlalchemy import create_engine, text

    from backend.db import upgrade_database
    from tests.conftest import POSTGRES_ADMIN_URL

    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench_app.db'}"
        upgrade_database(url)
        yield url
        return
    name = f"bench_app_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                )
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def seed(url: str, students: int) -> list[str]:
    """The demo data (as the tests seed it), an admin, and `students` more students in the demo
    section; returns their usernames. Every account's password is the tests' PASSWORD."""
    from sqlalchemy import select

    from backend.db import create_db_engine, unit_of_work
    from backend.models import Section
    from backend.models.enums import Role
    from backend.ops import demo_service
    from tests.factories import PASSWORD, make_user

    engine = create_db_engine(url)
    names = [f"bench.student{number:02d}" for number in range(1, students + 1)]
    with unit_of_work(engine) as db:
        demo_service.seed_demo(db, password=PASSWORD)
        make_user(db, role=Role.admin, username=ADMIN)
        section_id = db.scalar(select(Section.id).where(Section.name == demo_service.DEMO_SECTION))
        assert section_id is not None
        from backend.classes import section_service

        for name in names:
            student = make_user(db, username=name)
            section_service.enroll(db, section_id=section_id, student_id=student.id)
    engine.dispose()
    return names


class App:
    """One `streamlit run mvp/app.py` (the browser tests' `start_app`), its clock and memory."""

    def __init__(self, env: dict[str, str], options: list[str], workdir: Path) -> None:
        from tests.e2e.conftest import _free_port

        self.env, self.options = env, options
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "streamlit.log"
        self.process: Any = None

    def start(self) -> float:
        """Start the process; returns the monotonic time just before."""
        from tests.e2e.conftest import start_app

        started = time.monotonic()
        self.process = start_app(self.port, self.env, self.log_path, *self.options)
        return started

    def stop(self) -> None:
        from tests.e2e.conftest import stop_apps

        if self.process is not None:
            stop_apps([self.process])

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise SystemExit(f"streamlit ended:\n{self.log_path.read_text()[-3000:]}")

    def cpu(self) -> float:
        return cpu_ms(self.process.pid)

    def rss(self) -> float:
        return rss_mb(self.process.pid)

    def measure(self, action: Callable[[], Any]) -> tuple[float, float]:
        """(server CPU ms, wall s) of `action`."""
        cpu, wall = self.cpu(), time.monotonic()
        action()
        return self.cpu() - cpu, time.monotonic() - wall


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def close(page: Any) -> None:
    page.context.close()
    time.sleep(SETTLE_S)


# The phases ----------------------------------------------------------------------------------
def cold_start(app: App, browser: Any, figures: Figures) -> None:
    """From the process's start to the log-in form drawn in the browser (the page is asked for
    every 0.1 s until the server answers)."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.e2e.helpers import keyed, wait_until_idle

    page = new_page(browser)
    started = app.start()
    while True:
        try:
            page.goto(app.url, timeout=WAIT_MS)
            break
        except PlaywrightError:
            app.alive()
            time.sleep(0.1)
    keyed(page, "login_username").locator("input").wait_for(state="visible", timeout=WAIT_MS)
    figures.cold_start_s = time.monotonic() - started
    figures.cold_start_cpu = app.cpu()
    wait_until_idle(page, WAIT_MS)
    figures.rss["log-in page drawn (1 session)"] = app.rss()
    close(page)
    print(
        f"  cold start: log-in form drawn {figures.cold_start_s:.2f} s after the process "
        f"started; server CPU {figures.cold_start_cpu:.0f} ms; RSS {app.rss():.0f} MB; "
        f"load {load()}"
    )


def end_a_session(app: App, browser: Any) -> int:
    """A demo student's session of three turns, ended and reviewed (the fake API answers the
    review with the browser tests' review of these turns); returns its id. Not measured."""
    from playwright.sync_api import expect

    from tests.e2e.helpers import click, log_in, open_client, say, wait_until_idle
    from tests.e2e.test_review_browser import TURNS

    page = new_page(browser)
    log_in(page, app.url, STUDENT)
    open_client(page, CLIENTS[0])
    for text in TURNS:
        say(page, text)
    click(page, "end_session")
    click(page, "confirm_end")
    expect(page.get_by_text("Review ready")).to_be_visible(timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)
    session_id = int(parse_qs(urlparse(page.url).query)["c"][0])
    close(page)
    return session_id


def page_opens(app: App, browser: Any, figures: Figures, repeats: int, ended_id: int) -> None:
    """Server CPU of three page opens, each `repeats` times in a fresh page."""
    from playwright.sync_api import expect

    from tests.e2e.helpers import heading, log_in, open_client, wait_until_idle

    def log_in_and_open(page: Any) -> None:
        log_in(page, app.url, STUDENT)
        open_client(page, CLIENTS[0])

    def draw(page: Any, path: str, shown: Callable[[Any], Any]) -> None:
        page.goto(f"{app.url}/{path}")
        expect(shown(page)).to_be_visible()
        wait_until_idle(page, WAIT_MS)

    def logged_in_open(what: str, username: str, lands_on: str, path: str, shown: Callable) -> None:
        setup = new_page(browser)
        log_in(setup, app.url, username, lands_on=lands_on)
        context = setup.context
        setup.close()
        for _ in range(repeats):
            page = context.new_page()
            cpu, _ = app.measure(partial(draw, page, path, shown))
            figures.opens.setdefault(what, []).append(cpu)
            page.close()
            time.sleep(SETTLE_S)
        context.close()

    for _ in range(repeats):
        page = new_page(browser)
        cpu, _ = app.measure(partial(log_in_and_open, page))
        figures.opens.setdefault("log-in + open a conversation", []).append(cpu)
        close(page)
    logged_in_open(
        "an ended session's page",
        STUDENT,
        "Practice",
        f"practice?c={ended_id}",
        lambda page: page.get_by_text("How did it go?"),
    )
    logged_in_open(
        "the admin dashboard", ADMIN, "Figures", "admin", lambda p: heading(p, "Figures")
    )
    for what, values in figures.opens.items():
        print(
            f"  page open, {what}: server CPU median {statistics.median(values):.0f} ms "
            f"(first {values[0]:.0f}, max {max(values):.0f}; {len(values)} opens); load {load()}"
        )


def turns(app: App, browser: Any, figures: Figures, count: int) -> Any:
    """`count` turns in one conversation after two warm-up turns; returns the open page."""
    from tests.e2e.helpers import log_in, open_client, say

    page = new_page(browser)
    log_in(page, app.url, STUDENT)
    open_client(page, CLIENTS[0])
    for question in QUESTIONS[:2]:  # the first reply of a process imports the SDK
        say(page, question)
    for index in range(count):
        cpu, wall = app.measure(partial(say, page, QUESTIONS[index % len(QUESTIONS)]))
        figures.turn_cpu.append(cpu)
        figures.turn_wall.append(wall)
    print(
        f"  turns: server CPU per turn median {statistics.median(figures.turn_cpu):.0f} ms, "
        f"p95 {percentile(figures.turn_cpu, 0.95):.0f} ms; browser wall median "
        f"{statistics.median(figures.turn_wall):.2f} s ({count} turns); load {load()}"
    )
    return page


def open_conversations(app: App, browser: Any, students: list[str]) -> list[Any]:
    from tests.e2e.helpers import log_in, open_client

    pages = []
    for index, student in enumerate(students):
        page = new_page(browser)
        log_in(page, app.url, student)
        open_client(page, CLIENTS[index % len(CLIENTS)])
        pages.append(page)
    return pages


def idle_and_memory(
    app: App, browser: Any, figures: Figures, students: list[str], args: argparse.Namespace
) -> None:
    """Server CPU over `--idle-seconds` with no page open, then with `--idle-pages` open, idle
    conversations (the difference is the pages' share: the process has its own background
    work, job heartbeats among it); then RSS with `--memory-pages` open."""
    cpu, wall = app.measure(lambda: time.sleep(args.idle_seconds))
    figures.idle_none_ms_per_minute = cpu / (wall / 60)
    pages = open_conversations(app, browser, students[: args.idle_pages])
    time.sleep(5)  # the last log-ins' runs and disconnects are over
    cpu, wall = app.measure(lambda: time.sleep(args.idle_seconds))
    figures.idle_all_ms_per_minute = cpu / (wall / 60)
    figures.idle_pages = len(pages)
    figures.rss[f"{len(pages)} open conversations"] = app.rss()
    print(
        f"  idle: server CPU per minute {figures.idle_none_ms_per_minute:.0f} ms with no page "
        f"open, {figures.idle_all_ms_per_minute:.0f} ms with {len(pages)} open conversations "
        f"({wall:.0f} s each): {idle_per_page(figures):.1f} ms per page per minute; load {load()}"
    )
    pages += open_conversations(app, browser, students[args.idle_pages : args.memory_pages])
    time.sleep(5)
    figures.rss[f"{len(pages)} open conversations"] = app.rss()
    print(f"  RSS with {len(pages)} open conversations: {app.rss():.0f} MB; load {load()}")
    for page in pages:
        page.context.close()
    time.sleep(SETTLE_S)


def soak(app: App, browser: Any, figures: Figures, students: list[str], args: Any) -> None:
    """`--soak-turns` turns over conversations of `--soak-conversation-turns` turns, one page
    each (closed when its conversation is done); RSS every `--rss-every` turns."""
    from tests.e2e.helpers import say

    done, block = 0, []
    conversation = 0
    figures.soak.append((0, app.rss(), 0.0))
    print(f"  soak: RSS at 0 turns {app.rss():.0f} MB")
    while done < args.soak_turns:
        [page] = open_conversations(app, browser, [students[conversation % len(students)]])
        for index in range(min(args.soak_conversation_turns, args.soak_turns - done)):
            cpu, _ = app.measure(partial(say, page, QUESTIONS[index % len(QUESTIONS)]))
            block.append(cpu)
            done += 1
            if done % args.rss_every == 0 or done == args.soak_turns:
                figures.soak.append((done, app.rss(), statistics.median(block)))
                print(
                    f"  soak: RSS at {done} turns {app.rss():.0f} MB; server CPU per turn "
                    f"median {statistics.median(block):.0f} ms over the last {len(block)}; "
                    f"load {load()}"
                )
                block = []
        close(page)
        conversation += 1


def run_database(
    kind: str, args: argparse.Namespace, browser: Any, fake: Any, workdir: Path
) -> Figures:
    figures = Figures(kind)
    needed = max(args.memory_pages, -(-args.soak_turns // args.soak_conversation_turns))
    with scratch_database(kind, workdir) as url:
        students = seed(url, needed)
        env = {
            **os.environ,
            "ENV_FILE": os.devnull,
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "ANTHROPIC_API_KEY": "bench-key",
            "ANTHROPIC_BASE_URL": fake.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "USER_RATE_LIMIT": "100000/minute",
            "GLOBAL_RATE_LIMIT": "1000000/hour",
            "USER_DAILY_TOKEN_BUDGET": "1000000000",
            "GLOBAL_DAILY_COST_BUDGET_USD": "1000000",
            "LOGIN_BROWSER_RATE_LIMIT": "100000/minute",
            "LOGIN_USERNAME_RATE_LIMIT": "100000/minute",
        }
        # By default as the Dockerfile starts it: Streamlit's default file watcher (start_app,
        # for the tests, turns it off).
        options = ["--server.fileWatcherType", args.file_watcher]
        if args.post_script_gc:
            options += ["--runner.postScriptGC", "true"]
        app = App(env, options, workdir)
        print(f"\n{kind}: streamlit run mvp/app.py {' '.join(options)}; load {load()}")
        try:
            cold_start(app, browser, figures)
            ended_id = end_a_session(app, browser)
            page_opens(app, browser, figures, args.page_opens, ended_id)
            page = turns(app, browser, figures, args.turns)
            figures.rss["1 open conversation, after the turns"] = app.rss()
            print(f"  RSS with 1 open conversation (after the turns): {app.rss():.0f} MB")
            close(page)
            idle_and_memory(app, browser, figures, students, args)
            soak(app, browser, figures, students, args)
        except BaseException:
            print(f"streamlit's log:\n{app.log_path.read_text()[-3000:]}")
            raise
        finally:
            app.stop()
    return figures


def summary(figures: Figures) -> None:
    name = f"{figures.database:10}"
    cpu = figures.turn_cpu
    print(
        f"{name} turn: server CPU median {statistics.median(cpu):.0f} ms, p95 "
        f"{percentile(cpu, 0.95):.0f} ms per turn ({len(cpu)} turns; browser wall median "
        f"{statistics.median(figures.turn_wall):.2f} s)"
    )
    for what, values in figures.opens.items():
        print(
            f"{name} page open, {what}: server CPU median {statistics.median(values):.0f} ms "
            f"(first {values[0]:.0f} ms)"
        )
    print(
        f"{name} idle open conversation: {idle_per_page(figures):.1f} ms of server CPU per page "
        f"per minute ({idle_per_page(figures) / 600:.3f}% of a core; the server alone "
        f"{figures.idle_none_ms_per_minute:.0f} ms a minute, with {figures.idle_pages} pages "
        f"{figures.idle_all_ms_per_minute:.0f} ms)"
    )
    print(
        f"{name} cold start: log-in form drawn {figures.cold_start_s:.2f} s after the process "
        f"started, server CPU {figures.cold_start_cpu:.0f} ms"
    )
    print(f"{name} RSS: " + ", ".join(f"{what} {mb:.0f} MB" for what, mb in figures.rss.items()))
    if len(figures.soak) > 1:
        (_, first, _), (turns_done, last, _) = figures.soak[0], figures.soak[-1]
        trail = ", ".join(f"{done}: {rss:.0f}" for done, rss, _cpu in figures.soak)
        print(
            f"{name} soak: RSS {first:.0f} -> {last:.0f} MB over {turns_done} turns "
            f"(turns: MB {trail}); server CPU per turn median {figures.soak[1][2]:.0f} ms in the "
            f"first block, {figures.soak[-1][2]:.0f} ms in the last"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--turns", type=int, default=30, help="measured chat turns")
    parser.add_argument("--page-opens", type=int, default=5, help="opens of each page")
    parser.add_argument("--idle-pages", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument(
        "--memory-pages", type=int, default=20, help="open conversations for the RSS figure"
    )
    parser.add_argument("--soak-turns", type=int, default=300)
    parser.add_argument("--soak-conversation-turns", type=int, default=50)
    parser.add_argument("--rss-every", type=int, default=50, help="soak turns between RSS prints")
    parser.add_argument(
        "--post-script-gc",
        action="store_true",
        help="start the app with --runner.postScriptGC true (Streamlit's default; the project "
        "sets false), to compare",
    )
    parser.add_argument(
        "--file-watcher",
        choices=["auto", "none"],
        default="auto",
        help="Streamlit's server.fileWatcherType (default auto, as the Dockerfile runs the app; "
        "the browser tests use none)",
    )
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.turns, args.page_opens, args.idle_pages, args.idle_seconds = 5, 2, 3, 15.0
        args.memory_pages, args.soak_turns, args.soak_conversation_turns = 4, 20, 10
        args.rss_every = 10
    args.memory_pages = max(args.memory_pages, args.idle_pages)

    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.test_review_browser import review_answer
    from tests.fakes.anthropic_server import FakeAnthropic

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(
        f"bench_app: {os.cpu_count()} cores, load average {load()}; runner.postScriptGC "
        f"{'true' if args.post_script_gc else 'false (the project setting)'}; {args.turns} turns, "
        f"{args.page_opens} opens of each page, {args.idle_pages} idle pages for "
        f"{args.idle_seconds:.0f} s, RSS with {args.memory_pages} pages, soak of "
        f"{args.soak_turns} turns in conversations of {args.soak_conversation_turns}"
    )
    expect.set_options(timeout=WAIT_MS)
    results = []
    with (
        FakeAnthropic(default_reply="I guess it has been a hard few weeks, really.") as fake,
        sync_playwright() as playwright,
    ):
        fake.set_default_tool_reply(review_answer())  # the ended session's review
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for kind in databases:
                with tempfile.TemporaryDirectory(prefix="bench-app-") as workdir:
                    results.append(run_database(kind, args, browser, fake, Path(workdir)))
        finally:
            browser.close()
    print()
    for figures in results:
        summary(figures)
    print(f"load average at the end {load()} ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
