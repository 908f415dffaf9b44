"""A circuit breaker in front of the API: fail fast after repeated outages, then try once.

Its state lives in a `StateStore` (see `shared_state`): with Redis or the database every app
process sees the same breaker, and exactly one of them gets the half-open trial. When the store
cannot be reached the breaker fails open (a warning is logged, calls go ahead): an outage of the
bookkeeping never stops replies, nor loses one that succeeded.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from enum import StrEnum

from backend import alerts
from backend.llm.errors import ErrorCategory, GatewayError
from backend.llm.shared_state import STORE_ERRORS, BreakerSnapshot, MemoryStore, StateStore

logger = logging.getLogger(__name__)

_CLOSED = BreakerSnapshot()


def _unreachable(error: Exception) -> None:
    logger.warning(
        "The circuit breaker's shared state could not be reached (%s); calls go ahead.",
        type(error).__name__,
    )


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `cooldown` lets one trial call through.

    `clock` is wall-clock seconds (shared by processes; tests move a fake one). A trial not settled
    within `trial_seconds` (its process died) no longer holds the breaker. A closed state read less
    than `recheck_seconds` ago is trusted without another read (a turn reads once, a busy process
    about once per interval); a failure here, or any other state, is always read afresh.
    """

    def __init__(
        self,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.time,
        *,
        store: StateStore | None = None,
        trial_seconds: float = 60.0,
        recheck_seconds: float = 1.0,
    ) -> None:
        self.threshold, self.cooldown, self.clock = threshold, cooldown, clock
        self.store: StateStore = store or MemoryStore()
        self.trial_seconds, self.recheck_seconds = trial_seconds, recheck_seconds
        self._trial: str | None = None  # the token of the trial this process holds
        self._dirty = False  # a read or a failure here saw something a success must reset
        self._closed_until = float("-inf")  # time.monotonic() until which "closed" is trusted

    def _state(self, snapshot: BreakerSnapshot, now: float) -> BreakerState:
        if snapshot.opened_at is None:
            return BreakerState.closed
        if now - snapshot.opened_at >= self.cooldown:
            return BreakerState.half_open
        return BreakerState.open

    def _read(self) -> BreakerSnapshot:
        if time.monotonic() < self._closed_until:
            return _CLOSED
        try:
            snapshot = self.store.read()
        except STORE_ERRORS as error:
            _unreachable(error)
            return _CLOSED
        if not snapshot.clean:
            self._dirty = True
        if snapshot.opened_at is None:
            self._closed_until = time.monotonic() + self.recheck_seconds
        return snapshot

    @property
    def state(self) -> BreakerState:
        return self._state(self.store.read(), self.clock())

    def seconds_until_trial(self) -> int:
        opened_at = self.store.read().opened_at
        if opened_at is None:
            return 0
        return max(0, int(round(self.cooldown - (self.clock() - opened_at))))

    def _refuse(self, snapshot: BreakerSnapshot, now: float) -> GatewayError:
        elapsed = now - (snapshot.opened_at or now)
        wait = max(1, int(round(self.cooldown - elapsed)))
        return GatewayError(
            ErrorCategory.unavailable, retry_after=wait, detail="circuit breaker open"
        )

    def before_call(self) -> None:
        """Raise `GatewayError(unavailable)` while open; admit a single trial when half-open."""
        snapshot, now = self._read(), self.clock()
        state = self._state(snapshot, now)
        if state == BreakerState.closed:
            return
        if state == BreakerState.half_open:
            token = uuid.uuid4().hex
            try:
                claimed = self.store.claim_trial(now, self.cooldown, self.trial_seconds, token)
            except STORE_ERRORS as error:
                _unreachable(error)
                return
            if claimed:
                self._trial = token
                return
        raise self._refuse(snapshot, now)

    def release_trial(self) -> None:
        """The trial this process holds ends without an outcome (its reader went away)."""
        token, self._trial = self._trial, None
        if token is not None:
            try:
                self.store.release_trial(token)
            except STORE_ERRORS as error:
                _unreachable(error)  # the trial expires by itself

    def record_success(self) -> None:
        """Close; a write only when the last read (or this process) saw something to reset."""
        if not self._dirty and self._trial is None:
            return
        try:
            self.store.reset()
        except STORE_ERRORS as error:
            _unreachable(error)
            return
        self._trial, self._dirty = None, False

    def ensure_available(self) -> None:
        """Raise `GatewayError(unavailable)` while open, without taking the half-open trial."""
        snapshot, now = self._read(), self.clock()
        if self._state(snapshot, now) == BreakerState.open:
            raise self._refuse(snapshot, now)

    def record_failure(self) -> None:
        """Count a failure; the operator is alerted when this one opened the breaker."""
        self._closed_until = float("-inf")
        self._trial, self._dirty = None, True
        now = self.clock()
        try:
            self.store.record_failure(now, self.threshold)
            opened_at = self.store.read().opened_at
        except STORE_ERRORS as error:
            _unreachable(error)
            return
        if opened_at is not None and abs(opened_at - now) < 0.001:  # opened (again) just now
            alerts.notify(
                "breaker_open",
                "The model API's circuit breaker opened after repeated failures: replies are "
                f"refused for {self.cooldown:.0f} seconds, then one trial call decides. See the "
                "admin's Service health page and Error log.",
            )
