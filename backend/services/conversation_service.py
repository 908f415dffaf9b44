"""Conversations: a student's message in, the client's reply out, every token accounted for.

The student's message is committed before the API is called, so it survives any failure. The
reply is stored (with its usage and cost, added to the session in the same transaction) only when
it arrived whole; a failure leaves a notice and a retry that answers the same message again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.db import unit_of_work
from backend.errors import AppError, ConflictError, PermissionDeniedError, ValidationError
from backend.models import ClientProfile
from backend.models.enums import MessageRole, SessionStatus
from backend.schemas.accounts import UserRead
from backend.schemas.clients import ClientRead
from backend.schemas.conversations import MessageRead, SessionRead
from backend.services import budget_service, event_service, prompt_service, session_service
from backend.services.anthropic_service import Completion, GatewayError, LLMGateway, get_gateway
from backend.utils.rate_limiter import get_rate_limiter
from backend.utils.token_counter import estimate_messages_tokens, estimate_tokens

FALLBACK_TEMPLATES = (
    "{name} pauses and seems lost in thought.",
    "{name} needs a moment before answering.",
    "{name} looks away for a moment, gathering their thoughts.",
)


@dataclass
class ReplyOutcome:
    """What happened to one reply: the stored message, or a notice and the error behind it."""

    message: MessageRead | None = None
    notice: str | None = None
    error: AppError | None = None

    @property
    def ok(self) -> bool:
        return self.message is not None


# Starting and ending ----------------------------------------------------------------------------
def start_conversation(engine: Engine, *, actor: UserRead | None, client_id: int) -> SessionRead:
    """The actor's active conversation with this client, or a new one."""
    with unit_of_work(engine) as session:
        existing = session_service.get_active_session(session, actor=actor, client_id=client_id)
        if existing is not None:
            return existing
        client = _load_client(session, client_id)
        return session_service.create_session(
            session, actor=actor, client_id=client_id, model=get_gateway().model,
            prompt_version=f"{prompt_service.PROMPT_TEMPLATE_VERSION}/p{client.version}",
        )


def end_conversation(engine: Engine, *, actor: UserRead | None, session_id: int) -> SessionRead:
    with unit_of_work(engine) as session:
        return session_service.end_session(session, actor=actor, session_id=session_id)


# Sending ----------------------------------------------------------------------------------------
def validate_content(content: str) -> str:
    """Refuse empty or over-long messages before anything is stored or sent."""
    text = (content or "").strip()
    limit = get_settings().message_max_chars
    if not text:
        raise ValidationError("Type a message before sending.")
    if len(text) > limit:
        raise ValidationError(
            f"Messages can be at most {limit:,} characters; this one has {len(text):,}. "
            "Shorten it or split it into two messages.")
    return text


def submit_message(engine: Engine, *, actor: UserRead | None, session_id: int,
                   content: str) -> MessageRead:
    """Check and store the student's message (committed before any API call)."""
    text = validate_content(content)
    with unit_of_work(engine) as session:
        # add_message checks the session is the actor's and still active; a refusal below rolls
        # the message back, so nothing is stored unless it may be answered.
        message = session_service.add_message(session, actor=actor, session_id=session_id,
                                              role=MessageRole.user, content=text)
        budget_service.check_budgets(session, get_settings(), user_id=actor.id)
        get_rate_limiter().hit_message(actor.id)
        return message


def awaiting_reply(messages: list[MessageRead]) -> bool:
    """True when the student's last message has no reply yet (after a failure or a reload)."""
    return bool(messages) and messages[-1].role == MessageRole.user


class ConversationReply:
    """Iterate for the reply's text as it streams; afterwards `.outcome` says how it ended.

    Iteration never raises for a service failure: it stops, and `.outcome` carries the notice.
    """

    def __init__(self, engine: Engine, actor: UserRead, session_id: int, gateway: LLMGateway,
                 retry: bool) -> None:
        self.engine, self.actor, self.session_id = engine, actor, session_id
        self.gateway, self.retry = gateway, retry
        self.outcome = ReplyOutcome()

    def __iter__(self) -> Iterator[str]:
        stream = None
        try:
            request = _prepare_request(self.engine, self.actor, self.session_id, self.retry)
            stream = self.gateway.stream_reply(request.system, request.history,
                                               demo_profile=request.client)
            yield from stream
            self.outcome = _store_reply(self.engine, self.actor, request, stream.completion)
        except GatewayError as error:
            self.outcome = _failed(self.engine, self.actor, self.session_id, error)
        except AppError as error:
            self.outcome = ReplyOutcome(notice=error.message, error=error)
        finally:
            # Also when the reader stops early (a rerun): a billed, unkept reply is still counted.
            if stream is not None and stream.completion is None and stream.partial is not None:
                _record_unkept_usage(self.engine, self.session_id, stream.partial)


def stream_reply(engine: Engine, *, actor: UserRead | None, session_id: int,
                 gateway: LLMGateway | None = None, retry: bool = False) -> ConversationReply:
    """The client's reply to the student's unanswered message(s), streamed."""
    return ConversationReply(engine, actor, session_id, gateway or get_gateway(), retry)


def get_ai_response(engine: Engine, *, actor: UserRead | None, session_id: int,
                    gateway: LLMGateway | None = None, retry: bool = False) -> ReplyOutcome:
    """The reply without streaming (scripts, tests)."""
    gateway = gateway or get_gateway()
    try:
        request = _prepare_request(engine, actor, session_id, retry)
        completion = gateway.complete(request.system, request.history, demo_profile=request.client)
        return _store_reply(engine, actor, request, completion)
    except GatewayError as error:
        return _failed(engine, actor, session_id, error)
    except AppError as error:
        return ReplyOutcome(notice=error.message, error=error)


