"""The shipped rate limits let real classes practise: with the old default global limit
(1000/hour, a moving window) one class of 30 sending one message a minute each was refused
"very busy, try again in 1600 seconds" from minute 33 to the end of the period. (An attack,
2026-12-07.)"""

from __future__ import annotations

import time as real_time
import types

import limits.storage.memory
import pytest

from backend.config import get_settings
from backend.errors import RateLimitedError
from backend.utils import rate_limiter
from backend.utils.rate_limiter import get_rate_limiter, reset_rate_limiter

CLASS_SIZE = 30
CLASS_MINUTES = 50


class _Clock:
    """The wall clock the limits read, moved on by the test (a class lasts 50 minutes)."""

    def __init__(self) -> None:
        self.now = real_time.time()

    def module(self) -> types.SimpleNamespace:
        return types.SimpleNamespace(time=lambda: self.now, monotonic=real_time.monotonic)


@pytest.fixture
def shipped_limits(monkeypatch):
    """The default limits (no Redis), on a clock the test moves."""
    for name in ("REDIS_URL", "USER_RATE_LIMIT", "GLOBAL_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENV_FILE", "/nonexistent/.env")
    get_settings.cache_clear()
    reset_rate_limiter()
    clock = _Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock.module())
    monkeypatch.setattr(rate_limiter, "time", clock.module())
    yield clock, get_rate_limiter()
    get_settings.cache_clear()
    reset_rate_limiter()


def test_four_classes_of_thirty_practise_through_a_period_and_a_burst_waits_seconds(
    shipped_limits,
):
    """Four classes at once, each student sending two messages a minute (a fifth of their own
    limit), for a whole 50-minute period: nobody is refused. A burst past the global limit is
    told to wait under a minute, never the rest of the period."""
    clock, limiter = shipped_limits
    students = range(1, 4 * CLASS_SIZE + 1)
    refused: list[tuple[int, int]] = []  # (minute, seconds the student is told to wait)
    for minute in range(CLASS_MINUTES):
        for _ in range(2):
            for student in students:
                clock.now += 30 / len(students)  # the messages spread over the half minute
                try:
                    limiter.hit_message(student)
                except RateLimitedError as refusal:
                    refused.append((minute, refusal.retry_after_seconds))
    assert not refused, f"{len(refused)} messages refused; the first at minute {refused[0][0]}"

    waits = []
    for student in range(1000, 1500):  # 500 students in the same second
        try:
            limiter.hit_message(student)
        except RateLimitedError as refusal:
            waits.append(refusal.retry_after_seconds)
    assert waits and max(waits) <= 60
