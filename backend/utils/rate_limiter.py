"""Rate limits with the `limits` library (moving window): per user, global, log-ins and sign-ups.

In-memory by default; with `REDIS_URL` set every app process shares one count through Redis.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar, cast
from urllib.parse import urlparse

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from backend.config import Settings, get_settings
from backend.errors import RateLimitedError, ServiceUnavailableError
from backend.utils.singleton import process_wide

TOO_MANY = (
    "Too many log-in attempts for this username from this browser. Wait {wait} and try again, "
    "or ask an admin to reset your password."
)
CURRENT_PASSWORD_TRIES = (
    "Too many wrong tries at the current password. Wait {wait} and try again; if you have "
    "forgotten it, ask an admin to reset your password."
)
SLOWED = (
    "Log-ins for this username are slowed down after many recent attempts. Wait {wait} and try "
    "again; a browser you have logged in with before is not slowed down."
)


class LeanMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage without a thread per hit.

    `MemoryStorage` (limits 5.8, and no option or other in-memory strategy avoids it) drops expired
    entries from a `threading.Timer` that every write starts again once the last one has fired,
    10 ms later: so nearly every message started a thread, inside the claim's transaction. Here
    a moving window keeps only its newest `limit` entries (no older one can decide anything), and
    the first write after every `SWEEP_SECONDS` drops what has expired (itself, no thread). The
    counts and their windows are the library's own."""

    SWEEP_SECONDS = 60.0
    _next_sweep = 0.0

    # The parent's private hook, which every write calls (its name is mangled: hence the spelling).
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802
        if time.time() >= self._next_sweep:
            self._next_sweep = time.time() + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        acquired = super().acquire_entry(key, limit, expiry, amount)
        with self.locks[key]:
            del self.events.get(key, [])[limit:]
        return acquired


def _storage(uri: str) -> Storage:
    """The storage behind a `limits` URI; `memory://` is the lean one above."""
    if urlparse(uri).scheme == "memory":
        return LeanMemoryStorage(uri)
    return cast(Storage, storage_from_string(uri))


def redis_address(url: str) -> str:
    """Where a Redis URL points, without its password: 'redis://host:port/db'."""
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 6379}{parsed.path or ''}"


