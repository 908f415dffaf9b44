"""The event log stores bounded, secret-free records, whatever a caller hands it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend import event_log
from backend.accounts import account_service
from backend.db import unit_of_work
from backend.errors import AppError
from backend.models import Event

HUGE = "x" * 1_000_000


@pytest.mark.both_backends  # JSON and text storage differ per dialect
def test_every_message_and_details_value_is_stored_bounded(db):
    event_log.record(
        db,
        "warning",
        "auth",
        "Failed log-in for " + HUGE,
        details={
            "username": HUGE,
            "attempts": 3,
            "nested": {"list": ["y" * 10_000] * 1_000},
            "deep": {"a": {"b": {"c": {"d": {"e": HUGE}}}}},
            HUGE: "a huge key",
        },
    )
    db.flush()
    event = db.scalars(select(Event)).one()
    assert len(event.message) <= event_log.MAX_MESSAGE_CHARS
    assert len(event.details["username"]) <= event_log.MAX_DETAIL_CHARS
    assert event.details["attempts"] == 3
    assert len(event.details["nested"]["list"]) <= event_log.MAX_DETAIL_ITEMS
    assert all(len(item) <= event_log.MAX_DETAIL_CHARS for item in event.details["nested"]["list"])
    assert len(str(event.details)) < 50_000


@pytest.mark.both_backends  # JSON and text storage differ per dialect
def test_a_megabyte_username_in_a_failed_log_in_is_stored_bounded(committed_engine):
    with pytest.raises(AppError), unit_of_work(committed_engine) as db:
        account_service.authenticate(db, username=HUGE, password="wrong password 1")
    with unit_of_work(committed_engine, write=False) as db:
        events = list(db.scalars(select(Event)))
    assert sum(len(str(event.details)) + len(event.message) for event in events) < 10_000


@pytest.mark.parametrize(
    "text",
    [
        "key sk-ant-api03-AbC_d-123 leaked",
        "Authorization: Bearer abc.DEF-123_x",
        "headers {'x-api-key': 'abc123secret'}",
        '"x-api-key": "abc123secret"',
        "api_key=abc123secret&model=x",
    ],
)
def test_secrets_are_redacted_from_events(db, text):
    event_log.record(db, "error", "api_authentication", text, details={"detail": text})
    db.flush()
    event = db.scalars(select(Event)).one()
    for stored in (event.message, event.details["detail"]):
        assert "[redacted]" in stored
        assert "abc123secret" not in stored and "AbC_d-123" not in stored
        assert "DEF-123_x" not in stored


def test_the_error_log_reads_categories_in_words():
    assert event_log.category_label("api_server_error") == "API: server error"
    assert event_log.category_label("api_unknown") == "API: unknown error"
    assert event_log.category_label("api_something_new") == "API: something new"
    assert event_log.category_label("partial_reply") == "Cut-off reply"
    assert event_log.category_label("budget") == "Budget"


@pytest.mark.parametrize("purpose", ["review", "memory"])
def test_a_failed_model_call_of_any_purpose_is_logged_with_its_status_and_request_id(
    api, classroom, committed_engine, purpose
):
    """The Error log says "(HTTP 500)" and the request id for a failed reply; a failed review or
    memory summary was logged without either (and called a failed reply)."""
    from backend.classes import assignment_service
    from backend.db import Database
    from backend.jobs import runner
    from backend.practice import conversation_service
    from backend.reviews import review_service
    from tests.integration.test_reviews import ended_session

    if purpose == "review":
        session_id = ended_session(committed_engine, classroom)
        api.error(500, message="Internal server error")
        with pytest.raises(review_service.GatewayError):
            review_service.create_review(
                Database(committed_engine), actor=classroom.student, session_id=session_id
            )
    else:
        with unit_of_work(committed_engine) as db:
            assignment_service.set_continuing_client(
                db,
                actor=classroom.teacher,
                assignment_id=classroom.assignment.id,
                continuing=True,
            )
        database = Database(committed_engine)
        session = conversation_service.start_conversation(
            database, actor=classroom.student, client_id=classroom.client.id
        )
        api.reply("Work has been rough.")
        conversation_service.send_message(
            database, actor=classroom.student, session_id=session.id, content="How are you?"
        )
        api.error(500, message="Internal server error")
        conversation_service.end_conversation(
            database, actor=classroom.student, session_id=session.id
        )
        assert runner.wait_idle(10)
    with unit_of_work(committed_engine, write=False) as db:
        stored = db.scalars(select(Event).where(Event.category.startswith("api_"))).one()
        event = event_log.EventRead.model_validate(stored)
    assert "(HTTP 500)" in event_log.headline(event)
    assert str(event.details.get("request_id") or "").startswith("req_"), event.details
    said = {"review": "Review failed", "memory": "Memory summary failed"}[purpose]
    assert f"{said}: server error (HTTP 500)" in event.message
