"""Rate limits (in memory and shared through Redis across processes) and daily budgets."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid

import pytest

from backend import event_log
from backend.db import Database, unit_of_work
from backend.errors import BudgetExceededError, RateLimitedError
from backend.models.enums import Role, SessionMode, Severity
from backend.practice import conversation_service, session_service
from backend.utils.rate_limiter import RateLimiter
from tests.conftest import REDIS_TEST_URL, require_service
from tests.factories import make_user

# Both backends: budgets sum usage per UTC day, under concurrent writers.
pytestmark = pytest.mark.both_backends


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping())
    except Exception:
        return False


def test_user_limit_refuses_with_seconds_to_wait_and_stores_nothing(
    committed_engine, api, configure, classroom
):
    configure(user_rate_limit="2/minute")
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    for text in ("One.", "Two."):
        conversation_service.send_message(
            Database(committed_engine), actor=classroom.student, session_id=session.id, content=text
        )
    with pytest.raises(RateLimitedError, match=r"Please wait \d+ seconds") as refusal:
        conversation_service.submit_message(
            Database(committed_engine),
            actor=classroom.student,
            session_id=session.id,
            content="Three.",
        )
    assert 50 <= refusal.value.retry_after_seconds <= 60
    with unit_of_work(committed_engine, write=False) as db:
        contents = [
            m.content
            for m in session_service.get_messages(
                db, actor=classroom.student, session_id=session.id
            )
            if m.role == "user"
        ]
    assert contents == ["One.", "Two."]


def test_the_message_limit_holds_in_a_client_checks_conversation_outside_its_run(
    committed_engine, api, configure, classroom
):
    """A client check's run counts once against the message limit, so its probes' scripted lines
    skip it; anything else said in a check's conversation is counted like any message (every
    check-mode turn skipped it: a client's author could chat there without a limit)."""
    configure(user_rate_limit="2/minute")
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.teacher, client_id=classroom.client.id, mode=SessionMode.check
    )
    for number in range(2):
        outcome = conversation_service.send_message(
            database, actor=classroom.teacher, session_id=session.id, content=f"Turn {number}."
        )
        assert outcome.ok, outcome.notice
    with pytest.raises(RateLimitedError, match="faster than 2 per"):
        conversation_service.send_message(
            database, actor=classroom.teacher, session_id=session.id, content="Turn 3."
        )
    probed = conversation_service.send_message(
        database, actor=classroom.teacher, session_id=session.id, content="A probe's line.",
        inline=True, probe=True,
    )  # fmt: skip
    assert probed.ok, probed.notice


def test_global_limit_does_not_use_up_a_users_quota():
    limiter = RateLimiter(
        user_limit="5/minute", global_limit="3/minute", namespace=uuid.uuid4().hex
    )
    for user in (1, 2, 3):
        limiter.hit_message(user)
    with pytest.raises(RateLimitedError, match="very busy"):
        limiter.hit_message(4)
    assert limiter.remaining_messages(4) == 5


def test_redis_limit_is_shared_by_two_processes():
    require_service(_redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
    namespace = f"test-{uuid.uuid4().hex}"
    script = (
        "import sys\n"
        "from backend.utils.rate_limiter import RateLimiter\n"
        "from backend.errors import RateLimitedError\n"
        f"limiter = RateLimiter({REDIS_TEST_URL!r}, user_limit='5/minute', namespace={namespace!r})\n"
        "ok = 0\n"
        "for _ in range(4):\n"
        "    try:\n"
        "        limiter.hit_message(42); ok += 1\n"
        "    except RateLimitedError:\n"
        "        pass\n"
        "print(ok)\n"
    )
    processes = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        for _ in range(2)
    ]
    allowed = [int(process.stdout.strip()) for process in processes]
    assert sum(allowed) == 5, [p.stderr for p in processes]  # 8 tries, one shared quota of 5
    here = RateLimiter(REDIS_TEST_URL, user_limit="5/minute", namespace=namespace)
    with pytest.raises(RateLimitedError):
        here.hit_message(42)


def test_user_token_budget_alerts_once_then_refuses(committed_engine, api, configure, classroom):
    configure(user_daily_token_budget=1000, budget_alert_threshold=0.8)
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Hm.", input_tokens=850, output_tokens=2)
    api.reply("Yes.", input_tokens=150, output_tokens=2)
    conversation_service.send_message(
        Database(committed_engine), actor=classroom.student, session_id=session.id, content="First."
    )  # 852 used: 85%
    conversation_service.send_message(
        Database(committed_engine),
        actor=classroom.student,
        session_id=session.id,
        content="Second.",
    )  # alert, 1004 used
    with pytest.raises(BudgetExceededError, match="today's practice allowance"):
        conversation_service.submit_message(
            Database(committed_engine),
            actor=classroom.student,
            session_id=session.id,
            content="Third.",
        )
    with unit_of_work(committed_engine, write=False) as db:
        budget_events = event_log.list_events(db, actor=admin, categories=["budget"])
    alerts = [e for e in budget_events if e.details.get("key", "").endswith(":alert")]
    refusals = [e for e in budget_events if e.details.get("key", "").endswith(":full")]
    assert len(alerts) == 1 and alerts[0].severity == Severity.warning
    assert len(refusals) == 1 and refusals[0].user_id == classroom.student.id


