"""Session reviews: rubric scores, quotes from the transcript and better replies, checked first.

`create_review` reads the ended conversation (one short transaction), asks the review model for
a structured answer (a forced tool) with no transaction open, validates it against the transcript
and the rubric (one repair request listing the errors), and stores it with its counted indicators
and its cost (a second transaction). Invalid feedback is never stored as content: after a failed
repair the review is kept as `failed` (with its cost), an event is written and the caller gets a
clear message. Without an API key the automatic demo review (`review_rules`) is written instead.

`review_transcript` is the model path without the database (prompt, tool, validation, one
repair): `create_review` and `benchmarks/eval_review.py --model` both call it.

Pages start a review as a backend job (`start_review`, kind "review", subject the session) and
follow it with `review_job`: the job runs `create_review` on the process's worker pool, writes its
step as progress, and ends with the review's id or the error the page shows. Asking again while a
review is being written returns the job under way (in any process), not a second paid call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import access, event_log
from backend.actor import UserRead
from backend.clients.read_models import ClientRead
from backend.config import get_settings
from backend.db import Database
from backend.errors import AppError, ConflictError, NotFoundError, PermissionDeniedError
from backend.jobs import job_service, runner
from backend.jobs.read_models import JobRead
from backend.llm import Completion, GatewayError, LLMGateway, StructuredAnswer, get_gateway
from backend.llm.gateway import BatchMiss
from backend.llm.pricing import DEMO_MODEL
from backend.llm.usage import Usage
from backend.llm.validated import ask_validated
from backend.models import (
    Assignment,
    ClientProfile,
    Message,
    PracticeSession,
    RubricVersion,
    SessionReview,
    User,
)
from backend.models.base import utcnow
from backend.models.enums import Role, SessionStatus
from backend.models.review import BatchStatus, ReviewRelease, ReviewSource, ReviewStatus
from backend.practice import memory_service, output_guard
from backend.reviews import review_batches, review_prompt, review_rules, risk, rubric_service
from backend.reviews.read_models import ReviewAnswer, ReviewContent, ReviewRead
from backend.reviews.review_prompt import ReviewBrief
from backend.reviews.rubric_schema import RubricDefinition
from backend.reviews.turns import Turn
from backend.usage import budget_service, usage_service
from backend.usage.purposes import Purpose

REVIEW_TOOL = review_prompt.REVIEW_TOOL
REVIEW_CATEGORY = "review"
REVIEW_KIND = "review"
#: The steps a review reports as its job's progress, in order.
STEPS = ("Reading the transcript", "Scoring", "Checking quotes")


class ReviewNotFound(NotFoundError):
    """Also for a session the actor may not see: ids cannot be probed."""

    def __init__(self, session_id: int) -> None:
        super().__init__(f"No review for conversation {session_id} is open to you.")


class ReviewNotReleased(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__("Your teacher has not released this review yet. Check back later.")


class ReviewFailed(AppError):
    """The review model's answer stayed invalid after one repair: nothing is shown."""

    level = "warning"

    def __init__(self) -> None:
        super().__init__(
            "The automatic review could not be checked against your conversation, so it is not "
            "shown. Press Try again to ask for a new one."
        )


# Reading and releasing --------------------------------------------------------------------------
def get_review(db: Session, *, actor: UserRead | None, session_id: int) -> ReviewRead | None:
    """The session's review (None: not written yet). Students see their own once released, and
    never the turn at which the hidden information came out; teachers their sections' and their
    own test conversations'; admins all."""
    actor, session = _readable(db, actor, session_id)
    review = db.scalar(select(SessionReview).where(SessionReview.session_id == session.id))
    if review is None:
        return None
    teacher_view = _is_teacher_view(db, actor, session)
    if not teacher_view and review.status == ReviewStatus.ready and review.released_at is None:
        raise ReviewNotReleased()
    return _visible(ReviewRead.model_validate(review), teacher_view=teacher_view)


