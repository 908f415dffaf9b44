"""Health checks: real round trips, no tokens spent."""

import pytest

from backend.db import Database
from backend.llm import HealthStatus
from backend.monitoring import health_service
from tests.conftest import REDIS_TEST_URL, require_service
from tests.integration.test_limits_and_budgets import _redis_available


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
