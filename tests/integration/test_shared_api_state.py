"""Every app process sees the same API: the circuit breaker and the health window are shared
through Redis when it is configured, else through the database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from sqlalchemy import delete

from backend.config import PROJECT_ROOT, get_settings
from backend.db import Database, create_db_engine
from backend.llm import BreakerState, GatewayError, HealthStatus, LLMGateway, get_gateway
from backend.llm.shared_state import DatabaseStore, RedisStore
from backend.models import CircuitBreakerState
from backend.monitoring import health_service
from backend.practice import conversation_service
from tests.conftest import REDIS_TEST_URL, require_service
from tests.integration.conftest import TEST_API_KEY
from tests.integration.test_limits_and_budgets import _redis_available

ASK = [{"role": "user", "content": "Hello?"}]


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def processes(request, api, configure):
    """Makes gateways that share one store, as two app processes would (each its own
    connections); threshold 2, cooldown 30 s, one fake wall clock for all."""
    configure(breaker_failure_threshold=2, breaker_cooldown_seconds=30)
    now = [1000.0]
    made: list[LLMGateway] = []
    if request.param == "redis":
        require_service(_redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
        namespace = f"test-shared-api:{uuid.uuid4().hex}"

        def store():
            return RedisStore(REDIS_TEST_URL, namespace=namespace)
    else:
        url = request.getfixturevalue(f"{request.param}_url")

        def store():
            return DatabaseStore(create_db_engine(url))

    def make() -> LLMGateway:
        gateway = LLMGateway(get_settings(), store=store())
        gateway.breaker.clock = lambda: now[0]
        made.append(gateway)
        return gateway

    make.now = now  # type: ignore[attr-defined]
    yield make
    if made and isinstance(made[0].store, RedisStore):
        made[0].store._redis.delete(f"{namespace}:breaker", f"{namespace}:calls")
    elif made:
        with made[0].store.engine.begin() as connection:
            connection.execute(delete(CircuitBreakerState))
    for gateway in made:
        gateway.close()


def _fail(gateway: LLMGateway, times: int) -> None:
    for _ in range(times):
        with pytest.raises(GatewayError):
            gateway.complete("system", ASK)


def test_failures_through_one_process_open_the_breaker_for_the_other(processes, api):
    first, second = processes(), processes()
    api.overloaded(times=2)
    _fail(first, 2)
    assert second.breaker.state == BreakerState.open
    with pytest.raises(GatewayError) as refused:
        second.complete("system", ASK)
    assert refused.value.category == "unavailable"
    assert len(api.messages_requests()) == 2  # the refusal made no call


def test_only_one_process_gets_the_half_open_trial_and_its_success_closes_it(processes, api):
    first, second = processes(), processes()
    api.overloaded(times=2)
    _fail(first, 2)
    processes.now[0] += 31  # the cooldown has passed: half-open
    assert second.breaker.state == BreakerState.half_open
    api.reply("Better now.")
    trial = second.stream_reply("system", ASK)  # takes the trial
    with pytest.raises(GatewayError) as refused:
        first.stream_reply("system", ASK)
    assert refused.value.category == "unavailable"
    assert "".join(trial) == "Better now."
    assert first.breaker.state == BreakerState.closed
    api.reply("Fine.")
    assert first.complete("system", ASK).text == "Fine."


def test_a_trial_whose_process_died_expires(processes, api):
    first, second = processes(), processes()
    api.overloaded(times=2)
    _fail(first, 2)
    processes.now[0] += 31
    first.breaker.before_call()  # takes the trial, then its process dies
    with pytest.raises(GatewayError):
        second.breaker.before_call()
    processes.now[0] += first.breaker.trial_seconds + 1
    second.breaker.before_call()  # the abandoned trial no longer holds the breaker


def test_a_success_through_either_process_resets_the_consecutive_failures(processes, api):
    first, second = processes(), processes()
    api.overloaded()
    _fail(first, 1)
    api.reply("Fine.")
    second.complete("system", ASK)
    api.overloaded()
    _fail(first, 1)  # one failure since the success: below the threshold of 2
    assert second.breaker.state == BreakerState.closed


@pytest.mark.parametrize("processes", ["redis"], indirect=True)  # the database: the next test
def test_admin_health_from_another_process_shows_the_failures_through_redis(processes, api):
    first, second = processes(), processes()
    api.overloaded(times=2)
    _fail(first, 2)
    check = health_service.api_health(gateway=second)
    assert check.status == HealthStatus.unavailable
    assert "2 recent calls" in check.detail


def test_admin_health_from_another_process_shows_the_failures_on_the_database(
    committed_engine, database_url, api, configure, classroom
):
    configure(database_url=database_url, breaker_failure_threshold=2)
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Hello there.")
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Hi."
    ).ok
    api.overloaded(times=2)
    assert not conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Are you there?"
    ).ok
    retry = conversation_service.request_reply(
        database, actor=classroom.student, session_id=session.id
    )
    assert not retry.wait().ok
    other = LLMGateway(get_settings())  # another process: its own gateway, the same database
    try:
        check = health_service.api_health(database, gateway=other)
    finally:
        other.close()
    assert check.status == HealthStatus.unavailable and "Breaker open" in check.detail
    assert "3 recent calls" in check.detail  # one reply and two failures, all by the first


def test_an_unreachable_shared_state_never_stops_a_reply(api, configure):
    configure(redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    api.reply("Fine.")
    assert get_gateway().complete("system", ASK).text == "Fine."
    api.overloaded()
    with pytest.raises(GatewayError) as failed:
        get_gateway().complete("system", ASK)
    assert failed.value.category == "overloaded"  # the API's own error, not the store's
    check = health_service.api_health()
    assert check.status == HealthStatus.unavailable
    assert "shared API state could not be read" in check.detail


# Real processes ---------------------------------------------------------------------------------
CALL = textwrap.dedent(
    """
    import sys
    from backend.llm import GatewayError, get_gateway
    for _ in range(int(sys.argv[1])):
        try:
            get_gateway().complete("system", [{"role": "user", "content": "Hello?"}])
            print("ok")
        except GatewayError as error:
            print(error.category)
    """
)


def test_a_second_process_is_refused_at_once_after_the_first_saw_the_api_fail(
    database_url, fake_anthropic, configure
):
    configure()  # clean breaker state for this test
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        connection.execute(delete(CircuitBreakerState))
    settings = {
        "DATABASE_URL": database_url,
        "ANTHROPIC_API_KEY": TEST_API_KEY,
        "ANTHROPIC_BASE_URL": fake_anthropic.base_url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "BREAKER_FAILURE_THRESHOLD": "3",
        "BREAKER_COOLDOWN_SECONDS": "600",
    }
    env = {**os.environ, "ENV_FILE": os.devnull, **settings}
    env.pop("REDIS_URL", None)

    def run(calls: int) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", CALL, str(calls)],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    def run_here(calls: int) -> list[str]:
        """The first process is this one, on the same settings (an import of the backend and the
        SDK in a subprocess costs seconds; the second process below proves the sharing)."""
        configure(**settings)
        outcomes = []
        for _ in range(calls):
            try:
                get_gateway().complete("system", ASK)
                outcomes.append("ok")
            except GatewayError as error:
                outcomes.append(error.category)
        return outcomes

    try:
        fake_anthropic.overloaded(times=2).error(500)
        assert run_here(3) == ["overloaded", "overloaded", "server_error"]
        assert len(fake_anthropic.messages_requests()) == 3
        fake_anthropic.reply("Should never be asked.")
        assert run(1) == ["unavailable"]
        assert len(fake_anthropic.messages_requests()) == 3  # nothing reached the API
    finally:
        with engine.begin() as connection:
            connection.execute(delete(CircuitBreakerState))
        engine.dispose()
        get_gateway.cache_clear()
