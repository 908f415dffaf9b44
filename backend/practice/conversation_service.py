"""Conversations: a student's message in, the client's reply out, every token accounted for.

One turn is one path, whatever asked for the reply (a send, Retry, a reload, a second tab):
1. In one transaction: the conversation row is locked, the student's message is stored, and the
   reply is *claimed*: no other reply is in flight, the breaker is not open, the budgets (replies
   in flight included) and the rate limit admit it, and its estimated cost is reserved. A refusal
   rolls everything back, so a refused message is never stored.
2. The reply is generated in a background thread, so a rerun or a closed tab does not cut it off;
   the page streams it while it watches. The billed input is recorded as soon as the API reports
   it, and the output guard holds back a few words so a leak is stopped before it is shown.
3. The whole reply is stored (its claim ends in the same transaction), or, after a failure, a
   notice and a Retry; a cut-off reply is never stored but what it was billed is counted.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from backend import event_log
from backend.actor import UserRead
from backend.clients import client_service, prompt_service
from backend.clients.read_models import ClientBrief, ClientRead
from backend.config import get_settings
from backend.db import Database
from backend.errors import AppError, ConflictError, ValidationError
from backend.llm import (
    Completion,
    ErrorCategory,
    GatewayError,
    LLMGateway,
    classify,
    get_gateway,
)
from backend.llm.pricing import calculate_cost
from backend.llm.tokens import estimate_messages_tokens, estimate_tokens
from backend.llm.usage import Usage
from backend.models import ClientProfile, PracticeSession
from backend.models.enums import MessageRole, SessionMode
from backend.practice import output_guard, session_service
from backend.practice.read_models import MessageRead, SessionRead
from backend.practice.session_service import ReplyInFlight
from backend.usage import budget_service
from backend.utils.rate_limiter import get_rate_limiter
from backend.utils.text import clean_text

logger = logging.getLogger(__name__)

FALLBACK_TEMPLATES = (
    "{name} pauses, lost in thought.",
    "{name} needs a moment before answering.",
    "{name} looks away for a moment.",
)
#: How long past the reply's own deadline its claim holds (then another request may take over).
CLAIM_GRACE_SECONDS = 15


class NothingToAnswer(ConflictError):
    def __init__(self) -> None:
        super().__init__("There is no message waiting for a reply. Type a new message.")


class ReplyWithheld(AppError):
    """The output guard stopped both attempts at a reply."""

    level = "warning"


@dataclass
class ReplyOutcome:
    """What happened to one reply: the stored message (and the new totals), or a notice."""

    message: MessageRead | None = None
    totals: SessionRead | None = None
    notice: str | None = None
    error: AppError | None = None

    @property
    def ok(self) -> bool:
        return self.message is not None


@dataclass(frozen=True)
class ConversationView:
    """Everything a page shows of one conversation, read in one transaction."""

    session: SessionRead
    messages: list[MessageRead]
    client: ClientBrief
    reply_pending: bool

    @property
    def awaiting_reply(self) -> bool:
        """The student's last message has no reply yet (after a failure or a reload)."""
        return bool(self.messages) and self.messages[-1].role == MessageRole.user


# Reading, starting and ending -------------------------------------------------------------------
def get_view(database: Database, *, actor: UserRead | None, session_id: int) -> ConversationView:
    with database() as db:
        session = session_service.get_session(db, actor=actor, session_id=session_id)
        messages = session_service.get_messages(db, actor=actor, session_id=session_id)
        client = client_service.get_client_brief(db, actor=actor, client_id=session.client_id)
    return ConversationView(session, messages, client, reply_pending=session.reply_pending)


def reply_pending(database: Database, *, actor: UserRead | None, session_id: int) -> bool:
    """Whether a reply is still being generated (a page polls this while another tab waits)."""
    with database() as db:
        return session_service.get_session(db, actor=actor, session_id=session_id).reply_pending