def _visible(review: ReviewRead, *, teacher_view: bool) -> ReviewRead:
    """What the asker may see: a student never sees the hidden-information turn, nor the content
    of a review their teacher has not released yet (status ready, `released_at` None)."""
    if teacher_view:
        return review
    hidden: dict = {
        "hidden_information_turn": None,
        "teacher_content": None,
        "teacher_indicators": None,
    }
    if review.status == ReviewStatus.ready and review.released_at is None:
        hidden |= {"content": None, "indicators": {}}
    elif review.teacher_released_at is not None:  # the teacher's released version replaces it
        hidden |= {"content": review.teacher_content, "indicators": review.teacher_indicators or {}}
    return review.model_copy(update=hidden)


def get_review_rubric(db: Session, *, actor: UserRead | None, session_id: int) -> RubricDefinition:
    """The rubric version the session's review used (names, anchors, thresholds): its readers
    see the criteria and indicators by the names the rubric gives them."""
    _actor, session = _readable(db, actor, session_id)
    version_id = db.scalar(
        select(SessionReview.rubric_version_id).where(SessionReview.session_id == session.id)
    )
    if version_id is None:
        raise ReviewNotFound(session_id)
    return RubricDefinition.model_validate(db.get_one(RubricVersion, version_id).definition)


def release_review(db: Session, *, actor: UserRead | None, session_id: int) -> ReviewRead:
    """The teacher lets the student see the review: the teacher's version when there is one
    (releasing twice changes nothing)."""
    session = _as_teacher(db, actor, session_id, "release")
    review = db.scalar(
        select(SessionReview).where(SessionReview.session_id == session.id).with_for_update()
    )
    if review is None or review.status != ReviewStatus.ready:
        raise ConflictError("There is no finished review to release yet.")
    now = utcnow()
    if review.released_at is None:
        review.released_at = now
    if review.teacher_content is not None and review.teacher_released_at is None:
        review.teacher_released_at = now
    db.flush()
    return ReviewRead.model_validate(review)


def teacher_session(db: Session, *, actor: UserRead | None, session_id: int) -> PracticeSession:
    """The conversation, when the actor may act on its review as its teacher: the section's
    teacher, a teacher in their own test conversation, or an admin."""
    return _as_teacher(db, actor, session_id, "edit")


def _as_teacher(
    db: Session, actor: UserRead | None, session_id: int, action: access.Action
) -> PracticeSession:
    actor, session = _readable(db, actor, session_id)
    refuse = "Only the student's teacher can change or release a review."
    access.require(db, actor, "review", action, session, refuse=refuse)
    return session


def session_turns(db: Session, session_id: int) -> list[Turn]:
    """The conversation's messages as numbered turns (the numbers reviews cite)."""
    rows = db.execute(
        select(Message.role, Message.content)
        .where(Message.session_id == session_id)
        .order_by(Message.sequence_number)
    ).all()
    return [Turn(number, str(role), content) for number, (role, content) in enumerate(rows, 1)]


# Writing ----------------------------------------------------------------------------------------
@dataclass
class ReviewJob:
    """What one review needs, read in one transaction (no ORM objects outlive it)."""

    session_id: int
    user_id: int
    turns: list[Turn]
    rubric: RubricDefinition
    rubric_version_id: int
    client: ClientRead
    release_now: bool
    teacher_view: bool
    existing: ReviewRead | None = None
    hidden_turn: int | None = field(default=None)
    brief: ReviewBrief | None = None
    #: A Message Batch request for this review is under way (submitted and paid for already).
    pending_batch: bool = False
    #: A continuing client's student earned the hidden information in a session so far.
    earned_before: bool = False

    @property
    def batched(self) -> bool:
        """Written through a Message Batch: held for the teacher, nobody reads it at once, so it
        may wait for half the price; a batch already submitted is collected whatever the
        settings are now (it is paid for)."""
        return self.pending_batch or (not self.release_now and get_settings().review_batches)


