"""The circuit breaker's rules on a fake clock, and what it costs its store when all is well."""

from __future__ import annotations

import pytest

from backend.llm import BreakerState, GatewayError
from backend.llm.breaker import CircuitBreaker
from backend.llm.shared_state import MemoryStore


class CountingStore(MemoryStore):
    """The in-memory store, counting reads and writes (a stand-in for a round trip each)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = self.writes = 0

    def read(self):
        self.reads += 1
        return super().read()

    def record_failure(self, now, threshold):
        self.writes += 1
        super().record_failure(now, threshold)

    def claim_trial(self, now, cooldown, hold, token):
        self.writes += 1
        return super().claim_trial(now, cooldown, hold, token)

    def release_trial(self, token):
        self.writes += 1
        super().release_trial(token)

    def reset(self):
        self.writes += 1
        super().reset()


def _breaker(store=None, **options) -> tuple[CircuitBreaker, list[float]]:
    now = [1000.0]
    breaker = CircuitBreaker(3, 30, clock=lambda: now[0], store=store, **options)
    return breaker, now


def test_opens_after_consecutive_failures_and_refuses_with_the_wait():
    breaker, now = _breaker()
    for _ in range(3):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == BreakerState.open
    now[0] += 10
    with pytest.raises(GatewayError) as refused:
        breaker.ensure_available()
    assert refused.value.category == "unavailable" and refused.value.retry_after == 20
    assert breaker.seconds_until_trial() == 20


def test_a_success_in_between_resets_the_count():
    breaker, _now = _breaker()
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == BreakerState.closed


def test_half_open_admits_one_trial_whose_failure_reopens():
    breaker, now = _breaker()
    for _ in range(3):
        breaker.record_failure()
    now[0] += 31
    breaker.ensure_available()  # half-open: not refused, the trial not taken
    assert breaker.state == BreakerState.half_open
    breaker.before_call()  # the trial
    with pytest.raises(GatewayError):
        breaker.before_call()
    breaker.record_failure()
    assert breaker.state == BreakerState.open and breaker.seconds_until_trial() == 30


def test_a_released_or_expired_trial_lets_the_next_call_try():
    breaker, now = _breaker(trial_seconds=60)
    for _ in range(3):
        breaker.record_failure()
    now[0] += 31
    breaker.before_call()
    breaker.release_trial()
    breaker.before_call()  # released: the next call is the trial
    now[0] += 61  # its process died: the trial expires
    other, _ = _breaker(store=breaker.store)
    other.clock = breaker.clock
    other.before_call()
    other.record_success()
    assert breaker.state == BreakerState.closed


def test_when_all_is_well_a_turn_costs_at_most_one_read_and_a_success_nothing():
    store = CountingStore()
    breaker, _now = _breaker(store=store)
    for _ in range(5):  # a turn: the claim checks, the call starts, it succeeds
        breaker.ensure_available()
        breaker.before_call()
        breaker.record_success()
    assert store.writes == 0 and 1 <= store.reads <= 5
    breaker.record_failure()
    breaker.before_call()  # after a failure here the state is read afresh
    breaker.record_success()  # something to reset: one write
    breaker.before_call()
    breaker.record_success()
    assert store.writes == 2


def test_without_the_recheck_interval_every_check_reads():
    store = CountingStore()
    breaker, _now = _breaker(store=store, recheck_seconds=0)
    for _ in range(5):
        breaker.ensure_available()
        breaker.before_call()
        breaker.record_success()
    assert (store.reads, store.writes) == (10, 0)
