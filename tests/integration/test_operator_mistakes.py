"""An operator's mistakes get a sentence that names what to fix, not a traceback or a misleading
answer: a mistyped setting, a REDIS_URL without its scheme, an export while the database is down.
(An attack, 2026-12-07.)"""

import socket
import threading

import pytest

from tests.integration.test_readiness import CLOSED_PORT_DB


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("DATABASE_POOL_SIZE", "ten", "a valid integer"),
        ("ALERT_SMTP_PORT", "0", "greater than or equal to 1"),
        ("REVIEW_BATCHES", "maybe", "a valid boolean"),
        ("SUPPORT_CONTACT", "call Sam", "must be an e-mail address"),
    ],
)
def test_a_mistyped_setting_stops_a_command_with_one_sentence_naming_it(
    run_cli, sqlite_url, monkeypatch, variable, value, said
):
    """`DATABASE_POOL_SIZE=ten` in .env made `python -m backend.cli migrate` (the release
    command every deploy runs) end in a 30-line pydantic traceback naming `database_pool_size`
    in lower case; `ready`, `create-admin` and every other command did the same."""
    monkeypatch.setenv(variable, value)
    result = run_cli(sqlite_url, "migrate")
    assert result.returncode == 1
    assert variable in result.stderr and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr, result.stderr
    assert ".env" in result.stderr  # where to fix it


def test_a_redis_url_without_its_scheme_is_refused_naming_it(run_cli, sqlite_url, monkeypatch):
    """`REDIS_URL=localhost:6379` (as hosting dashboards show the address) was accepted; then
    `ready` died in the redis library's ValueError, and in the app every readiness round did,
    so the readiness watch never alerted and /ready dropped the connection."""
    monkeypatch.setenv("REDIS_URL", "localhost:6379")
    result = run_cli(sqlite_url, "ready")
    assert result.returncode == 1
    assert "REDIS_URL" in result.stderr and "redis://" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("export", "--teacher", "jordan.teacher", "--out", "-"),
        ("migrate",),
        ("seed-demo",),
    ],
    ids=["export", "migrate", "seed-demo"],
)
def test_a_command_while_the_database_is_down_says_so(run_cli, command):
    """An export while PostgreSQL was down (or with a wrong host or port in DATABASE_URL) said
    "This database was never migrated: it holds no course to export.", which reads as lost
    data when the database only could not be reached; `migrate` and `seed-demo` ended in a
    traceback."""
    result = run_cli(CLOSED_PORT_DB, *command)
    assert result.returncode == 1
    assert "never migrated" not in result.stderr, result.stderr
    assert "cannot be reached" in result.stderr and "127.0.0.1:1" in result.stderr
    assert "s3cret-pw" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql//counseling:s3cret-pw@127.0.0.1:5432/counseling",  # the ':' lost
        "postgres:/counseling:s3cret-pw@db/counseling",  # one '/' lost
    ],
    ids=["no-colon", "one-slash"],
)
def test_a_database_url_that_cannot_be_parsed_is_refused_naming_it(run_cli, url):
    """`postgresql//...` (a character lost in pasting) passed the settings, then `migrate`
    ended in SQLAlchemy's "Could not parse SQLAlchemy URL" traceback, naming no setting.
    (An attack on the fix above, 2026-12-07.)"""
    result = run_cli(url, "migrate")
    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr and "s3cret-pw" not in result.stderr, result.stderr


def test_watch_on_a_port_of_its_own_with_a_mistyped_setting_stops_at_once(
    run_cli, sqlite_url, monkeypatch, caplog
):
    """`watch --port 8600` read the settings only without --port: with a mistyped setting it
    started serving /ready and logged a traceback every round. (An attack on the fix above,
    2026-12-07.)"""
    monkeypatch.setenv("DATABASE_POOL_SIZE", "ten")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    outcome: list = []
    worker = threading.Thread(
        target=lambda: outcome.append(run_cli(sqlite_url, "watch", "--port", port)), daemon=True
    )
    worker.start()
    worker.join(30)
    assert outcome, "`watch --port` kept running with a setting it cannot read"
    assert outcome[0].returncode == 1 and "DATABASE_POOL_SIZE" in outcome[0].stderr
    assert not [record for record in caplog.records if record.exc_info]  # no traceback logged
