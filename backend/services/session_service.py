"""Conversation sessions and their messages: who may read or write them, and exact totals.

Appending a message locks its session row (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
SQLite), so sequence numbers stay unique and gapless when requests race, and the session's token
and cost totals are always the sum of its messages.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import ConflictError, NotFoundError, PermissionDeniedError
from backend.models import Assignment, ChatSession, ClientProfile, Message, Section
from backend.models.base import utcnow
from backend.models.enums import MessageRole, SessionMode, SessionStatus
from backend.schemas.accounts import UserRead
from backend.schemas.conversations import MessageRead, SessionRead, Usage
from backend.services import assignment_service, client_service, usage_service
from backend.services.permissions import require_user
from backend.utils.token_counter import MESSAGE_OVERHEAD_TOKENS, estimate_tokens

MAX_PAGE_SIZE = 500


class SessionNotFound(NotFoundError):
    def __init__(self, session_id: int) -> None:
        super().__init__(f"No conversation with id {session_id}.")


class SessionCompleted(ConflictError):
    def __init__(self) -> None:
        super().__init__("This conversation has ended. Start a new one to keep practising.")


# Statements on the hot path of every turn, built once (building one costs as much as running it).
_SESSION_BY_ID = select(ChatSession).where(ChatSession.id == bindparam("session_id"))
_SESSION_BY_ID_FOR_UPDATE = _SESSION_BY_ID.with_for_update()
_NEWEST_MESSAGES = (
    select(Message.role, Message.content).where(Message.session_id == bindparam("session_id"))
    .order_by(Message.sequence_number.desc()).limit(bindparam("most_rows", type_=Integer, literal_execute=True))
)


# Reading --------------------------------------------------------------------------------------
def _teacher_can_read(session: Session, teacher: UserRead, chat: ChatSession) -> bool:
    """A teacher reads conversations with their own clients or in their own sections."""
    owns_client = session.scalar(
        select(ClientProfile.id).where(ClientProfile.id == chat.client_id,
                                       ClientProfile.owner_id == teacher.id)
    )
    if owns_client is not None:
        return True
    if chat.assignment_id is None:
        return False
    teaches_section = session.scalar(
        select(Section.id).join(Assignment, Assignment.section_id == Section.id)
        .where(Assignment.id == chat.assignment_id, Section.teacher_id == teacher.id)
    )
    return teaches_section is not None


def _load_readable(session: Session, actor: UserRead | None, session_id: int,
                   *, for_update: bool = False) -> ChatSession:
    actor = require_user(actor)
    query = _SESSION_BY_ID_FOR_UPDATE if for_update else _SESSION_BY_ID
    chat = session.scalar(query, {"session_id": session_id})
    if chat is None:
        raise SessionNotFound(session_id)
    if chat.user_id == actor.id or actor.is_admin:
        return chat
    if actor.is_teacher and _teacher_can_read(session, actor, chat):
        return chat
    raise PermissionDeniedError("You can only open your own conversations.")


def _load_own(session: Session, actor: UserRead | None, session_id: int) -> ChatSession:
    """The session locked for writing, if it belongs to the actor."""
    actor = require_user(actor)
    chat = _load_readable(session, actor, session_id, for_update=True)
    if chat.user_id != actor.id:
        raise PermissionDeniedError("Only the person having this conversation can add to it.")
    return chat


def readable_sessions_filter(actor: UserRead):
    """A WHERE clause limiting `ChatSession` rows to those the actor may read."""
    if actor.is_admin:
        return True
    if actor.is_teacher:
        own_clients = select(ClientProfile.id).where(ClientProfile.owner_id == actor.id)
        own_assignments = (
            select(Assignment.id).join(Section, Section.id == Assignment.section_id)
            .where(Section.teacher_id == actor.id)
        )
        return or_(ChatSession.user_id == actor.id, ChatSession.client_id.in_(own_clients),
                   ChatSession.assignment_id.in_(own_assignments))
    return ChatSession.user_id == actor.id


def get_session(session: Session, *, actor: UserRead | None, session_id: int) -> SessionRead:
    return SessionRead.model_validate(_load_readable(session, actor, session_id))


def get_active_session(
    session: Session, *, actor: UserRead | None, client_id: int
) -> SessionRead | None:
    """The actor's unfinished conversation with this client, if any."""
    actor = require_user(actor)
    chat = session.scalar(select(ChatSession).where(
        ChatSession.user_id == actor.id, ChatSession.client_id == client_id,
        ChatSession.status == SessionStatus.active.value,
    ).order_by(ChatSession.started_at.desc()).limit(1))
    return SessionRead.model_validate(chat) if chat else None


