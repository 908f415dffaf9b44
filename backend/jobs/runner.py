"""Running jobs: one worker pool per process, heartbeats, and the live view of a job run here.

A domain registers a kind (`register("review", run)`); `submit` hands a created job to the pool
(or runs it in the caller's thread with `inline=True`, for callers that wait anyway, so a job that
waits for another never starves the pool). `run(context, argument)` does the work: it reports
progress (`context.progress`, written at once: steps are few) and streamed text
(`context.stream`: kept in memory for readers in this process, written at most every
`STREAM_WRITE_SECONDS`, never per token), checks `context.cancelled` between steps, sets
`context.result` (small JSON) and returns a value that readers in this process get as
`LiveJob.value`. An `AppError` fails the job with its message; any other exception is logged and
fails it with a generic one. Usage is recorded by the work itself, once, as it is billed.

A heartbeat thread writes every running job's heartbeat each `HEARTBEAT_SECONDS`, picks up
cancel requests made by other processes, and renews what the work holds (`register(hold=...)`: a
reply's claim on its conversation), so a crashed process lets go within `STALE_AFTER_SECONDS`.
On shutdown (`begin_drain`) the process takes no new turns; `release_unfinished` gives back what
work still running at the end of the grace period holds, so another process takes it over at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.actor import UserRead
from backend.db import Database
from backend.errors import AppError
from backend.jobs import job_service
from backend.jobs.read_models import JobRead
from backend.models.enums import JobStatus

logger = logging.getLogger(__name__)

#: Threads of the process-wide pool (jobs mostly wait on the network).
WORKERS = 64
#: Streamed text is written to the job's row at most this often.
STREAM_WRITE_SECONDS = 0.75
FAILED_MESSAGE = "Something went wrong while doing this. Try again."

Run = Callable[["JobContext", Any], Any]
#: `hold(db, arguments, seconds)`: keep what these jobs' work holds `seconds` more (0: let go now).
Hold = Callable[[Session, list[Any], float], None]
_kinds: dict[str, Run] = {}
_holds: dict[str, Hold] = {}
_live: dict[int, LiveJob] = {}
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_heart: threading.Thread | None = None
_draining = threading.Event()
_released = threading.Event()
_END = object()


class _TakenBack(str):
    """The type of `TAKEN_BACK` (an empty text of its own identity)."""


#: Streamed when the work withdraws what it streamed so far (`JobContext.take_back`): a reader
#: starts its text again (`after`). Empty, so a reader that only joins chunks loses nothing.
TAKEN_BACK: str = _TakenBack()


def after(text: str, chunk: str) -> str:
    """A reader's text once `chunk` arrives: joined, or started again at `TAKEN_BACK`."""
    return "" if chunk is TAKEN_BACK else text + chunk


class JobCancelled(AppError):
    level = "warning"

    def __init__(self) -> None:
        super().__init__("Cancelled.")


def register(kind: str, run: Run, *, hold: Hold | None = None) -> str:
    """Make `kind` runnable; `run(context, argument)` does one job of it. `hold` renews what the
    work holds with every heartbeat (and lets it go when the process shuts down unfinished)."""
    _kinds[kind] = run
    if hold is not None:
        _holds[kind] = hold
    return kind


class LiveJob:
    """A job running in this process: its streamed text, and how it ended."""

    def __init__(
        self, job_id: int, kind: str, database: Database, argument: Any = None, waits: bool = False
    ) -> None:
        self.id, self.kind, self.database, self.argument = job_id, kind, database, argument
        self.waits = waits
        self.text = ""
        self.value: Any = None
        self.error: AppError | None = None
        self.status = JobStatus.queued
        self.cancel = threading.Event()
        self._chunks: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._done = threading.Event()

    def chunks(self, *, until: float) -> Iterator[str]:
        """The streamed text as it arrives, until the work returns; `TimeoutError` once
        `until` (a `time.monotonic()`) passes first."""
        while True:
            try:
                item = self._chunks.get(timeout=max(until - time.monotonic(), 0.01))
            except queue.Empty:
                raise TimeoutError from None
            if item is _END:
                self._chunks.put(_END)  # another reader stops too
                return
            assert isinstance(item, str)
            yield item

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait for the job's end (its row written); True when it ended."""
        return self._done.wait(timeout)


