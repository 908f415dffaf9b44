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
