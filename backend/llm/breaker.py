"""A circuit breaker in front of the API: fail fast after repeated outages, then try once."""

from __future__ import annotations

import threading
import time
from enum import StrEnum

from backend.llm.errors import ErrorCategory, GatewayError


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `cooldown` lets one trial call through."""

    def __init__(self, threshold: int, cooldown: float, clock=time.monotonic) -> None:
        self.threshold, self.cooldown, self.clock = threshold, cooldown, clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if self.clock() - self._opened_at >= self.cooldown:
            return BreakerState.half_open
        return BreakerState.open

    def seconds_until_trial(self) -> int:
        with self._lock:
            if self._opened_at is None:
                return 0
            return max(0, int(round(self.cooldown - (self.clock() - self._opened_at))))

    def before_call(self) -> None:
        """Raise `GatewayError(unavailable)` while open; admit a single trial when half-open."""
        with self._lock:
            state = self._state()
            if state == BreakerState.closed:
                return
            if state == BreakerState.half_open and not self._trial_running:
                self._trial_running = True
                return
            wait = max(1, int(round(self.cooldown - (self.clock() - self._opened_at))))
        raise GatewayError(
            ErrorCategory.unavailable, retry_after=wait, detail="circuit breaker open"
        )

    def release_trial(self) -> None:
        with self._lock:
            self._trial_running = False

    def record_success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial_running = 0, None, False

    def ensure_available(self) -> None:
        """Raise `GatewayError(unavailable)` while open, without taking the half-open trial."""
        with self._lock:
            if self._state() != BreakerState.open:
                return
            wait = max(1, int(round(self.cooldown - (self.clock() - self._opened_at))))
        raise GatewayError(
            ErrorCategory.unavailable, retry_after=wait, detail="circuit breaker open"
        )

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.threshold:
                self._opened_at = self.clock()
            self._trial_running = False
