"""Alerts that reach the operator outside the app: a webhook (a JSON body with a `text` field,
which Slack's and Microsoft Teams' incoming webhooks both accept) and/or e-mail over SMTP.

`notify` only queues the alert and returns: one background thread per process delivers it,
retrying with backoff, so a slow or failing receiver never holds up a student's turn.
The same alert (its `key`) is sent once within its window by all app processes together: the
process that delivers it first writes an `alert` event in the database (on PostgreSQL under an
advisory lock on the key, so two processes cannot both claim it). While the database itself
cannot be reached, each process remembers what it has sent. Alerts of a `group` take turns
(readiness red, then back): one is a repeat while it is the group's last one sent, so every
process noticing one outage, each at its own minute, sends it once.
"""

from __future__ import annotations

import json
import logging
import queue
import smtplib
import ssl
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from backend.config import Settings, get_settings
from backend.db import create_db_engine, is_sqlite, unit_of_work
from backend.models import Event
from backend.models.base import utcnow
from backend.models.enums import Severity
from backend.utils.singleton import process_wide
from backend.utils.text import bounded

__all__ = ["Alert", "Dispatcher", "configured", "notify", "wait_idle"]

logger = logging.getLogger(__name__)

#: The event-log category of alerts sent (and of deliveries that failed for good).
CATEGORY = "alert"
SUBJECT_PREFIX = "[Counseling practice]"
CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Alert:
    key: str  # the same key within `window` is one alert
    text: str
    window: timedelta | None = None  # None: ALERT_DEDUPE_MINUTES
    group: str | None = None  # alerts that take turns: a repeat while it is the group's last