def prepare_review(
    db: Session, *, actor: UserRead | None, session_id: int, check_budget: bool = False
) -> ReviewJob:
    """Check who asks (the student, their teacher, an admin) and read what the review needs.

    A ready review is returned as `existing`; a failed one will be replaced."""
    actor, session = _readable(db, actor, session_id, "request", for_update=True)
    if session.status != SessionStatus.completed:
        raise ConflictError("End the conversation first; its review is written when it ends.")
    existing = db.scalar(select(SessionReview).where(SessionReview.session_id == session.id))
    version = rubric_service.rubric_for_session(db, session)
    turns = session_turns(db, session.id)
    if not any(turn.student for turn in turns):
        student = _owner_if_not(db, actor, session)
        raise ConflictError(
            "This conversation has no messages of yours to review."
            if student is None
            else f"{student} said nothing in this conversation: there is nothing to review."
        )
    client = ClientRead.model_validate(db.get(ClientProfile, session.client_id))
    settings = get_settings()
    teacher_view = _is_teacher_view(db, actor, session)
    pending_batch = review_batches.has_pending(db, session.id)
    if check_budget and not pending_batch:  # a pending batch is paid for: collecting it is not
        budget_service.check_budgets(
            db,
            settings,
            user_id=session.user_id,
            owner_name=_owner_if_not(db, actor, session),
            asker_is_admin=actor.role == Role.admin,
        )
        budget_service.refuse_unpriced(settings, settings.review_model)
    job = ReviewJob(
        session_id=session.id,
        user_id=session.user_id,
        turns=turns,
        rubric=rubric_service.definition_of(version),
        rubric_version_id=version.id,
        client=client,
        release_now=_release_policy(db, session) == ReviewRelease.immediately,
        teacher_view=teacher_view,
        # What the asker may see of a review already written, never more (a student does not
        # read an unreleased one through this public step either).
        existing=(
            _visible(ReviewRead.model_validate(existing), teacher_view=teacher_view)
            if existing is not None and existing.status == ReviewStatus.ready
            else None
        ),
        brief=_brief(db, session),
        pending_batch=pending_batch,
        earned_before=memory_service.hidden_earned(db, session),
    )
    job.hidden_turn = review_rules.hidden_information_turn(
        turns, client, run_words=settings.output_guard_words
    )
    return job


def create_demo_review(db: Session, *, actor: UserRead | None, session_id: int) -> ReviewRead:
    """The automatic demo review (rule-based, no API call), in the caller's transaction."""
    job = prepare_review(db, actor=actor, session_id=session_id)
    if job.existing is not None:
        return job.existing  # already what the asker may see
    content = review_rules.demo_review(job.turns, job.rubric)
    stored = _store(db, job, content=content, source=ReviewSource.demo, usage=Usage(), cost=None)
    return _visible(stored, teacher_view=job.teacher_view)


