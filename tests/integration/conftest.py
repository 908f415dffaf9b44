"""Fixtures for integration tests: settings from the environment, a gateway on the fake API, the
operator's command line run in this process, and empty databases of either backend."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.pool import NullPool

from backend import alerts, cli, llm
from backend.config import get_settings
from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.jobs import runner
from backend.models import CircuitBreakerState
from backend.utils.rate_limiter import reset_rate_limiter
from tests.conftest import (
    POSTGRES_ADMIN_URL,
    _postgres_reachable,
    copy_database,
    require_service,
)
from tests.factories import make_classroom
from tests.fakes.alert_receivers import Webhook

TEST_API_KEY = "sk-ant-test-0000-SECRET-never-shown"


@pytest.fixture
def configure(monkeypatch, sqlite_url):
    """Set environment settings, then rebuild settings, gateway and limiter from them.

    The gateway keeps its circuit breaker in the database (no Redis): a migrated SQLite file,
    with the breaker closed at the start of each test."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    with create_db_engine(sqlite_url, poolclass=NullPool).begin() as connection:
        connection.execute(delete(CircuitBreakerState))

    def apply(**env: object) -> None:
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name.upper(), raising=False)
            else:
                monkeypatch.setenv(name.upper(), str(value))
        get_settings.cache_clear()
        llm.reset_gateway()
        reset_rate_limiter()

    yield apply
    llm.reset_gateway()


@pytest.fixture
def api(fake_anthropic, configure):
    """The product's real gateway talking to the fake API (no SDK retries unless a test asks)."""
    configure(
        anthropic_api_key=TEST_API_KEY,
        anthropic_base_url=fake_anthropic.base_url,
        anthropic_max_retries=0,
        breaker_failure_threshold=100,
        anthropic_model="claude-haiku-4-5",
        review_batch_poll_seconds=0.05,  # a held review's batch (the fake ends it at a 2nd look)
    )
    yield fake_anthropic
    fake_anthropic.reset()  # wakes a request still hanging, so its reply thread can end
    assert runner.wait_idle(10), "a job outlived its test"


@pytest.fixture
def classroom(committed_engine):
    """(teacher, student, client, section, assignment), committed so services can see them."""
    with unit_of_work(committed_engine) as db:
        return make_classroom(db)


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """`python -m backend.cli ARGS` with `DATABASE_URL`, run through its `main(argv)` in this
    process (a subprocess costs seconds of imports; `test_accounts` keeps one, on a terminal);
    returns what `subprocess.run` would: the exit code and the captured output."""

    def run(database_url: str, *args: str) -> subprocess.CompletedProcess:
        monkeypatch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        capsys.readouterr()  # only this command's output
        try:
            code = cli.main(list(args))
        except SystemExit as stop:  # what the interpreter would make of it
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
            code = stop.code if isinstance(stop.code, int) else (1 if stop.code else 0)
        captured = capsys.readouterr()
        get_settings.cache_clear()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def postgresql_template():
    """The name of a PostgreSQL database built by `alembic upgrade head` once per test process and
    never connected to afterwards, so `CREATE DATABASE ... TEMPLATE` can copy it (a copy takes a
    fraction of a migration's seconds); dropped at the end."""
    problem = _postgres_reachable()
    require_service(problem is None, problem or "")
    name = f"counseling_template_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade_database(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def fresh_database(request):
    """Makes empty databases (an Alembic-built one unless `migrated=False`: a copy of the one
    migrated template of its backend), dropped afterwards."""
    made: list[str] = []
    engines = []

    def make(kind: str, tmp_path, *, migrated: bool = True) -> str:
        if kind == "sqlite":
            path = tmp_path / f"fresh-{uuid.uuid4().hex[:6]}.db"
            if migrated:
                copy_database(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        template = request.getfixturevalue("postgresql_template") if migrated else None
        name = f"counseling_fresh_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        engines.append(admin)
        with admin.connect() as connection:
            copy = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        made.append(name)
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    for admin in engines:
        with admin.connect() as connection:
            for name in made:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}'"
                    )
                )
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def webhook():
    """A webhook receiver for alerts; every alert sent during the test has been handled by its end."""
    receiver = Webhook()
    yield receiver
    receiver.close()
    assert alerts.wait_idle(30), "an alert was still being sent after its test"


@pytest.fixture
def alerting(configure, webhook, committed_engine):
    """The webhook channel on, retries quick; alerts sent are events (emptied afterwards)."""
    configure(alert_webhook_url=webhook.url, alert_retry_seconds="0.01")
    return configure
