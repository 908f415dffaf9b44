"""Conversation sessions and their messages (who may read or write them: `backend.access`), and
exact totals.

Appending a message locks its session row (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
SQLite), so sequence numbers stay unique and gapless when requests race, and the session's token
and cost totals are always the sum of its messages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, cast

from sqlalchemy import CursorResult, Integer, Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.clients import client_service
from backend.errors import ConflictError, NotFoundError, PermissionDeniedError
from backend.llm.tokens import MESSAGE_OVERHEAD_TOKENS, estimate_tokens
from backend.llm.usage import Usage
from backend.models import Message, PracticeSession
from backend.models.base import utcnow
from backend.models.enums import MessageRole, SessionMode, SessionStatus
from backend.practice import turn_sql
from backend.practice.read_models import MessageRead, SessionRead
from backend.usage import usage_service
from backend.usage.purposes import Purpose

MAX_PAGE_SIZE = 500


class SessionNotFound(NotFoundError):
    """Also for a conversation that exists but is someone else's: ids cannot be probed."""

    def __init__(self, session_id: int) -> None:
        super().__init__(f"No conversation with id {session_id} is open to you.")


class ReplyInFlight(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            "The client is still answering your last message. Wait for the reply to "
            "appear, then send your next message."
        )


class SessionCompleted(ConflictError):
    asking_again_helps = False  # an ended conversation stays ended

    def __init__(self) -> None:
        super().__init__("This conversation has ended. Start a new one to keep practising.")


# Statements on the hot path of every turn, built once (building one costs as much as running it).
_SESSION_BY_ID = select(PracticeSession).where(PracticeSession.id == bindparam("session_id"))
_SESSION_BY_ID_FOR_UPDATE = _SESSION_BY_ID.with_for_update()
_NEWEST_MESSAGES = (
    select(Message.role, Message.content, Message.sequence_number, Message.refused)
    .where(Message.session_id == bindparam("session_id"))
    .order_by(Message.sequence_number.desc())
    .limit(bindparam("most_rows", type_=Integer, literal_execute=True))
)


def _said_before_window(role: MessageRole) -> Select[str]:
    """What one side said before the history window (the message numbered `before`)."""
    return select(Message.content).where(
        Message.session_id == bindparam("session_id"),
        Message.role == role,
        Message.sequence_number < bindparam("before"),
    )


_EARLIER_REPLIES = (
    _said_before_window(MessageRole.assistant)
    .order_by(Message.sequence_number.desc())
    .limit(bindparam("most_rows", type_=Integer, literal_execute=True))
)
_EARLIER_STUDENT_WORDS = _said_before_window(MessageRole.user).order_by(Message.sequence_number)
#: The history window moves on in steps of this many messages, so what is sent before the newest
#: turns (and is read from the prompt cache) stays the same for that many messages between moves.
WINDOW_STEP = 10
#: Share of the history budget for the client's own earlier replies once the window has moved on.
EARLIER_SHARE = 4


# Reading --------------------------------------------------------------------------------------
def _load(
    db: Session,
    actor: UserRead | None,
    session_id: int,
    action: access.Action = "read",
    *,
    resource: access.Resource = "conversation",
    for_update: bool = False,
) -> tuple[UserRead, PracticeSession]:
    """The conversation if the actor may do `action` to it (or its transcript, its review); else
    it reads as missing."""
    actor = access.signed_in(db, actor)
    query = _SESSION_BY_ID_FOR_UPDATE if for_update else _SESSION_BY_ID
    session = db.scalar(query, {"session_id": session_id})
    if session is None:
        raise SessionNotFound(session_id)
    # The same answer as for an id that does not exist.
    refuse = lambda: SessionNotFound(session_id)  # noqa: E731
    return access.require(db, actor, resource, action, session, refuse=refuse), session


@dataclass
class Turn:
    """A conversation locked for one turn (until the transaction ends), as the turn reads it."""

    id: int
    user_id: int
    client_id: int
    assignment_id: int | None
    mode: SessionMode
    status: SessionStatus
    message_count: int
    reply_claimed_until: datetime | None
    assigned: bool  # a published assignment still gives the student this client
    client_version: int
    client_updated_at: datetime
    actor_active: bool | None = None  # read with the row: the log-in's check
    continuing: bool = False  # a continuing client's assignment: the turn reads its memory

    @property
    def ids(self) -> access.ConversationIds:
        """What the access policy reads of the conversation."""
        return access.ConversationIds(self.id, self.user_id, self.assignment_id)