class JobContext:
    """What a job's work may do: report progress, stream text, see a cancel, set its result."""

    def __init__(self, live: LiveJob) -> None:
        self._live = live
        self.job_id, self.database = live.id, live.database
        self.result: dict[str, Any] | None = None
        self.failure: str | None = None
        self.ended = False
        self._written = time.monotonic()

    def progress(self, text: str, fraction: float | None = None) -> None:
        """A step reached: written now, so any process can show it."""
        with self.database(write=True) as db:
            job_service.set_progress(db, self.job_id, text, fraction)

    def stream(self, chunk: str) -> None:
        """Text for the reader as it is made (in memory now; in the row at a bounded rate). The
        row's copy is only for readers in other processes: a failure to write it is logged and
        tried again at the next chunk, never the end of the work (a whole, billed reply)."""
        live = self._live
        live.text += chunk
        live._chunks.put(chunk)
        if time.monotonic() - self._written >= STREAM_WRITE_SECONDS:
            self._write_text()

    def take_back(self) -> None:
        """Withdraw the text streamed so far (a draft the output guard stopped): readers start
        their text again at `TAKEN_BACK`, and the row's copy is emptied at once."""
        live = self._live
        live.text = ""
        live._chunks.put(TAKEN_BACK)
        self._write_text()

    def _write_text(self) -> None:
        try:
            with self.database(write=True) as db:
                job_service.set_progress(db, self.job_id, self._live.text, None)
        except SQLAlchemyError as error:
            logger.warning("A job's text so far was not written (%s).", type(error).__name__)
        else:
            self._written = time.monotonic()

    @property
    def cancelled(self) -> bool:
        return self._live.cancel.is_set()

    def check_cancelled(self) -> None:
        """Stop here when someone asked to cancel (call it between steps)."""
        if self.cancelled:
            raise JobCancelled()

    def finish_in(self, db: Session) -> None:
        """End the job as done in the work's own last transaction (saves the worker a write); the
        work does nothing after it but return."""
        job_service.finish(
            db, self.job_id, JobStatus.done, result=self.result, progress=self._live.text or None
        )
        self.ended = True

    def fail(self, message: str) -> None:
        """End failed with this message for the user (the returned value is still kept)."""
        self.failure = message


def submit(
    database: Database,
    job_id: int,
    kind: str,
    argument: Any,
    *,
    inline: bool = False,
    started: bool = False,
    waits: bool = False,
) -> LiveJob:
    """Run a created job on the pool (or here, `inline`); returns its live view. `started`: the
    row was created running (`job_service.create(running=True)`), so no write is needed first.
    `waits`: work that mostly sleeps for minutes or hours (a review waiting for its Message
    Batch) gets a thread of its own, so it never holds one of the pool's workers."""
    if kind not in _kinds:
        raise KeyError(f"No job kind {kind!r} is registered.")
    live = LiveJob(job_id, kind, database, argument, waits)
    with _lock:
        _live[job_id] = live
        _start_heart()
    if inline:
        _execute(live, argument, started)
    elif waits:
        name = f"job-{job_id}-waits"
        thread = threading.Thread(
            target=_execute, args=(live, argument, started), name=name, daemon=True
        )
        thread.start()
    else:
        _executor().submit(_execute, live, argument, started)
    return live


def live_job(job_id: int) -> LiveJob | None:
    """The job's live view when it runs in this process."""
    with _lock:
        return _live.get(job_id)


def cancel(database: Database, *, actor: UserRead | None, job_id: int) -> JobRead:
    """Ask a job to stop (its owner or an admin): a worker in this process sees it at once, one
    in another process at its next heartbeat; the work stops at its next step."""
    with database(write=True) as db:
        job = job_service.cancel_job(db, actor=actor, job_id=job_id)
    stop_here(job_id)
    return job


def stop_here(job_id: int) -> None:
    """Tell this process's worker of a job marked to stop at once (others see it at their next
    heartbeat)."""
    if live := live_job(job_id):
        live.cancel.set()


def wait_idle(timeout: float = 30, *, waiting: bool = True) -> bool:
    """Wait until no job runs in this process (shutdown, tests); True when none is left.
    `waiting=False`: not for the work that waits for hours (`submit(waits=True)`: a review's
    Message Batch, which the next process resumes)."""
    deadline = time.monotonic() + timeout
    while True:
        with _lock:
            running = [live for live in _live.values() if waiting or not live.waits]
        if not running:
            return True
        if time.monotonic() > deadline:
            return False
        running[0].wait(max(deadline - time.monotonic(), 0.01))


