"""Reviews held for the teacher, written through the Message Batches API at half price.

A review of an assignment whose reviews wait for the teacher (release "after_teacher_review") is
read by nobody until the teacher opens it, so it need not be written at once: with
`REVIEW_BATCHES` on, its review job sends the review request as a one-request Message Batch
(`LLMGateway.submit_batch`, the same prompt and tool as a normal call; `batch_answer`), keeps the
batch's id in `review_batches`, and polls it (`REVIEW_BATCH_POLL_SECONDS`) until it ends, usually
within minutes. `review_service` validates the answer exactly as a normal call's
(`review_transcript` with `first=`): one repair, which is a normal call. Its cost is recorded at
the batch price.

A request that errored, expired or was canceled falls back to the normal call, and an event
(`review_batch_fallback`) says so. A process that dies while its batch runs leaves the row
pending: `review_service.resume_held_reviews` (run when a teacher opens the Reviews page) starts the review job
again, and the job collects the same batch: nothing is sent or billed twice. The row is settled
in the transaction that stores the review.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend import access, event_log
from backend.actor import UserRead
from backend.config import get_settings
from backend.db import Database
from backend.jobs import job_service
from backend.llm import GatewayError, LLMGateway, StructuredAnswer
from backend.llm.gateway import BatchMiss
from backend.models import ReviewBatch
from backend.models.base import utcnow
from backend.models.review import BatchStatus

#: The review job's progress while its batch runs (the teacher's queue shows it).
BATCH_STEP = "Being written (batch, usually minutes)"


def batch_answer(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    user_id: int,
    request: dict,
    tool_name: str,
    gateway: LLMGateway,
    step: Callable[[str], None],
) -> StructuredAnswer | BatchMiss:
    """The answer to `request` (`LLMGateway.structured_request` parameters) from a batch:
    submitted now, or the one already pending for this session. A miss (errored, expired,
    canceled) is written to the event log: the caller falls back to a normal call."""
    step(BATCH_STEP)
    with database() as db:
        pending = _pending(db, session_id)
    if pending is None:
        custom_id = f"review-{session_id}-{secrets.token_hex(6)}"
        batch_id = gateway.submit_batch({custom_id: request})
        with database(write=True) as db:
            asker = access.signed_in(db, actor)
            db.add(
                ReviewBatch(
                    session_id=session_id,
                    requested_by_id=asker.id,
                    batch_id=batch_id,
                    custom_id=custom_id,
                )
            )
    else:
        batch_id, custom_id = pending
    answer = _collect(gateway, batch_id, custom_id, tool_name, step)
    if isinstance(answer, BatchMiss):
        with database(write=True) as db:
            event_log.record(
                db,
                "warning",
                "review_batch_fallback",
                f"A held review's batch request {answer.kind}; the review is written with a "
                "normal call instead.",
                user_id=user_id,
                session_id=session_id,
                details={"purpose": "review", "batch_id": batch_id, "detail": answer.detail},
            )
    return answer


def settle(db: Session, session_id: int, status: BatchStatus) -> None:
    """The session's pending batch request is done with (in the transaction storing its review)."""
    db.execute(
        update(ReviewBatch)
        .where(ReviewBatch.session_id == session_id, ReviewBatch.status == BatchStatus.pending)
        .values(status=status, ended_at=utcnow())
    )


def has_pending(db: Session, session_id: int) -> bool:
    """Whether the session's review has a batch request under way (submitted, so paid for)."""
    return _pending(db, session_id) is not None


def pending_requests(db: Session) -> list[tuple[int, int]]:
    """(session id, asker id) of every batch request still pending."""
    rows = db.execute(
        select(ReviewBatch.session_id, ReviewBatch.requested_by_id).where(
            ReviewBatch.status == BatchStatus.pending
        )
    ).all()
    return [(session_id, user_id) for session_id, user_id in rows]


def batch_progress(db: Session, session_ids: list[int], *, kind: str) -> dict[int, str]:
    """The sessions among these whose held review waits in a batch, with the progress of its job
    (of this `kind`)."""
    if not session_ids:
        return {}
    pending = db.scalars(
        select(ReviewBatch.session_id).where(
            ReviewBatch.status == BatchStatus.pending, ReviewBatch.session_id.in_(session_ids)
        )
    ).all()
    progress = {}
    for session_id in pending:
        job = job_service.latest(db, kind=kind, subject=session_id)
        text = job.progress if job is not None and job.active and job.progress else None
        progress[session_id] = text if text and text.startswith(BATCH_STEP) else BATCH_STEP
    return progress


def _pending(db: Session, session_id: int) -> tuple[str, str] | None:
    row = db.execute(
        select(ReviewBatch.batch_id, ReviewBatch.custom_id)
        .where(ReviewBatch.session_id == session_id, ReviewBatch.status == BatchStatus.pending)
        .order_by(ReviewBatch.id.desc())
    ).first()
    return None if row is None else (row.batch_id, row.custom_id)


def _collect(
    gateway: LLMGateway,
    batch_id: str,
    custom_id: str,
    tool_name: str,
    step: Callable[[str], None],
) -> StructuredAnswer | BatchMiss:
    """Poll the batch until it ends (its progress as the job's step), then read this answer."""
    pause = get_settings().review_batch_poll_seconds
    shown = None
    while True:
        try:
            progress = gateway.batch_progress(batch_id)
        except GatewayError as error:
            if error.status == 404:  # archived, or never this workspace's: asking again won't help
                return BatchMiss("missing", "the API no longer knows this batch")
            raise
        if progress.ended:
            break
        line = f"{BATCH_STEP}: {progress.total - progress.processing} of {progress.total} done"
        if line != shown:
            step(line)
            shown = line
        time.sleep(pause)
    answers = gateway.batch_answers(batch_id, tool_name)
    return answers.get(custom_id, BatchMiss("missing", "the batch has no result for this review"))
