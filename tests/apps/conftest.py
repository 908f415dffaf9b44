"""Fixtures for AppTest runs of `mvp/app.py`: a fresh migrated SQLite file per test, clean caches."""

from __future__ import annotations

import os
from typing import Any

import pytest
import streamlit as st
from streamlit.runtime import context as st_context
from streamlit.testing.v1 import AppTest

from backend import llm
from backend.config import get_settings
from backend.db import create_db_engine, unit_of_work
from backend.jobs import runner
from backend.models.enums import Role
from backend.utils.rate_limiter import reset_rate_limiter
from tests.apps.helpers import APP_PATH
from tests.conftest import copy_database
from tests.factories import make_user


@pytest.fixture(scope="session", autouse=True)
def _components_scanned_once():
    """Each new AppTest scans the metadata of every installed package for Streamlit components
    (about a second each time on a busy machine); nothing is installed during a test run, so the
    first scan's answer serves every AppTest."""
    from streamlit.components.v2 import manifest_scanner

    found = manifest_scanner.scan_component_manifests()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(
            manifest_scanner, "scan_component_manifests", lambda max_workers=None: list(found)
        )
        yield


@pytest.fixture(scope="session", autouse=True)
def _scripts_compiled_once():
    """Each new AppTest starts with an empty script cache, so every run of a fresh AppTest read,
    rewrote (Streamlit's "magic") and compiled the app and each page again: about a fifth of an
    AppTest's time. A compiled script is kept for the test process, keyed by its path, size and
    modification time (a file that changes is compiled again); each run still executes it anew."""
    from streamlit import config
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    compiled: dict[tuple[str, int, int, bool], Any] = {}
    get_bytecode = ScriptCache.get_bytecode

    def shared(self: ScriptCache, script_path: str) -> Any:
        path = os.path.abspath(script_path)
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size, bool(config.get_option("runner.magicEnabled")))
        if key not in compiled:
            compiled[key] = get_bytecode(self, script_path)
        return compiled[key]

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(ScriptCache, "get_bytecode", shared)
        yield


def _reset_process_state() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()
    get_settings.cache_clear()
    llm.reset_gateway()
    reset_rate_limiter()


@pytest.fixture
def app_db(tmp_path, monkeypatch, sqlite_template):
    """DATABASE_URL points at a migrated temporary SQLite file (a copy of the migrated template);
    yields an engine on it."""
    copy_database(sqlite_template, tmp_path / "app.db")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    _reset_process_state()
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    _reset_process_state()


@pytest.fixture
def app(app_db):
    """The app, not yet run (call `.run()`)."""
    return AppTest.from_file(APP_PATH, default_timeout=30)


@pytest.fixture
def app_api(fake_anthropic, monkeypatch):
    """Settings point the app at the fake Anthropic server (no SDK retries)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url)
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-haiku-4-5")
    monkeypatch.setenv("REVIEW_BATCH_POLL_SECONDS", "0.05")  # the fake ends a batch at a 2nd look
    _reset_process_state()
    yield fake_anthropic
    fake_anthropic.reset()
    runner.wait_idle(10)
    _reset_process_state()


@pytest.fixture
def teacher(app_db):
    """A teacher account in the app's database (password: `tests.factories.PASSWORD`)."""
    with unit_of_work(app_db) as db:
        return make_user(
            db, role=Role.teacher, username="tina.teacher", display_name="Tina Teacher"
        )


@pytest.fixture
def downloads(monkeypatch):
    """What each `st.download_button` offered in the last runs, by key."""
    offered: dict[str, object] = {}
    original = st.download_button

    def recording(label, data=None, *args, **kwargs):
        offered[kwargs.get("key") or label] = data
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    return offered


class _Browser:
    """What `st.context` reads from the browser's request: its headers and its cookies."""

    def __init__(self, jar: dict[str, str]) -> None:
        self.cookies, self.headers, self.remote_ip = jar, [], None


@pytest.fixture
def browser_cookies(monkeypatch):
    """The cookie jar of the one browser every AppTest of the test runs in: what it holds
    reaches the app as `st.context.cookies`, where a real browser's cookies arrive (AppTest
    itself cannot send cookies). Put the token there to play a reload."""
    jar: dict[str, str] = {}
    monkeypatch.setattr(st_context, "_get_client_context", lambda: _Browser(jar))
    return jar
