"""Browser fixtures: the real app (`streamlit run mvp/app.py`) on a free port with the fake
Anthropic API, driven by Playwright with Debian's Chromium.

One app process serves all the browser tests of a pytest process (`app_process`); each test gets
its own SQLite database, a copy of one migrated file, and the process is pointed at it before the
test starts (`tests/e2e/serve_app.py` says what that resets). Without Chromium or Playwright the
tests skip with a reason (and fail under CI=true).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from multiprocessing.connection import Client
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    PlaywrightError = Exception

from backend.db import create_db_engine, unit_of_work
from backend.ops import demo_service
from tests.conftest import copy_database, require_service
from tests.e2e import helpers
from tests.e2e.helpers import DASHBOARD_REFRESH_SECONDS, open_app, watch_losses
from tests.factories import PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 60
WARM_UP_TIMEOUT_MS = 120_000
PLAYWRIGHT_EXPECT_TIMEOUT_MS = 5_000  # Playwright's own default


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_app(
    port: int, env: dict[str, str], log_path: Path, *options: str, control: Path | None = None
) -> subprocess.Popen:
    """`streamlit run mvp/app.py` on 127.0.0.1:`port` with `env`, its output in `log_path`;
    `options` are more `--section.option value` pairs (e.g. `--secrets.files`). With `control` (a
    Unix socket path), the same command through `tests/e2e/serve_app.py`, so that `use_database`
    can point the running process at another database."""
    command = ["-m", "tests.e2e.serve_app", str(control)] if control else ["-m", "streamlit"]
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [
                sys.executable,
                *command,
                "run",
                "mvp/app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
                *options,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def use_database(control: Path, database_url: str) -> None:
    """Point the app process started with `control` at `database_url`, as a restart would."""
    with Client(str(control), family="AF_UNIX") as connection:
        connection.send({"DATABASE_URL": database_url})
        answer = connection.recv()
    assert answer == "ready", answer


def wait_until_healthy(
    url: str, process: subprocess.Popen, log_path: Path, deadline: float | None = None
) -> None:
    """Until `url` answers its health check; fails with the log's tail if the process ends or
    `deadline` (monotonic; default STARTUP_TIMEOUT_S from now) passes."""
    deadline = deadline or time.monotonic() + STARTUP_TIMEOUT_S
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"streamlit did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def stop_apps(processes: list[subprocess.Popen]) -> None:
    """Ask every process to stop at once, then wait (killing any that does not)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    chromium = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    require_service(bool(chromium), f"Chromium is not installed (looked for {CHROMIUM})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service(False, "The playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _patient_expect():
    """App servers, browsers and the other test process share a busy machine: every `expect`
    waits as long as a script run may take (helpers.RUN_TIMEOUT_MS), not Playwright's 5 seconds."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
        yield
        return
    expect.set_options(timeout=helpers.RUN_TIMEOUT_MS)
    yield
    expect.set_options(timeout=PLAYWRIGHT_EXPECT_TIMEOUT_MS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that failed reports what each of its tabs showed then (address and text,
    and a screenshot in test-artifacts/): a flake in CI is seen once, and a timeout's message
    names only the locator it waited for."""
    outcome = yield
    report = outcome.get_result()
    tabs = item.funcargs.get("warm_tabs") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or tabs is None:
        return
    shown = []
    for number, page in enumerate(tabs.taken, start=1):
        try:
            text = page.evaluate("() => document.body ? document.body.innerText : ''")
            ARTIFACTS.mkdir(exist_ok=True)
            picture = ARTIFACTS / f"failed-{item.name[:80]}-tab{number}.png"
            page.screenshot(path=str(picture), timeout=10_000)
        except Exception as error:  # a closed tab or a hung page: say so, never hide the failure
            text = f"(could not be read: {error})"
        shown.append(f"tab {number}: {page.url}\n{text[:2000]}")
    report.sections.append(("What the tabs showed", "\n\n".join(shown) or "(no tab)"))


# What a tab keeps of a site between tests, and must not: everything but the HTTP cache (cookies
# are cleared apart; clearing local storage clears the tab's session storage too).
SITE_DATA = "local_storage,indexeddb,websql,service_workers,cache_storage,file_systems"


class WarmTabs:
    """Browser tabs kept for the whole run, each in a context of its own (one per person a test
    plays at a time), so that each keeps what a person's browser keeps between visits: a new tab
    starts a renderer process that compiles Streamlit's scripts afresh, 2.0-2.5 CPU-seconds a
    page load, against 0.6-0.8 in a tab that has drawn the app before. A test gets a tab clean
    (on about:blank: no cookies, no history, no site data or session storage of any site it
    visited) and gives it back at its end, or when its person leaves (`leave`). A tab the test
    closed is replaced; a context it closed is dropped. The settings a test makes on its tab or
    context (routes, emulated media, timeouts, permissions, offline, extra headers) are undone;
    its event handlers go with it when added with `listen`. What cannot be undone on a kept tab
    (an init script, a handler added with `page.on`, the HTTP cache) needs a context of the
    test's own, as the phone-sized tests make."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.idle: list = []
        self.taken: list = []
        self.visited: dict = {}  # context -> the origins its tabs have been on since taken
        self.handlers: dict = {}  # tab -> the (event, handler) pairs its test added

    def open_page(self, width: int = 1400, height: int = 1000):
        """A tab of a context of its own: a person with nobody logged in."""
        page = self.idle.pop() if self.idle else self._new_tab()
        self.taken.append(page)
        page.set_viewport_size({"width": width, "height": height})
        return page

    def _new_tab(self, context=None):
        if context is None:
            context = self.browser.new_context(accept_downloads=True)
            context.set_default_timeout(helpers.RUN_TIMEOUT_MS)
            # Every tab of the context (a popup the app opened too) and every frame of them.
            context.on("page", lambda tab: self._watch(context, tab))
        return context.new_page()

    def _watch(self, context, tab) -> None:
        tab.on("framenavigated", lambda frame: self._note_origin(context, frame.url))
        watch_losses(tab)  # every load of the app in it, not only open_app's (helpers.py)

    def _note_origin(self, context, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            self.visited.setdefault(context, set()).add(f"{parts.scheme}://{parts.netloc}")

    def listen(self, page, event: str, handler) -> None:
        """`page.on(event, handler)` until the tab is given back."""
        page.on(event, handler)
        self.handlers.setdefault(page, []).append((event, handler))

    def give_back(self, pages: list | None = None) -> None:
        """`pages` (default: every one taken), emptied and ready for the next person."""
        returned = [page for page in self.taken if pages is None or page in pages]
        self.taken = [page for page in self.taken if page not in returned]
        failure = None
        for page in returned:
            try:
                self.idle.append(self._emptied(page))
            except Exception as error:  # e.g. its context closed by the test: never used again
                self.visited.pop(page.context, None)
                with contextlib.suppress(PlaywrightError):
                    page.context.close()
                if not isinstance(error, PlaywrightError):
                    failure = failure or error
        if failure:  # after every tab was dealt with
            raise failure

    def _emptied(self, page):
        """`page` or, where the test closed it, a new tab in its context: on about:blank with
        nothing of the sites it visited, and none of the settings the test made."""
        context = page.context
        for event, handler in self.handlers.pop(page, []):
            page.remove_listener(event, handler)
        for tab in context.pages:  # where a popup went before its first event reached us, too
            for frame in tab.frames:
                self._note_origin(context, frame.url)
            if tab is not page:  # e.g. a tab the app opened
                tab.close()
        if page.is_closed():
            page = self._new_tab(context)
        else:
            page.goto("about:blank")
            page.evaluate("() => { window.name = '' }")
        page.unroute_all(behavior="ignoreErrors")
        context.unroute_all(behavior="ignoreErrors")
        page.emulate_media(
            media="null",
            color_scheme="null",
            reduced_motion="null",
            forced_colors="null",
            contrast="null",
        )
        page.set_default_timeout(helpers.RUN_TIMEOUT_MS)
        page.set_default_navigation_timeout(helpers.RUN_TIMEOUT_MS)
        context.clear_permissions()
        context.set_offline(False)
        context.set_extra_http_headers({})
        visited = self.visited.pop(context, set())  # after about:blank: late navigations too
        session = context.new_cdp_session(page)
        session.send("Page.resetNavigationHistory")
        for origin in visited:
            session.send(
                "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": SITE_DATA}
            )
        session.detach()
        context.clear_cookies()
        return page

    def close(self) -> None:
        for page in self.idle + self.taken:
            with contextlib.suppress(PlaywrightError):
                page.context.close()


@pytest.fixture(scope="session")
def warm_tabs(browser):
    tabs = WarmTabs(browser)
    yield tabs
    tabs.close()


@pytest.fixture
def open_page(warm_tabs):
    """`open_page(width=1400, height=1000)`: a tab for one more person in this test."""
    yield warm_tabs.open_page
    warm_tabs.give_back()


@pytest.fixture
def leave(warm_tabs):
    """`leave(page)`: that person is done; the tab goes back (emptied) for the next person."""
    return lambda page: warm_tabs.give_back([page])


@pytest.fixture
def listen(warm_tabs):
    """`listen(page, event, handler)`: `page.on(event, handler)` for this test only."""
    return warm_tabs.listen


@pytest.fixture
def page(open_page):
    return open_page()


def warm_up(tabs: WarmTabs, url: str) -> None:
    """Draw the log-in screen once: the first run of a process imports the whole app, which on a
    busy machine takes longer than a test's wait for one run (and the tab used keeps Streamlit's
    scripts for the first test)."""
    page = tabs.open_page()
    try:
        open_app(page, url, WARM_UP_TIMEOUT_MS)
    finally:
        tabs.give_back([page])


class AppProcess:
    """A running app (`start_app` with a control socket) that tests point at their database."""

    def __init__(self, url: str, control: Path, log_path: Path) -> None:
        self.url, self.control, self.log_path = url, control, log_path

    def serve(self, database_path: Path, template: Path) -> str:
        """A fresh copy of the migrated `template` at `database_path`, served from now on."""
        copy_database(template, database_path)
        database_url = f"sqlite:///{database_path}"
        use_database(self.control, database_url)
        return database_url


@contextlib.contextmanager
def running_app(
    tabs: WarmTabs,
    env: dict[str, str],
    logs: Path,
    template: Path,
    *options: str,
    port: int | None = None,
    host: str = "127.0.0.1",
) -> Iterator[AppProcess]:
    """An app process for many tests (on `port`, default a free one; the browser reaches it at
    `host`): started, warmed up, and stopped at the end (its log's tail printed, which pytest
    shows when a test failed)."""
    port = port or _free_port()
    control, log_path = logs / "control.sock", logs / "streamlit.log"
    database = logs / "start.db"  # what it serves until the first test points it elsewhere
    copy_database(template, database)
    process = start_app(
        port,
        {**env, "DATABASE_URL": f"sqlite:///{database}"},
        log_path,
        *options,
        control=control,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, log_path)
        url = f"http://{host}:{port}"
        warm_up(tabs, url)
        yield AppProcess(url, control, log_path)
    finally:
        stop_apps([process])
        print(log_path.read_text()[-3000:])


def app_environment(fake_anthropic_server) -> dict[str, str]:
    """What every browser test's app runs with: the fake API, and quick dashboard refreshes."""
    return {
        **os.environ,
        "ENV_FILE": os.devnull,
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": fake_anthropic_server.base_url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "ANTHROPIC_MODEL": "claude-haiku-4-5",
        "DASHBOARD_REFRESH_SECONDS": str(DASHBOARD_REFRESH_SECONDS),
        "REVIEW_BATCH_POLL_SECONDS": "0.2",  # a held review's batch: the fake ends it at a 2nd look
    }


@pytest.fixture(scope="session")
def app_process(warm_tabs, fake_anthropic_server, tmp_path_factory, sqlite_template):
    """`streamlit run mvp/app.py` in a subprocess, one for the browser tests of this pytest
    process; `app_server` points it at each test's own database."""
    with running_app(
        warm_tabs,
        app_environment(fake_anthropic_server),
        tmp_path_factory.mktemp("app"),
        sqlite_template,
    ) as app:
        yield app


@pytest.fixture
def app_server(app_process, tmp_path, fake_anthropic, sqlite_template):
    """The app serving a new migrated SQLite database (`tmp_path / "app.db"`); yields its URL."""
    app_process.serve(tmp_path / "app.db", sqlite_template)
    return app_process.url


@pytest.fixture
def demo(tmp_path, app_server):
    """The demo data in the running app's database: (engine, seed result)."""
    engine = create_db_engine(f"sqlite:///{Path(tmp_path) / 'app.db'}")
    with unit_of_work(engine) as db:
        result = demo_service.seed_demo(db, password=PASSWORD)
    yield engine, result
    engine.dispose()