def start_conversation(
    database: Database,
    *,
    actor: UserRead | None,
    client_id: int,
    mode: SessionMode | None = None,
) -> SessionRead:
    """The actor's active conversation with this client, or a new one.

    `mode=SessionMode.check` always starts a new probe conversation of a client check."""
    with database(write=True) as db:
        if mode != SessionMode.check:
            existing = session_service.get_active_session(db, actor=actor, client_id=client_id)
            if existing is not None:
                return existing
        client = _load_client(db, client_id)
        return session_service.create_session(
            db,
            actor=actor,
            client_id=client_id,
            model=get_gateway().model,
            prompt_version=f"{prompt_service.PROMPT_TEMPLATE_VERSION}/p{client.version}",
            mode=mode,
        )


def end_conversation(database: Database, *, actor: UserRead | None, session_id: int) -> SessionRead:
    with database(write=True) as db:
        return session_service.end_session(db, actor=actor, session_id=session_id)


# The turn ---------------------------------------------------------------------------------------
def validate_content(content: str) -> str:
    """Refuse empty, over-long or control-character messages before anything is stored."""
    limit = get_settings().message_max_chars
    text = clean_text(content, field="message", label="Your message", max_chars=limit)
    if not text:
        raise ValidationError("Type a message before sending.")
    return text


def submit_message(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    content: str,
    gateway: LLMGateway | None = None,
) -> Reply:
    """Store the student's message and start the client's reply; iterate the result to stream it.

    Raises an `AppError` (and stores nothing) when the message or its reply is refused.
    """
    text = validate_content(content)
    gateway = gateway or get_gateway()
    with database(write=True) as db:
        session = session_service.lock_for_turn(db, actor=actor, session_id=session_id)
        if session_service.reply_in_flight(session):
            raise ReplyInFlight()
        sent = session_service.append_message(db, session, text)
        ticket = _claim(db, gateway, session)
    return Reply(_ReplyJob(database, gateway, ticket).start(), sent=sent)


def request_reply(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    gateway: LLMGateway | None = None,
) -> Reply:
    """Ask again for the reply to the student's unanswered message (Retry, or after a reload)."""
    gateway = gateway or get_gateway()
    with database(write=True) as db:
        session = session_service.lock_for_turn(db, actor=actor, session_id=session_id)
        if session_service.reply_in_flight(session):
            raise ReplyInFlight()
        ticket = _claim(db, gateway, session)
    return Reply(_ReplyJob(database, gateway, ticket).start())


def send_message(
    database: Database,
    *,
    actor: UserRead | None,
    session_id: int,
    content: str,
    gateway: LLMGateway | None = None,
) -> ReplyOutcome:
    """Store the student's message, then wait for the client's reply (scripts, tests)."""
    return submit_message(
        database, actor=actor, session_id=session_id, content=content, gateway=gateway
    ).wait()


@dataclass(frozen=True)
class _Ticket:
    """A claimed reply: everything the background thread needs, nothing it must read again."""

    session_id: int
    user_id: int
    claim_id: str
    client: ClientRead
    system: str
    history: list[dict]
    student_turns: int
    deadline: float  # time.monotonic()


def _claim(db: Session, gateway: LLMGateway, session: PracticeSession) -> _Ticket:
    """Check everything that may refuse a paid call, then claim and reserve (locked row)."""
    settings = get_settings()
    client = _load_client(db, session.client_id)
    system = prompt_service.generate_system_prompt(client)
    budget = settings.context_token_budget - estimate_tokens(system)
    turns = session_service.recent_turns(db, session_id=session.id, budget_tokens=budget)
    if not turns or turns[-1][0] != MessageRole.user:
        raise NothingToAnswer()
    history = format_history(turns)
    gateway.ensure_available()  # an open breaker refuses before any limit is counted
    estimate = Usage(
        input_tokens=estimate_tokens(system) + estimate_messages_tokens(history),
        output_tokens=settings.anthropic_max_tokens,
    )
    reserve_cost = calculate_cost(gateway.model, estimate, settings.model_prices_json)
    most = Usage(
        input_tokens=settings.context_token_budget, output_tokens=settings.anthropic_max_tokens
    )
    budget_service.check_budgets(
        db,
        settings,
        user_id=session.user_id,
        reserve_cost=reserve_cost or Decimal(0),
        most_per_reply=calculate_cost(gateway.model, most, settings.model_prices_json),
    )
    if session.mode != SessionMode.check:  # a client check is rate-limited once per run
        get_rate_limiter().hit_message(session.user_id)
    claim_id = session_service.claim_reply(
        session,
        seconds=settings.reply_timeout_seconds + CLAIM_GRACE_SECONDS,
        reserve_tokens=estimate.total_tokens,
        reserve_cost=reserve_cost or Decimal(0),
    )
    return _Ticket(
        session.id,
        session.user_id,
        claim_id,
        client,
        system,
        history,
        student_turns=sum(1 for role, _ in turns if role == MessageRole.user),
        deadline=time.monotonic() + settings.reply_timeout_seconds,
    )


