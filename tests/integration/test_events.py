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
