"""Readiness that tells the truth (issue 23, item 4): the database, and Redis once configured."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import create_engine, text

from backend import event_log
from backend.accounts import account_service
from backend.config import get_settings
from backend.db import unit_of_work
from backend.errors import ServiceUnavailableError
from backend.models.enums import Role
from tests.conftest import POSTGRES_ADMIN_URL, REDIS_TEST_URL, require_service
from tests.factories import make_user
from tests.integration.test_limits_and_budgets import _redis_available

CLOSED_PORT_DB = "postgresql+psycopg://counseling:s3cret-pw@127.0.0.1:1/counseling"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_ready_when_the_database_and_redis_answer(run_cli, sqlite_url, monkeypatch):
    require_service(_redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    result = run_cli(sqlite_url, "ready")
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("Ready")


def test_not_ready_while_the_database_cannot_be_reached(run_cli):
    result = run_cli(CLOSED_PORT_DB, "ready")
    assert result.returncode == 1
    assert "The database cannot be reached" in result.stdout
    assert "127.0.0.1:1" in result.stdout and "s3cret-pw" not in result.stdout


def test_not_ready_while_the_configured_redis_cannot_be_reached(run_cli, sqlite_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", CLOSED_PORT_REDIS)
    result = run_cli(sqlite_url, "ready")
    assert result.returncode == 1
    assert "Redis cannot be reached" in result.stdout and "log-ins" in result.stdout


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_readiness_endpoint_answers_503_with_the_reason(configure, committed_engine):
    """What the proxy and the container's health check ask: 200 when ready, else 503 and why
    (turning red is logged: `committed_engine` empties the database afterwards)."""
    from backend.monitoring import watch

    server = watch.readiness_server(port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/ready"
    try:
        status, body = _get(url)
        assert (status, body["ready"]) == (200, True)
        configure(redis_url=CLOSED_PORT_REDIS)
        status, body = _get(url)
        assert (status, body["ready"]) == (503, False)
        assert any("Redis cannot be reached" in problem for problem in body["problems"])
    finally:
        server.shutdown()
        server.server_close()


def test_checks_share_one_connection_and_a_dropped_one_is_not_an_outage(
    postgresql_url, monkeypatch
):
    """The proxy asks every 2 s: each check must not cost PostgreSQL a new backend process; and
    a connection the server closed (a restart, an idle timeout) is replaced, not reported as the
    database being down."""
    from backend.monitoring import watch

    monkeypatch.setenv("DATABASE_URL", postgresql_url)
    get_settings.cache_clear()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    database = postgresql_url.rsplit("/", 1)[1]

    def backends() -> set[int]:
        with admin.connect() as connection:
            return set(
                connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = :name "
                        "AND application_name = 'readiness'"
                    ),
                    {"name": database},
                ).scalars()
            )

    try:
        assert watch.check_readiness().ready
        first = backends()
        for _ in range(5):
            assert watch.check_readiness().ready
        assert backends() == first and len(first) == 1  # one connection, kept

        with admin.connect() as connection:  # the server drops it
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first.pop()})
        readiness = watch.check_readiness()
        assert readiness.ready, readiness.problems
    finally:
        admin.dispose()


def test_a_log_in_while_redis_is_down_says_so_and_the_event_log_names_redis(
    configure, committed_engine
):
    configure(redis_url=CLOSED_PORT_REDIS)
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin, username="ada.admin")
        make_user(db, username="sam.student")
    with (
        pytest.raises(ServiceUnavailableError, match="Log-in is unavailable"),
        unit_of_work(committed_engine) as db,
    ):
        account_service.authenticate(db, username="sam.student", password="whatever-it-is")
    with unit_of_work(committed_engine, write=False) as db:
        events = event_log.list_events(db, actor=admin, categories=["redis"])
    assert len(events) == 1
    assert "Redis cannot be reached" in events[0].message
    assert "127.0.0.1:1" in events[0].message


# libpq (and so psycopg, through SQLAlchemy's URL query) takes the password as a parameter too:
# `?password=...` is a working DATABASE_URL, as some hosts hand them out.
QUERY_PASSWORD_DB = (
    "postgresql+psycopg://counseling@127.0.0.1:1/counseling?password=s3cret-pw&sslmode=disable"
)


def test_not_ready_never_shows_a_password_given_in_the_url_query(run_cli):
    """`ready` (and /ready, the health page, the event log, the alert) printed the URL with only
    its user-info password hidden: a password in the query string was shown as it is. (An
    attack, 2026-12-07.)"""
    result = run_cli(QUERY_PASSWORD_DB, "ready")
    assert result.returncode == 1
    assert "The database cannot be reached at" in result.stdout
    assert "127.0.0.1:1/counseling" in result.stdout  # where, still
    assert "s3cret-pw" not in result.stdout, result.stdout