def format_history(turns: list[tuple[str, str]]) -> list[dict]:
    """(role, content) pairs, already trimmed to the budget, as API messages: roles alternate
    (consecutive turns merged) and the student speaks first."""
    merged: list[dict] = []
    for role, content in turns:
        role = str(role)
        if merged and merged[-1]["role"] == role:
            merged[-1]["content"] += "\n\n" + content
        else:
            merged.append({"role": role, "content": content})
    while merged and merged[0]["role"] != "user":
        merged.pop(0)
    return merged


# The reply --------------------------------------------------------------------------------------
_withheld_watchers: dict[int, Callable[[str, str], None]] = {}


def watch_withheld(session_id: int, callback: Callable[[str, str], None] | None) -> None:
    """Call `callback(draft, leaked)` when the output guard stops a draft reply in this
    conversation (a client check shows stopped drafts to the teacher); None stops watching."""
    with _running_lock:
        if callback is None:
            _withheld_watchers.pop(session_id, None)
        else:
            _withheld_watchers[session_id] = callback


def _notify_withheld(session_id: int, draft: str, leaked: str) -> None:
    with _running_lock:
        callback = _withheld_watchers.get(session_id)
    if callback is not None:
        callback(draft, leaked)


_DONE = object()
_running: set[threading.Thread] = set()
_running_lock = threading.Lock()


def wait_for_replies(timeout: float = 30) -> bool:
    """Wait for replies still being generated in this process (shutdown, tests); True when none
    is left."""
    deadline = time.monotonic() + timeout
    while True:
        with _running_lock:
            threads = list(_running)
        if not threads:
            return True
        if time.monotonic() > deadline:
            return False
        threads[0].join(max(deadline - time.monotonic(), 0.01))


class Reply:
    """Iterate for the reply's text as it streams; afterwards `.outcome` says how it ended.

    Iteration never raises for a service failure. Stopping early (a rerun) does not stop the
    reply: it is still stored. Past the reply's deadline the claim is given up and the outcome is
    a timeout notice with a Retry.
    """

    def __init__(self, job: _ReplyJob, sent: MessageRead | None = None) -> None:
        self._job, self.sent = job, sent

    def __iter__(self) -> Iterator[str]:
        job = self._job
        while True:
            remaining = job.ticket.deadline + 1 - time.monotonic()
            try:
                item = job.chunks.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                job.give_up()
                return
            if item is _DONE:
                return
            yield item

    @property
    def outcome(self) -> ReplyOutcome:
        return self._job.outcome or ReplyOutcome(notice="The reply is still on its way.")

    def wait(self) -> ReplyOutcome:
        for _ in self:
            pass
        return self.outcome


