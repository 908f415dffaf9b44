"""The admin monitor through Streamlit's AppTest: empty and known data, filters, accounts, access."""

from __future__ import annotations

from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.errors import AuthenticationError
from backend.models.enums import MessageRole, Role
from backend.schemas.conversations import Usage
from backend.services import account_service, event_service, session_service
from backend.utils.rate_limiter import RateLimiter
from tests.apps.conftest import APP_PATH, log_in
from tests.apps.test_teacher_app import assert_clean, everything, texts
from tests.factories import PASSWORD, make_classroom, make_user, start_session


@pytest.fixture
def admin(app_db):
    with unit_of_work(app_db) as session:
        return make_user(session, role=Role.admin, username="ada.admin", display_name="Ada Admin")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def table(at, column: str):
    """The first table on the page with this column."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def admin_app(app):
    at = log_in(app.run(), "ada.admin")
    assert_clean(at)
    assert "Admin" in texts(at, "title")
    return at


def test_empty_database_renders_with_empty_states(app, admin):
    at = admin_app(app)
    assert metric(at, "Active sessions") == "0"
    assert metric(at, "Cost today") == "$0.00"
    assert metric(at, "Positive feedback") == "—"
    page = everything(at)
    assert "Nobody is talking to a client right now." in page
    assert "Nobody is close to their daily limit." in page
    assert "Healthy" in page  # demo mode: the API check spends nothing


def test_known_data_shows_the_right_figures(app, app_db, admin):
    with unit_of_work(app_db) as session:
        _teacher, student, client, _section, _assignment = make_classroom(session)
        chat = start_session(session, user=student, client=client)
        session_service.add_message(session, actor=student, session_id=chat.id,
                                    role=MessageRole.user, content="Hello.")
        session_service.add_message(
            session, actor=student, session_id=chat.id, role=MessageRole.assistant,
            content="Hi.", usage=Usage(input_tokens=1000, output_tokens=100),
            model="claude-haiku-4-5", cost=Decimal("0.0015"), latency_ms=1200,
            time_to_first_token_ms=300)
    at = admin_app(app)
    assert metric(at, "Active sessions") == "1"
    assert metric(at, "Messages today") == "2"
    assert metric(at, "Tokens today") == "1,100"
    assert metric(at, "Cost today") == "$0.001500"
    assert metric(at, "Reply time, today") == "1.20 s"
    active = table(at, "Who")
    assert list(active["Who"]) == [student.display_name] and list(active["Cost"]) == ["$0.001500"]
    by_model = table(at, "Model")
    assert list(by_model["Model"]) == ["claude-haiku-4-5"]


def test_error_log_filters(app, app_db, admin):
    with unit_of_work(app_db) as session:
        event_service.record(session, "error", "api_overloaded", "Reply failed: overloaded",
                             details={"request_id": "req_123"})
        event_service.record(session, "info", "accounts", "Something routine")
    at = admin_app(app)
    labels = [e.label for e in at.expander]
    assert any("api_overloaded" in label for label in labels)
    assert not any("Something routine" in label for label in labels)  # info is off by default
    at.multiselect(key="log_severity").set_value(["info"]).run()
    labels = [e.label for e in at.expander]
    assert any("Something routine" in label for label in labels)
    assert not any("api_overloaded" in label for label in labels)


def test_account_actions(app, app_db, admin):
    at = admin_app(app)
    at.text_input(key="account_username").input("new.teacher")
    at.text_input(key="account_display_name").input("New Teacher")
    at.selectbox(key="account_role").set_value("teacher")
    at.text_input(key="account_password").input("first password")
    at.button(key="create_account").click().run()
    assert "Created the teacher account 'new.teacher'." in everything(at)

    at.selectbox(key="manage_account").set_value("new.teacher").run()
    at.text_input(key="reset_password").input("second password")
    at.button(key="reset_password_button").click().run()
    assert "New password set for 'new.teacher'" in everything(at)
    limiter = RateLimiter()
    with unit_of_work(app_db) as session:
        assert account_service.authenticate(session, username="new.teacher",
                                            password="second password", limiter=limiter)

    at.selectbox(key="manage_account").set_value("new.teacher").run()
    at.button(key="toggle_active").click().run()
    assert "'new.teacher' is deactivated." in everything(at)
    with pytest.raises(AuthenticationError, match="deactivated"):
        with unit_of_work(app_db) as session:
            account_service.authenticate(session, username="new.teacher",
                                         password="second password", limiter=limiter)


@pytest.mark.parametrize("role", [Role.teacher, Role.student])
def test_other_roles_cannot_reach_the_monitor(app_db, role):
    with unit_of_work(app_db) as session:
        user = make_user(session, role=role, username=f"just.a.{role.value}")
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), user.username, PASSWORD)
    assert "Admin" not in texts(at, "title")
    page_file = APP_PATH.replace("app.py", "admin_monitor.py")
    direct = AppTest.from_file(page_file, default_timeout=30)
    direct.session_state["user"] = user
    direct.run()
    assert any("You do not have access to this page." in e for e in texts(direct, "error"))
    assert not direct.metric