def send_message(engine: Engine, *, actor: UserRead | None, session_id: int, content: str,
                 gateway: LLMGateway | None = None) -> ReplyOutcome:
    """Store the student's message, then get and store the client's reply."""
    submit_message(engine, actor=actor, session_id=session_id, content=content)
    return get_ai_response(engine, actor=actor, session_id=session_id, gateway=gateway)


# Internals --------------------------------------------------------------------------------------
@dataclass
class _Request:
    session_id: int
    client: ClientRead
    system: str
    history: list[dict]


def _load_client(session: Session, client_id: int) -> ClientRead:
    """The full profile for the prompt (server side only; never sent to a student's page)."""
    return ClientRead.model_validate(session.get(ClientProfile, client_id))


def _prepare_request(engine: Engine, actor: UserRead | None, session_id: int,
                     retry: bool) -> _Request:
    settings = get_settings()
    # Read-only unless a retry must be counted against the limits (budget alerts may write).
    with unit_of_work(engine, write=retry) as session:
        chat = session_service.get_session(session, actor=actor, session_id=session_id)
        if chat.user_id != actor.id:
            raise PermissionDeniedError("Only the person talking can ask for a reply.")
        if chat.status != SessionStatus.active:
            raise session_service.SessionCompleted()
        client = _load_client(session, chat.client_id)
        system = prompt_service.generate_system_prompt(client)
        budget = settings.context_token_budget - estimate_tokens(system)
        turns = session_service.recent_turns(session, session_id=session_id, budget_tokens=budget)
        if not turns or turns[-1][0] != MessageRole.user:
            raise ConflictError("There is no message waiting for a reply. Type a new message.")
        if retry:
            budget_service.check_budgets(session, settings, user_id=chat.user_id)
            get_rate_limiter().hit_message(actor.id)
    return _Request(session_id, client, system, format_history(turns, budget_tokens=budget))


def format_history(turns: list[tuple[str, str]], *, budget_tokens: int) -> list[dict]:
    """(role, content) pairs as API messages: roles alternate (consecutive turns merged), the
    student speaks first, and the oldest turns are dropped until the estimate fits the budget
    (the latest always stays)."""
    merged: list[dict] = []
    for role, content in turns:
        role = str(role)
        if merged and merged[-1]["role"] == role:
            merged[-1]["content"] += "\n\n" + content
        else:
            merged.append({"role": role, "content": content})
    while merged and merged[0]["role"] != "user":
        merged.pop(0)
    while len(merged) > 1 and estimate_messages_tokens(merged) > budget_tokens:
        merged.pop(0)  # drop a user turn and the reply after it, keeping user-first order
        if merged and merged[0]["role"] != "user":
            merged.pop(0)
    return merged


def _store_reply(engine: Engine, actor: UserRead, request: _Request,
                 completion: Completion | None) -> ReplyOutcome:
    """Store a whole reply with its usage and cost (added to the session in the same transaction).

    A reply is stored even if the student typed again meanwhile (or ended the conversation): it was
    paid for, so the totals must include it, and the next request merges the turns.
    """
    if completion is None or not completion.text.strip():
        return ReplyOutcome(notice="The reply came back empty. Press Retry.",
                            error=ConflictError("Empty reply."))
    with unit_of_work(engine) as session:
        message = session_service.add_message(
            session, actor=actor, session_id=request.session_id, role=MessageRole.assistant,
            content=completion.text, usage=completion.usage, model=completion.model,
            cost=completion.cost, latency_ms=completion.latency_ms,
            time_to_first_token_ms=completion.time_to_first_token_ms, allow_completed=True,
        )
        if completion.cost is None:
            event_service.record(session, "warning", "pricing",
                                 f"Model {completion.model} has no price; its cost is unknown.",
                                 session_id=request.session_id)
    return ReplyOutcome(message=message)


def _record_unkept_usage(engine: Engine, session_id: int, partial: Completion) -> None:
    """Add the usage of a reply that was cut off to the session's totals (no message is stored)."""
    with unit_of_work(engine) as session:
        session_service.update_token_count(session, session_id=session_id, usage=partial.usage,
                                           cost=partial.cost, model=partial.model)
        event_service.record(
            session, "info", "partial_reply", "A reply was cut off; its tokens were still billed.",
            session_id=session_id,
            details={"request_id": partial.request_id, "input_tokens": partial.usage.input_tokens,
                     "output_tokens_estimated": partial.usage.output_tokens,
                     "cost": str(partial.cost)})


def _failed(engine: Engine, actor: UserRead, session_id: int, error: GatewayError) -> ReplyOutcome:
    """Log the failure (no secrets) and return a notice that is never stored as the client's words."""
    with unit_of_work(engine) as session:
        event_service.record(
            session, error.severity, f"api_{error.category}",
            f"Reply failed: {error.category}", user_id=actor.id, session_id=session_id,
            details={"request_id": error.request_id, "status": error.status,
                     "detail": error.detail, "retryable": error.retryable},
        )
        client_id = session_service.get_session(session, actor=actor, session_id=session_id).client_id
        name = session.scalar(select(ClientProfile.name).where(ClientProfile.id == client_id))
    return ReplyOutcome(notice=fallback_notice(name or "The client", session_id, error), error=error)


def fallback_notice(name: str, session_id: int, error: GatewayError) -> str:
    """A short in-world notice plus what happened and what to do."""
    index = int(hashlib.sha256(f"{session_id}".encode()).hexdigest(), 16) % len(FALLBACK_TEMPLATES)
    return f"{FALLBACK_TEMPLATES[index].format(name=name)} ({error.message})"
