"""Shared fixtures: real databases built by Alembic, rolled back after each test: SQLite, and
PostgreSQL too for the tests marked `both_backends`.

PostgreSQL, Redis and the browser are optional on a laptop (the tests that need them skip with a
reason) and mandatory under CI=true (the same tests fail instead), so CI never passes by skipping.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from pathlib import Path

# Before anything reads settings: no developer .env, no real key, nothing from the outside.
os.environ["ENV_FILE"] = os.devnull
for _name in (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "REDIS_URL",
    "DATABASE_URL",
    "MODEL_PRICES_JSON",
):
    os.environ.pop(_name, None)

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.db import create_db_engine, upgrade_database
from backend.models import Base
from backend.utils.rate_limiter import reset_rate_limiter

pytest_plugins = ["tests.fakes.fixtures"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_service(available: bool, reason: str) -> None:
    """Skip on a laptop without the service; fail under CI, where every service must be there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run, not skip)")
    pytest.skip(reason)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as error:
        return f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}"


@pytest.fixture(scope="session")
def postgresql_url():
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    problem = _postgres_reachable()
    require_service(problem is None, problem or "")
    name = f"counseling_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    yield url
    with admin.connect() as connection:
        connection.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def copy_database(template: Path, target: Path) -> None:
    """A copy of the SQLite file `template` at `target` (through SQLite's backup, so a write-ahead
    log is included): quicker than migrating again."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(template)) as source:
        with contextlib.closing(sqlite3.connect(target)) as copy:
            source.backup(copy)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file built by `alembic upgrade head` once per test process; tests that need a
    database of their own get a copy (`copy_database`)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    copy_database(sqlite_template, path)
    return f"sqlite:///{path}"


def pytest_generate_tests(metafunc) -> None:
    """`backend_name`: a database test runs on SQLite, and on PostgreSQL too when it is marked
    `both_backends`, because what it checks depends on the dialect (upserts, locks and
    concurrency, rollups and metrics, dates and time zones, NUL characters, migrations, backups)."""
    if "backend_name" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        names = ["sqlite", "postgresql"] if both else ["sqlite"]
        metafunc.parametrize("backend_name", names, scope="session")


# Fixtures that reach PostgreSQL: a test using one (or run with a "postgresql" parameter) gets the
# marker `postgresql`, so the fast lane (`run_tests.py --fast`) can leave it out.
POSTGRESQL_FIXTURES = {
    "postgresql_url",
    "_postgresql_engine",
    "committed_postgresql",
    "empty_postgresql_url",
    "shared_database",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items) -> None:
    """Mark `postgresql` (above), and keep the browser tests on one pytest-xdist worker: one app
    process and one Chromium serve them all, while the other worker runs the rest."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        callspec = getattr(item, "callspec", None)
        parameters = callspec.params.values() if callspec else ()
        if POSTGRESQL_FIXTURES & set(item.fixturenames) or any(
            value == "postgresql" for value in parameters if isinstance(value, str)
        ):
            item.add_marker(pytest.mark.postgresql)


def pytest_configure(config) -> None:
    """Refuse `--dist loadgroup` where it cannot group: pytest 9.2 changed node ids, and
    pytest-xdist up to 3.8 then drops every group silently (pytest-dev/pytest-xdist#1386). The
    browser tests would run on both workers, with two app sets sharing Redis and failing on each
    other's rate limits."""
    if config.getoption("dist", None) != "loadgroup":
        return
    from importlib.metadata import version

    from packaging.version import Version

    if Version(pytest.__version__) >= Version("9.2.0.dev0") and Version(
        version("pytest-xdist")
    ) < Version("3.9"):
        raise pytest.UsageError(
            f"pytest {pytest.__version__} with pytest-xdist {version('pytest-xdist')} does not "
            "keep the browser tests on one worker; install what requirements-dev.txt allows."
        )


@pytest.fixture(scope="session")
def database_url(request, backend_name) -> str:
    """The migrated database of the current backend (see `pytest_generate_tests`)."""
    return request.getfixturevalue(f"{backend_name}_url")


@pytest.fixture(scope="session")
def engine(database_url):
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    """A session whose work is rolled back after the test (services' savepoints still work)."""
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield db
    db.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def committed_engine(engine):
    """For tests that need real commits across threads: every table is emptied afterwards."""
    yield engine
    _empty_every_table(engine)


@pytest.fixture(scope="session")
def _postgresql_engine(postgresql_url):
    engine = create_db_engine(postgresql_url)
    yield engine
    engine.dispose()


@pytest.fixture
def committed_postgresql(_postgresql_engine):
    """`committed_engine` for tests of PostgreSQL's own behaviour (its locks): run once, not once
    per backend."""
    yield _postgresql_engine
    _empty_every_table(_postgresql_engine)


def _empty_every_table(engine) -> None:
    """Every row deleted (children first) and, on PostgreSQL, every id sequence back at 1. Not
    TRUNCATE: on a test's handful of rows it costs 0.16 s (a new file for each of the 27 tables
    and their indexes) against DELETE's 0.01 s, after each of some 150 tests."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'")
            )


@pytest.fixture(autouse=True)
def _fresh_settings_and_limits():
    """Each test starts from the environment's settings, empty in-memory rate limits and no
    cached dashboard figures (test databases reuse one URL)."""
    from backend.monitoring.metrics_service import forget_closed_periods

    get_settings.cache_clear()
    reset_rate_limiter()
    forget_closed_periods()
    yield
    get_settings.cache_clear()
    reset_rate_limiter()
    forget_closed_periods()


@pytest.fixture(scope="session", autouse=True)
def _cheaper_argon2():
    """Real argon2id, with lighter parameters so hundreds of test accounts hash quickly."""
    from argon2 import PasswordHasher

    from backend.accounts import account_service

    account_service._hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    yield