class _ReplyJob:
    """One claimed reply, generated in a background thread and stored by it."""

    def __init__(self, database: Database, gateway: LLMGateway, ticket: _Ticket) -> None:
        self.database, self.gateway, self.ticket = database, gateway, ticket
        self.chunks: queue.SimpleQueue = queue.SimpleQueue()
        self.outcome: ReplyOutcome | None = None
        self._given_up = threading.Event()
        self._counted = Usage()  # billed usage already added to the totals (from message_start)
        self._counted_cost: Decimal | None = Decimal(0)

    def start(self) -> _ReplyJob:
        thread = threading.Thread(
            target=self._run, name=f"reply-{self.ticket.session_id}", daemon=True
        )
        with _running_lock:
            _running.add(thread)
        thread.start()
        return self

    def give_up(self) -> None:
        """The page waited past the deadline: free the conversation for a Retry."""
        self._given_up.set()
        with self.database(write=True) as db:
            session_service.release_claim(
                db, session_id=self.ticket.session_id, claim_id=self.ticket.claim_id
            )
        error = GatewayError(ErrorCategory.timeout, detail="reply deadline passed")
        self.outcome = self._failed(error, log=True)

    def _run(self) -> None:
        outcome = None
        try:
            outcome = self._generate()
        except GatewayError as error:  # a page that gave up has logged the timeout already
            outcome = self._failed(error, log=not self._given_up.is_set())
        except AppError as error:
            outcome = ReplyOutcome(notice=error.message, error=error)
        except Exception as error:  # never a silent crash in a thread: categorize and log it
            logger.exception("Reply failed unexpectedly")
            outcome = self._failed(classify(error), log=True)
        finally:
            if outcome is None or not outcome.ok:
                self._release()
            if not self._given_up.is_set():
                self.outcome = outcome
            self.chunks.put(_DONE)
            with _running_lock:
                _running.discard(threading.current_thread())

    def _generate(self) -> ReplyOutcome:
        """Up to two attempts: the second only after the output guard stopped the first."""
        ticket = self.ticket
        system = ticket.system
        for _attempt in range(2):
            guard = output_guard.guard_for(
                ticket.client,
                student_turns=ticket.student_turns,
                run_words=get_settings().output_guard_words,
                student_said=[m["content"] for m in ticket.history if m["role"] == "user"],
                client_said=[m["content"] for m in ticket.history if m["role"] == "assistant"],
            )
            self._counted, self._counted_cost = Usage(), Decimal(0)
            stream = self.gateway.stream_reply(
                system,
                ticket.history,
                demo_profile=ticket.client,
                on_start=self._record_start,
                deadline=ticket.deadline,
            )
            chunks = iter(stream)
            try:
                for text in chunks:
                    if self._given_up.is_set() or guard.leaked:
                        break
                    if shown := guard.feed(text):
                        self.chunks.put(shown)
            except GatewayError:
                self._record_unkept(stream.partial)
                raise
            finally:
                chunks.close()  # a stream stopped early still reports what it was billed
            if self._given_up.is_set():
                self._record_unkept(stream.completion or stream.partial)
                raise GatewayError(ErrorCategory.timeout, detail="reply deadline passed")
            if stream.completion is not None and not guard.leaked:
                rest = guard.finish()
                if not guard.leaked:
                    if rest:
                        self.chunks.put(rest)
                    return self._store(stream.completion)
            billed = stream.completion or stream.partial
            self._record_unkept(billed)
            leaked = guard.leaked
            if leaked is None:  # neither a reply nor an error: the stream stopped by itself
                raise GatewayError(ErrorCategory.malformed, detail="the reply stream ended early")
            self._log_leak(leaked, billed)
            _notify_withheld(ticket.session_id, guard.text, leaked)
            system = ticket.system + output_guard.correction(leaked)
        raise ReplyWithheld(
            f"{ticket.client.name}'s reply was held back because it broke "
            "character. Press Retry to ask again."
        )

    # Accounting (each in its own short transaction) ---------------------------------------------
    def _record_start(self, usage: Usage, model: str) -> None:
        """As soon as `message_start` arrives: a crash now loses at most the output."""
        cost = calculate_cost(model, usage, get_settings().model_prices_json)
        with self.database(write=True) as db:
            session_service.record_usage(
                db, session_id=self.ticket.session_id, usage=usage, cost=cost, model=model
            )
        self._counted, self._counted_cost = usage, cost

    def _record_unkept(self, partial: Completion | None) -> None:
        """A reply that was billed but not kept: its usage beyond what was counted joins the
        totals, and an event says so (paid calls = stored replies + these events)."""
        if partial is None:
            return
        rest = partial.usage.minus(self._counted)
        cost = None if partial.cost is None else partial.cost - (self._counted_cost or 0)
        with self.database(write=True) as db:
            session_service.record_usage(
                db,
                session_id=self.ticket.session_id,
                usage=rest,
                cost=cost,
                model=partial.model,
                unpriced=partial.cost is None,
            )
            event_log.record(
                db,
                "info",
                "partial_reply",
                "A reply was cut off; its tokens were still billed.",
                session_id=self.ticket.session_id,
                details={
                    "request_id": partial.request_id,
                    "input_tokens": partial.usage.input_tokens,
                    "output_tokens_estimated": partial.usage.output_tokens,
                    "cache_write_tokens": partial.usage.cache_write_tokens,
                    "cache_read_tokens": partial.usage.cache_read_tokens,
                    "cost": str(partial.cost),
                },
            )
        self._counted = partial.usage

    def _store(self, completion: Completion) -> ReplyOutcome:
        if not completion.text.strip():
            self._record_unkept(completion)
            return ReplyOutcome(
                notice="The reply came back empty. Press Retry.",
                error=ConflictError("Empty reply."),
            )
        with self.database(write=True) as db:
            stored = session_service.store_reply(
                db,
                session_id=self.ticket.session_id,
                claim_id=self.ticket.claim_id,
                content=completion.text,
                usage=completion.usage,
                cost=completion.cost,
                model=completion.model,
                counted=self._counted,
                counted_cost=self._counted_cost,
                latency_ms=completion.latency_ms,
                time_to_first_token_ms=completion.time_to_first_token_ms,
            )
            if stored is not None and completion.cost is None:
                event_log.record(
                    db,
                    "warning",
                    "pricing",
                    f"Model {completion.model} has no price; its cost is unknown.",
                    session_id=self.ticket.session_id,
                )
        if stored is None:  # the page gave up on it and may have asked again: do not stack replies
            self._record_unkept(completion)
            return ReplyOutcome(
                notice="The reply arrived too late and was not kept. Press Retry.",
                error=ConflictError("Claim given up."),
            )
        message, totals = stored
        return ReplyOutcome(message=message, totals=totals)

    def _release(self) -> None:
        with self.database(write=True) as db:
            session_service.release_claim(
                db, session_id=self.ticket.session_id, claim_id=self.ticket.claim_id
            )

    def _log_leak(self, leaked: str, completion: Completion | None) -> None:
        with self.database(write=True) as db:
            event_log.record(
                db,
                "warning",
                "output_guard",
                f"A reply was stopped before the student saw it: it repeated {leaked}.",
                user_id=self.ticket.user_id,
                session_id=self.ticket.session_id,
                details={"request_id": completion.request_id if completion else None},
            )

    def _failed(self, error: GatewayError, *, log: bool) -> ReplyOutcome:
        """Log the failure (no secrets) and return a notice never stored as the client's words."""
        if log:
            with self.database(write=True) as db:
                event_log.record(
                    db,
                    error.severity,
                    f"api_{error.category}",
                    error.summary,
                    user_id=self.ticket.user_id,
                    session_id=self.ticket.session_id,
                    details={
                        "request_id": error.request_id,
                        "status": error.status,
                        "detail": error.detail,
                        "retryable": error.retryable,
                    },
                )
        notice = fallback_notice(self.ticket.client.name, self.ticket.session_id, error)
        return ReplyOutcome(notice=notice, error=error)


# Internals --------------------------------------------------------------------------------------
def _load_client(db: Session, client_id: int) -> ClientRead:
    """The full profile for the prompt (server side only; never sent to a student's page)."""
    return ClientRead.model_validate(db.get(ClientProfile, client_id))


def fallback_notice(name: str, session_id: int, error: AppError) -> str:
    """A short in-world notice plus what happened and what to do."""
    index = int(hashlib.sha256(f"{session_id}".encode()).hexdigest(), 16) % len(FALLBACK_TEMPLATES)
    return f"{FALLBACK_TEMPLATES[index].format(name=name)} ({error.message})"
