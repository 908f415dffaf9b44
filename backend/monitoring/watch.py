"""Readiness and the operator's watch: is this app able to serve (database, and Redis when
configured), an HTTP endpoint that says so for the proxy and the container's health check, and
the alerts nobody has to open the app for (readiness red and back, the daily cost summary).

`python -m mvp.serve` runs it inside each app process (see the Dockerfile), so /ready turns 503 the
moment the process begins to shut down; `python -m backend.cli watch` runs it on its own;
`python -m backend.cli ready` is the same check once, as an exit code.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from backend import alerts, event_log
from backend.config import Settings, get_settings
from backend.db import Database, create_db_engine, is_sqlite, unit_of_work
from backend.jobs import runner
from backend.models import DailyUsage
from backend.monitoring.health_service import database_down
from backend.utils.formatting import format_usd
from backend.utils.rate_limiter import redis_down

logger = logging.getLogger(__name__)

#: Seconds a readiness check waits for the database or Redis before calling it unreachable.
CHECK_TIMEOUT_SECONDS = 3
READINESS_CATEGORY = "readiness"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.ready:
            return "Ready: the database answers" + (
                ", and Redis too." if get_settings().redis_url else "."
            )
        return "Not ready. " + " ".join(self.problems)


SHUTTING_DOWN = Readiness(False, ["This app process is shutting down (its replies finish)."])


@lru_cache(maxsize=4)
def _check_engine(url: str) -> Engine:
    """The readiness check's own connection, kept between checks: the proxy asks every few
    seconds, and a new connection each time cost the database a new backend process per check.
    Pre-pinged, so a connection the server dropped (a restart) is replaced, not reported as an
    outage; a few at most, for checks that arrive together."""
    connect_args: dict[str, object] = {}
    if not is_sqlite(url):  # named, so an operator can tell it apart in pg_stat_activity
        connect_args = {"connect_timeout": CHECK_TIMEOUT_SECONDS, "application_name": "readiness"}
    return create_engine(
        url,
        pool_size=1,
        max_overflow=2,
        pool_timeout=CHECK_TIMEOUT_SECONDS,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def check_readiness(settings: Settings | None = None) -> Readiness:
    """One round trip to the database and (when REDIS_URL is set) to Redis, each with a short
    timeout; the problems say what is down."""
    settings = settings or get_settings()
    problems = []
    url = settings.database_url
    try:
        with _check_engine(url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        problems.append(database_down(url, error))
    if settings.redis_url:
        import redis

        timeout = CHECK_TIMEOUT_SECONDS
        client = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        try:
            client.ping()
        except (redis.RedisError, OSError) as error:
            problems.append(redis_down(settings.redis_url, error))
        finally:
            client.close()
    return Readiness(not problems, problems)


#: Readiness alerts take turns, red then back, whichever process noticed (`alerts.Alert.group`):
#: keyed by the minute each noticed, two processes either side of a minute's edge had sent
#: two alerts for one outage (an attack, 2026-12-07).
READINESS_ALERTS = "readiness"


class ReadinessWatch:
    """Checks readiness and tells the operator when it turns red and when it is back: an alert
    and an event each (an outage of the database itself is logged once it is back, as an error:
    it had been only the "Ready again" line, which the Error log's default view hides)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._red_since: datetime | None = None
        self._problems: list[str] = []
        self._red_logged = False

    def check(self) -> Readiness:
        readiness = check_readiness()
        with self._lock:
            was_red, now = self._red_since is not None, datetime.now(UTC)
            if not readiness.ready and not was_red:
                self._red_since, self._problems = now, readiness.problems
                self._turned_red(readiness, now)
            elif readiness.ready and was_red:
                since, problems, self._red_since = self._red_since, self._problems, None
                self._came_back(since or now, problems, now)
        return readiness

    def _turned_red(self, readiness: Readiness, now: datetime) -> None:
        message = readiness.summary()
        alerts.notify(f"{READINESS_ALERTS}:red", message, group=READINESS_ALERTS)
        self._red_logged = _log("error", message)

    def _came_back(self, since: datetime, problems: list[str], now: datetime) -> None:
        minutes = max(1, round((now - since).total_seconds() / 60))
        message = (
            f"Ready again after about {minutes} minute{'s' if minutes != 1 else ''} "
            f"(not ready since {since:%Y-%m-%d %H:%M} UTC). It was: {' '.join(problems)}"
        )
        alerts.notify(f"{READINESS_ALERTS}:back", message, group=READINESS_ALERTS)
        _log("info" if self._red_logged else "error", message)


def _log(severity: str, message: str) -> bool:
    """Into the event log when the database answers (else the container log has it): whether
    it was written."""
    logger.warning(message)
    engine = alerts.short_lived_engine(get_settings().database_url)
    try:
        with unit_of_work(engine) as db:
            event_log.record(db, severity, READINESS_CATEGORY, message)
        return True
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def send_daily_summary(database: Database, *, now: datetime | None = None) -> None:
    """Yesterday's (UTC) cost and replies, to the operator; sent once by all processes."""
    if not alerts.configured():
        return
    day = (now or datetime.now(UTC)).date() - timedelta(days=1)
    with database() as db:
        cost, replies = db.execute(
            select(
                func.coalesce(func.sum(DailyUsage.cost), 0),
                func.coalesce(func.sum(DailyUsage.replies), 0),
            ).where(DailyUsage.day == day)
        ).one()
    budget = get_settings().global_daily_cost_budget_usd
    limit = f" of the {format_usd(budget)} daily budget" if budget else ""
    alerts.notify(
        f"daily-summary:{day:%Y-%m-%d}",
        f"Daily cost summary for {day:%Y-%m-%d} (UTC): {format_usd(cost)}{limit}, "
        f"{int(replies)} replies.",
        window=timedelta(days=2),
    )


def readiness_server(port: int, watcher: ReadinessWatch | None = None) -> ThreadingHTTPServer:
    """GET /ready: 200 and {"ready": true} when ready, else 503 with the problems."""
    watch = watcher or ReadinessWatch()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?")[0] != "/ready":
                self.send_error(404)
                return
            # Shutting down: not ready at once, so the proxy sends new requests elsewhere (not an
            # outage: no alert).
            readiness = SHUTTING_DOWN if runner.draining() else watch.check()
            body = json.dumps({"ready": readiness.ready, "problems": readiness.problems}).encode()
            self.send_response(200 if readiness.ready else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104 (inside the container)
    server.daemon_threads = True
    return server


def run_in_background(port: int) -> None:
    """`run` on a daemon thread: the app's launcher (`mvp/serve.py`) serves /ready beside Streamlit."""
    threading.Thread(target=run, args=(port,), name="readiness", daemon=True).start()


def run(port: int) -> None:
    """Serve /ready, and every READINESS_CHECK_SECONDS check readiness and the daily summary."""
    watcher = ReadinessWatch()
    server = readiness_server(port, watcher)
    threading.Thread(target=server.serve_forever, name="readiness", daemon=True).start()
    engine = None
    while True:
        try:
            if watcher.check().ready and alerts.configured():
                engine = engine or create_db_engine(
                    get_settings().database_url, pool_size=1, max_overflow=0
                )
                send_daily_summary(Database(engine))
        except Exception:  # the watch goes on whatever one round met
            logger.exception("The readiness watch failed one round")
        time.sleep(get_settings().readiness_check_seconds)
