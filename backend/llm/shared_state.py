"""Where the circuit breaker and the health window live, so every app process sees the same API.

Three stores with one interface: in memory (one process: unit tests, demo mode), Redis (when
`REDIS_URL` is set) and the database (a `circuit_breakers` row; otherwise). Every transition is one
atomic operation in the store; times are wall-clock seconds handed in by the caller (processes
share no monotonic clock, and tests move a fake one). A half-open trial is held with a token until
`hold` seconds have passed, so a trial whose process died expires by itself.

The hot path reads at most once (`read`; the breaker trusts a closed state for a second); writes
happen only on failures, half-open trials and the first success after them. The health window
(outcomes and latencies of recent calls) is shared in Redis (a capped list, successes sent in
batches); on the database nothing is written per call: the admin's health check derives the window
from the replies and API errors the app stores anyway (`calls_shared` is False).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import redis
from redis.exceptions import RedisError
from sqlalchemy import Engine, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import UpdateBase

from backend.config import Settings
from backend.db import create_db_engine
from backend.models.api_state import CircuitBreakerState

#: What an unreachable store raises (the breaker then fails open).
STORE_ERRORS: tuple[type[Exception], ...] = (RedisError, SQLAlchemyError, OSError)

#: Calls kept for the health window (per process in memory, in total in Redis).
CALL_LOG_SIZE = 200

Call = tuple[bool, float | None]  # (succeeded, latency in ms)


@dataclass(frozen=True)
class BreakerSnapshot:
    failures: int = 0
    opened_at: float | None = None
    trial_until: float | None = None

    @property
    def clean(self) -> bool:
        """Nothing for a success to reset."""
        return self.failures == 0 and self.opened_at is None and self.trial_until is None


class StateStore(Protocol):
    #: Whether `recent_calls` holds every process's calls (else only this process's).
    calls_shared: bool

    def read(self) -> BreakerSnapshot: ...

    def record_failure(self, now: float, threshold: int) -> None:
        """Count a failure; open (again) at `now` when a trial was running or `threshold` is
        reached; the trial ends."""

    def claim_trial(self, now: float, cooldown: float, hold: float, token: str) -> bool:
        """Take the half-open trial (True for exactly one caller) if open for `cooldown` and no
        trial is held (an expired one does not count)."""
        ...

    def release_trial(self, token: str) -> None:
        """End the trial held with `token` without an outcome (the breaker stays as it was)."""

    def reset(self) -> None:
        """Close: no failures, no trial."""

    def add_call(self, now: float, ok: bool, latency_ms: float | None) -> None: ...

    def recent_calls(self, since: float) -> list[Call]: ...

    def close(self) -> None: ...


class _MemoryCalls:
    """The health window of this process only."""

    calls_shared = False

    def __init__(self) -> None:
        self._calls: deque[tuple[float, bool, float | None]] = deque(maxlen=CALL_LOG_SIZE)
        self._calls_lock = threading.Lock()

    def add_call(self, now: float, ok: bool, latency_ms: float | None) -> None:
        with self._calls_lock:
            self._calls.append((now, ok, latency_ms))

    def recent_calls(self, since: float) -> list[Call]:
        with self._calls_lock:
            return [(ok, latency) for at, ok, latency in self._calls if at >= since]


class MemoryStore(_MemoryCalls):
    """One process's state (unit tests, demo mode)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._state = BreakerSnapshot()
        self._token: str | None = None

    def read(self) -> BreakerSnapshot:
        return self._state  # immutable: replaced whole under the lock

    def record_failure(self, now: float, threshold: int) -> None:
        with self._lock:
            state = self._state
            failures = state.failures + 1
            reopen = state.trial_until is not None or failures >= threshold
            self._state = BreakerSnapshot(failures, now if reopen else state.opened_at, None)
            self._token = None

    def claim_trial(self, now: float, cooldown: float, hold: float, token: str) -> bool:
        with self._lock:
            state = self._state
            if state.opened_at is None or now - state.opened_at < cooldown:
                return False
            if state.trial_until is not None and state.trial_until >= now:
                return False
            self._state = BreakerSnapshot(state.failures, state.opened_at, now + hold)
            self._token = token
            return True

    def release_trial(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                state = self._state
                self._state = BreakerSnapshot(state.failures, state.opened_at, None)
                self._token = None

    def reset(self) -> None:
        with self._lock:
            self._state, self._token = BreakerSnapshot(), None

    def close(self) -> None:
        pass


# Redis ------------------------------------------------------------------------------------------
_RECORD_FAILURE = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if redis.call('HEXISTS', KEYS[1], 'trial_until') == 1 or failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'opened_at', ARGV[1])
end
redis.call('HDEL', KEYS[1], 'trial_until', 'trial_token')
"""
_CLAIM_TRIAL = """
local opened = redis.call('HGET', KEYS[1], 'opened_at')
local now = tonumber(ARGV[1])
if not opened or now - tonumber(opened) < tonumber(ARGV[2]) then return 0 end
local held = redis.call('HGET', KEYS[1], 'trial_until')
if held and tonumber(held) >= now then return 0 end
redis.call('HSET', KEYS[1], 'trial_until', ARGV[3], 'trial_token', ARGV[4])
return 1
"""
_RELEASE_TRIAL = """
if redis.call('HGET', KEYS[1], 'trial_token') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'trial_until', 'trial_token')
end
"""


class RedisStore:
    """Shared through Redis: a hash for the breaker (Lua scripts make each transition atomic) and a
    capped list for the health window. Successes reach the list in batches (at most one round trip
    per `flush_seconds`); a failure is sent at once with whatever waits."""

    calls_shared = True

    def __init__(
        self, url: str, namespace: str = "counseling:api", *, flush_seconds: float = 1.0
    ) -> None:
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.flush_seconds = flush_seconds
        self._pending: list[str] = []
        self._pending_lock = threading.Lock()
        self._flushed_at = time.monotonic()
        self._breaker_key, self._calls_key = f"{namespace}:breaker", f"{namespace}:calls"
        self._record_failure = self._redis.register_script(_RECORD_FAILURE)
        self._claim_trial = self._redis.register_script(_CLAIM_TRIAL)
        self._release_trial = self._redis.register_script(_RELEASE_TRIAL)

    def read(self) -> BreakerSnapshot:
        failures, opened_at, trial_until = self._redis.hmget(
            self._breaker_key, ["failures", "opened_at", "trial_until"]
        )
        return BreakerSnapshot(
            int(failures or 0),
            None if opened_at is None else float(opened_at),
            None if trial_until is None else float(trial_until),
        )

    def record_failure(self, now: float, threshold: int) -> None:
        self._record_failure(keys=[self._breaker_key], args=[repr(now), threshold])

    def claim_trial(self, now: float, cooldown: float, hold: float, token: str) -> bool:
        claimed = self._claim_trial(
            keys=[self._breaker_key], args=[repr(now), repr(cooldown), repr(now + hold), token]
        )
        return bool(claimed)

    def release_trial(self, token: str) -> None:
        self._release_trial(keys=[self._breaker_key], args=[token])

    def reset(self) -> None:
        self._redis.delete(self._breaker_key)

    def add_call(self, now: float, ok: bool, latency_ms: float | None) -> None:
        entry = f"{now!r}|{int(ok)}|{'' if latency_ms is None else repr(latency_ms)}"
        with self._pending_lock:
            self._pending.append(entry)
            due = not ok or time.monotonic() - self._flushed_at >= self.flush_seconds
        if due:
            self._flush()

    def _flush(self) -> None:
        with self._pending_lock:
            entries, self._pending = self._pending, []
            self._flushed_at = time.monotonic()
        if not entries:
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.lpush(self._calls_key, *entries)
        pipe.ltrim(self._calls_key, 0, CALL_LOG_SIZE - 1)
        pipe.execute()

    def recent_calls(self, since: float) -> list[Call]:
        self._flush()
        calls: list[Call] = []
        for raw in self._redis.lrange(self._calls_key, 0, CALL_LOG_SIZE - 1):
            text = raw.decode() if isinstance(raw, bytes) else raw
            at, ok, latency = text.split("|")
            if float(at) >= since:
                calls.append((ok == "1", float(latency) if latency else None))
        return calls

    def close(self) -> None:
        try:
            self._flush()
        except STORE_ERRORS:
            pass  # the health window loses a second of successes, nothing else
        self._redis.close()


# Database ---------------------------------------------------------------------------------------
_c = CircuitBreakerState


class DatabaseStore(_MemoryCalls):
    """The breaker in one `circuit_breakers` row: each transition is one conditional statement
    (the rowcount of the trial's UPDATE says who got it). No row is a clean breaker."""

    def __init__(self, engine: Engine, name: str = "anthropic") -> None:
        super().__init__()
        self.engine, self.name = engine, name
        # Single statements need no transaction of their own on PostgreSQL (one round trip).
        postgres = engine.dialect.name == "postgresql"
        self._auto = engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine
        self._read = select(_c.failures, _c.opened_at, _c.trial_until).where(_c.name == name)

    def _execute(self, statement: UpdateBase) -> int:
        with self._auto.begin() as connection:
            return connection.execute(statement).rowcount

    def read(self) -> BreakerSnapshot:
        with self._auto.connect() as connection:
            row = connection.execute(self._read).first()
        return BreakerSnapshot() if row is None else BreakerSnapshot(row[0], row[1], row[2])

    def record_failure(self, now: float, threshold: int) -> None:
        insert = (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert
        statement = insert(CircuitBreakerState).values(
            name=self.name, failures=1, opened_at=now if threshold <= 1 else None
        )
        reopen = _c.trial_until.is_not(None) | (_c.failures + 1 >= threshold)
        self._execute(
            statement.on_conflict_do_update(
                index_elements=[_c.name],
                set_={
                    "failures": _c.failures + 1,
                    "opened_at": case((reopen, now), else_=_c.opened_at),
                    "trial_until": None,
                    "trial_token": None,
                },
            )
        )

    def claim_trial(self, now: float, cooldown: float, hold: float, token: str) -> bool:
        claimed = self._execute(
            update(CircuitBreakerState)
            .where(
                _c.name == self.name,
                _c.opened_at.is_not(None),
                _c.opened_at <= now - cooldown,
                _c.trial_until.is_(None) | (_c.trial_until < now),
            )
            .values(trial_until=now + hold, trial_token=token)
        )
        return claimed == 1

    def release_trial(self, token: str) -> None:
        self._execute(
            update(CircuitBreakerState)
            .where(_c.name == self.name, _c.trial_token == token)
            .values(trial_until=None, trial_token=None)
        )

    def reset(self) -> None:
        self._execute(
            update(CircuitBreakerState)
            .where(_c.name == self.name)
            .values(failures=0, opened_at=None, trial_until=None, trial_token=None)
        )

    def close(self) -> None:
        self.engine.dispose()


# Which store -----------------------------------------------------------------------------------
def open_store(settings: Settings) -> StateStore:
    """Redis when `REDIS_URL` is set, else the app's database (`DATABASE_URL`); in demo mode no
    API call is made, so there is nothing to share."""
    if settings.demo_mode:
        return MemoryStore()
    if settings.redis_url:
        return RedisStore(settings.redis_url)
    return DatabaseStore(create_db_engine(settings.database_url, pool_size=5, max_overflow=10))
