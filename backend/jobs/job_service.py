"""Job rows: create one (or find the one under way), read, cancel, and the worker's writes.

A job is *active* while queued or running. At most one active job per kind and subject (a unique
index over the active rows), so two clicks, two tabs or two processes asking for the same review
or check share one job. A job whose process died stops getting heartbeats; after
`STALE_AFTER_SECONDS` without one it reads as failed (`read`), and the next `start` of its kind
and subject marks it failed for good and starts a new one. Its worker is gone, so nothing else
happens to it: what it had already paid for was recorded as it went (each kind records usage in
its own transactions), and what it had not stored is lost. A process that shuts down before its
jobs finished ends them itself (`abandon`), so nobody waits for them to go stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.errors import NotFoundError
from backend.jobs.read_models import JobRead
from backend.models import Job
from backend.models.base import UTCDateTime, utcnow
from backend.models.enums import JobStatus
from backend.models.job import ACTIVE_STATUSES

#: How often a process writes the heartbeat of every job it runs (one UPDATE per process, and one
#: per kind that holds something: the claims of the replies it generates).
HEARTBEAT_SECONDS = 2.0
#: A job without a heartbeat for this long belongs to a process that died; a reply's claim lapses
#: as fast, so another process takes the reply over within seconds of a crash.
STALE_AFTER_SECONDS = 10.0
REPLACED_MESSAGE = "Replaced by a newer request."
STALE_MESSAGE = "This work stopped before it finished (the app was restarted). Start it again."
ACTIVE = ACTIVE_STATUSES
#: The table, for the statements a reply runs every turn (Core, built once).
_JOBS = cast(Table, Job.__table__)


class JobNotFound(NotFoundError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"No job {job_id} is open to you.")


def _stale(job: Job | JobRead, now: datetime) -> bool:
    last = job.heartbeat_at or job.created_at
    return job.status in ACTIVE and last < now - timedelta(seconds=STALE_AFTER_SECONDS)


def read(job: Job, *, now: datetime | None = None) -> JobRead:
    """The job as a page should show it: a stale active job is failed (nothing runs it)."""
    found = JobRead.model_validate(job)
    if _stale(job, now or utcnow()):
        return found.model_copy(update={"status": JobStatus.failed, "error": STALE_MESSAGE})
    return found


def create(
    db: Session,
    *,
    kind: str,
    subject: int,
    owner_id: int,
    replace: bool = False,
    running: bool = False,
) -> tuple[JobRead, bool]:
    """A new queued job in the caller's transaction, or the one already under way for this kind
    and subject: (job, created). A stale one is failed first; `replace` fails a live one too
    (the caller holds a lock that makes the old one moot: a reply's claim). `running`: the
    caller hands it to a worker as soon as it commits (a reply), so it starts as running and
    saves the worker a write."""
    now = utcnow()
    if replace:  # the caller's lock means no other process inserts meanwhile
        return _replace(db, kind=kind, subject=subject, owner_id=owner_id, running=running), True
    for old in db.scalars(
        select(Job).where(Job.kind == kind, Job.subject == subject, Job.status.in_(ACTIVE))
    ):
        if not _stale(old, now):
            return read(old, now=now), False
        _end(old, JobStatus.failed, error=STALE_MESSAGE)
    db.flush()
    job = Job(kind=kind, subject=subject, owner_id=owner_id, status=JobStatus.queued)
    if running:
        job.status, job.started_at, job.heartbeat_at = JobStatus.running, now, now
    try:
        with db.begin_nested():
            db.add(job)
            db.flush()
    except IntegrityError:  # another process started it between our read and our insert
        under_way = db.scalar(
            select(Job).where(Job.kind == kind, Job.subject == subject, Job.status.in_(ACTIVE))
        )
        if under_way is None:
            raise
        return read(under_way, now=now), False
    return JobRead.model_validate(job), True


_FAIL_ACTIVE = (
    update(_JOBS)
    .where(
        _JOBS.c.kind == bindparam("job_kind"),
        _JOBS.c.subject == bindparam("job_subject"),
        _JOBS.c.status.in_(ACTIVE),
    )
    .values(
        status=JobStatus.failed,
        finished_at=bindparam("now", type_=UTCDateTime),
        error=REPLACED_MESSAGE,
    )
)
_INSERT = insert(_JOBS).returning(*_JOBS.c)


def _replace(db: Session, *, kind: str, subject: int, owner_id: int, running: bool) -> JobRead:
    """Fail the active job of this kind and subject, if any, and start a new one: two prebuilt
    statements (a reply's claim starts one every turn)."""
    now = utcnow()
    db.execute(_FAIL_ACTIVE, {"job_kind": kind, "job_subject": subject, "now": now})
    values: dict[str, object] = {"kind": kind, "subject": subject, "owner_id": owner_id}
    if running:
        values |= {"status": JobStatus.running, "started_at": now, "heartbeat_at": now}
    else:
        values |= {"status": JobStatus.queued}
    return JobRead.model_validate(db.execute(_INSERT, values).one())


def latest(db: Session, *, kind: str, subject: int) -> JobRead | None:
    """The newest job of this kind about this subject (internal: callers checked access)."""
    job = latest_row(db, kind=kind, subject=subject)
    return None if job is None else read(job)


def get(db: Session, job_id: int) -> JobRead | None:
    """One job by id (internal: callers checked access)."""
    job = db.get(Job, job_id)
    return None if job is None else read(job)


def get_job(db: Session, *, actor: UserRead | None, job_id: int) -> JobRead:
    """A job its owner (or an admin) follows."""
    return read(_allowed(db, actor, job_id, "read"))


def cancel_job(db: Session, *, actor: UserRead | None, job_id: int) -> JobRead:
    """Ask a job to stop: its worker stops at its next step (a queued job never starts).
    Its owner or an admin; cancelling a finished job changes nothing."""
    return request_cancel(db, _allowed(db, actor, job_id, "cancel"))


def request_cancel(db: Session, job: Job) -> JobRead:
    """Mark the job to stop (internal: the caller checked who may; a finished job is left)."""
    if job.status in ACTIVE:
        job.cancel_requested = True
        db.flush()
    return read(job)


def latest_row(db: Session, *, kind: str, subject: int) -> Job | None:
    """The newest job row of this kind about this subject (internal: callers checked access)."""
    return db.scalar(
        select(Job).where(Job.kind == kind, Job.subject == subject).order_by(Job.id.desc())
    )


def _allowed(db: Session, actor: UserRead | None, job_id: int, action: access.Action) -> Job:
    actor = access.signed_in(db, actor)
    job = db.get(Job, job_id)
    if job is None:
        raise JobNotFound(job_id)
    access.require(db, actor, "job", action, job, refuse=lambda: JobNotFound(job_id))
    return job


# The worker's writes (each in its own short transaction, or the caller's) ----------------------
def mark_running(db: Session, job_id: int) -> bool:
    """Running now; False when it was cancelled (or failed) before it started."""
    now = utcnow()
    done = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.queued, Job.cancel_requested.is_(False))
        .values(status=JobStatus.running, started_at=now, heartbeat_at=now)
    )
    return bool(getattr(done, "rowcount", 0))


