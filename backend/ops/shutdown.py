"""An app process that stops without anyone noticing: what SIGTERM does (`mvp/serve.py`).

1. `runner.begin_drain()`: /ready answers 503 at once, so the proxy sends new requests to the other
   processes; a turn sent here now is stored and answered by the next process the page reaches.
2. The replies (and other jobs) running here finish, for at most `SHUTDOWN_GRACE_SECONDS`; work
   that waits for hours (a review's Message Batch) is not waited for: the next process resumes it.
3. What is still running then is let go of: its job reads as stopped by the restart and a reply's
   claim lapses, so another process takes it over at once (its input is billed again).
4. The database pools and the Redis connections are closed, and the API client when nothing is
   left running (closing it under a request would leave that request hanging, not end it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from backend import llm
from backend.config import get_settings
from backend.db import dispose_engines
from backend.jobs import runner
from backend.utils.rate_limiter import reset_rate_limiter

logger = logging.getLogger(__name__)

#: After the last reply is stored, the pages that streamed it draw its end before the server stops.
SETTLE_SECONDS = 1.0


_stopping = threading.Event()


def stopping() -> bool:
    """Whether this process was asked to stop (a drain began)."""
    return _stopping.is_set()


def on_sigterm(stop: Callable[[], None]) -> None:
    """The first SIGTERM drains on its own thread (a signal handler must return at once), then
    calls `stop`; a second one calls `stop` at once."""
    if _stopping.is_set():
        stop()
        return
    _stopping.set()
    threading.Thread(target=_drain_then, args=(stop,), name="drain").start()


def _drain_then(stop: Callable[[], None]) -> None:
    grace = get_settings().shutdown_grace_seconds
    print(f"SIGTERM: draining (at most {grace:g} s), then stopping.", flush=True)
    try:
        print(drain(grace).summary(), flush=True)
    finally:  # whatever the drain met, the process stops
        stop()


@dataclass(frozen=True)
class Drained:
    seconds: float
    unfinished: int

    def summary(self) -> str:
        if not self.unfinished:
            return f"Drained in {self.seconds:.1f} s: every reply here finished."
        return (
            f"Grace period over after {self.seconds:.1f} s: {self.unfinished} unfinished job(s) "
            "released for another process to take over."
        )


def drain(grace: float | None = None) -> Drained:
    """Stop taking turns, let the work here finish (at most `grace` seconds), release the rest
    and close the connections. The caller then stops the server."""
    started = time.monotonic()
    grace = get_settings().shutdown_grace_seconds if grace is None else grace
    runner.begin_drain()
    busy = not runner.wait_idle(0, waiting=False)
    if runner.wait_idle(grace, waiting=False) and busy:
        time.sleep(min(SETTLE_SECONDS, max(grace - (time.monotonic() - started), 0)))
    unfinished = runner.release_unfinished()
    close_connections(api_client=not unfinished)
    return Drained(time.monotonic() - started, unfinished)


def close_connections(*, api_client: bool = True) -> None:
    """What this process holds open: the database pools, Redis, and (`api_client`; not under a
    request still running, which closing would leave hanging) the API client."""
    closes = [reset_rate_limiter, dispose_engines, *([llm.reset_gateway] if api_client else [])]
    for close in closes:
        try:
            close()
        except Exception:  # the process exits anyway; say what could not be closed
            logger.exception("Closing %s failed on shutdown", close.__name__)
