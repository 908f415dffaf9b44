"""Health checks: real round trips, no tokens spent."""

from backend.services import health_service
from backend.services.anthropic_service import HealthStatus
from tests.conftest import REDIS_TEST_URL, require_service
from tests.integration.test_limits_and_budgets import _redis_available


def test_database_and_api_health_without_spending(engine, api):
    checks = {check.name: check for check in health_service.all_health(engine)}
    assert checks["Database"].status == HealthStatus.healthy
    assert checks["Database"].round_trip_ms is not None
    assert checks["Anthropic API"].status == HealthStatus.healthy
    assert "Redis" not in checks          # not configured
    assert api.messages_requests() == []  # health never calls the API


def test_redis_health_when_configured(configure):
    require_service(_redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
    configure(redis_url=REDIS_TEST_URL)
    assert health_service.redis_health().status == HealthStatus.healthy
    configure(redis_url="redis://127.0.0.1:1/0")
    assert health_service.redis_health().status == HealthStatus.unavailable
