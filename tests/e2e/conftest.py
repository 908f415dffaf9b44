"""Browser fixtures: the real app (`streamlit run mvp/app.py`) on a free port with a temporary
SQLite database and the fake Anthropic API, driven by Playwright with Debian's Chromium.

Without Chromium or Playwright the tests skip with a reason (and fail under CI=true).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.ops import demo_service
from tests.conftest import require_service
from tests.e2e.helpers import RUN_TIMEOUT_MS
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


def start_app(port: int, env: dict[str, str], log_path: Path, *options: str) -> subprocess.Popen:
    """`streamlit run mvp/app.py` on 127.0.0.1:`port` with `env`, its output in `log_path`;
    `options` are more `--section.option value` pairs (e.g. `--secrets.files`)."""
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
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


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def app_server(tmp_path, fake_anthropic):
    """`streamlit run mvp/app.py` in a subprocess; yields its base URL once it is healthy."""
    port = _free_port()
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": fake_anthropic.base_url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "ANTHROPIC_MODEL": "claude-haiku-4-5",
    }
    log_path = tmp_path / "streamlit.log"
    process = start_app(port, env, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log_path)
        yield url
    finally:
        stop_apps([process])


@pytest.fixture
def demo(tmp_path, app_server):
    """The demo data in the running app's database: (engine, seed result)."""
    url = f"sqlite:///{Path(tmp_path) / 'app.db'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    with unit_of_work(engine) as db:
        result = demo_service.seed_demo(db, password=PASSWORD)
    yield engine, result
    engine.dispose()