def get_student_sessions(
    session: Session, *, actor: UserRead | None, student_id: int | None = None,
    status: SessionStatus | None = None, limit: int = 50, offset: int = 0,
) -> list[SessionRead]:
    """A user's conversations, newest first; others' only where the actor may read them."""
    actor = require_user(actor)
    student_id = actor.id if student_id is None else student_id
    if actor.is_student and student_id != actor.id:
        raise PermissionDeniedError("You can only see your own conversations.")
    query = (
        select(ChatSession)
        .where(ChatSession.user_id == student_id, readable_sessions_filter(actor))
        .order_by(ChatSession.started_at.desc(), ChatSession.id.desc())
        .limit(min(max(limit, 1), MAX_PAGE_SIZE)).offset(max(offset, 0))
    )
    if status is not None:
        query = query.where(ChatSession.status == SessionStatus(status).value)
    return [SessionRead.model_validate(chat) for chat in session.scalars(query)]


def get_messages(
    session: Session, *, actor: UserRead | None, session_id: int, limit: int | None = None,
    offset: int = 0,
) -> list[MessageRead]:
    """Messages in order; `limit`/`offset` page through long conversations."""
    _load_readable(session, actor, session_id)
    query = (
        select(Message).where(Message.session_id == session_id)
        .order_by(Message.sequence_number).offset(max(offset, 0))
    )
    if limit is not None:
        query = query.limit(min(max(limit, 1), MAX_PAGE_SIZE))
    return [MessageRead.model_validate(message) for message in session.scalars(query)]


def recent_turns(session: Session, *, session_id: int, budget_tokens: int) -> list[tuple[str, str]]:
    """(role, content) of the newest messages, oldest first, reading back only until the token
    estimate passes the budget, so a long conversation costs no more per turn than a short one.
    Internal: callers have checked access."""
    # Every message costs at least its overhead plus one token, which bounds the rows to read.
    most_rows = budget_tokens // (MESSAGE_OVERHEAD_TOKENS + 1) + 1
    rows = session.execute(_NEWEST_MESSAGES,
                           {"session_id": session_id, "most_rows": most_rows}).all()
    turns: list[tuple[str, str]] = []
    used = 0
    for role, content in rows:
        turns.append((role, content))
        used += estimate_tokens(content) + MESSAGE_OVERHEAD_TOKENS
        if used > budget_tokens:
            break
    turns.reverse()
    return turns


# Writing --------------------------------------------------------------------------------------
def create_session(
    session: Session, *, actor: UserRead | None, client_id: int, assignment_id: int | None = None,
    model: str | None = None, prompt_version: str | None = None,
) -> SessionRead:
    """Start a conversation: students with assigned clients, teachers test their own clients."""
    actor = require_user(actor)
    if actor.is_student:
        assignment_id = assignment_service.require_student_access(
            session, student=actor, client_id=client_id, assignment_id=assignment_id
        )
        mode = SessionMode.practice
    else:
        client = client_service.get_owned(session, actor, client_id)
        if client.archived:
            raise ConflictError(f"{client.name} is archived. Restore the client to test it.")
        mode, assignment_id = SessionMode.teacher_test, None
    chat = ChatSession(
        user_id=actor.id, client_id=client_id, assignment_id=assignment_id, mode=mode.value,
        status=SessionStatus.active.value, model=model, prompt_version=prompt_version,
    )
    try:
        with session.begin_nested():
            session.add(chat)
            session.flush()
    except IntegrityError:
        raise ConflictError(
            "You already have an open conversation with this client. Continue that one."
        ) from None
    usage_service.record_session_started(session, chat)
    return SessionRead.model_validate(chat)