def set_progress(db: Session, job_id: int, text: str | None, fraction: float | None) -> None:
    db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(progress=text, progress_fraction=fraction, heartbeat_at=utcnow())
    )


def finish(
    db: Session,
    job_id: int,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    progress: str | None = None,
) -> bool:
    """The job's end, unless it already ended (given up, replaced): True when this wrote it."""
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "error": error}
    if result is not None:
        values["result"] = result
    if progress is not None:
        values["progress"] = progress
    if status == JobStatus.done:
        values["progress_fraction"] = 1.0
    statement = _finish_statement(tuple(values))
    done = db.execute(statement, {"job_id": job_id, **{f"new_{k}": v for k, v in values.items()}})
    return bool(getattr(done, "rowcount", 0))


@lru_cache(maxsize=16)
def _finish_statement(columns: tuple[str, ...]) -> Update:
    """The end of a job, setting these columns: built once per shape (every reply ends with one)."""
    return (
        update(_JOBS)
        .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.status.in_(ACTIVE))
        .values({name: bindparam(f"new_{name}", type_=_JOBS.c[name].type) for name in columns})
    )


def beat(db: Session, job_ids: list[int]) -> set[int]:
    """Heartbeat for this process's jobs, one statement; returns those asked to cancel."""
    beaten = db.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.status.in_(ACTIVE))
        .values(heartbeat_at=utcnow())
        .returning(Job.id, Job.cancel_requested)
    )
    return {job_id for job_id, cancel in beaten if cancel}


def abandon(db: Session, job_ids: list[int]) -> None:
    """These jobs' process is shutting down before they finished: they read as stopped by the
    restart now, and the next start of their kind and subject begins a new one."""
    db.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.status.in_(ACTIVE))
        .values(status=JobStatus.failed, finished_at=utcnow(), error=STALE_MESSAGE)
    )


def _end(job: Job, status: JobStatus, *, error: str | None = None) -> None:
    job.status, job.finished_at, job.error = status, utcnow(), error
