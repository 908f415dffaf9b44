"""The in-memory rate limits start no thread per message (issue 21) and still count the same."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from limits.storage import memory

from backend.errors import RateLimitedError
from backend.utils.rate_limiter import LeanMemoryStorage, RateLimiter


def _limiter(**limits: str) -> RateLimiter:
    return RateLimiter("memory://", namespace=uuid.uuid4().hex, **limits)


def test_messages_start_no_thread(monkeypatch):
    limiter = _limiter(user_limit="100/minute")
    assert isinstance(limiter.storage, LeanMemoryStorage)
    started = []

    class CountingTimer(threading.Timer):
        def start(self) -> None:
            started.append(self)
            super().start()

    monkeypatch.setattr(memory.threading, "Timer", CountingTimer)
    for _ in range(5):
        limiter.storage.timer.join()  # as if the messages were 10 ms or more apart
        limiter.hit_message(7)
    assert started == []  # limits' own storage starts one for each of these messages


def test_the_moving_window_refuses_past_its_limit_and_says_how_long_to_wait():
    limiter = _limiter(user_limit="3/minute")
    for _ in range(3):
        limiter.hit_message(7)
    with pytest.raises(RateLimitedError, match=r"wait \d+ seconds") as refused:
        limiter.hit_message(7)
    assert 0 < refused.value.retry_after_seconds <= 60
    assert limiter.remaining_messages(7) == 0 and limiter.remaining_messages(8) == 3


def test_a_window_keeps_only_the_entries_that_can_still_decide():
    limiter = _limiter(user_limit="3/minute")
    for _ in range(3):
        limiter.hit_message(7)
    for _ in range(5):
        with pytest.raises(RateLimitedError):
            limiter.hit_message(7)
    user_keys = [key for key in limiter.storage.events if "/user/7/" in key]
    assert [len(limiter.storage.events[key]) for key in user_keys] == [3]


def test_expired_entries_are_dropped_by_a_later_write(monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    storage = LeanMemoryStorage("memory://")
    assert storage.acquire_entry("old", 5, 1)
    now[0] += LeanMemoryStorage.SWEEP_SECONDS + 1
    assert storage.acquire_entry("new", 5, 1)
    assert not storage.events.get("old") and storage.events["new"]