def lock_for_turn(db: Session, *, actor: UserRead | None, session_id: int) -> Turn:
    """The actor's own active conversation, locked for this transaction, if they may still talk.

    A student may talk only while the client is still assigned to them (enrolled, assignment
    published, client not archived), so removal or unpublishing stops the next message. One
    query, for ids and flags, the log-in's included (the policy: `backend.access`).
    Internal: the conversation service's turn.
    """
    db.flush()  # the row as this transaction changed it so far (the statement is not the ORM's)
    params = {"session_id": session_id, "actor_id": actor.id if actor else None}
    row = db.execute(turn_sql.LOCK, params).one_or_none()
    if actor is None or row is None or not row.actor_active:
        actor = access.signed_in(db, actor)  # a log-in that no longer holds is refused first
    turn = None if row is None else Turn(**row._mapping)
    if turn is None or not access.allows(db, actor, "conversation", "write", turn.ids):
        raise SessionNotFound(session_id)  # the same answer as for an id that does not exist
    if turn.status != SessionStatus.active:
        raise SessionCompleted()
    if turn.mode == SessionMode.practice and not turn.assigned:
        raise access.NotAssigned()
    return turn


def get_session(db: Session, *, actor: UserRead | None, session_id: int) -> SessionRead:
    return SessionRead.model_validate(_load(db, actor, session_id)[1])


def get_active_session(
    db: Session, *, actor: UserRead | None, client_id: int
) -> SessionRead | None:
    """The actor's unfinished conversation with this client, if any (a branch is a try of one
    moment, not the conversation a client's card continues)."""
    actor = access.signed_in(db, actor)
    session = db.scalar(
        select(PracticeSession)
        .where(
            PracticeSession.user_id == actor.id,
            PracticeSession.client_id == client_id,
            PracticeSession.status == SessionStatus.active,
            PracticeSession.mode != SessionMode.check,
            PracticeSession.branch_of_id.is_(None),
        )
        .order_by(PracticeSession.started_at.desc())
        .limit(1)
    )
    return SessionRead.model_validate(session) if session else None