def configured(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return bool(settings.alert_webhook_url or settings.alert_smtp_host)


def notify(
    key: str, text: str, *, window: timedelta | None = None, group: str | None = None
) -> None:
    """Queue an alert for the operator; returns at once (nothing to do when none is configured)."""
    if configured():
        get_dispatcher().submit(Alert(key, text, window, group))


def wait_idle(timeout: float) -> bool:
    """Whether this process's queued alerts were all handled within `timeout` seconds."""
    return get_dispatcher().wait_idle(timeout)


class Dispatcher:
    """A queue and the thread that empties it (one per process: `get_dispatcher`)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Alert] = queue.Queue()
        self._sent_here: dict[str, datetime] = {}
        self._last_here: dict[str, str] = {}  # group -> the key of its last alert sent here
        # A group's alerts claimed here while the database was down: written to it, dated when
        # they were sent, before the next claim there, so that claim sees them in their place.
        self._unwritten: list[tuple[Alert, datetime]] = []
        threading.Thread(target=self._run, name="alerts", daemon=True).start()

    def submit(self, alert: Alert) -> None:
        self._queue.put_nowait(alert)

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            try:
                self._deliver(alert, get_settings())
            except Exception:  # the thread must outlive any one alert
                logger.exception("An alert could not be handled")
            finally:
                self._queue.task_done()

    def _deliver(self, alert: Alert, settings: Settings) -> None:
        window = alert.window or timedelta(minutes=settings.alert_dedupe_minutes)
        if not self._claim(alert, window, settings):
            return
        channels: list[tuple[str, Callable[[str, Settings], None]]] = []
        if settings.alert_webhook_url:
            channels.append(("webhook", _post_webhook))
        if settings.alert_smtp_host:
            channels.append(("e-mail", _send_email))
        for name, send in channels:
            error = _with_retries(send, alert.text, settings)
            if error is not None:
                logger.error("Alert %r not delivered by %s: %s", alert.key, name, error)
                _record(
                    settings,
                    Severity.error,
                    f"An alert could not be delivered by {name} after "
                    f"{settings.alert_retries + 1} attempts ({error}): {alert.text}",
                    key=f"failed:{alert.key}",
                )

    def _claim(self, alert: Alert, window: timedelta, settings: Settings) -> bool:
        """True for the first process to deliver this alert within `window`."""
        now = datetime.now(UTC)
        unwritten, self._unwritten = self._unwritten, []
        try:
            engine = short_lived_engine(settings.database_url)
            try:
                with unit_of_work(engine) as db:
                    if db.get_bind().dialect.name == "postgresql":
                        lock = zlib.crc32(alert.key.encode())
                        db.execute(select(func.pg_advisory_xact_lock(lock)))
                    for earlier, at in unwritten:
                        db.add(_event(Severity.info, f"Alert sent: {earlier.text}", earlier, at))
                    db.flush()
                    sent = db.scalars(
                        select(Event.details)
                        .where(Event.category == CATEGORY, Event.created_at >= now - window)
                        .order_by(Event.created_at, Event.id)
                    ).all()
                    repeat = _repeats(alert, sent)
                    if not repeat:
                        db.add(_event(Severity.info, f"Alert sent: {alert.text}", alert))
                if alert.group is not None:  # the group's last, as the database has it now (a
                    # repeat had left this process's own memory behind: an attack, 2026-12-07)
                    self._last_here[alert.group] = alert.key
                return not repeat
            finally:
                engine.dispose()
        except SQLAlchemyError as error:  # the database is down: remember here instead
            logger.warning("Alerts deduplicated in this process only (%s)", type(error).__name__)
            self._unwritten[:0] = unwritten  # for the next claim that reaches the database
            if alert.group is not None:  # the group's last here, however it was claimed
                if self._last_here.get(alert.group) == alert.key:
                    return False
                self._last_here[alert.group] = alert.key
                self._unwritten.append((alert, now))
                return True
            last = self._sent_here.get(alert.key)
            if last is not None and now - last < window:
                return False
            self._sent_here[alert.key] = now
            return True


def _repeats(alert: Alert, sent: Sequence[dict]) -> bool:
    """Whether `alert` was sent already (`sent`: the window's alert events, oldest first): its
    key, or, in a group, its key as the group's last."""
    if alert.group is None:
        return any(details.get("key") == alert.key for details in sent)
    ours = [details.get("key") for details in sent if details.get("group") == alert.group]
    return bool(ours) and ours[-1] == alert.key


def short_lived_engine(url: str) -> Engine:
    """An engine for one rare write off the request path: no pool, and on PostgreSQL a short
    connect timeout (a database that is down must not hold the sender for minutes)."""
    if is_sqlite(url):
        return create_db_engine(url, poolclass=NullPool)
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_db_engine(url, poolclass=NullPool, connect_args=connect_args)


def _event(
    severity: Severity, message: str, alert: Alert | str, at: datetime | None = None
) -> Event:
    details = {"key": alert} if isinstance(alert, str) else {"key": alert.key}
    if isinstance(alert, Alert) and alert.group is not None:
        details["group"] = alert.group
    return Event(
        severity=severity,
        category=CATEGORY,
        message=bounded(message, 1000),
        details=details,
        created_at=at or utcnow(),
    )


def _record(settings: Settings, severity: Severity, message: str, *, key: str) -> None:
    try:
        engine = short_lived_engine(settings.database_url)
        try:
            with unit_of_work(engine) as db:
                db.add(_event(severity, message, key))
        finally:
            engine.dispose()
    except SQLAlchemyError:
        pass  # logged above; the database is down


def _with_retries(
    send: Callable[[str, Settings], None], text: str, settings: Settings
) -> str | None:
    """None once delivered; else what the last attempt failed with."""
    delay = settings.alert_retry_seconds
    for attempt in range(settings.alert_retries + 1):
        if attempt:
            time.sleep(delay)
            delay *= 2
        try:
            send(text, settings)
            return None
        except (OSError, smtplib.SMTPException) as error:
            failure = f"{type(error).__name__}: {error}"
    return failure


def _post_webhook(text: str, settings: Settings) -> None:
    request = urllib.request.Request(
        settings.alert_webhook_url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.alert_timeout_seconds) as response:
        response.read()  # an HTTP error status raises HTTPError (an OSError): retried


def _send_email(text: str, settings: Settings) -> None:
    message = EmailMessage()
    message["Subject"] = f"{SUBJECT_PREFIX} {text.splitlines()[0][:120]}"
    message["From"] = settings.alert_email_from
    message["To"] = ", ".join(settings.alert_recipients)
    message.set_content(text)
    with smtplib.SMTP(
        settings.alert_smtp_host, settings.alert_smtp_port, timeout=settings.alert_timeout_seconds
    ) as smtp:
        if settings.alert_smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.alert_smtp_user:
            password = settings.alert_smtp_password
            smtp.login(settings.alert_smtp_user, password.get_secret_value() if password else "")
        smtp.send_message(message)


@process_wide()
def get_dispatcher() -> Dispatcher:
    """This process's alert queue and its sending thread (kept for the life of the process)."""
    return Dispatcher()