def redis_down(url: str, error: Exception) -> str:
    """What the operator reads (event log, readiness, health page) when Redis does not answer."""
    return (
        f"Redis cannot be reached at {redis_address(url)} ({type(error).__name__}): password "
        "log-ins, sign-ups and messages fail until it is back (REDIS_URL is set, so the rate "
        "limits live there)."
    )


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _needs_store(
    action: str,
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """A count that cannot reach Redis refuses `action` with a clear message, and the event log
    (written after the action rolls back) says that Redis is down, never a traceback."""

    def wrap(method: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(method)
        def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return method(*args, **kwargs)
            except (RedisError, OSError) as error:
                limiter = cast(RateLimiter, args[0])
                raise ServiceUnavailableError(
                    f"{action} is unavailable right now: a service it needs is down. Try again "
                    "in a few minutes; if it lasts, tell your administrator.",
                    category="redis",
                ).log_event("error", "redis", redis_down(limiter.storage_uri, error)) from error

        return guarded

    return wrap


def _seconds_until(reset_time: float) -> int:
    return max(1, math.ceil(reset_time - time.time()))


class RateLimiter:
    """The product's limits; one instance per process (see `get_rate_limiter`)."""

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        user_limit: str = "10/minute",
        global_limit: str = "300/minute",
        login_browser_limit: str = "5/5 minutes",
        login_username_limit: str = "10/minute",
        signup_code_limit: str = "60/10 minutes",
        signup_browser_limit: str = "10/10 minutes",
        namespace: str = "counseling",
    ) -> None:
        self.storage_uri = storage_uri
        self.storage = _storage(storage_uri)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.user_limit: RateLimitItem = parse(user_limit)
        self.global_limit: RateLimitItem = parse(global_limit)
        self.login_browser_limit: RateLimitItem = parse(login_browser_limit)
        self.login_username_limit: RateLimitItem = parse(login_username_limit)
        self.signup_code_limit: RateLimitItem = parse(signup_code_limit)
        self.signup_browser_limit: RateLimitItem = parse(signup_browser_limit)
        self.namespace = namespace

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: str) -> RateLimiter:
        return cls(
            settings.redis_url or "memory://",
            user_limit=settings.user_rate_limit,
            global_limit=settings.global_rate_limit,
            login_browser_limit=settings.login_browser_rate_limit,
            login_username_limit=settings.login_username_rate_limit,
            signup_code_limit=settings.signup_code_rate_limit,
            signup_browser_limit=settings.signup_browser_rate_limit,
            **overrides,
        )

    def close(self) -> None:
        """Close the connections to Redis (the memory store has none)."""
        client = getattr(self.storage, "storage", None)  # `limits`' Redis client
        if client is not None and callable(getattr(client, "close", None)):
            client.close()

    # Messages -------------------------------------------------------------------------------
    @_needs_store("Sending a message")
    def hit_message(self, user_id: int) -> None:
        """Count one paid reply for the user and globally, or raise `RateLimitedError`.

        The atomic `hit()` is the decision (testing first and counting later let bursts from
        several processes through). The user's limit is hit first, so one user's burst cannot use
        up the global allowance. A look at the global limit first keeps a full service from using
        up the user's own allowance (only a race at the very edge still can).
        """
        user_key = (self.namespace, "user", str(user_id))
        global_key = (self.namespace, "global")
        if not self.strategy.test(self.global_limit, *global_key):
            self._refuse_busy(global_key)
        if not self.strategy.hit(self.user_limit, *user_key):
            wait = _seconds_until(
                self.strategy.get_window_stats(self.user_limit, *user_key).reset_time
            )
            raise RateLimitedError(
                f"You are sending messages faster than {self.user_limit.amount} per "
                f"{describe_window(self.user_limit)}. Please wait {wait} seconds and try again.",
                wait,
            )
        if not self.strategy.hit(self.global_limit, *global_key):
            self._refuse_busy(global_key)

    def _refuse_busy(self, global_key: tuple[str, ...]) -> None:
        wait = _seconds_until(
            self.strategy.get_window_stats(self.global_limit, *global_key).reset_time
        )
        raise RateLimitedError(
            f"The practice service is very busy right now. Please try again in {wait} seconds.",
            wait,
        )

    def remaining_messages(self, user_id: int) -> int:
        return self.strategy.get_window_stats(
            self.user_limit, self.namespace, "user", str(user_id)
        ).remaining

    # Log-ins and sign-ups ---------------------------------------------------------------------
    # The atomic `hit()` is the admission decision, taken before any password is checked, so
    # concurrent guesses cannot all reach the hash. The browser's own limit is hit first: a browser
    # that is already refused never uses up the allowance it shares with every other browser.
    @_needs_store("Log-in")
    def admit_login(self, username: str, browser: str, *, device: str | None = None) -> None:
        """Count one log-in attempt (right or wrong) for the username, or raise
        `RateLimitedError` saying how long to wait and what else to do.

        A browser that logged in to this account before (`device`, its checked token's nonce)
        has its own allowance and is never stopped by the username's shared one, which guesses
        from elsewhere fill. Any other browser needs room in both; an attempt refused by one limit
        uses up neither (both are tested before either is hit)."""
        if device is not None:
            self._admit(self.login_browser_limit, ("login", username, "device", device), TOO_MANY)
            return
        browser_key = ("login", username, "browser", browser)
        username_key = ("login", username)
        for item, key, message in (
            (self.login_browser_limit, browser_key, TOO_MANY),
            (self.login_username_limit, username_key, SLOWED),
        ):
            if not self.strategy.test(item, self.namespace, *key):
                self._refuse(item, key, message)
        self._admit(self.login_browser_limit, browser_key, TOO_MANY)
        self._admit(self.login_username_limit, username_key, SLOWED)

    def _admit(self, item: RateLimitItem, key: tuple[str, ...], message: str) -> None:
        if not self.strategy.hit(item, self.namespace, *key):
            self._refuse(item, key, message)

    def _refuse(self, item: RateLimitItem, key: tuple[str, ...], message: str) -> None:
        wait = self._wait(item, (self.namespace, *key))
        raise RateLimitedError(message.format(wait=describe_wait(wait)), wait)

    @_needs_store("Changing the password")
    def admit_current_password(self, username: str, password_epoch: str) -> None:
        """Count one try at the current password on the Change password form (as many as a
        browser's log-ins, per password the account has), or raise `RateLimitedError`: whoever
        finds a tab left logged in could otherwise guess it as fast as the server hashes."""
        self._admit(
            self.login_browser_limit,
            ("current-password", username, password_epoch),
            CURRENT_PASSWORD_TRIES,
        )

    @_needs_store("Log-in")
    def login_succeeded(self, username: str, browser: str, *, device: str | None = None) -> None:
        """The owner got in: this browser's counts start again (the username's shared one stays)."""
        self.strategy.clear(
            self.login_browser_limit, self.namespace, "login", username, "browser", browser
        )
        if device is not None:
            self.strategy.clear(
                self.login_browser_limit, self.namespace, "login", username, "device", device
            )

    @_needs_store("Password reset")
    def clear_failed_logins(self, username: str) -> None:
        """Lift the username's shared slow-down (an admin reset the password)."""
        self.strategy.clear(self.login_username_limit, self.namespace, "login", username)

    @_needs_store("Sign-up")
    def admit_sign_up(self, browser: str) -> None:
        """Count one sign-up attempt from this browser session, or raise `RateLimitedError`."""
        key = (self.namespace, "signup", "browser", browser)
        if not self.strategy.hit(self.signup_browser_limit, *key):
            wait = self._wait(self.signup_browser_limit, key)
            raise RateLimitedError(
                f"Too many sign-up attempts from this browser. Wait {describe_wait(wait)} and try "
                "again; if you keep being refused, ask your teacher for help.",
                wait,
            )

    @_needs_store("Sign-up")
    def admit_sign_up_with_code(self, join_code: str) -> None:
        """Count one sign-up attempt with a real join code, or raise `RateLimitedError`."""
        key = (self.namespace, "signup", "code", join_code)
        if not self.strategy.hit(self.signup_code_limit, *key):
            wait = self._wait(self.signup_code_limit, key)
            raise RateLimitedError(
                f"Many people are signing up with this join code right now. Wait "
                f"{describe_wait(wait)} and try again; if it keeps happening, ask your teacher.",
                wait,
            )

    def _wait(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        return _seconds_until(self.strategy.get_window_stats(item, *key).reset_time)

    def reset(self) -> None:
        """Forget every count (tests and admin tooling)."""
        self.storage.reset()


def describe_wait(seconds: int) -> str:
    """'45 seconds' or, from two minutes on, '5 minutes' (rounded up)."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def describe_window(item: RateLimitItem) -> str:
    """ "minute", "10 minutes": the window a limit counts in, for a message."""
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


@process_wide(close=RateLimiter.close)
def get_rate_limiter() -> RateLimiter:
    """The process-wide limiter built from settings (shared by all users of a server process)."""
    return RateLimiter.from_settings(get_settings())


reset_rate_limiter = get_rate_limiter.cache_clear
