"""Health checks: real round trips, no tokens spent."""

import pytest

from backend.db import Database, unit_of_work
from backend.llm import HealthStatus, get_gateway
from backend.models.enums import Role
from backend.models.review import ReviewSource, ReviewStatus
from backend.monitoring import health_service
from backend.practice import conversation_service
from backend.reviews import review_service
from tests.conftest import REDIS_TEST_URL, require_service
from tests.factories import make_user
from tests.integration.test_limits_and_budgets import _redis_available
from tests.integration.test_reviews import ended_session, valid_answer


@pytest.mark.both_backends  # the connection check runs on each backend
def test_database_and_api_health_without_spending(engine, api):
    checks = {check.name: check for check in health_service.all_health(Database(engine))}
    assert checks["Database"].status == HealthStatus.healthy
    assert checks["Database"].round_trip_ms is not None
    assert checks["Anthropic API"].status == HealthStatus.healthy
    assert "Redis" not in checks  # not configured
    assert api.messages_requests() == []  # health never calls the API


def test_redis_health_when_configured(configure):
    require_service(_redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
    configure(redis_url=REDIS_TEST_URL)
    assert health_service.redis_health().status == HealthStatus.healthy
    configure(redis_url="redis://127.0.0.1:1/0")
    assert health_service.redis_health().status == HealthStatus.unavailable


# "Test connection" ---------------------------------------------------------------------------------
def test_a_failed_connection_test_never_shows_a_key_the_api_echoed(api):
    from tests.integration.conftest import TEST_API_KEY

    api.error(
        401,
        message=f"invalid x-api-key: {TEST_API_KEY} (header was "
        f"'Authorization: Bearer {TEST_API_KEY}', x-api-key=abc123secret)",
    )
    check = health_service.check_connection()
    assert not check.ok
    assert TEST_API_KEY not in check.summary and "SECRET" not in check.summary
    assert "abc123secret" not in check.summary and "[redacted]" in check.summary
    assert "API key refused, HTTP 401" in check.summary
    assert "ANTHROPIC_API_KEY" in check.summary  # what an admin does about it


def test_the_configured_key_is_redacted_even_when_it_does_not_look_like_one(
    fake_anthropic, configure
):
    configure(
        anthropic_api_key="plain-proxy-token-42",
        anthropic_base_url=fake_anthropic.base_url,
        anthropic_max_retries=0,
    )
    fake_anthropic.error(500, message="upstream said: key plain-proxy-token-42 is bad")
    check = health_service.check_connection()
    assert "plain-proxy-token-42" not in check.summary and "[redacted]" in check.summary


def test_a_failed_connection_test_offers_to_test_again_not_a_missing_retry_button(api):
    api.error(500)
    check = health_service.check_connection()
    assert not check.ok and "HTTP 500" in check.summary
    assert "Retry" not in check.summary and "Test connection again" in check.summary
    api.reply("ok")
    assert health_service.check_connection().ok


def test_an_api_waiting_for_its_trial_call_says_how_to_make_one(api, committed_engine):
    """Hours after an outage opened the breaker, with no call since, the API stays Degraded
    until a call tests it (the last thing known is an outage): the page says which call that
    is, so the operator need not wait for a student (it said only "the next call is a trial",
    beside a caption promising the status recovers by itself)."""
    import time

    from sqlalchemy import insert

    from backend.llm import get_gateway
    from backend.models.api_state import CircuitBreakerState

    with committed_engine.begin() as connection:
        connection.execute(
            insert(CircuitBreakerState).values(
                name="anthropic", failures=5, opened_at=time.time() - 2 * 3600
            )
        )
    check = health_service.api_health(Database(committed_engine), get_gateway())
    assert check.status == HealthStatus.degraded
    assert "Test connection" in check.detail and "0 recent calls" in check.detail


# The health window on the database (no REDIS_URL) ------------------------------------------------
def _one_failed_reply(database, classroom, api) -> int:
    """A student's conversation whose first reply failed with HTTP 500; its id."""
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.error(500)
    outcome = conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Hello?"
    )
    assert not outcome.ok
    return session.id


def test_successful_connection_tests_count_in_the_health_window(committed_engine, api, classroom):
    """One reply fails, then nine connection tests pass: 1 of 10 calls failed, under the 20%
    that makes the API Degraded. The window had counted the failure of every kind of call but
    the success only of replies, and showed 100% failed from 1 call. (An attack, 2026-12-07.)"""
    database = Database(committed_engine)
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    _one_failed_reply(database, classroom, api)
    for _ in range(9):
        api.reply("ok")
        assert health_service.run_connection_test(database, actor=admin).ok
    assert len(api.messages_requests()) == 10

    check = health_service.api_health(database, get_gateway())

    assert check.status == HealthStatus.healthy, check.detail
    assert "1 of 10 calls in the last 10 minutes failed" in check.detail, check.detail
    assert "10 recent calls" in check.detail, check.detail


def test_a_models_review_counts_as_a_successful_call(committed_engine, api, classroom):
    """A review the model wrote is a call that succeeded, like a reply: after one failed reply
    and one review, half the window's calls failed, not all of them."""
    database = Database(committed_engine)
    session_id = ended_session(committed_engine, classroom)
    api.tool_reply(valid_answer())
    review = review_service.create_review(database, actor=classroom.student, session_id=session_id)
    assert review.source == ReviewSource.model and review.status == ReviewStatus.ready
    _one_failed_reply(database, classroom, api)

    check = health_service.api_health(database, get_gateway())

    assert check.status == HealthStatus.degraded
    assert check.detail.startswith("50% of the calls in the last 10 minutes failed."), check.detail
    assert "2 recent calls" in check.detail, check.detail


def test_healthy_detail_does_not_claim_every_call_succeeded_when_one_failed(
    committed_engine, api, classroom
):
    """1 of 6 calls failed: Healthy is right (under 20%), but the detail had said "Calls in the
    last 10 minutes succeeded." while the Error log held the failure. (An attack, 2026-12-07.)"""
    database = Database(committed_engine)
    session_id = _one_failed_reply(database, classroom, api)
    api.reply("Hi.")
    assert (
        conversation_service.request_reply(database, actor=classroom.student, session_id=session_id)
        .wait()
        .ok
    )
    for turn in range(4):
        api.reply(f"Reply {turn}.")
        assert conversation_service.send_message(
            database, actor=classroom.student, session_id=session_id, content=f"Turn {turn}"
        ).ok

    check = health_service.api_health(database, get_gateway())

    assert check.status == HealthStatus.healthy
    assert check.detail.startswith("1 of 6 calls in the last 10 minutes failed."), check.detail


def test_a_window_of_successes_says_they_succeeded(committed_engine, api, classroom):
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Hi.")
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Hello?"
    ).ok

    check = health_service.api_health(database, get_gateway())

    assert check.status == HealthStatus.healthy
    assert check.detail.startswith("Calls in the last 10 minutes succeeded."), check.detail
