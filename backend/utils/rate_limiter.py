"""Rate limits with the `limits` library (moving window): per user, global, and failed logins.

In-memory by default; with `REDIS_URL` set every app process shares one count through Redis.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from functools import wraps

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.config import Settings, get_settings
from backend.errors import RateLimitedError


def _seconds_until(reset_time: float) -> int:
    return max(1, math.ceil(reset_time - time.time()))


class RateLimiter:
    """The product's limits; one instance per process (see `get_rate_limiter`)."""

    def __init__(
        self, storage_uri: str = "memory://", *, user_limit: str = "10/minute",
        global_limit: str = "1000/hour", login_limit: str = "5/15 minutes",
        namespace: str = "counseling",
    ) -> None:
        self.storage_uri = storage_uri
        self.storage = storage_from_string(storage_uri)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.user_limit: RateLimitItem = parse(user_limit)
        self.global_limit: RateLimitItem = parse(global_limit)
        self.login_limit: RateLimitItem = parse(login_limit)
        self.namespace = namespace

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> RateLimiter:
        return cls(
            settings.redis_url or "memory://", user_limit=settings.user_rate_limit,
            global_limit=settings.global_rate_limit, login_limit=settings.login_rate_limit,
            **overrides,
        )

    # Messages -------------------------------------------------------------------------------
    def hit_message(self, user_id: int) -> None:
        """Count one message for the user and globally, or raise `RateLimitedError`."""
        user_key = (self.namespace, "user", str(user_id))
        global_key = (self.namespace, "global")
        # Test both before counting either, so a global refusal does not use up the user's quota.
        if not self.strategy.test(self.user_limit, *user_key):
            wait = _seconds_until(self.strategy.get_window_stats(self.user_limit, *user_key).reset_time)
            raise RateLimitedError(
                f"You are sending messages faster than {self.user_limit.amount} per "
                f"{_describe_window(self.user_limit)}. Please wait {wait} seconds and send again.",
                wait,
            )
        if not self.strategy.test(self.global_limit, *global_key):
            wait = _seconds_until(
                self.strategy.get_window_stats(self.global_limit, *global_key).reset_time
            )
            raise RateLimitedError(
                f"The practice service is very busy right now. Please try again in {wait} seconds.",
                wait,
            )
        self.strategy.hit(self.user_limit, *user_key)
        self.strategy.hit(self.global_limit, *global_key)

    def remaining_messages(self, user_id: int) -> int:
        return self.strategy.get_window_stats(
            self.user_limit, self.namespace, "user", str(user_id)
        ).remaining

    # Logins ---------------------------------------------------------------------------------
    def check_login_allowed(self, username: str) -> None:
        key = (self.namespace, "login", username.lower())
        if not self.strategy.test(self.login_limit, *key):
            wait = _seconds_until(self.strategy.get_window_stats(self.login_limit, *key).reset_time)
            minutes = math.ceil(wait / 60)
            raise RateLimitedError(
                f"Too many failed log-ins for '{username}'. This account is locked for "
                f"{minutes} more minute{'s' if minutes != 1 else ''}; try again then, or ask an "
                "admin to reset the password.",
                wait,
            )

    def record_failed_login(self, username: str) -> None:
        self.strategy.hit(self.login_limit, self.namespace, "login", username.lower())

    def clear_failed_logins(self, username: str) -> None:
        self.strategy.clear(self.login_limit, self.namespace, "login", username.lower())

    def reset(self) -> None:
        """Forget every count (tests and admin tooling)."""
        self.storage.reset()


def _describe_window(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


_limiter: RateLimiter | None = None
_limiter_lock = threading.Lock()


def get_rate_limiter() -> RateLimiter:
    """The process-wide limiter built from settings (shared by all users of a server process)."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            _limiter = RateLimiter.from_settings(get_settings())
        return _limiter


def reset_rate_limiter() -> None:
    """Drop the process-wide limiter so the next call rebuilds it from settings."""
    global _limiter
    with _limiter_lock:
        _limiter = None


def rate_limited(user_id_of: Callable[..., int]):
    """Decorator: count one message for `user_id_of(*args, **kwargs)` before calling the function."""

    def decorate(function):
        @wraps(function)
        def wrapper(*args, **kwargs):
            get_rate_limiter().hit_message(user_id_of(*args, **kwargs))
            return function(*args, **kwargs)

        return wrapper

    return decorate