def test_global_cost_budget_refuses_everyone(committed_engine, api, configure, classroom):
    configure(global_daily_cost_budget_usd="0.001")
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Okay.", input_tokens=1000, output_tokens=10)  # $0.00105
    conversation_service.send_message(
        Database(committed_engine), actor=classroom.student, session_id=session.id, content="Hello."
    )
    with pytest.raises(BudgetExceededError, match="spending limit"):
        conversation_service.submit_message(
            Database(committed_engine),
            actor=classroom.student,
            session_id=session.id,
            content="Again.",
        )


# Log-in throttles (issue 9, point 9) -------------------------------------------------------------
class CountingHasher:
    """The real argon2 hasher the tests use, counting how many hashes it verifies."""

    def __init__(self, hasher) -> None:
        self.hasher, self.verified = hasher, 0
        self._lock = threading.Lock()

    def verify(self, hash_, password):
        with self._lock:
            self.verified += 1
        return self.hasher.verify(hash_, password)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def _forget_keys(namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    for key in client.scan_iter(match=f"*{namespace}*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def login_limiter(request):
    """A limiter with the default log-in limits, in memory or shared through Redis."""
    if request.param == "redis":
        require_service(_redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
        limiter = RateLimiter(REDIS_TEST_URL, namespace=f"test-{uuid.uuid4().hex}")
        yield limiter
        _forget_keys(limiter.namespace)  # only its own: `limiter.reset()` would empty every
        # limit in the database, those of tests running at the same time in another process too
    else:
        yield RateLimiter("memory://", namespace=uuid.uuid4().hex)


@pytest.fixture
def counting_hasher(monkeypatch):
    from backend.accounts import account_service

    counting = CountingHasher(account_service._hasher)
    monkeypatch.setattr(account_service, "_hasher", counting)
    return counting


def _guess_concurrently(engine, limiter, username: str, clients: list[str]) -> list[Exception]:
    """One wrong guess per client, all released at once; the errors each guess got."""
    from concurrent.futures import ThreadPoolExecutor

    from backend.accounts import account_service

    barrier = threading.Barrier(len(clients))

    def guess(client: str) -> Exception:
        barrier.wait()
        try:
            with unit_of_work(engine, write=False) as db:
                account_service.authenticate(
                    db,
                    username=username,
                    password="wrong guess 1",
                    browser=client,
                    limiter=limiter,
                )
        except Exception as error:
            return error
        raise AssertionError("a wrong guess logged in")

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(guess, clients))


def test_forty_concurrent_wrong_guesses_from_one_browser_verify_at_most_the_limit(
    committed_engine, login_limiter, counting_hasher
):
    from backend.errors import AuthenticationError

    with unit_of_work(committed_engine) as db:
        make_user(db, username="target.user")
    errors = _guess_concurrently(
        committed_engine, login_limiter, "target.user", ["attacker-browser"] * 40
    )
    allowed = login_limiter.login_browser_limit.amount
    assert counting_hasher.verified <= allowed
    assert sum(isinstance(e, AuthenticationError) for e in errors) == counting_hasher.verified
    refused = [e for e in errors if isinstance(e, RateLimitedError)]
    assert len(refused) == 40 - counting_hasher.verified
    assert all(re.search(r"[Ww]ait \d+ (seconds?|minutes?)", e.message) for e in refused)


def test_forty_concurrent_wrong_guesses_from_forty_browsers_verify_at_most_the_username_limit(
    committed_engine, login_limiter, counting_hasher
):
    with unit_of_work(committed_engine) as db:
        make_user(db, username="target.user")
    errors = _guess_concurrently(
        committed_engine, login_limiter, "target.user", [f"browser-{i}" for i in range(40)]
    )
    allowed = login_limiter.login_username_limit.amount
    assert counting_hasher.verified <= allowed < 40
    refused = [e for e in errors if isinstance(e, RateLimitedError)]
    assert len(refused) == 40 - counting_hasher.verified
    # Slowed down, not locked out: the wait is short and said in seconds.
    assert all(
        e.retry_after_seconds <= 60 and re.search(r"[Ww]ait \d+ seconds?", e.message)
        for e in refused
    )
