"""The LLM gateway: the official Anthropic SDK, a circuit breaker, and a demo responder.

Replies stream first (`stream_reply` yields text as it arrives, then exposes the completion with the
API's own usage). Retries are the SDK's (`ANTHROPIC_MAX_RETRIES`); the breaker on top fails fast
after repeated failures and gives the health status the admin dashboard shows.
"""

from __future__ import annotations

import json
import logging
import statistics
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from backend.config import Settings, get_settings
from backend.llm.breaker import BreakerState, CircuitBreaker
from backend.llm.demo import DemoProfile, demo_reply
from backend.llm.errors import CONFIGURATION_ERRORS, ErrorCategory, GatewayError, classify
from backend.llm.pricing import DEMO_MODEL, calculate_cost
from backend.llm.shared_state import STORE_ERRORS, Call, StateStore, open_store
from backend.llm.tokens import estimate_tokens
from backend.llm.usage import Completion, Usage
from backend.utils.singleton import process_wide
from backend.utils.text import without_control_characters

if TYPE_CHECKING:  # the SDK itself is imported when the first client is built (`_sdk`)
    import anthropic
    from anthropic.lib.streaming import MessageStream
    from anthropic.types import Message
    from anthropic.types import Usage as APIUsage

logger = logging.getLogger(__name__)


class HealthStatus(StrEnum):
    healthy = "Healthy"
    degraded = "Degraded"
    unavailable = "Unavailable"


@dataclass(frozen=True)
class Health:
    status: HealthStatus
    reason: str
    breaker: BreakerState
    error_rate: float
    median_latency_ms: float | None
    calls: int


# Completions ------------------------------------------------------------------------------------
@dataclass
class StructuredAnswer:
    """A forced tool's input (the answer), the call's id (to send a repair) and its usage."""

    data: dict
    tool_use_id: str
    completion: Completion

    def repair(self, tool_name: str, what: str, errors: list[str]) -> list[dict]:
        """The answer as the model gave it, then a tool result listing each problem to fix
        (`what` names the answer: "review", "judgement")."""
        listing = "\n".join(f"- {error}" for error in errors)
        return [
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": self.tool_use_id,
                        "name": tool_name,
                        "input": self.data,
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": self.tool_use_id,
                        "is_error": True,
                        "content": f"The {what} cannot be accepted; fix these problems and call "
                        f"{tool_name} again with the whole {what}:\n{listing}",
                    }
                ],
            },
        ]


def usage_from_api(usage: APIUsage, cache_ttl: str = "5m") -> Usage:
    """The API's usage object as our `Usage`; cache writes split by lifetime where the API splits.

    The total (`cache_creation_input_tokens`) is what is billed: a stream may bring it, cumulative,
    in `message_delta`, where the SDK updates the total but keeps `message_start`'s split. What
    the split does not account for is priced at `cache_ttl`'s lifetime."""
    cache_write = getattr(usage, "cache_creation_input_tokens", None) or 0
    split = getattr(usage, "cache_creation", None)
    write_5m = getattr(split, "ephemeral_5m_input_tokens", None) or 0 if split is not None else 0
    write_1h = getattr(split, "ephemeral_1h_input_tokens", None) or 0 if split is not None else 0
    unsplit = max(0, cache_write - write_5m - write_1h)
    if cache_ttl == "5m":
        write_5m += unsplit
    else:
        write_1h += unsplit
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
    )


class ReplyStream:
    """Iterate (once) for text deltas; afterwards `.completion` holds the reply and its usage.

    If iteration raises (or stops early), there is no completion: a cut-off reply is never stored,
    and `.partial` holds what it was billed (input as `message_start` reported it, output estimated).
    """

    def __init__(self, produce: Callable[[ReplyStream], Generator[str, None, None]]) -> None:
        self._produce = produce
        self.completion: Completion | None = None
        self.partial: Completion | None = None

    def __iter__(self) -> Generator[str, None, None]:
        return self._produce(self)