def get_student_sessions(
    db: Session,
    *,
    actor: UserRead | None,
    student_id: int | None = None,
    status: SessionStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[SessionRead]:
    """A user's conversations, newest first; others' only where the actor may read them."""
    actor = access.signed_in(db, actor)
    student_id = actor.id if student_id is None else student_id
    if actor.is_student and student_id != actor.id:
        raise PermissionDeniedError("You can only see your own conversations.")
    query = (
        select(PracticeSession)
        .where(PracticeSession.user_id == student_id, access.where(actor, "conversation", "read"))
        .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
        .limit(min(max(limit, 1), MAX_PAGE_SIZE))
        .offset(max(offset, 0))
    )
    if status is not None:
        query = query.where(PracticeSession.status == SessionStatus(status))
    return [SessionRead.model_validate(session) for session in db.scalars(query)]


def get_messages(
    db: Session,
    *,
    actor: UserRead | None,
    session_id: int,
    limit: int | None = None,
    offset: int = 0,
) -> list[MessageRead]:
    """Messages in order; `limit`/`offset` page through long conversations."""
    _load(db, actor, session_id, resource="transcript")
    query = (
        select(Message)
        .where(Message.session_id == session_id)
        .order_by(Message.sequence_number)
        .offset(max(offset, 0))
    )
    if limit is not None:
        query = query.limit(min(max(limit, 1), MAX_PAGE_SIZE))
    return [MessageRead.model_validate(message) for message in db.scalars(query)]


@dataclass(frozen=True)
class HistoryWindow:
    """What of a conversation is sent with the next reply: the newest turns that fit the budget
    (oldest first), and once older turns are left out, the client's own replies from before the
    window (oldest first: what the client already said about itself, so it stays consistent)."""

    turns: list[tuple[str, str]]
    earlier_replies: list[str] = field(default_factory=list)
    student_turns: int = 0  # in the whole conversation, not only the window
    #: What the student said before the window (oldest first): the output guard counts it as
    #: said, so a secret the student named long ago stays theirs to talk about.
    earlier_student_words: list[str] = field(default_factory=list)


def recent_turns(
    db: Session, *, session_id: int, budget_tokens: int, step: int = WINDOW_STEP
) -> HistoryWindow:
    """The history window for the next reply (this is the one place history is trimmed;
    internal: callers have checked access).

    The whole conversation while it fits `budget_tokens`. Past that, the window starts at a
    message number that is a multiple of `step` (plus one), the first such that the rest fits;
    so it moves on `step` messages at a time and the prompt before the newest turns stays the
    same between moves, which keeps it in the prompt cache. The client's replies before the
    window follow the system prompt, as many as fit a quarter of the budget (the newest of them
    when not all do). It reads back only that far, so a long conversation costs no more per turn
    than a short one."""
    # Every message costs at least its overhead plus one token, which bounds the rows to read.
    most_rows = budget_tokens // (MESSAGE_OVERHEAD_TOKENS + 1) + 1
    rows = db.execute(_NEWEST_MESSAGES, {"session_id": session_id, "most_rows": most_rows}).all()
    kept: list[tuple[str, str, int]] = []
    used = 0
    # Student messages the model refused that the student has since put another way: the
    # model is sent the new words, not the refused ones again (they stay in the transcript).
    put_otherwise: set[int] = set()
    later_role = None  # of the message after this one (rows run newest first)
    for role, content, number, refused in rows:
        if refused and later_role == MessageRole.user:
            put_otherwise.add(number)
        later_role = role
        used += estimate_tokens(content) + MESSAGE_OVERHEAD_TOKENS
        if used > budget_tokens and kept:
            break
        kept.append((role, content, number))
    kept.reverse()
    if not kept or kept[0][2] == 1:  # the whole conversation fits
        turns = [(role, content) for role, content, number in kept if number not in put_otherwise]
        return HistoryWindow(turns, student_turns=sum(row[0] == MessageRole.user for row in kept))
    newest = kept[-1][2]
    start = min(-(-(kept[0][2] - 1) // step) * step + 1, newest)
    # The history the model reads starts with the student: a client reply at the window's edge
    # (where a withheld reply left the numbers shifted) joins the earlier replies, or it was
    # sent nowhere and the client forgot what it had said (an attack, 2026-12-07).
    edge = next(
        (number for role, _content, number in kept if number >= start and role == MessageRole.user),
        start,
    )
    turns = [
        (role, content)
        for role, content, number in kept
        if number >= edge and number not in put_otherwise
    ]
    earlier_budget = budget_tokens // EARLIER_SHARE
    earlier: list[str] = []
    for (content,) in db.execute(
        _EARLIER_REPLIES,
        {"session_id": session_id, "before": edge, "most_rows": earlier_budget // 5 + 1},
    ):
        earlier_budget -= estimate_tokens(content) + 1
        if earlier_budget < 0:
            break
        earlier.append(content)
    earlier.reverse()
    said_before = list(
        db.scalars(_EARLIER_STUDENT_WORDS, {"session_id": session_id, "before": start})
    )
    in_window = sum(role == MessageRole.user for role, _content, number in kept if number >= start)
    return HistoryWindow(turns, earlier, len(said_before) + in_window, said_before)


# Writing --------------------------------------------------------------------------------------
def create_session(
    db: Session,
    *,
    actor: UserRead | None,
    client_id: int,
    assignment_id: int | None = None,
    model: str | None = None,
    prompt_version: str | None = None,
    mode: SessionMode | None = None,
) -> SessionRead:
    """Start a conversation: students with assigned clients, teachers test their own clients.

    `mode=SessionMode.check` starts a probe of a client check (the client's owner or an admin):
    never practice, and several may be open at once."""
    actor = access.signed_in(db, actor)
    if mode == SessionMode.check:
        client = client_service.get_owned(db, actor, client_id, "check", "run")
        if client.archived:
            raise ConflictError(f"{client.name} is archived. Restore the client to check it.")
        assignment_id = None
    elif actor.is_student:
        assignment_id = access.require_assigned(db, actor, client_id, assignment_id)
        mode = SessionMode.practice
    else:
        client = client_service.get_owned(db, actor, client_id, "client", "practise")
        if client.archived:
            raise ConflictError(f"{client.name} is archived. Restore the client to test it.")
        mode, assignment_id = SessionMode.teacher_test, None
    session = PracticeSession(
        user_id=actor.id,
        client_id=client_id,
        assignment_id=assignment_id,
        mode=mode,
        status=SessionStatus.active,
        model=model,
        prompt_version=prompt_version,
    )
    try:
        with db.begin_nested():
            db.add(session)
            db.flush()
    except IntegrityError:
        raise ConflictError(
            "You already have an open conversation with this client. Continue that one."
        ) from None
    if mode != SessionMode.check:  # a check's probes are not sessions of practice
        usage_service.record_session_started(db, session)
    return SessionRead.model_validate(session)


def end_session(db: Session, *, actor: UserRead | None, session_id: int) -> SessionRead:
    """Mark the conversation completed; ending it again changes nothing."""
    actor, session = _load(db, actor, session_id, for_update=True)
    if not access.allows(db, actor, "conversation", "end", session):
        raise PermissionDeniedError("Only the person having this conversation can end it.")
    if session.status != SessionStatus.completed:
        session.status = SessionStatus.completed
        session.ended_at = utcnow()
        # A reply still on its way (the session ended in another tab) is given up, as a page
        # gives one up: stored after the end, it would follow the end in the transcript and be
        # missing from the review started at it. Its reply job records what it cost.
        for column, value in turn_sql.UNCLAIMED.items():
            setattr(session, column, value)
    return SessionRead.model_validate(session)


def has_ended(db: Session, session_id: int) -> bool:
    """Whether the conversation is completed (internal: the caller checked access)."""
    status = db.scalar(select(PracticeSession.status).where(PracticeSession.id == session_id))
    return status == SessionStatus.completed


def append_message(db: Session, turn: Turn, content: str) -> MessageRead:
    """Append the person's message to a locked conversation (the caller checked `lock_for_turn`
    and that no reply is in flight)."""
    # The row is locked, so the next number is ours until commit: numbers stay gapless.
    turn.message_count += 1
    db.execute(turn_sql.COUNT_MESSAGE, {"session_id": turn.id})
    message = _insert_message(
        db,
        session_id=turn.id,
        sequence_number=turn.message_count,
        role=MessageRole.user,
        content=content,
        token_count=estimate_tokens(content),
    )
    usage_service.record_message(db, turn, role=MessageRole.user, at=message.created_at)
    return message


def _insert_message(db: Session, **values: object) -> MessageRead:
    row = db.execute(turn_sql.INSERT_MESSAGE, {"created_at": utcnow(), **values}).one()
    return MessageRead.model_validate(row)


# The reply in flight --------------------------------------------------------------------------
def reply_in_flight(turn: Turn, now: datetime | None = None) -> bool:
    return turn.reply_claimed_until is not None and turn.reply_claimed_until > (now or utcnow())


def claim_reply(
    db: Session,
    *,
    session_id: int,
    seconds: float,
    reserve_tokens: int,
    reserve_cost: Decimal,
    prompt_version: str | None = None,
) -> str:
    """Take the right to answer a locked conversation (caller checked none is in flight).

    The claim expires after `seconds` unless renewed (`hold_claims`, with each heartbeat of the
    reply's job), so a crashed process lets go of it within seconds; while it holds, its reserved
    tokens and cost count against the daily budgets.
    """
    claim_id = secrets.token_hex(16)
    db.execute(
        turn_sql.CLAIM,
        {
            "session_id": session_id,
            "claim_id": claim_id,
            "until": utcnow() + timedelta(seconds=seconds),
            "reserve_tokens": reserve_tokens,
            "reserve_cost": reserve_cost,
            "prompt_version": prompt_version,
        },
    )
    return claim_id


def hold_claims(db: Session, claims: list[tuple[int, str]], *, seconds: float) -> None:
    """Renew these (session id, claim id) claims for `seconds` from now (0: they lapse now, and
    another process may claim the reply), unless another claim replaced them."""
    db.execute(
        turn_sql.HOLD,
        {
            "session_ids": [session_id for session_id, _claim in claims],
            "claim_ids": [claim for _session, claim in claims],
            "until": utcnow() + timedelta(seconds=seconds),
        },
    )


def release_claim(db: Session, *, session_id: int, claim_id: str) -> bool:
    """Give the claim back (if it is still ours); True when it was."""
    # An UPDATE's result is a CursorResult; `Session.execute` is typed for any statement.
    result = cast(
        CursorResult,
        db.execute(turn_sql.RELEASE, {"session_id": session_id, "claim_id": claim_id}),
    )
    return result.rowcount > 0


def mark_refused(db: Session, *, session_id: int) -> None:
    """The student's messages since the client's last reply were refused by the model (internal:
    the reply's claim holds the conversation)."""
    answered = (
        select(func.coalesce(func.max(Message.sequence_number), 0))
        .where(Message.session_id == session_id, Message.role == MessageRole.assistant)
        .scalar_subquery()
    )
    db.execute(
        update(Message)
        .where(
            Message.session_id == session_id,
            Message.role == MessageRole.user,
            Message.sequence_number > answered,
        )
        .values(refused=True)
    )


def store_reply(
    db: Session,
    *,
    session_id: int,
    claim_id: str,
    content: str,
    usage: Usage,
    cost: Decimal | None,
    model: str | None,
    counted: Usage,
    counted_cost: Decimal | None,
    counted_at: datetime | None = None,
    latency_ms: int | None = None,
    time_to_first_token_ms: int | None = None,
) -> tuple[MessageRead, SessionRead] | None:
    """Store the client's reply if the claim is still ours (else None: it was given up).

    The message keeps the reply's whole usage; the totals add what `counted` (recorded when the
    reply started, at `counted_at`) did not already add, and the daily rows have it all on the
    message's day. Ends the claim in the same transaction: one UPDATE of the
    session's row, whose WHERE is the claim check, then the message and the daily rows.
    """
    rest = usage.minus(counted)
    rest_cost = None if cost is None else cost - (counted_cost or Decimal(0))
    params = _usage_params(rest, rest_cost, model, unpriced=cost is None)
    stored = db.execute(
        turn_sql.STORE, {"session_id": session_id, "claim_id": claim_id, **params}
    ).one_or_none()
    if stored is None:
        return None
    message = _insert_message(
        db,
        session_id=session_id,
        sequence_number=stored.message_count,
        role=MessageRole.assistant,
        content=content,
        token_count=usage.output_tokens,
        model=model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cost=cost,
        latency_ms=latency_ms,
        time_to_first_token_ms=time_to_first_token_ms,
    )
    usage_service.record_message(
        db,
        stored,
        role=MessageRole.assistant,
        at=message.created_at,
        usage=rest,
        cost=rest_cost,
        model=model,
    )
    usage_service.move_to_reply_day(
        db,
        stored,
        usage=counted,
        cost=counted_cost,
        model=model,
        counted_at=counted_at,
        at=message.created_at,
    )
    return message, SessionRead.model_validate(stored)


def _usage_params(
    usage: Usage, cost: Decimal | None, model: str | None, *, unpriced: bool
) -> dict[str, object]:
    """A reply's usage joining the session's totals (the parameters of `turn_sql.ADD_USAGE` and
    `STORE`); `unpriced` counts a reply whose model has no price (its cost is unknown, not zero)."""
    return {
        "add_input": usage.input_tokens,
        "add_output": usage.output_tokens,
        "add_cache_write": usage.cache_write_tokens,
        "add_cache_read": usage.cache_read_tokens,
        "add_total": usage.total_tokens,
        "add_cost": cost or Decimal(0),
        "add_unpriced": 1 if unpriced else 0,
        "new_model": model or None,
    }


class _Keys(NamedTuple):
    user_id: int
    client_id: int
    assignment_id: int | None
    mode: SessionMode


def record_usage(
    db: Session,
    *,
    session_id: int,
    usage: Usage,
    cost: Decimal | None,
    model: str | None,
    unpriced: bool = False,
    purpose: Purpose | None = None,
    counted: tuple[Usage, Decimal | None, datetime | None] | None = None,
) -> datetime:
    """Add billed usage without a message (a reply that started, or was cut off; or a judge
    call: `purpose`) to the totals: one UPDATE, then the daily rows at commit; when it was
    added. `counted`: the cut-off reply's usage, cost and time counted when it started, which
    join this day's rows. Internal: callers have checked access."""
    params = _usage_params(usage, cost, model, unpriced=unpriced)
    row = db.execute(turn_sql.ADD_USAGE, {"session_id": session_id, **params}).one_or_none()
    if row is None:
        raise SessionNotFound(session_id)
    at = utcnow()
    keys = _Keys(*row)
    usage_service.record_message(
        db, keys, role=None, at=at, usage=usage, cost=cost, model=model, purpose=purpose
    )
    if counted is not None:
        started, started_cost, counted_at = counted
        usage_service.move_to_reply_day(
            db, keys, usage=started, cost=started_cost, model=model, counted_at=counted_at, at=at
        )
    return at
