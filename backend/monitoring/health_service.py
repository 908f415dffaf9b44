"""Service health for the admin dashboard: the API (from the gateway's breaker and recent calls,
never spending tokens), the database (a round trip) and Redis when configured."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend import access, event_log
from backend.actor import UserRead
from backend.config import get_settings
from backend.db import Database
from backend.llm import (
    ErrorCategory,
    GatewayError,
    HealthStatus,
    LLMGateway,
    get_gateway,
)
from backend.llm.usage import Completion
from backend.models import Event, Message, SessionReview
from backend.models.enums import MessageRole
from backend.models.review import ReviewSource, ReviewStatus
from backend.usage import usage_service
from backend.usage.purposes import Purpose
from backend.utils.formatting import format_usd
from backend.utils.rate_limiter import redis_down

__all__ = [
    "HealthStatus",
    "ServiceHealth",
    "all_health",
    "check_connection",
    "run_connection_test",
]  # pages read the
# status enum from here: they never import the LLM package.


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    status: HealthStatus
    detail: str
    round_trip_ms: float | None = None


def database_down(url: str, error: Exception) -> str:
    """What the operator reads when the database does not answer: where it is, never a
    password (nor the URL's query, which may carry one: `?password=`, `sslpassword=`; it had
    been shown as it is: an attack, 2026-12-07)."""
    where = make_url(url).set(query={}).render_as_string(hide_password=True)
    return (
        f"The database cannot be reached at {where} ({type(error).__name__}): every page "
        "fails until it is back."
    )


def database_health(database: Database) -> ServiceHealth:
    engine = database.engine
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        detail = database_down(engine.url.render_as_string(hide_password=False), error)
        return ServiceHealth("Database", HealthStatus.unavailable, detail)
    elapsed = (time.perf_counter() - started) * 1000
    status = HealthStatus.healthy if elapsed < 250 else HealthStatus.degraded
    return ServiceHealth(
        "Database", status, f"{engine.dialect.name}, round trip {elapsed:.1f} ms", round(elapsed, 1)
    )


def redis_health() -> ServiceHealth | None:
    """None when Redis is not configured (rate limits are then per process)."""
    url = get_settings().redis_url
    if not url:
        return None
    import redis

    started = time.perf_counter()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as error:
        return ServiceHealth("Redis", HealthStatus.unavailable, redis_down(url, error))
    elapsed = (time.perf_counter() - started) * 1000
    return ServiceHealth(
        "Redis", HealthStatus.healthy, f"round trip {elapsed:.1f} ms", round(elapsed, 1)
    )


def api_health(
    database: Database | None = None, gateway: LLMGateway | None = None
) -> ServiceHealth:
    """From the circuit breaker and the recent calls of every app process (the gateway's shared
    state; on the database, the replies and API errors stored in the health window);
    the detail says what the status is based on."""
    gateway = gateway or get_gateway()
    recent = None
    try:
        if database is not None and not gateway.demo_mode and not gateway.store.calls_shared:
            with database() as db:
                recent = stored_calls(db, seconds=gateway.HEALTH_WINDOW_SECONDS)
        health = gateway.health(recent)
    except Exception as error:  # Redis or the database down: say so, never a traceback
        detail = f"The shared API state could not be read ({type(error).__name__})."
        return ServiceHealth("Anthropic API", HealthStatus.unavailable, detail)
    median = (
        f"; median reply {health.median_latency_ms / 1000:.1f} s"
        if health.median_latency_ms
        else ""
    )
    calls = f"{health.calls} recent call{'s' if health.calls != 1 else ''}"
    detail = f"{health.reason} Breaker {health.breaker.value.replace('_', '-')}; {calls}{median}."
    return ServiceHealth("Anthropic API", health.status, detail, health.median_latency_ms)


#: Replies whose latency the derived health window's median is taken from (the newest).
STORED_LATENCIES_LIMIT = 200


#: Paid calls that answered, kept as info events (`event_log.PAID_CALL_CATEGORIES`): all but a
#: reply cut off mid-way, whose failure is an API error event of its own where the API caused it.
_ANSWERED_CALL_CATEGORIES = tuple(
    category for category in event_log.PAID_CALL_CATEGORIES if category != "partial_reply"
)


def stored_calls(db: Session, *, seconds: float) -> list[tuple[bool, float | None]]:
    """(succeeded, latency ms) of the last `seconds`, from what every process stores anyway:
    replies (with their latency), the model's reviews, the other paid calls' info events, and
    API errors in the event log (a refusal by the open breaker made no call). Every kind of call
    counts both ways: its failures are API errors, so its successes must count too, or a few
    failed reviews read as an API that fails every call. Costs no write per call; latencies of
    the newest replies only."""
    since = datetime.now(UTC) - timedelta(seconds=seconds)
    replies = (
        Message.created_at >= since,
        Message.role == MessageRole.assistant,
        Message.latency_ms.is_not(None),
    )
    latencies = db.scalars(
        select(Message.latency_ms)
        .where(*replies)
        .order_by(Message.created_at.desc())
        .limit(STORED_LATENCIES_LIMIT)
    ).all()
    succeeded = len(latencies)
    if succeeded == STORED_LATENCIES_LIMIT:
        succeeded = db.scalar(select(func.count()).select_from(Message).where(*replies)) or 0
    succeeded += (
        db.scalar(
            select(func.count())
            .select_from(SessionReview)
            .where(
                SessionReview.created_at >= since,
                SessionReview.source == ReviewSource.model,
                SessionReview.status == ReviewStatus.ready,
            )
        )
        or 0
    )
    succeeded += (
        db.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.created_at >= since, Event.category.in_(_ANSWERED_CALL_CATEGORIES))
        )
        or 0
    )
    failed = db.scalar(
        select(func.count())
        .select_from(Event)
        .where(
            Event.created_at >= since,
            Event.category.startswith("api_"),
            Event.category != f"api_{ErrorCategory.unavailable}",
        )
    )
    calls: list[tuple[bool, float | None]] = [
        (True, float(ms)) for ms in latencies if ms is not None
    ]
    calls += [(True, None)] * (succeeded - len(calls))
    return calls + [(False, None)] * (failed or 0)


def all_health(database: Database) -> list[ServiceHealth]:
    checks = [api_health(database), database_health(database), redis_health()]
    return [check for check in checks if check is not None]


# The admin's "Test connection" ------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    summary: str


#: What an admin can do about each failure (the student-facing texts speak of a Retry button).
ADVICE = {
    ErrorCategory.authentication: "Check ANTHROPIC_API_KEY, then restart the app.",
    ErrorCategory.permission: "Check the account's billing and the key's permissions in the "
    "Anthropic console.",
    ErrorCategory.not_found: "Check ANTHROPIC_MODEL: the API does not know this model.",
    ErrorCategory.invalid_setting: "Fix the setting the API named above (a model, or a "
    "*_MAX_TOKENS setting), then restart the app.",
    ErrorCategory.bad_request: "The API refused the request; the detail above says why.",
    ErrorCategory.connection: "Check the network and ANTHROPIC_BASE_URL (if set), then test again.",
    ErrorCategory.timeout: "The API did not answer in time; test again in a minute.",
}
TRY_AGAIN = "This is usually temporary: press Test connection again in a minute."


def redact_secrets(text: str) -> str:
    """`text` without anything that looks like a key or token (for every surface that shows
    what the API or a proxy sent back: this check, the CLI check, the event log)."""
    return event_log.redact(text)


def run_connection_test(database: Database, *, actor: UserRead) -> ConnectionCheck:
    """The Health page's button: an admin's connection test, whose cost joins the admin's day
    under "Connection tests" like every paid call (it was counted nowhere)."""
    with database() as db:
        access.require(db, actor, "administration", "use")
    check, completion = _call(get_gateway())
    if completion is not None:
        with database(write=True) as db:
            usage_service.record_paid_call(
                db,
                purpose=Purpose.connection_test,
                user_id=actor.id,
                completion=completion,
                category="connection_test_call",
                message="An admin tested the connection to the model API.",
            )
    return check


def check_connection(gateway: LLMGateway | None = None) -> ConnectionCheck:
    """The operator's `check-api` command: the same call, by no account, so its cost is counted
    only in what it prints."""
    return _call(gateway or get_gateway())[0]


def _call(gateway: LLMGateway) -> tuple[ConnectionCheck, Completion | None]:
    """One minimal paid call (a few tokens): does the key, the model and the network work?

    The API's own error text is shown (it is what an admin needs), with secrets removed: a proxy
    may echo the key it was sent.
    """
    if gateway.demo_mode:
        return ConnectionCheck(
            False, "Demo mode: ANTHROPIC_API_KEY is not set, so no API call was made."
        ), None
    try:
        completion = gateway.complete(
            "Reply with the single word: ok.", [{"role": "user", "content": "ping"}], max_tokens=5
        )
    except GatewayError as error:
        status = f", HTTP {error.status}" if error.status else ""
        detail = (error.detail or "").strip().rstrip(".")
        said = f" The API said: {detail}." if detail else ""
        if error.kind == ErrorCategory.unavailable:
            advice = (
                f"Calls are paused after repeated failures; press Test connection again "
                f"in about {error.retry_after or 30} seconds."
            )
        else:
            advice = ADVICE.get(error.kind, TRY_AGAIN)
        failed = f"Connection test failed: {error.kind.label}{status}.{said} {advice}"
        return ConnectionCheck(False, redact_secrets(failed)), None
    return ConnectionCheck(
        True,
        redact_secrets(
            f"Connection test passed: model {completion.model} answered in "
            f"{completion.latency_ms} ms, {completion.usage.input_tokens} input + "
            f"{completion.usage.output_tokens} output tokens, cost {format_usd(completion.cost)}."
        ),
    ), completion