class _CallerFailed(Exception):
    """The caller's `on_start` hook failed (say, writing the billed input to its database): the
    call is given up with the caller's own error, and counted as no failure of the API."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class BatchProgress:
    """A Message Batch as last seen: ended or not, and its requests still processing."""

    ended: bool
    processing: int
    total: int


@dataclass(frozen=True)
class BatchMiss:
    """A batch request that has no answer: `kind` is errored, expired, canceled or malformed."""

    kind: str
    detail: str = ""
    billed: Completion | None = None  # an answer without the tool call: billed all the same


#: Called with the usage `message_start` reports (input and cache; output 0), as soon as it arrives.
StartHook = Callable[[Usage, str], None]


@dataclass(frozen=True)
class SystemBlock:
    """One block of a system prompt. `cache` ends a cached prefix after it: "1h" or "5m" for that
    lifetime, "default" for `ANTHROPIC_CACHE_TTL`, None for no breakpoint. Longer lifetimes must
    come first (the API's rule); at most four breakpoints in a request, the last message's
    included."""

    text: str
    cache: str | None = None


#: A system prompt: one text (one cached block), or blocks with their own breakpoints.
System = str | list[SystemBlock]


class LLMGateway:
    """One per process: the SDK client (or the demo responder), the breaker and the health
    window, both in `store` (shared by every process, see `shared_state.open_store`)."""

    #: Seconds of calls the health status looks back on (old failures age out).
    HEALTH_WINDOW_SECONDS = 600

    def __init__(self, settings: Settings, store: StateStore | None = None) -> None:
        self.settings = settings
        self.model = DEMO_MODEL if settings.demo_mode else settings.anthropic_model
        self.store = store or open_store(settings)
        # A trial no process settled in this long was abandoned (its process died).
        longest_call = settings.anthropic_timeout_seconds * (settings.anthropic_max_retries + 1)
        self.breaker = CircuitBreaker(
            settings.breaker_failure_threshold,
            settings.breaker_cooldown_seconds,
            store=self.store,
            trial_seconds=max(settings.reply_timeout_seconds, longest_call) + 5,
        )
        # Built by the first call: importing the SDK takes over a second, which a process that
        # only draws pages (the log-in page, the admin's figures) should not pay.
        self._client: anthropic.Anthropic | None = None
        self._client_lock = threading.Lock()

    @property
    def demo_mode(self) -> bool:
        return self.settings.anthropic_api_key is None

    def _sdk(self) -> anthropic.Anthropic:
        """The SDK client, built (and the SDK imported) on first use; only called after the
        demo-mode branch."""
        api_key = self.settings.anthropic_api_key
        if api_key is None:
            raise RuntimeError("The gateway is in demo mode: there is no API client.")
        with self._client_lock:  # one client per gateway, whichever worker thread asks first
            if self._client is None:
                import anthropic

                self._client = anthropic.Anthropic(
                    api_key=api_key.get_secret_value(),
                    base_url=self.settings.anthropic_base_url,  # from .env too
                    max_retries=self.settings.anthropic_max_retries,
                    timeout=anthropic.Timeout(self.settings.anthropic_timeout_seconds, connect=5.0),
                )
            return self._client

    def close(self) -> None:
        """Close the SDK client (if a call built one) and the shared-state store."""
        if self._client is not None:
            self._client.close()
        self.store.close()

    def cache_control(self, ttl: str = "default") -> dict:
        control = {"type": "ephemeral"}
        if (self.settings.anthropic_cache_ttl if ttl == "default" else ttl) == "1h":
            control["ttl"] = "1h"
        return control

    def _system(self, system: System) -> list[dict]:
        if isinstance(system, str):
            return [{"type": "text", "text": system, "cache_control": self.cache_control()}]
        blocks: list[dict] = []
        for block in system:
            blocks.append({"type": "text", "text": block.text})
            if block.cache is not None:
                blocks[-1]["cache_control"] = self.cache_control(block.cache)
        return blocks

    def _request(self, system: System, messages: list[dict], max_tokens: int | None) -> dict:
        """System prompt and conversation so far marked as the cached prefix."""
        control = self.cache_control()
        cached_messages = [dict(message) for message in messages]
        if cached_messages:
            last = cached_messages[-1]
            last["content"] = [
                {"type": "text", "text": _text_of(last["content"]), "cache_control": control}
            ]
        return dict(
            model=self.model,
            max_tokens=max_tokens or self.settings.anthropic_max_tokens,
            system=self._system(system),
            messages=cached_messages,
        )

    def ensure_available(self) -> None:
        """Refuse at once while the breaker is open (no call is made, nothing is counted)."""
        if not self.demo_mode:
            self.breaker.ensure_available()

    def stream_reply(
        self,
        system: System,
        messages: list[dict],
        *,
        max_tokens: int | None = None,
        demo_profile: DemoProfile | None = None,
        on_start: StartHook | None = None,
        deadline: float | None = None,
    ) -> ReplyStream:
        """Start a streamed reply. Raises `GatewayError` at once when the breaker is open.

        `deadline` (a `time.monotonic()` value) bounds the whole reply: past it the stream is
        closed and a timeout error raised. `on_start` sees the billed input as soon as it is known.
        """
        if self.demo_mode:
            return self._demo_stream(messages, demo_profile)
        self.breaker.before_call()
        request = self._request(system, messages, max_tokens)
        return ReplyStream(lambda target: self._sdk_chunks(target, request, on_start, deadline))

    def _sdk_chunks(
        self, target: ReplyStream, request: dict, on_start: StartHook | None, deadline: float | None
    ) -> Generator[str, None, None]:
        started = time.perf_counter()
        first_token_at: float | None = None
        parts: list[str] = []
        settled = False
        stream = None
        client = self._sdk()
        from anthropic.lib.streaming import TextEvent  # loaded with the client by `_sdk`
        from anthropic.types import RawMessageStartEvent

        try:
            with client.messages.stream(**request) as stream:
                for event in stream:
                    if deadline is not None and time.monotonic() > deadline:
                        raise GatewayError(
                            ErrorCategory.timeout,
                            request_id=stream.request_id,
                            detail="reply took longer than REPLY_TIMEOUT_SECONDS",
                        )
                    if isinstance(event, RawMessageStartEvent) and on_start is not None:
                        try:
                            on_start(
                                usage_from_api(
                                    event.message.usage, self.settings.anthropic_cache_ttl
                                ),
                                event.message.model or self.model,
                            )
                        except Exception as error:  # the caller's own failure (its database)
                            raise _CallerFailed(error) from error
                    elif isinstance(event, TextEvent):
                        if first_token_at is None:
                            first_token_at = time.perf_counter()
                        text = without_control_characters(event.text)
                        parts.append(text)
                        if text:
                            yield text
                final = stream.get_final_message()
                request_id = stream.request_id
                if final.stop_reason is None:
                    # The stream ended, cleanly for HTTP, before `message_delta`: the SDK hands
                    # back what arrived, a cut-off reply (an attack, 2026-12-07).
                    raise GatewayError(
                        ErrorCategory.malformed,
                        request_id=request_id,
                        detail="the reply's stream ended before the reply did",
                    )
        except GeneratorExit:
            # The reader went away mid-reply: what was billed still counts.
            target.partial = self._partial(stream, parts, started)
            raise
        except _CallerFailed as failed:  # no failure of the API: its breaker and health ignore it
            settled = True
            self.breaker.release_trial()
            target.partial = self._partial(stream, parts, started)
            raise failed.error from None
        except Exception as error:  # every failure of the call: categorized, logged, retryable
            settled = True
            gateway_error = classify(error)
            self._failed(gateway_error)
            target.partial = self._partial(stream, parts, started)
            raise gateway_error from None
        finally:
            if not settled and target.completion is None:
                # Abandoned (the reader went away): a half-open trial must not stay taken.
                self.breaker.release_trial()
        settled = True
        latency = time.perf_counter() - started
        self._succeeded(latency)
        target.completion = self._completion(
            "".join(parts),
            final,
            request_id,
            latency,
            None if first_token_at is None else first_token_at - started,
        )

    def _partial(
        self, stream: MessageStream | None, parts: list[str], started: float
    ) -> Completion | None:
        """Usage of a reply that started but did not finish: the API's input and cache counts
        from `message_start`, output estimated from the text received (the API sent no total)."""
        if stream is None:
            return None
        try:
            snapshot = stream.current_message_snapshot
        except (AssertionError, AttributeError):  # no message_start yet: nothing was billed
            snapshot = None
        if snapshot is None:
            return None
        text = "".join(parts)
        usage = usage_from_api(snapshot.usage, self.settings.anthropic_cache_ttl)
        usage.output_tokens = max(usage.output_tokens, estimate_tokens(text))
        model = snapshot.model or self.model
        return Completion(
            text=text,
            usage=usage,
            model=model,
            stop_reason="interrupted",
            request_id=stream.request_id,
            latency_ms=int((time.perf_counter() - started) * 1000),
            time_to_first_token_ms=None,
            cost=calculate_cost(model, usage, self.settings.model_prices_json),
        )

    def complete(
        self,
        system: System,
        messages: list[dict],
        *,
        max_tokens: int | None = None,
        demo_profile: DemoProfile | None = None,
    ) -> Completion:
        """A non-streaming reply (scripts, the CLI check)."""
        if self.demo_mode:
            stream = self._demo_stream(messages, demo_profile)
            for _ in stream:
                pass
            if stream.completion is None:  # the demo responder always finishes its reply
                raise RuntimeError("The demo reply did not finish.")
            return stream.completion
        client = self._sdk()
        self.breaker.before_call()
        started = time.perf_counter()
        try:
            response = client.messages.create(**self._request(system, messages, max_tokens))
            text = without_control_characters(
                "".join(block.text for block in response.content if block.type == "text")
            )
        except Exception as error:  # a malformed 200 too: categorized, never a crash
            gateway_error = classify(error)
            self._failed(gateway_error)
            raise gateway_error from None
        latency = time.perf_counter() - started
        self._succeeded(latency)
        return self._completion(
            text, response, getattr(response, "_request_id", None), latency, None
        )

    def structured(
        self,
        *,
        instructions: str,
        context: str,
        messages: list[dict],
        tool_name: str,
        tool_description: str,
        input_schema: dict,
        max_tokens: int | None = None,
        model: str | None = None,
    ) -> StructuredAnswer | None:
        """A forced-tool call on `model` (default `REVIEW_MODEL`): the answer is the tool's
        input (schema-shaped).

        `instructions` is the long stable prefix (cached; put a rubric's definitions there) and
        `context` what varies per call. Returns None in demo mode (the caller uses its demo path).
        Raises `GatewayError` like every call (breaker, classification), also when the answer
        holds no tool call.
        """
        if self.demo_mode:
            return None
        client = self._sdk()
        self.breaker.before_call()
        request = self.structured_request(
            instructions=instructions,
            context=context,
            messages=messages,
            tool_name=tool_name,
            tool_description=tool_description,
            input_schema=input_schema,
            max_tokens=max_tokens,
            model=model,
        )
        started = time.perf_counter()
        try:
            response = client.messages.create(**request)
            answer = self._tool_answer(
                response, tool_name, getattr(response, "_request_id", None), started
            )
        except Exception as error:  # a malformed 200 too: categorized, never a crash
            gateway_error = classify(error)
            self._failed(gateway_error)
            raise gateway_error from None
        self._succeeded(time.perf_counter() - started)
        return answer

    def structured_request(
        self,
        *,
        instructions: str,
        context: str,
        messages: list[dict],
        tool_name: str,
        tool_description: str,
        input_schema: dict,
        max_tokens: int | None = None,
        model: str | None = None,
    ) -> dict[str, Any]:
        """The Messages API parameters of a forced-tool call (see `structured`): sent at once, or
        as one request of a Message Batch."""
        return dict(
            model=model or self.settings.review_model,
            max_tokens=max_tokens or self.settings.review_max_tokens,
            system=[
                {"type": "text", "text": instructions, "cache_control": self.cache_control()},
                {"type": "text", "text": context},
            ],
            messages=messages,
            tools=[
                {
                    "name": tool_name,
                    "description": tool_description,
                    "input_schema": input_schema,
                }
            ],
            tool_choice={"type": "tool", "name": tool_name},
        )

    def _tool_answer(
        self,
        response: Message,
        tool_name: str,
        request_id: str | None,
        started: float,
        *,
        batch: bool = False,
    ) -> StructuredAnswer:
        """The forced tool's input from an answer; `GatewayError` (malformed) when it has none."""
        call = next(
            (
                block
                for block in response.content
                if block.type == "tool_use" and block.name == tool_name
            ),
            None,
        )
        text = json.dumps(call.input) if call is not None else ""
        completion = self._completion(
            text, response, request_id, time.perf_counter() - started, None, batch=batch
        )
        if call is None or not isinstance(call.input, dict):
            error = GatewayError(
                ErrorCategory.malformed,
                request_id=request_id,
                detail=f"no {tool_name} tool call in the answer",
            )
            error.billed = completion  # a whole answer: the API billed it
            raise error
        return StructuredAnswer(
            data=_without_controls(dict(call.input)), tool_use_id=call.id, completion=completion
        )

    # Message Batches (half price, answered within 24 hours) ------------------------------------
    def submit_batch(self, requests: dict[str, dict[str, Any]]) -> str:
        """Send requests (custom id -> `structured_request` parameters) as one Message Batch;
        returns its id. Raises `GatewayError` when the API refuses or cannot be reached."""
        client = self._sdk()
        try:
            batch = client.messages.batches.create(
                requests=[
                    {"custom_id": custom_id, "params": params}  # type: ignore[typeddict-item]
                    for custom_id, params in requests.items()
                ]
            )
        except Exception as error:
            raise classify(error) from None
        return batch.id

    def batch_progress(self, batch_id: str) -> BatchProgress:
        """Whether the batch has ended, and how many of its requests are still processing."""
        client = self._sdk()
        try:
            batch = client.messages.batches.retrieve(batch_id)
        except Exception as error:
            raise classify(error) from None
        counts = batch.request_counts
        total = (
            counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
        )
        return BatchProgress(batch.processing_status == "ended", counts.processing, total)

    def batch_answers(
        self, batch_id: str, tool_name: str
    ) -> dict[str, StructuredAnswer | BatchMiss]:
        """An ended batch's results by custom id: the forced tool's answer (its cost at the batch
        price), or why there is none (`BatchMiss`: errored, expired, canceled, malformed)."""
        client = self._sdk()
        answers: dict[str, StructuredAnswer | BatchMiss] = {}
        try:
            for line in client.messages.batches.results(batch_id):
                result = line.result
                if result.type != "succeeded":
                    detail = ""
                    if result.type == "errored":
                        detail = f"{result.error.error.type}: {result.error.error.message}"
                    answers[line.custom_id] = BatchMiss(result.type, detail)
                    continue
                try:
                    answers[line.custom_id] = self._tool_answer(
                        result.message, tool_name, None, time.perf_counter(), batch=True
                    )
                except GatewayError as error:
                    answers[line.custom_id] = BatchMiss("malformed", error.summary, error.billed)
        except Exception as error:
            raise classify(error) from None
        return answers

    def _completion(
        self,
        text: str,
        message: Message,
        request_id: str | None,
        latency: float,
        first_token: float | None,
        *,
        batch: bool = False,
    ) -> Completion:
        """`batch`: answered in a Message Batch, so priced at the batch price."""
        usage = usage_from_api(message.usage, self.settings.anthropic_cache_ttl)
        return Completion(
            text=text,
            usage=usage,
            model=message.model or self.model,
            stop_reason=message.stop_reason,
            request_id=request_id,
            latency_ms=int(round(latency * 1000)),
            time_to_first_token_ms=None if first_token is None else int(round(first_token * 1000)),
            cost=calculate_cost(
                message.model or self.model, usage, self.settings.model_prices_json, batch=batch
            ),
        )

    def _demo_stream(self, messages: list[dict], profile: DemoProfile | None) -> ReplyStream:
        def chunks(stream: ReplyStream) -> Generator[str, None, None]:
            started = time.perf_counter()
            text = demo_reply(profile, messages)
            words = text.split(" ")
            for index, word in enumerate(words):
                yield word if index == len(words) - 1 else word + " "
            usage = Usage(
                input_tokens=sum(len(_text_of(m["content"])) for m in messages) // 4,
                output_tokens=len(words),
            )
            stream.completion = Completion(
                text=text,
                usage=usage,
                model=DEMO_MODEL,
                stop_reason="end_turn",
                request_id=None,
                latency_ms=int((time.perf_counter() - started) * 1000),
                time_to_first_token_ms=0,
                cost=Decimal(0),
            )

        return ReplyStream(chunks)

    def _succeeded(self, latency_seconds: float) -> None:
        self.breaker.record_success()
        self._note_call(True, latency_seconds * 1000)

    def _failed(self, error: GatewayError) -> None:
        """A configuration error (wrong key, missing model) or a request refused for good (a 400
        or 413: that request's own fault) is no outage: the breaker ignores it."""
        if error.kind in CONFIGURATION_ERRORS or error.kind == ErrorCategory.bad_request:
            self.breaker.release_trial()
        else:
            self.breaker.record_failure()
        self._note_call(False, None)

    def _note_call(self, ok: bool, latency_ms: float | None) -> None:
        """Into the health window; best effort (the call itself is settled already)."""
        try:
            self.store.add_call(time.time(), ok, latency_ms)
        except STORE_ERRORS as error:
            logger.warning("A call could not be noted for API health (%s).", type(error).__name__)

    def recent_calls(self) -> list[Call]:
        """(succeeded, latency ms) of the calls in the health window: every process's when the
        store shares them (Redis), else this process's."""
        return self.store.recent_calls(time.time() - self.HEALTH_WINDOW_SECONDS)

    def health(self, recent: list[Call] | None = None) -> Health:
        """Healthy / Degraded / Unavailable from the breaker, recent errors and latency.

        `recent` replaces the store's window when the caller knows every process's calls (on the
        database, the health service derives them from stored replies and API errors)."""
        breaker = self.breaker.state
        recent = self.recent_calls() if recent is None else recent
        outcomes = [ok for ok, _latency in recent]
        error_rate = (outcomes.count(False) / len(outcomes)) if outcomes else 0.0
        latencies = [latency for _ok, latency in recent if latency is not None]
        median = statistics.median(latencies) if latencies else None
        if self.demo_mode:
            return Health(
                HealthStatus.healthy,
                "Demo mode: no API key, replies are local.",
                breaker,
                error_rate,
                median,
                len(outcomes),
            )
        if breaker == BreakerState.open:
            status, reason = (
                HealthStatus.unavailable,
                (
                    f"Circuit breaker open after repeated failures; next trial in "
                    f"{self.breaker.seconds_until_trial()} s."
                ),
            )
        elif breaker == BreakerState.half_open:
            status, reason = (
                HealthStatus.degraded,
                "Recovering: the next call is a trial (a reply, or Test connection below).",
            )
        elif error_rate >= 0.2:
            status, reason = (
                HealthStatus.degraded,
                (f"{error_rate:.0%} of the calls in the last 10 minutes failed."),
            )
        elif median is not None and median > 10_000:
            status, reason = HealthStatus.degraded, f"Slow replies (median {median / 1000:.1f} s)."
        else:
            status, reason = (
                HealthStatus.healthy,
                (
                    "No calls in the last 10 minutes."
                    if not outcomes
                    else "Calls in the last 10 minutes succeeded."
                    if False not in outcomes
                    # Under the Degraded threshold, but never "succeeded" beside an Error log
                    # that holds the failures.
                    else f"{outcomes.count(False)} of {len(outcomes)} calls in the last "
                    "10 minutes failed."
                ),
            )
        return Health(status, reason, breaker, error_rate, median, len(outcomes))


def _without_controls(value: Any) -> Any:
    """A forced tool's input with every text in it `without_control_characters`: a summary or
    a quote is model text, stored like a reply."""
    if isinstance(value, str):
        return without_control_characters(value)
    if isinstance(value, dict):
        return {key: _without_controls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_controls(item) for item in value]
    return value


def _text_of(content: str | list[dict]) -> str:
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content)


# Process-wide gateway ---------------------------------------------------------------------------
@process_wide(close=LLMGateway.close)
def get_gateway() -> LLMGateway:
    """Created once per process from settings (Streamlit reruns share it)."""
    return LLMGateway(get_settings())


reset_gateway = get_gateway.cache_clear
