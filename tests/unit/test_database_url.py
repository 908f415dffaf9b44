"""DATABASE_URL in the forms hosting platforms inject (issue 23, item 8)."""

import pytest
from sqlalchemy import text

from backend.config import Settings
from backend.db import create_db_engine
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_reachable, require_service


@pytest.mark.parametrize(
    "given",
    [
        "postgres://u:p@db.example:5432/app",
        "postgresql://u:p@db.example:5432/app",
        "postgresql+psycopg://u:p@db.example:5432/app",
    ],
)
def test_postgres_urls_without_a_driver_use_the_installed_one(given):
    assert (
        Settings(database_url=given).database_url == "postgresql+psycopg://u:p@db.example:5432/app"
    )


def test_a_postgres_url_as_heroku_injects_it_reaches_the_database():
    require_service(_postgres_reachable() is None, "PostgreSQL is not reachable")
    injected = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgres://")
    engine = create_db_engine(Settings(database_url=injected).database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_smtp_alerts_without_sender_or_recipients_are_refused_with_what_to_set():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ALERT_EMAIL_FROM and ALERT_EMAIL_TO"):
        Settings(alert_smtp_host="smtp.school.test", alert_email_from="ops@school.test")


def test_database_pool_size_and_overflow_set_how_many_connections_a_process_opens(monkeypatch):
    """DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW connections at once, then a transaction waits
    (here: gives up after pool_timeout) instead of opening one more (issue 23, item 7)."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    require_service(_postgres_reachable() is None, "PostgreSQL is not reachable")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "2")
    engine = create_db_engine(POSTGRES_ADMIN_URL, pool_timeout=0.2)
    try:
        held = [engine.connect() for _ in range(5)]
        with pytest.raises(PoolTimeout):
            engine.connect()
        for connection in held:
            connection.close()
        assert engine.pool.size() == 3
    finally:
        engine.dispose()