# Shutting down ----------------------------------------------------------------------------------
def begin_drain() -> None:
    """This process is shutting down: it takes no new turns and reads as not ready."""
    _draining.set()


def draining() -> bool:
    return _draining.is_set()


def release_unfinished() -> int:
    """The grace period is over: end the jobs still running here as stopped by the restart and let
    go of what their work holds (a reply's claim), so another process takes over now, not once
    they go stale. Their workers are told to stop; the heartbeat stops. Returns how many."""
    _released.set()
    with _lock:
        left = list(_live.values())
    for database, jobs in _by_database(left):
        try:
            with database(write=True) as db:
                job_service.abandon(db, [live.id for live in jobs])
            with database(write=True) as db:  # apart, as in `beat_once`: no deadlock with a store
                _hold(db, jobs, 0)
        except Exception:  # the database is down: they go stale, and their claims lapse, anyway
            logger.exception("Could not release %s unfinished job(s)", len(jobs))
    for live in left:
        live.cancel.set()
    return len(left)


def _execute(live: LiveJob, argument: Any, started: bool) -> None:
    context = JobContext(live)
    status, error = JobStatus.failed, None
    try:
        if not started:
            with live.database(write=True) as db:
                started = job_service.mark_running(db, live.id)
        if not started:
            status, error = JobStatus.cancelled, None
            return
        live.status = JobStatus.running
        live.value = _kinds[live.kind](context, argument)
        status = JobStatus.failed if context.failure else JobStatus.done
        error = context.failure
    except JobCancelled:
        status = JobStatus.cancelled
    except AppError as failure:
        live.error, error = failure, failure.message
        if not failure.asking_again_helps:  # pages offer no "Try again" (`JobRead`)
            context.result = {**(context.result or {}), "asking_again_helps": False}
    except Exception:  # never a silent crash in a worker: log it, fail the job
        logger.exception("Job %s (%s) failed unexpectedly", live.id, live.kind)
        live.error, error = AppError(FAILED_MESSAGE), FAILED_MESSAGE
    finally:
        live._chunks.put(_END)  # a streaming reader has everything before the row is written
        try:
            if not (context.ended and status == JobStatus.done):  # else the work wrote it
                with live.database(write=True) as db:
                    job_service.finish(
                        db,
                        live.id,
                        status,
                        result=context.result,
                        error=error,
                        progress=live.text or None,
                    )
        except Exception:
            logger.exception("Could not write the end of job %s", live.id)
        live.status = status
        with _lock:
            _live.pop(live.id, None)
        live._done.set()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="job")
        return _pool


def _start_heart() -> None:
    """Start the heartbeat thread once (the caller holds `_lock`)."""
    global _heart
    if _heart is None or not _heart.is_alive():
        _heart = threading.Thread(target=_beat_forever, name="job-heartbeat", daemon=True)
        _heart.start()


def _by_database(jobs: list[LiveJob]) -> list[tuple[Database, list[LiveJob]]]:
    grouped: dict[int, tuple[Database, list[LiveJob]]] = {}
    for live in jobs:
        grouped.setdefault(id(live.database), (live.database, []))[1].append(live)
    return list(grouped.values())


def _hold(db: Session, jobs: list[LiveJob], seconds: float) -> None:
    """Renew (or, with 0, let go of) what these jobs' work holds: one statement per kind."""
    for kind, hold in _holds.items():
        if arguments := [live.argument for live in jobs if live.kind == kind]:
            hold(db, arguments, seconds)


def _beat_forever() -> None:
    while not _released.wait(job_service.HEARTBEAT_SECONDS):
        beat_once()


def beat_once() -> None:
    """One heartbeat of every job running here, then a renewal of what their work holds."""
    with _lock:
        running = list(_live.values())
    for database, jobs in _by_database(running):
        try:
            with database(write=True) as db:
                cancelled = job_service.beat(db, [live.id for live in jobs])
            for live in jobs:
                if live.id in cancelled:
                    live.cancel.set()
            # Its own transaction: work that finishes locks its subject (a conversation) and then
            # its job row; holding job rows while waiting for a subject would deadlock with it.
            with database(write=True) as db:
                _hold(db, jobs, job_service.STALE_AFTER_SECONDS)
        except Exception:  # a database gone away (a test's file): its jobs end on their own
            logger.debug("Heartbeat failed", exc_info=True)