def create_review(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    gateway: LLMGateway | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ReviewRead:
    """Write the review of an ended conversation (again only after a failed one), and return
    what the asker may see of it (see `_visible`). `on_step(step)` is told each of `STEPS` as
    it begins.

    Raises `ReviewFailed` (after storing the failed attempt and an event) when the answer stays
    invalid, and `GatewayError` when the API cannot answer."""
    gateway = gateway or get_gateway()
    step = on_step or (lambda _step: None)
    if gateway.demo_mode:
        step(STEPS[0])
        with database(write=True) as db:
            return create_demo_review(db, actor=actor, session_id=session_id)
    with _one_review_at_a_time(session_id):  # five clicks: one call, four readers of it
        return _write_review(
            database, actor=actor, session_id=session_id, gateway=gateway, step=step
        )


def _write_review(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    gateway: LLMGateway,
    step: Callable[[str], None],
) -> ReviewRead:
    step(STEPS[0])
    with database(write=True) as db:
        job = prepare_review(db, actor=actor, session_id=session_id, check_budget=True)
    if job.existing is not None:
        return job.existing  # already what the asker may see
    step(STEPS[1])
    settled_as: BatchStatus | None = None  # how the batch request ended (None: still pending)
    if job.batched:
        try:
            outcome, settled_as = _review_by_batch(
                database, actor=actor, job=job, gateway=gateway, step=step
            )
        except GatewayError as api_error:  # not submitted, or not readable now: a pending one waits
            outcome = ReviewOutcome(failure=api_error)
    else:
        outcome = review_transcript(
            job.turns,
            job.rubric,
            client=job.client,
            brief=job.brief,
            gateway=gateway,
            earned_before=job.earned_before,
        )
    step(STEPS[2])
    if outcome.failure is not None:
        error = outcome.failure
        with database(write=True) as db:
            if outcome.calls:  # an answer was billed before the API failed
                _store(db, job, content=None, source=ReviewSource.model, **outcome.billed())
            event_log.record_api_failure(
                db,
                error,
                error.failed("Review"),
                purpose=REVIEW_CATEGORY,
                user_id=job.user_id,
                session_id=job.session_id,
            )
            if settled_as is not None:
                review_batches.settle(db, job.session_id, settled_as)
        raise error
    with database(write=True) as db:
        stored = _store(
            db, job, content=outcome.content, source=ReviewSource.model, **outcome.billed()
        )
        if settled_as is not None:
            review_batches.settle(db, job.session_id, settled_as)
        if outcome.content is None:
            _log(
                db,
                job,
                "warning",
                "review_failed",
                outcome.failure_summary,
                {"purpose": REVIEW_CATEGORY, "detail": outcome.errors},
            )
    if outcome.content is None:
        raise ReviewFailed()
    return _visible(stored, teacher_view=job.teacher_view)


def _review_by_batch(
    database: Database,
    *,
    actor: UserRead | None,
    job: ReviewJob,
    gateway: LLMGateway,
    step: Callable[[str], None],
) -> tuple[ReviewOutcome, BatchStatus]:
    """A held review's calls: the first answer from a Message Batch (see `review_batches`),
    validated and repaired as a normal call's; a request without an answer falls back to the
    normal call. Also how the batch request ended, for `review_batches.settle`."""
    question = review_question(job.turns, job.rubric, client=job.client, brief=job.brief)
    answer = review_batches.batch_answer(
        database,
        actor=actor,
        session_id=job.session_id,
        user_id=job.user_id,
        request=gateway.structured_request(**question),
        tool_name=REVIEW_TOOL,
        gateway=gateway,
        step=step,
    )
    first = answer if isinstance(answer, StructuredAnswer) else None
    outcome = review_transcript(
        job.turns,
        job.rubric,
        client=job.client,
        brief=job.brief,
        gateway=gateway,
        first=first,
        earned_before=job.earned_before,
    )
    if isinstance(answer, BatchMiss) and answer.billed is not None:  # billed, but no answer
        outcome.calls.insert(0, answer.billed)
    return outcome, BatchStatus.collected if first is not None else BatchStatus.fell_back


def resume_held_reviews(
    database: Database, *, actor: UserRead | None = None, gateway: LLMGateway | None = None
) -> int:
    """Start the review job again for each held review whose batch is pending but whose job is
    gone (its process died): the job collects the same batch. It acts for who asked for the
    review, else (they were deactivated, or lost access) for `actor` (the teacher looking) where
    the policy lets them ask for it. Returns how many it started (none in demo mode: without a
    key no batch can be read)."""
    gateway = gateway or get_gateway()
    if gateway.demo_mode:
        return 0
    with database() as db:
        orphans = []
        for session_id, user_id in review_batches.pending_requests(db):
            latest = job_service.latest(db, kind=REVIEW_KIND, subject=session_id)
            user = db.get(User, user_id)
            if (latest is None or not latest.active) and user is not None:
                orphans.append((session_id, UserRead.model_validate(user)))
    started = 0
    for session_id, asker in orphans:
        for who in [asker] if actor is None or actor.id == asker.id else [asker, actor]:
            try:
                start_review(database, actor=who, session_id=session_id, gateway=gateway)
            except AppError:  # lost access: it waits for someone who may ask for it
                continue
            started += 1
            break
    return started


# As a backend job -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ReviewWork:
    database: Database
    actor: UserRead
    session_id: int
    gateway: LLMGateway


def start_review(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    gateway: LLMGateway | None = None,
) -> JobRead:
    """Start writing the review of an ended conversation as a backend job and return it (the job
    under way when one is). What would refuse the review before any call (who asks, a session not
    ended or without the student's words, the budget) is raised here, before a job starts."""
    gateway = gateway or get_gateway()
    with database(write=True) as db:
        review = prepare_review(
            db, actor=actor, session_id=session_id, check_budget=not gateway.demo_mode
        )
        asker = access.signed_in(db, actor)
        job, created = job_service.create(
            db, kind=REVIEW_KIND, subject=session_id, owner_id=asker.id
        )
    if created:
        # A batch may take hours: its wait must not hold a worker that students' replies need.
        waits = review.existing is None and review.batched and not gateway.demo_mode
        work = _ReviewWork(database, asker, session_id, gateway)
        runner.submit(database, job.id, REVIEW_KIND, work, waits=waits)
    return job


def review_job(database: Database, *, actor: UserRead | None, session_id: int) -> JobRead | None:
    """The latest review job of the session (None: none was started), for whoever may read the
    session's review; its progress is the step reached (one of `STEPS`)."""
    with database() as db:
        _readable(db, actor, session_id)
        return job_service.latest(db, kind=REVIEW_KIND, subject=session_id)


def _run_review_job(context: runner.JobContext, work: _ReviewWork) -> ReviewRead:
    def step(name: str) -> None:
        if name == STEPS[1]:  # the last moment to stop: nothing is paid for yet
            context.check_cancelled()
        # A held review's batch progress is part of Scoring.
        reached = STEPS.index(name) if name in STEPS else 1
        context.progress(name, (reached + 1) / (len(STEPS) + 1))

    review = create_review(
        work.database,
        actor=work.actor,
        session_id=work.session_id,
        gateway=work.gateway,
        on_step=step,
    )
    context.result = {"review_id": review.id}
    return review


runner.register(REVIEW_KIND, _run_review_job)


# One review call per session at a time (in this process; across processes a race can still make
# a second call, and then both calls' costs are kept, see `_store`).
_WRITING: dict[int, list] = {}  # session id -> [lock, requests holding or waiting for it]
_WRITING_GUARD = threading.Lock()


@contextmanager
def _one_review_at_a_time(session_id: int) -> Iterator[None]:
    with _WRITING_GUARD:
        entry = _WRITING.setdefault(session_id, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _WRITING_GUARD:
            entry[1] -= 1
            if entry[1] == 0:
                del _WRITING[session_id]


# The model path (no database) -------------------------------------------------------------------
@dataclass
class ReviewOutcome:
    """One review's calls (the answer, and a repair if it was needed) and what came of them."""

    content: ReviewContent | None = None
    calls: list[Completion] = field(default_factory=list)  # every call the API billed
    errors: list[str] = field(default_factory=list)  # the last answer's problems
    failure: GatewayError | None = None  # the API failed (the calls before it are billed)

    @property
    def failure_summary(self) -> str:
        return f"A review stayed invalid after one repair ({len(self.errors)} problems)."

    def billed(self) -> dict:
        """Usage, cost (None when a call's model has no price) and model of every call."""
        usage, cost = Usage(), Decimal(0)
        unpriced = False
        for call in self.calls:
            usage = usage.plus(call.usage)
            if call.cost is None:
                unpriced = True
            else:
                cost += call.cost
        model = self.calls[-1].model if self.calls else None
        return {"usage": usage, "cost": None if unpriced else cost, "model": model}


def review_transcript(
    turns: list[Turn],
    rubric: RubricDefinition,
    *,
    client: ClientRead | None,
    brief: ReviewBrief | None,
    gateway: LLMGateway,
    first: StructuredAnswer | None = None,
    earned_before: bool = False,
) -> ReviewOutcome:
    """Review a numbered transcript with the review model: the production prompt and tool
    (no sampling parameters, see `review_prompt`), the answer validated against the transcript and rubric, one repair.
    `first`: the first answer came from a Message Batch (see `review_batches`); it is validated
    the same way and a repair is a normal call.

    The client (None: unknown, as in the benchmark) adds its difficulty and learning goals to the
    context and turns on the hidden-information guard (off when `earned_before`: a continuing
    client's student earned it in an earlier session). A `GatewayError` is returned as
    `failure`, not raised, so the calls billed before it are not lost."""
    if gateway.demo_mode:
        raise RuntimeError("The gateway has no API client; the demo review needs no model.")
    settings = get_settings()
    protect_hidden = (
        client is not None
        and not earned_before
        and _hidden_guard_needed(turns, client, run_words=settings.output_guard_words)
    )

    def validate(data: dict) -> tuple[ReviewAnswer | None, list[str]]:
        return review_rules.validate(
            data,
            turns,
            rubric,
            protect_hidden=protect_hidden,
            client=client,
            run_words=settings.output_guard_words,
        )

    asked = ask_validated(
        gateway,
        **review_question(turns, rubric, client=client, brief=brief),
        what="review",
        validate=validate,
        first=first,
    )
    outcome = ReviewOutcome(calls=asked.billed, errors=asked.errors, failure=asked.failure)
    if asked.accepted and asked.value is not None:
        # The offline risk check runs on every review too: a risk the model missed, or
        # judged answered when the rules see it passed over, is kept (see risk.merge).
        outcome.content = ReviewContent(
            **asked.value.model_dump(exclude={"risk"}),
            risk=risk.merge(asked.value.risk, risk.check(turns)),
            demo=False,
        )
    return outcome


def review_question(
    turns: list[Turn],
    rubric: RubricDefinition,
    *,
    client: ClientRead | None,
    brief: ReviewBrief | None,
) -> dict:
    """The review's prompt and forced tool, as `LLMGateway.structured` takes them (the same for a
    normal call and a batch request)."""
    return {
        "instructions": review_prompt.instructions(rubric),
        "context": review_prompt.context(turns, client=client, brief=brief),
        "messages": [{"role": "user", "content": review_prompt.transcript(turns)}],
        "tool_name": REVIEW_TOOL,
        "tool_description": review_prompt.TOOL_DESCRIPTION,
        "input_schema": review_prompt.review_tool_schema(rubric),
    }


# Internals --------------------------------------------------------------------------------------
def _readable(
    db: Session,
    actor: UserRead | None,
    session_id: int,
    action: access.Action = "read",
    *,
    for_update: bool = False,
) -> tuple[UserRead, PracticeSession]:
    """The conversation, if the actor may do `action` to its review; else it reads as missing."""
    actor = access.signed_in(db, actor)
    query = select(PracticeSession).where(PracticeSession.id == session_id)
    session = db.scalar(query.with_for_update() if for_update else query)
    if session is None:
        raise ReviewNotFound(session_id)
    refuse = lambda: ReviewNotFound(session_id)  # noqa: E731
    return access.require(db, actor, "review", action, session, refuse=refuse), session


def _is_teacher_view(db: Session, actor: UserRead, session: PracticeSession) -> bool:
    """Admins, the section's teacher, and a teacher reading their own test conversation: those
    who may edit the review see all of it."""
    return access.allows(db, actor, "review", "edit", session)


def _owner_if_not(db: Session, actor: UserRead, session: PracticeSession) -> str | None:
    """The name of the session's student when someone else asks for its review (None: they
    ask themselves), for a refusal that says whose allowance is used up."""
    if actor.id == session.user_id:
        return None
    return db.scalar(select(User.display_name).where(User.id == session.user_id))


def _release_policy(db: Session, session: PracticeSession) -> ReviewRelease:
    if session.assignment_id is None:
        return ReviewRelease.immediately
    value = db.scalar(
        select(Assignment.release_reviews).where(Assignment.id == session.assignment_id)
    )
    return ReviewRelease(value or ReviewRelease.immediately)


def _hidden_guard_needed(turns: list[Turn], client: ClientRead, *, run_words: int) -> bool:
    """The hidden information is to be guarded until earned (the output guard's rule: a client
    reply shared it, or the client's reveal threshold of student turns)."""
    pairs = [(turn.student, turn.text) for turn in turns]
    return bool(client.hidden_information.strip()) and not output_guard.earned_in(
        pairs, client, run_words=run_words
    )


def _brief(db: Session, session: PracticeSession) -> ReviewBrief | None:
    """The assignment the conversation belongs to, as its student read it."""
    if session.assignment_id is None:
        return None
    row = db.execute(
        select(Assignment.title, Assignment.instructions).where(
            Assignment.id == session.assignment_id
        )
    ).first()
    return ReviewBrief(title=row.title, instructions=row.instructions or "") if row else None


def _store(
    db: Session,
    job: ReviewJob,
    *,
    content: ReviewContent | None,
    source: ReviewSource,
    usage: Usage,
    cost: Decimal | None,
    model: str | None = None,
) -> ReviewRead:
    """Replace a failed review with this one; count its usage in the user's daily budget.

    Every paid call stays counted when it was billed: a replaced failed review's usage and cost
    stay an event of its time, and a review that lost a race adds its own to the winner's."""
    failed = db.scalars(
        select(SessionReview)
        .where(
            SessionReview.session_id == job.session_id,
            SessionReview.status == ReviewStatus.failed,
        )
        .with_for_update()
    ).all()
    # Billed either way: counted in the user's budget whichever review is kept.
    usage_service.record_call(
        db, purpose=Purpose.review, user_id=job.user_id, at=utcnow(), usage=usage, cost=cost
    )
    for earlier in failed:
        _keep_failed_attempt(db, earlier)
        db.delete(earlier)
    db.flush()
    now = utcnow()
    codes = [item.code for item in content.codes] if content is not None else []
    review = SessionReview(
        session_id=job.session_id,
        rubric_version_id=job.rubric_version_id,
        status=ReviewStatus.ready if content is not None else ReviewStatus.failed,
        source=source,
        released_at=now if content is not None and job.release_now else None,
        content=content.model_dump(mode="json") if content is not None else None,
        indicators=(
            review_rules.indicators(
                job.turns, codes, job.rubric, offline=source == ReviewSource.demo
            )
            if content
            else {}
        ),
        hidden_information_turn=job.hidden_turn,
        model=model or (DEMO_MODEL if source == ReviewSource.demo else None),
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cost=cost if source == ReviewSource.model else Decimal(0),
        created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(review)
            db.flush()
    except IntegrityError:  # another request stored this session's review first
        winner = db.scalar(
            select(SessionReview)
            .where(SessionReview.session_id == job.session_id)
            .with_for_update()
        )
        if winner is None:
            raise
        if source == ReviewSource.model:  # what this call cost stays counted, on the winner
            _add_usage(winner, usage, cost)
            db.flush()
        return ReviewRead.model_validate(winner)
    return ReviewRead.model_validate(review)


def _keep_failed_attempt(db: Session, row: SessionReview) -> None:
    """A failed review replaced by a new one: what it was billed stays counted at the time it
    was billed, as an info event (a paid call no row holds), not on the new review's day."""
    if not (row.input_tokens or row.output_tokens or row.cost):
        return
    event_log.record(
        db,
        "info",
        "review_call",
        "A failed review attempt was billed; a later attempt replaced it.",
        session_id=row.session_id,
        details={
            "model": row.model,
            "input_tokens": row.input_tokens,
            "output_tokens": row.output_tokens,
            "cache_write_tokens": row.cache_write_tokens,
            "cache_read_tokens": row.cache_read_tokens,
            "cost": str(row.cost),
        },
        at=row.created_at,
    )


def _add_usage(row: SessionReview, usage: Usage, cost: Decimal | None) -> None:
    row.input_tokens += usage.input_tokens
    row.output_tokens += usage.output_tokens
    row.cache_write_tokens += usage.cache_write_tokens
    row.cache_read_tokens += usage.cache_read_tokens
    row.cost = None if cost is None or row.cost is None else row.cost + cost


def _log(
    db: Session, job: ReviewJob, severity: str, category: str, message: str, details: dict
) -> None:
    event_log.record(
        db,
        severity,
        category,
        message,
        user_id=job.user_id,
        session_id=job.session_id,
        details=details,
    )
