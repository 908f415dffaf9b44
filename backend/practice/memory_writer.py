"""The memory job: when a continuing client's session ends, write the client's memory of it.

One backend job (kind "memory", subject the ended session) reads the transcript and the memory
so far, asks the model for a short summary through a forced tool (discussed, disclosed, agreed,
the relationship so far; the earlier memory merged in) and stores it with its cost (purpose
`memory`). Demo mode, a used-up budget or an API failure write the offline summary instead, for
free. The summary model is never shown the hidden information; still, until the student earned
it, the summary is checked with the output guard's leak check: an answer that gives it away is
asked for once more, and if the second one does too, its disclosure part is dropped and so is
every other sentence that still gives it away. So a memory never turns an unearned secret into
something the next session's client may say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import event_log
from backend.actor import UserRead
from backend.clients.read_models import ClientRead
from backend.config import get_settings
from backend.db import Database
from backend.errors import AppError, ConflictError
from backend.jobs import job_service, runner
from backend.jobs.read_models import JobRead
from backend.llm import Completion, GatewayError, LLMGateway, get_gateway
from backend.llm.validated import ask_validated
from backend.models import ClientMemory, ClientProfile, Message, PracticeSession
from backend.models.base import utcnow
from backend.models.enums import JobStatus, MessageRole
from backend.practice import memory_service, output_guard, session_service
from backend.practice.memory_service import MAX_SUMMARY_CHARS, MEMORY_KIND
from backend.practice.memory_text import (
    INSTRUCTIONS,
    MEMORY_TOOL,
    PARTS,
    TOOL_DESCRIPTION,
    MemoryAnswer,
    MemorySource,
    memory_context,
    offline_summary,
    tool_schema,
    transcript,
    without_leaks,
)
from backend.usage import budget_service
from backend.usage.purposes import Purpose


# As a backend job --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _MemoryWork:
    database: Database
    session_id: int
    gateway: LLMGateway | None


def start_memory_job(database: Database, job: JobRead, gateway: LLMGateway | None = None) -> None:
    """Hand a queued memory job (`memory_service.queue_memory`) to the worker pool."""
    runner.submit(database, job.id, MEMORY_KIND, _MemoryWork(database, job.subject, gateway))


def request_memory(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    gateway: LLMGateway | None = None,
) -> JobRead:
    """The student's teacher has the memory written from the student's latest ended session
    with this client (`session_id` is any of their conversations with it): after a memory job
    that was lost, or when the assignment became continuing after sessions were held."""
    with database(write=True) as db:
        asker, session = memory_service.session_for(db, actor, session_id, "edit")
        latest = memory_service.latest_ended(db, session)
        job = None if latest is None else memory_service.queue_memory(db, latest, asked_by=asker.id)
        if job is None:
            raise ConflictError(
                "There is nothing new to remember: the memory is written from the latest "
                "ended session (or is being written now)."
            )
    start_memory_job(database, job, gateway)
    return job


def _run_memory_job(context: runner.JobContext, work: _MemoryWork) -> str | None:
    context.progress("Writing the client's memory", 0.5)
    summary = write_memory(work.database, session_id=work.session_id, gateway=work.gateway)
    context.result = {"session_id": work.session_id, "written": summary is not None}
    return summary


runner.register(MEMORY_KIND, _run_memory_job)


# Writing -----------------------------------------------------------------------------------------
# How many times the job writes the memory when it keeps changing while being written.
PASSES = 2


def write_memory(
    database: Database, *, session_id: int, gateway: LLMGateway | None = None
) -> str | None:
    """Write the memory from this ended session (None: nothing written). Internal: the job's
    work, for a session its owner (or an admin) ended.

    The memory so far is read first and merged. If it changed while this one was written (a
    teacher saved an edit, another session's job stored its memory), it is written once more
    from the new one, so neither is lost. If it changed again, what is stored stays (a
    teacher's save is never overwritten): the session shows as not written, for its teacher to
    have written, and a warning says so.

    Earlier sessions whose own memory job was lost (failed, or died with its process) are
    written first, each as the session it was, in the order they ended: one lost job had left
    its session out of the memory for good (an attack, 2026-12-07)."""
    gateway = gateway or get_gateway()
    with database() as db:
        lost = _lost_before(db, session_id)
    for earlier in lost:
        _write_one(database, gateway, earlier)
    return _write_one(database, gateway, session_id)


def _write_one(database: Database, gateway: LLMGateway, session_id: int) -> str | None:
    """The memory written from this one session (`write_memory`)."""
    for _pass in range(PASSES):
        with database() as db:
            source = _read_source(db, session_id)
        if source is None:
            return None
        summary, earned, calls, failure, dropped = _summary(database, gateway, source)
        with database(write=True) as db:
            stored = _store(db, source, summary, earned=earned)
            _record_calls(db, source, calls, failure, dropped=dropped)
        if stored:
            return summary
    with database(write=True) as db:
        session = db.get_one(PracticeSession, session_id)
        latest = memory_service.latest_ended(db, session)
        redo = (
            "The student's teacher can have it written again."
            if latest is not None and latest.id == session_id
            else "Since then a later session's memory was written, so this session's part is "
            "not in it (a memory is written again only from the latest session)."
        )
        event_log.record(
            db,
            "warning",
            "memory_not_written",
            "The client's memory was not written from this session: it changed each time it "
            "was being written (a teacher saved, or another session's memory was stored), and "
            f"what is stored was kept. {redo}",
            user_id=session.user_id,
            session_id=session_id,
        )
    return None


def _summary(
    database: Database, gateway: LLMGateway, source: MemorySource
) -> tuple[str, bool, list[Completion], GatewayError | None, bool]:
    """(the memory to store, whether the hidden information is earned, the billed calls, an API
    failure, whether sentences were dropped for giving the hidden information away)."""
    run_words = get_settings().output_guard_words
    earned = source.previous_earned or output_guard.earned_in(
        source.turns, source.client, run_words=run_words, said_before=source.said_before
    )
    student_said = [*source.said_before, *(text for student, text in source.turns if student)]

    def leak(text: str) -> str | None:
        if earned:
            return None
        return output_guard.hidden_leak(
            source.client, text, run_words=run_words, student_said=student_said
        )

    calls: list[Completion] = []
    answer, failure = None, None
    if not gateway.demo_mode and _within_budget(database, source.user_id):
        answer, calls, failure = _ask_model(gateway, source, leak)
    if answer is None:
        summary = offline_summary(source)
    else:
        summary = answer.text()
        if leak(summary) is not None:  # asked twice already: without the disclosure part
            summary = answer.text(without=frozenset({"disclosed"}))
    kept = without_leaks(summary, leak)[:MAX_SUMMARY_CHARS]
    return kept, earned, calls, failure, kept != summary


def _ask_model(
    gateway: LLMGateway, source: MemorySource, leak: Callable[[str], str | None]
) -> tuple[MemoryAnswer | None, list[Completion], GatewayError | None]:
    """The model's summary (None after an API failure or an answer of the wrong shape), every
    billed call, and the failure."""

    def validate(data: dict) -> tuple[MemoryAnswer | None, list[str]]:
        try:
            answer = MemoryAnswer.model_validate(data)
        except ValidationError as error:
            return None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        errors = [
            f"{part}: it tells something about the client that the client never said to the "
            "student; write only what was said in this transcript."
            for part in PARTS
            if leak(getattr(answer, part))
        ]
        if not errors and leak(answer.text()):
            errors.append("disclosed: write only what the client actually said to the student.")
        return answer, errors

    asked = ask_validated(
        gateway,
        instructions=INSTRUCTIONS,
        context=memory_context(source),
        messages=[{"role": "user", "content": transcript(source.turns)}],
        tool_name=MEMORY_TOOL,
        tool_description=TOOL_DESCRIPTION,
        input_schema=tool_schema(),
        what="memory",
        validate=validate,
    )
    return asked.value, asked.billed, asked.failure


# Reading and storing -----------------------------------------------------------------------------
def _read_source(db: Session, session_id: int) -> MemorySource | None:
    session = db.get(PracticeSession, session_id)
    if session is None or session.ended_at is None or session.remembered_at is not None:
        return None  # not ended, or taken in already (by a job close by: a review, 2026-12-07)
    ended = memory_service.ended_ids(db, session)  # those the student spoke in, oldest first
    if session_id not in ended:
        return None  # nothing said: nothing to remember
    memory = db.scalar(select(ClientMemory).where(memory_service.of_session(session)))
    if memory is not None and memory.session_id == session_id:
        return None  # written from this session already
    rows = db.execute(
        select(Message.role, Message.content)
        .where(Message.session_id == session_id)
        .order_by(Message.sequence_number)
    ).all()
    turns = [(role == MessageRole.user, content) for role, content in rows]
    client = ClientRead.model_validate(db.get_one(ClientProfile, session.client_id))
    return MemorySource(
        session_id=session_id,
        user_id=session.user_id,
        client=client,
        turns=turns,
        previous=memory.summary if memory is not None else "",
        previous_earned=memory is not None
        and memory_service.earned(memory.hidden_earned_for, client.hidden_information),
        said_before=tuple(memory_service.student_words(db, session, before=session_id)),
        # Only sessions the student spoke in are meetings (an empty one had counted: an attack,
        # 2026-12-07).
        sessions=ended.index(session_id) + 1,
        day=session.started_at.strftime("%d %B %Y"),
        # Taken in after later sessions (a lost job): the meetings already covered still count
        # ("You have met 1 time." had followed "2 times": a review of the day's fixes).
        met=ended.index(memory.session_id) + 1
        if memory is not None and memory.session_id in ended
        else 0,
    )


def _lost_before(db: Session, session_id: int) -> list[int]:
    """The student's earlier sessions with this client, oldest first, that no memory took in
    and whose own memory job was lost (failed, cancelled, or stale: died with its process).
    A session with no job (held before the assignment was continuing) or one still being
    written is not; nor one whose job ended without storing (its teacher was told)."""
    session = db.get(PracticeSession, session_id)
    if session is None:
        return []
    ended = memory_service.ended_ids(db, session)
    earlier = ended[: ended.index(session_id)] if session_id in ended else ended
    unremembered = set(
        db.scalars(
            select(PracticeSession.id).where(
                PracticeSession.id.in_(earlier), PracticeSession.remembered_at.is_(None)
            )
        )
    )
    return [
        sid
        for sid in earlier
        if sid in unremembered
        and (job := job_service.latest(db, kind=MEMORY_KIND, subject=sid)) is not None
        and job.status in (JobStatus.failed, JobStatus.cancelled)
    ]


def _within_budget(database: Database, user_id: int) -> bool:
    """A used-up budget, or a summary model (REVIEW_MODEL) whose calls cannot be priced against
    it, writes the free summary instead of refusing the memory."""
    try:
        with database() as db:
            settings = get_settings()
            budget_service.check_budgets(db, settings, user_id=user_id)
            budget_service.refuse_unpriced(settings, settings.review_model)
    except AppError:
        return False
    return True


def _store(db: Session, source: MemorySource, summary: str, *, earned: bool) -> bool:
    """Store the memory unless it changed since `source` read it (then False)."""
    session = db.get_one(PracticeSession, source.session_id)
    memory = memory_service.row_for_update(db, session)
    if (memory.summary or "") != source.previous:
        return False
    memory.summary = summary
    if earned:  # this session earned the hidden information as it reads now
        memory.hidden_earned_for = memory_service.secret_fingerprint(
            source.client.hidden_information
        )
    # A student's sessions with one client never overlap, so ids follow the order they ended
    # in: an earlier session's slow job merges into a later one's memory, which it stays.
    if memory.session_id is None or memory.session_id < source.session_id:
        memory.session_id = source.session_id
    memory.written_at = session.remembered_at = utcnow()
    db.flush()
    return True


def record_call(db: Session, session_id: int, completion: Completion) -> None:
    """One billed summary call: its usage joins the session (purpose `memory`), and an info
    event keeps its time, tokens and cost (`usage_service.rebuild` brings it back from that)."""
    session_service.record_usage(
        db,
        session_id=session_id,
        usage=completion.usage,
        cost=completion.cost,
        model=completion.model,
        unpriced=completion.cost is None,
        purpose=Purpose.memory,
    )
    event_log.record(
        db,
        "info",
        "memory_call",
        "A continuing client's memory summary was billed.",
        session_id=session_id,
        details={
            "model": completion.model,
            "input_tokens": completion.usage.input_tokens,
            "output_tokens": completion.usage.output_tokens,
            "cache_write_tokens": completion.usage.cache_write_tokens,
            "cache_read_tokens": completion.usage.cache_read_tokens,
            "cost": str(completion.cost if completion.cost is not None else Decimal(0)),
        },
    )


def _record_calls(
    db: Session,
    source: MemorySource,
    calls: list[Completion],
    failure: GatewayError | None,
    *,
    dropped: bool,
) -> None:
    """Each billed call's usage joins the session (purpose `memory`) with an info event, as a
    judge call's does; a failure and a summary cut for the hidden information are logged."""
    for completion in calls:
        record_call(db, source.session_id, completion)
    if failure is not None:
        event_log.record_api_failure(
            db,
            failure,
            "The client's memory was written offline: " + failure.failed("Memory summary"),
            purpose="memory",
            session_id=source.session_id,
        )
    if dropped:
        event_log.record(
            db,
            "warning",
            "output_guard",
            "A memory summary gave away hidden information the student has not earned; those "
            "sentences were left out.",
            user_id=source.user_id,
            session_id=source.session_id,
        )
