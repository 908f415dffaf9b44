"""Service health for the admin dashboard: the API (from the gateway's breaker and recent calls,
never spending tokens), the database (a round trip) and Redis when configured."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, text

from backend.config import get_settings
from backend.services.anthropic_service import HealthStatus, get_gateway


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    status: HealthStatus
    detail: str
    round_trip_ms: float | None = None


def database_health(engine: Engine) -> ServiceHealth:
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - report any failure as the status
        return ServiceHealth("Database", HealthStatus.unavailable, type(error).__name__)
    elapsed = (time.perf_counter() - started) * 1000
    status = HealthStatus.healthy if elapsed < 250 else HealthStatus.degraded
    return ServiceHealth("Database", status, f"{engine.dialect.name}, round trip {elapsed:.1f} ms",
                         round(elapsed, 1))


def redis_health() -> ServiceHealth | None:
    """None when Redis is not configured (rate limits are then per process)."""
    url = get_settings().redis_url
    if not url:
        return None
    import redis

    started = time.perf_counter()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - report any failure as the status
        return ServiceHealth("Redis", HealthStatus.unavailable, type(error).__name__)
    elapsed = (time.perf_counter() - started) * 1000
    return ServiceHealth("Redis", HealthStatus.healthy, f"round trip {elapsed:.1f} ms",
                         round(elapsed, 1))


def api_health() -> ServiceHealth:
    health = get_gateway().health()
    median = f"; median latency {health.median_latency_ms:.0f} ms" if health.median_latency_ms else ""
    detail = (f"{health.reason} Breaker {health.breaker.value.replace('_', '-')}, "
              f"{health.error_rate:.0%} errors over the last {health.calls} calls{median}.")
    return ServiceHealth("Anthropic API", health.status, detail, health.median_latency_ms)


def all_health(engine: Engine) -> list[ServiceHealth]:
    checks = [api_health(), database_health(engine), redis_health()]
    return [check for check in checks if check is not None]
