"""What the admin and a user see while Redis (configured) cannot be reached (issue 23, item 4)."""

from __future__ import annotations

from backend.config import get_settings
from backend.db import unit_of_work
from backend.models.enums import Role
from backend.utils.rate_limiter import reset_rate_limiter
from tests.apps.helpers import APP_PATH, assert_clean, everything, log_in, open_page, texts
from tests.factories import make_user

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def shown(at) -> str:
    """The page's text as read (without the word joiner that keeps an address from linking)."""
    return everything(at).replace("\u2060", "")


def test_health_page_and_error_log_say_that_redis_is_down(app, app_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        make_user(db, username="sam.student")
    admin = log_in(app.run(), "ada.admin")  # logged in before Redis went away
    assert_clean(admin)

    monkeypatch.setenv("REDIS_URL", CLOSED_PORT_REDIS)
    get_settings.cache_clear()
    reset_rate_limiter()
    student = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "sam.student")
    assert_clean(student)  # no "Something went wrong", no traceback
    assert any("Log-in is unavailable" in message for message in texts(student, "error"))

    open_page(admin, "Service health")
    assert_clean(admin)
    page = shown(admin)
    assert "Unavailable" in page
    assert "Redis cannot be reached at redis://127.0.0.1:1/0" in page
    assert "log-ins" in page

    open_page(admin, "Error log")
    assert_clean(admin)
    assert "Redis cannot be reached at redis://127.0.0.1:1/0" in shown(admin)