def end_session(session: Session, *, actor: UserRead | None, session_id: int) -> SessionRead:
    """Mark the conversation completed; ending it again changes nothing."""
    actor = require_user(actor)
    chat = _load_readable(session, actor, session_id, for_update=True)
    if chat.user_id != actor.id and not actor.is_admin:
        raise PermissionDeniedError("Only the person having this conversation can end it.")
    if chat.status != SessionStatus.completed.value:
        chat.status = SessionStatus.completed.value
        chat.ended_at = utcnow()
    return SessionRead.model_validate(chat)


def add_message(
    session: Session, *, actor: UserRead | None, session_id: int, role: MessageRole, content: str,
    usage: Usage | None = None, model: str | None = None, cost: Decimal | None = None,
    latency_ms: int | None = None, time_to_first_token_ms: int | None = None,
    allow_completed: bool = False,
) -> MessageRead:
    """Append one message with the next sequence number; a reply's usage joins the session totals.

    `allow_completed` lets a reply that was already paid for land after the student ended the
    conversation, so no cost goes unrecorded.
    """
    chat = _load_own(session, actor, session_id)
    if chat.status != SessionStatus.active.value and not allow_completed:
        raise SessionCompleted()
    # The session row is locked, so this count is ours until commit: numbers stay gapless.
    chat.message_count += 1
    role = MessageRole(role)
    usage = usage or Usage()
    now = utcnow()
    message = Message(
        session_id=chat.id, sequence_number=chat.message_count, role=role.value, content=content,
        token_count=usage.output_tokens if role == MessageRole.assistant else estimate_tokens(content),
        model=model, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_write_tokens, cache_read_tokens=usage.cache_read_tokens,
        cost=cost if role == MessageRole.assistant else None, latency_ms=latency_ms,
        time_to_first_token_ms=time_to_first_token_ms, created_at=now,
    )
    session.add(message)
    if role == MessageRole.assistant:
        _add_usage(chat, usage, cost, model)
        usage_service.record_message(session, chat, role=role, at=now, usage=usage, cost=cost,
                                     model=model)
    else:
        usage_service.record_message(session, chat, role=role, at=now)
    session.flush()
    return MessageRead.model_validate(message)


def update_token_count(
    session: Session, *, session_id: int, usage: Usage, cost: Decimal | None, model: str | None
) -> SessionRead:
    """Add one call's usage to a session's totals (internal: callers have checked access)."""
    chat = session.scalar(_SESSION_BY_ID_FOR_UPDATE, {"session_id": session_id})
    if chat is None:
        raise SessionNotFound(session_id)
    _add_usage(chat, usage, cost, model)
    usage_service.record_message(session, chat, role=None, at=utcnow(), usage=usage, cost=cost,
                                 model=model)
    session.flush()
    return SessionRead.model_validate(chat)


def _add_usage(chat: ChatSession, usage: Usage, cost: Decimal | None, model: str | None) -> None:
    """A reply's usage joins the session's totals (the daily tables move in the same transaction)."""
    chat.input_tokens += usage.input_tokens
    chat.output_tokens += usage.output_tokens
    chat.cache_write_tokens += usage.cache_write_tokens
    chat.cache_read_tokens += usage.cache_read_tokens
    chat.total_tokens += usage.total_tokens
    if cost is None:
        chat.unpriced_replies += 1
    else:
        chat.estimated_cost += cost
    if model:
        chat.model = model
