"""A fake Anthropic Messages API server for tests, benchmarks and browser runs.

It is a real HTTP server (``http.server.ThreadingHTTPServer`` on 127.0.0.1) that
speaks the Messages API wire protocol, so the official ``anthropic`` SDK works
against it unchanged::

    with FakeAnthropic() as fake:
        fake.reply("Hello there.", cache_read=2048)
        fake.error(529, "overloaded_error", "Overloaded", times=2)
        client = anthropic.Anthropic(api_key="test-key", base_url=fake.base_url)
        ...
        assert fake.request_count == 1

Scripted behaviours sit in a FIFO queue; every ``POST /v1/messages`` takes the
next one (or the default reply when the queue is empty). A reply behaviour
answers both plain and ``"stream": true`` requests in the matching format.

Endpoints:

* ``POST /v1/messages``               - Message JSON or an SSE stream
* ``POST /v1/messages/count_tokens``  - ``{"input_tokens": N}``
* ``POST /v1/messages/batches``       - a Message Batch (``custom_id`` + ``params`` per request)
* ``GET  /v1/messages/batches/{id}``  - its ``processing_status`` (``in_progress`` -> ``ended``),
  ``request_counts`` and, once ended, ``results_url``
* ``GET  /v1/messages/batches/{id}/results`` - JSONL, one line per request: ``succeeded`` (the
  message), ``errored`` (the error body), ``expired`` or ``canceled``
* ``POST /v1/messages/batches/{id}/cancel``  - ends it; requests not yet answered are canceled
* ``GET  /health``                    - readiness probe (not recorded)

With ``api_usage=True`` (or ``fake.use_api_usage()``) usage follows the request as on the real
API: sizes from the text, ``max_tokens`` cuts a reply, and the prompt cache's rules apply (the
minimum cacheable prefix per model, 5-minute and 1-hour lifetimes, reads and writes); see
``tests.fakes.api_usage``. Whatever usage it reports, every answer is billed at list prices
(``fake.bill``, ``fake.billed_usd()``).

A batch ends on its second retrieve (the first reads ``in_progress``), or when the test says
(``fake.hold_batches()`` keeps them in progress until ``fake.end_batches()``). When it ends, each
request takes the next scripted behaviour in request order, as ``/v1/messages`` would: a reply
succeeds (billed at half the list price, ``BillLine.batch``), an ``error(...)`` is that request's
``errored`` result, ``batch_outcome("expired"|"canceled")`` scripts the other two.

Anything else answers 404 ``not_found_error``. Malformed requests (bad JSON,
no ``model``/``max_tokens``/``messages``, or ``temperature``/``top_p``/``top_k``,
which API version 2026-10-21 refuses) answer 400 and no credentials 401,
without consuming a scripted behaviour.

Standalone (for browser tests and benchmarks in a subprocess)::

    python -m tests.fakes.anthropic_server --port 8765 --chunk-delay 0.02 --latency 0.1

It prints ``FAKE_ANTHROPIC_URL=http://127.0.0.1:PORT`` once it is listening.
"""

from __future__ import annotations

import argparse
import collections
import copy
import itertools
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes import api_usage as usage_rules
from tests.fakes.api_usage import BillLine

__all__ = [
    "FakeAnthropic",
    "RecordedRequest",
    "DEFAULT_REPLY",
    "BillLine",
    "estimate_input_tokens",
]

DEFAULT_REPLY = "I'm not sure where to start."

#: Reply text may be a fixed string or computed from the parsed request body.
ReplyText = str | Callable[[dict[str, Any]], str]
#: A tool call's input: a fixed dict or computed from the parsed request body.
ToolInput = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]

#: Default ``error.type`` for each HTTP status (as documented for the real API).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

_DEFAULT_MESSAGES: dict[str, str] = {
    "invalid_request_error": "Invalid request.",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found.",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit.",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out.",
    "overloaded_error": "Overloaded",
}

_REDACTED_HEADERS = ("x-api-key", "authorization")
#: Sampling parameters: a 400 under API version 2026-10-21 (what the SDK 2.x sends) on every model.
SAMPLING_PARAMETERS = ("temperature", "top_p", "top_k")
_WORDS_PER_CHUNK = 3


def estimate_input_tokens(body: dict[str, Any]) -> int:
    """Rough token estimate (~4 characters per token) of ``system`` + ``messages``."""
    payload = {"system": body.get("system"), "messages": body.get("messages")}
    return max(1, len(json.dumps(payload, ensure_ascii=False)) // 4)


def _count_words(text: str) -> int:
    return len(text.split())


def _chunk_text(text: str, words_per_chunk: int = _WORDS_PER_CHUNK) -> list[str]:
    """Split ``text`` into chunks of a few words; ``"".join(chunks) == text``."""
    pieces = re.findall(r"\s*\S+\s*|\s+", text)
    return [
        "".join(pieces[i : i + words_per_chunk]) for i in range(0, len(pieces), words_per_chunk)
    ]


# --------------------------------------------------------------------------- behaviours


@dataclass
class _Reply:
    """A successful answer (JSON or SSE, depending on the request)."""

    text: ReplyText = DEFAULT_REPLY
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_5m: int = 0
    cache_creation_1h: int = 0
    cache_read: int = 0
    chunk_delay: float | None = None  # None: use the server-wide default
    stop_reason: str = "end_turn"
    headers: dict[str, str] = field(default_factory=dict)
    tool_input: ToolInput | None = None  # set: answer with a ``tool_use`` block instead of text


@dataclass
class _Error:
    """An HTTP error response with the real error body."""

    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _ConnectionReset:
    """Close the socket abruptly (RST) without sending a response."""


@dataclass
class _Hang:
    """Wait before answering with ``then`` (default reply when None)."""

    seconds: float
    then: _Reply | None = None


@dataclass
class _StreamErrorMidway:
    """HTTP 200 SSE stream that breaks off with an ``error`` event (``error_type`` None: that
    just ends, cleanly for HTTP, with no ``message_delta`` or ``message_stop``)."""

    text_before: str
    error_type: str | None = "overloaded_error"
    message: str = "Overloaded"
    chunk_delay: float | None = None


@dataclass
class _Malformed:
    """HTTP 200 whose body cannot be read: a stream with no ``message_start`` (the SDK's
    ``get_final_message`` asserts), or a JSON body cut off mid-object."""


@dataclass
class _BatchOutcome:
    """A batch request that ends without an answer: ``expired`` or ``canceled`` (as a plain
    ``/v1/messages`` request: the default reply)."""

    result_type: str


_Behaviour = (
    _Reply | _Error | _ConnectionReset | _Hang | _StreamErrorMidway | _Malformed | _BatchOutcome
)


@dataclass
class FakeBatch:
    """One Message Batch: its requests, and their results once it ended."""

    id: str
    requests: list[dict[str, Any]]
    created_at: float
    looks: int = 0
    ended_at: float | None = None
    cancel_requested: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def custom_ids(self) -> list[str]:
        return [str(request.get("custom_id")) for request in self.requests]


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received (credentials redacted)."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or the raw text when it was not JSON
    received_at: float  # time.monotonic()
    client: str = ""  # the caller's IP address (which container, in the compose stack test)

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))


# --------------------------------------------------------------------------- HTTP layer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog (5) drops connections when dozens of streams open at once.
    request_queue_size = 128
    fake: FakeAnthropic

    def __init__(self, address: Any, handler: Any, fake: FakeAnthropic) -> None:
        self.fake = fake
        self.open_sockets: set = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeAnthropic/1.0"
    sys_version = ""
    server: _Server

    # -- plumbing ----------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        with self.server.sockets_lock:
            self.server.open_sockets.discard(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError, OSError):
            # The client went away (timeout, cancelled stream, reset): nothing to answer.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            sys.stderr.write("fake-anthropic: " + (format % args) + "\n")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- verbs -------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/health", "/"):
            self._send_json(200, {"status": "ok"}, request_id=None)
            return
        self._dispatch("GET", path, b"")

    def do_POST(self) -> None:
        body = self._read_body()
        self._dispatch("POST", self.path.split("?", 1)[0], body)

    # -- routing -----------------------------------------------------------------------

    def _dispatch(self, method: str, path: str, raw: bytes) -> None:
        fake = self.server.fake
        interrupt = fake._interrupt  # captured now: reset()/stop() set it to cut waits short
        try:
            parsed: Any = json.loads(raw) if raw else None
            bad_json = False
        except ValueError:
            parsed, bad_json = raw.decode("utf-8", "replace"), True
        fake._record(method, path, dict(self.headers.items()), parsed, self.client_address[0])

        if fake._latency > 0:
            interrupt.wait(fake._latency)

        if path.startswith("/v1/messages/batches"):
            self._batches(method, path, parsed, bad_json)
            return
        if path not in ("/v1/messages", "/v1/messages/count_tokens") or method != "POST":
            self._send_error(_Error(404, "not_found_error", f"Not found: {method} {path}"))
            return
        if not (self.headers.get("x-api-key") or self.headers.get("authorization")):
            self._send_error(_Error(401, "authentication_error", "x-api-key header is required"))
            return
        problem = "There was an error parsing the body." if bad_json else _validate(path, parsed)
        if problem is None and isinstance(parsed, dict):
            problem = usage_rules.breakpoint_problem(parsed)
        if problem:
            self._send_error(_Error(400, "invalid_request_error", problem))
            return

        if path == "/v1/messages/count_tokens":
            size = (
                usage_rules.input_size(parsed) if fake._api_usage else estimate_input_tokens(parsed)
            )
            self._send_json(200, {"input_tokens": size})
            return

        behaviour = fake._next_behaviour(parsed)
        if isinstance(behaviour, _BatchOutcome):
            behaviour = fake._default
        if isinstance(behaviour, _Hang):
            interrupt.wait(behaviour.seconds)
            if fake._stopping.is_set():
                self._reset_connection()
                return
            behaviour = behaviour.then or fake._default

        if isinstance(behaviour, _Error):
            self._send_error(behaviour)
        elif isinstance(behaviour, _Malformed):
            self._send_malformed(bool(parsed.get("stream")))
        elif isinstance(behaviour, _ConnectionReset):
            self._reset_connection()
        elif isinstance(behaviour, _StreamErrorMidway):
            if parsed.get("stream"):
                self._stream_error_midway(parsed, behaviour, interrupt)
            elif behaviour.error_type is None:  # a body that ends early cannot be read
                self._send_malformed(False)
            else:  # a non-streaming request sees the same failure as an HTTP error
                status = next((s for s, t in ERROR_TYPES.items() if t == behaviour.error_type), 500)
                self._send_error(_Error(status, behaviour.error_type, behaviour.message))
        else:
            assert isinstance(behaviour, _Reply)
            if parsed.get("stream"):
                self._stream_reply(parsed, behaviour, interrupt)
            else:
                message = fake._build_message(parsed, behaviour)
                self._send_json(200, message, extra_headers=behaviour.headers)

    def _batches(self, method: str, path: str, body: Any, bad_json: bool) -> None:
        """The Message Batches endpoints (see the module's docstring)."""
        fake = self.server.fake
        if not (self.headers.get("x-api-key") or self.headers.get("authorization")):
            self._send_error(_Error(401, "authentication_error", "x-api-key header is required"))
            return
        parts = path.rstrip("/").split("/")[4:]  # after /v1/messages/batches
        if method == "POST" and not parts:
            requests = body.get("requests") if isinstance(body, dict) else None
            if bad_json or not isinstance(requests, list) or not requests:
                self._send_error(_Error(400, "invalid_request_error", "requests: Field required"))
                return
            ids = [r.get("custom_id") if isinstance(r, dict) else None for r in requests]
            if any(not isinstance(i, str) or not i for i in ids) or len(set(ids)) != len(ids):
                problem = "Each request needs a unique custom_id."
                self._send_error(_Error(400, "invalid_request_error", problem))
                return
            self._send_json(200, fake._batch_json(fake._create_batch(requests)))
            return
        batch = fake._batch(parts[0]) if parts else None
        if batch is None:
            self._send_error(_Error(404, "not_found_error", f"Not found: {method} {path}"))
            return
        if method == "GET" and len(parts) == 1:
            self._send_json(200, fake._batch_json(batch, look=True))
        elif method == "POST" and parts[1:] == ["cancel"]:
            self._send_json(200, fake._batch_json(fake._cancel_batch(batch)))
        elif method == "GET" and parts[1:] == ["results"] and batch.ended_at is not None:
            data = "".join(json.dumps(line) + "\n" for line in batch.results).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/binary")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("request-id", fake._new_request_id())
            self.end_headers()
            self.wfile.write(data)
        else:
            self._send_error(_Error(404, "not_found_error", f"Not found: {method} {path}"))

    # -- responses ---------------------------------------------------------------------

    def _send_json(
        self,
        status: int,
        payload: Any,
        *,
        request_id: str | None = "new",
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if request_id is not None:
            self.send_header("request-id", self.server.fake._new_request_id())
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, err: _Error) -> None:
        body = {"type": "error", "error": {"type": err.error_type, "message": err.message}}
        self._send_json(err.status, body, extra_headers=err.headers)

    def _send_malformed(self, stream: bool) -> None:
        if stream:
            self._start_stream()
            self._event("message_stop", {"type": "message_stop"})
            self._end_stream()
            return
        data = b'{"id": "msg_cut", "type": "message", "content": [{"type": "te'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", self.server.fake._new_request_id())
        self.end_headers()
        self.wfile.write(data)

    def _reset_connection(self) -> None:
        """Abort the TCP connection: SO_LINGER 0 makes close() send RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _start_stream(self, extra_headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("request-id", self.server.fake._new_request_id())
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _event(self, event_type: str, data: dict[str, Any]) -> None:
        """Write one SSE event as its own HTTP chunk (one send, so it is flushed)."""
        payload = f"event: {event_type}\ndata: {json.dumps(data)}\n\n".encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def _stream_text(self, text: str, delay: float, interrupt: threading.Event) -> None:
        """``content_block_start``, ``ping``, the text deltas and ``content_block_stop``."""
        self._event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        self._event("ping", {"type": "ping"})
        for chunk in _chunk_text(text):
            if delay > 0 and interrupt.wait(delay):
                raise ConnectionAbortedError("fake server reset or stopped mid-stream")
            self._event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": chunk},
                },
            )

    def _stream_reply(
        self, body: dict[str, Any], reply: _Reply, interrupt: threading.Event
    ) -> None:
        fake = self.server.fake
        message = fake._build_message(body, reply)
        block = message["content"][0]
        start = copy.deepcopy(message)
        start["content"] = []
        start["stop_reason"] = None
        start["stop_sequence"] = None
        start["usage"]["output_tokens"] = 1
        delay = fake._chunk_delay if reply.chunk_delay is None else reply.chunk_delay

        self._start_stream(reply.headers)
        self._event("message_start", {"type": "message_start", "message": start})
        if block["type"] == "tool_use":
            self._stream_tool_use(block, delay, interrupt)
        else:
            self._stream_text(block["text"], delay, interrupt)
        self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self._event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
        self._event("message_stop", {"type": "message_stop"})
        self._end_stream()

    def _stream_tool_use(
        self, block: dict[str, Any], delay: float, interrupt: threading.Event
    ) -> None:
        """A ``tool_use`` block: its start (empty input), then the input as JSON pieces."""
        self._event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}},
        )
        encoded = json.dumps(block["input"])
        for offset in range(0, len(encoded), 40):
            if delay > 0 and interrupt.wait(delay):
                raise ConnectionAbortedError("fake server reset or stopped mid-stream")
            self._event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": encoded[offset : offset + 40],
                    },
                },
            )

    def _stream_error_midway(
        self, body: dict[str, Any], behaviour: _StreamErrorMidway, interrupt: threading.Event
    ) -> None:
        fake = self.server.fake
        start = fake._build_message(body, _Reply(text=behaviour.text_before))
        start["content"] = []
        start["stop_reason"] = None
        start["usage"]["output_tokens"] = 1
        delay = fake._chunk_delay if behaviour.chunk_delay is None else behaviour.chunk_delay

        self._start_stream()
        self._event("message_start", {"type": "message_start", "message": start})
        self._stream_text(behaviour.text_before, delay, interrupt)
        if behaviour.error_type is not None:
            self._event(
                "error",
                {
                    "type": "error",
                    "error": {"type": behaviour.error_type, "message": behaviour.message},
                },
            )
        self._end_stream()


def _errored(error_type: str, message: str) -> dict[str, Any]:
    """A batch request's ``errored`` result: the error body ``/v1/messages`` would have sent."""
    return {
        "type": "errored",
        "error": {"type": "error", "error": {"type": error_type, "message": message}},
    }


def _forced_tool(body: dict[str, Any]) -> str:
    """The tool ``tool_choice`` forces, else the first tool offered (else ``"answer"``)."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool" and choice.get("name"):
        return str(choice["name"])
    tools = body.get("tools") or []
    return str(tools[0].get("name", "answer")) if tools and isinstance(tools[0], dict) else "answer"


def _validate(path: str, body: Any) -> str | None:
    """Return an error message for requests the real API would reject, else None."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: Field required (at least one message)"
    if path == "/v1/messages" and not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    for name in SAMPLING_PARAMETERS:  # API version 2026-10-21 refuses them, even at the default
        if name in body:
            return f"{name}: Extra inputs are not permitted"
    return None


# --------------------------------------------------------------------------- public API


class FakeAnthropic:
    """A scriptable fake Anthropic API running in a background thread.

    Scripting methods enqueue behaviours and return ``self`` so they chain.
    ``times=N`` enqueues the same behaviour N times.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default_reply: ReplyText = DEFAULT_REPLY,
        chunk_delay: float = 0.0,
        latency: float = 0.0,
        verbose: bool = False,
        api_usage: bool = False,
    ) -> None:
        self._host = host
        self._port = port
        self.verbose = verbose
        self._init_default = _Reply(text=default_reply)
        self._init_chunk_delay = chunk_delay
        self._init_latency = latency
        self._init_api_usage = api_usage

        self._lock = threading.Lock()
        self._queue: collections.deque[_Behaviour] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._default = self._init_default
        self._default_tool: _Reply | None = None
        self._chunk_delay = chunk_delay
        self._latency = latency
        self._api_usage = api_usage
        self._prompt_cache = usage_rules.PromptCache()
        self._bill: list[BillLine] = []
        self._batches: dict[str, FakeBatch] = {}
        self._hold_batches = False
        self._batch_ids = itertools.count(1)
        self._clock_offset = 0.0
        self._request_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._interrupt = threading.Event()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeAnthropic:
        """Bind (a free port unless one was given) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._interrupt = threading.Event()
        self._server = _Server((self._host, self._port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-anthropic:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any waiting handlers and drop open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        self._interrupt.set()
        server.shutdown()
        with server.sockets_lock:
            sockets = list(server.open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeAnthropic is not running; call start() first")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """E.g. ``http://127.0.0.1:54321`` - pass as ``base_url=`` or ``ANTHROPIC_BASE_URL``."""
        return f"http://{self._host}:{self.port}"

    # -- scripting ---------------------------------------------------------------------

    def _enqueue(self, behaviour: _Behaviour, times: int) -> FakeAnthropic:
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._queue.extend([behaviour] * times)
        return self

    def reply(
        self,
        text: ReplyText,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cache_creation_5m: int = 0,
        cache_creation_1h: int = 0,
        cache_read: int = 0,
        chunk_delay: float | None = None,
        stop_reason: str = "end_turn",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> FakeAnthropic:
        """Answer with ``text`` (a string, or a function of the request body).

        Token counts default to an estimate of the prompt (input) and the number of
        words (output); cache counters default to 0. ``chunk_delay`` is the pause
        between stream deltas (server default when None).
        """
        return self._enqueue(
            _Reply(
                text=text,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_creation_5m=cache_creation_5m,
                cache_creation_1h=cache_creation_1h,
                cache_read=cache_read,
                chunk_delay=chunk_delay,
                stop_reason=stop_reason,
                headers=dict(headers or {}),
            ),
            times,
        )

    def tool_reply(
        self,
        tool_input: ToolInput,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cache_creation_5m: int = 0,
        cache_creation_1h: int = 0,
        cache_read: int = 0,
        times: int = 1,
    ) -> FakeAnthropic:
        """Answer with one ``tool_use`` block (``stop_reason: "tool_use"``) whose input is
        ``tool_input`` (a dict, or a function of the request body). The tool's name is the one
        ``tool_choice`` forces, else the first tool offered. Output tokens default to an estimate
        of the input's JSON (~4 characters per token)."""
        return self._enqueue(
            _Reply(
                text="",
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_creation_5m=cache_creation_5m,
                cache_creation_1h=cache_creation_1h,
                cache_read=cache_read,
                stop_reason="tool_use",
                tool_input=tool_input,
            ),
            times,
        )

    def error(
        self,
        status: int,
        error_type: str | None = None,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        should_retry: bool | None = None,
        times: int = 1,
    ) -> FakeAnthropic:
        """Answer with HTTP ``status`` and ``{"type":"error","error":{...}}``.

        ``error_type``/``message`` default from the status. ``retry_after``,
        ``retry_after_ms`` and ``should_retry`` set the ``retry-after``,
        ``retry-after-ms`` and ``x-should-retry`` headers; ``headers`` adds any others.
        """
        error_type = error_type or ERROR_TYPES.get(status, "api_error")
        message = message or _DEFAULT_MESSAGES.get(error_type, "Error")
        all_headers = dict(headers or {})
        if retry_after is not None:
            all_headers["retry-after"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            all_headers["retry-after-ms"] = str(retry_after_ms)
        if should_retry is not None:
            all_headers["x-should-retry"] = "true" if should_retry else "false"
        return self._enqueue(_Error(status, error_type, message, all_headers), times)

    def rate_limited(
        self, *, retry_after: float = 1, times: int = 1, **kwargs: Any
    ) -> FakeAnthropic:
        """429 ``rate_limit_error`` with a ``retry-after`` header, like the real API."""
        return self.error(429, retry_after=retry_after, times=times, **kwargs)

    def overloaded(self, *, times: int = 1, **kwargs: Any) -> FakeAnthropic:
        """529 ``overloaded_error``."""
        return self.error(529, times=times, **kwargs)

    def malformed(self, *, times: int = 1) -> FakeAnthropic:
        """HTTP 200 that cannot be read (an empty stream; a truncated JSON body)."""
        return self._enqueue(_Malformed(), times)

    def connection_reset(self, *, times: int = 1) -> FakeAnthropic:
        """Drop the connection (TCP RST) without a response -> ``APIConnectionError``."""
        return self._enqueue(_ConnectionReset(), times)

    def batch_outcome(self, result_type: str, *, times: int = 1) -> FakeAnthropic:
        """A batch request ends ``expired`` or ``canceled`` instead of being answered."""
        if result_type not in ("expired", "canceled"):
            raise ValueError("result_type must be 'expired' or 'canceled'")
        return self._enqueue(_BatchOutcome(result_type), times)

    def hold_batches(self, on: bool = True) -> FakeAnthropic:
        """Keep new and open batches in progress (until ``end_batches`` or ``hold_batches(False)``)."""
        self._hold_batches = on
        return self

    def end_batches(self) -> FakeAnthropic:
        """End every open batch now: each request is answered as scripted."""
        for batch in self.batches:
            self._end_batch(batch)
        return self

    @property
    def batches(self) -> list[FakeBatch]:
        """Every batch created so far, in order."""
        with self._lock:
            return list(self._batches.values())

    def hang(self, seconds: float, *, then: str | None = None, times: int = 1) -> FakeAnthropic:
        """Wait ``seconds`` before answering (the default reply, or ``then``).

        The wait ends early on ``reset()`` or ``stop()``, so a hung request never
        holds up shutdown or the next test.
        """
        return self._enqueue(_Hang(seconds, _Reply(text=then) if then is not None else None), times)

    def release(self) -> FakeAnthropic:
        """End every ``hang``/``latency`` wait now: each goes on to answer as scripted.

        Unlike ``reset`` the script and the records stay, so a test can hold a reply in flight
        (a long ``hang``) exactly as long as it needs. Streams already under way with a chunk
        delay break off, as on ``reset``.
        """
        with self._lock:
            old, self._interrupt = self._interrupt, threading.Event()
        old.set()
        return self

    def stream_error_midway(
        self,
        text_before: str,
        error_type: str = "overloaded_error",
        message: str = "Overloaded",
        *,
        chunk_delay: float | None = None,
        times: int = 1,
    ) -> FakeAnthropic:
        """HTTP 200 stream: ``message_start``, deltas of ``text_before``, then an ``error`` event.

        A non-streaming request gets the equivalent HTTP error instead.
        """
        return self._enqueue(
            _StreamErrorMidway(text_before, error_type, message, chunk_delay), times
        )

    def stream_ended_early(
        self, text_before: str, *, chunk_delay: float | None = None, times: int = 1
    ) -> FakeAnthropic:
        """HTTP 200 stream: ``message_start``, deltas of ``text_before``, then the end of the
        response, cleanly for HTTP, with no ``message_delta`` or ``message_stop`` (a proxy or
        load balancer ending it early). A non-streaming request gets a body cut off."""
        return self._enqueue(_StreamErrorMidway(text_before, None, "", chunk_delay), times)

    def latency(self, seconds: float) -> FakeAnthropic:
        """Add a fixed delay before every response (0 to turn it off)."""
        self._latency = max(0.0, float(seconds))
        return self

    def set_chunk_delay(self, seconds: float) -> FakeAnthropic:
        """Default pause between streamed text deltas."""
        self._chunk_delay = max(0.0, float(seconds))
        return self

    def set_default_reply(self, text: ReplyText, **usage: Any) -> FakeAnthropic:
        """Change what unscripted requests get (same keywords as ``reply``, minus ``times``)."""
        self._default = _Reply(text=text, **usage)
        return self

    def set_default_tool_reply(self, tool_input: ToolInput | None) -> FakeAnthropic:
        """What unscripted requests that offer tools get: a ``tool_use`` with this input (a dict
        or a function of the request body); None goes back to the default reply. Concurrent
        callers (a check's probes and their judge) then need no queue order."""
        self._default_tool = (
            None
            if tool_input is None
            else _Reply(text="", stop_reason="tool_use", tool_input=tool_input)
        )
        return self

    @property
    def pending(self) -> int:
        """Scripted behaviours not yet consumed."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Clear the queue, the recorded requests, latency, default overrides, the prompt cache,
        the bill, the batches and the usage mode.

        Also wakes handlers still waiting from a previous ``hang``/``latency``.
        """
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._default = self._init_default
            self._default_tool = None
            self._chunk_delay = self._init_chunk_delay
            self._latency = self._init_latency
            self._api_usage = self._init_api_usage
            self._bill.clear()
            self._batches.clear()
            self._hold_batches = False
            self._clock_offset = 0.0
            old, self._interrupt = self._interrupt, threading.Event()
        old.set()
        self._prompt_cache.clear()

    # -- usage and billing -------------------------------------------------------------

    def use_api_usage(self, on: bool = True) -> FakeAnthropic:
        """Report usage as the real API would (sizes from the text, ``max_tokens`` honoured,
        the prompt cache's rules); off: the fixed estimates. Scripted counts always win."""
        self._api_usage = on
        return self

    def advance_clock(self, seconds: float) -> FakeAnthropic:
        """Move the prompt cache's clock on (to expire entries without waiting)."""
        self._clock_offset += seconds
        return self

    def clear_prompt_cache(self) -> FakeAnthropic:
        self._prompt_cache.clear()
        return self

    @property
    def bill(self) -> list[BillLine]:
        """Every answer billed so far, in order: model, usage and list-price cost."""
        with self._lock:
            return list(self._bill)

    def billed_usd(self) -> Decimal:
        """What the answers so far cost at list prices (unpriced models count 0)."""
        return sum((line.cost or Decimal(0) for line in self.bill), Decimal(0))

    def clear_bill(self) -> FakeAnthropic:
        with self._lock:
            self._bill.clear()
        return self

    # -- recording ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far (``/health`` excluded)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def last_request(self) -> RecordedRequest | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    def messages_requests(self) -> list[RecordedRequest]:
        """Only the ``POST /v1/messages`` requests."""
        return [r for r in self.requests if r.path == "/v1/messages"]

    # -- internals used by the handler -------------------------------------------------

    def _record(
        self, method: str, path: str, headers: dict[str, str], body: Any, client: str = ""
    ) -> None:
        clean = {}
        for name, value in headers.items():
            name = name.lower()
            clean[name] = "[redacted]" if name in _REDACTED_HEADERS else value
        entry = RecordedRequest(method, path, clean, body, time.monotonic(), client)
        with self._lock:
            self._requests.append(entry)

    def _next_behaviour(self, body: dict[str, Any] | None = None) -> _Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self._default_tool is not None and isinstance(body, dict) and body.get("tools"):
                return self._default_tool
            return self._default

    def _new_request_id(self) -> str:
        return f"req_fake_{next(self._request_ids)}"

    def _build_message(
        self, body: dict[str, Any], reply: _Reply, *, batch: bool = False
    ) -> dict[str, Any]:
        message = self._answer(body, reply)
        tool_use = message["content"][0]["type"] == "tool_use"
        line = usage_rules.bill(
            str(body.get("model")), message["usage"], tool_use=tool_use, batch=batch
        )
        with self._lock:
            self._bill.append(line)
        return message

    def _create_batch(self, requests: list[dict[str, Any]]) -> FakeBatch:
        batch = FakeBatch(
            id=f"msgbatch_fake_{next(self._batch_ids):06d}",
            requests=copy.deepcopy(requests),
            created_at=time.time(),
        )
        with self._lock:
            self._batches[batch.id] = batch
        return batch

    def _batch(self, batch_id: str) -> FakeBatch | None:
        with self._lock:
            return self._batches.get(batch_id)

    def _cancel_batch(self, batch: FakeBatch) -> FakeBatch:
        batch.cancel_requested = True
        self._end_batch(batch)
        return batch

    def _end_batch(self, batch: FakeBatch) -> None:
        """Answer every request (or cancel those left, after a cancel), once."""
        with self._lock:
            if batch.ended_at is not None:
                return
            batch.ended_at = time.time()
        for request in batch.requests:
            result = (
                {"type": "canceled"}
                if batch.cancel_requested
                else self._batch_result(request.get("params"))
            )
            batch.results.append({"custom_id": request["custom_id"], "result": result})

    def _batch_result(self, params: Any) -> dict[str, Any]:
        """One request's result, as ``POST /v1/messages`` would have answered it."""
        problem = _validate("/v1/messages", params)
        if problem is None and isinstance(params, dict):
            problem = usage_rules.breakpoint_problem(params) or (
                "stream: not supported in a batch" if params.get("stream") else None
            )
        if problem is not None:
            return _errored("invalid_request_error", problem)
        behaviour = self._next_behaviour(params)
        if isinstance(behaviour, _Hang):
            behaviour = behaviour.then or self._default
        if isinstance(behaviour, _BatchOutcome):
            return {"type": behaviour.result_type}
        if isinstance(behaviour, _Error):
            return _errored(behaviour.error_type, behaviour.message)
        if isinstance(behaviour, _StreamErrorMidway) and behaviour.error_type is not None:
            return _errored(behaviour.error_type, behaviour.message)
        if not isinstance(behaviour, _Reply):  # a reset or malformed answer: the API's own error
            return _errored("api_error", "Internal server error")
        return {"type": "succeeded", "message": self._build_message(params, behaviour, batch=True)}

    def _batch_json(self, batch: FakeBatch, *, look: bool = False) -> dict[str, Any]:
        """The batch as the API shows it; a look (a retrieve) at an open batch may end it."""
        if look and batch.ended_at is None:
            batch.looks += 1
            if batch.looks >= 2 and not self._hold_batches:
                self._end_batch(batch)
        ended = batch.ended_at is not None
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for line in batch.results:
                counts[line["result"]["type"]] += 1
        else:
            counts["processing"] = len(batch.requests)

        def stamp(at: float | None) -> str | None:
            if at is None:
                return None
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))

        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": stamp(batch.created_at),
            "expires_at": stamp(batch.created_at + 24 * 3600),
            "ended_at": stamp(batch.ended_at),
            "cancel_initiated_at": stamp(batch.ended_at) if batch.cancel_requested else None,
            "archived_at": None,
            "results_url": (
                f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None
            ),
        }

    def _prompt_usage(self, body: dict[str, Any], reply: _Reply) -> dict[str, int]:
        """Input and cache counts: scripted ones, the cache's rules, or the rough estimate."""
        scripted = reply.cache_creation_5m or reply.cache_creation_1h or reply.cache_read
        if self._api_usage and reply.input_tokens is None and not scripted:
            return self._prompt_cache.usage(body, time.monotonic() + self._clock_offset)
        return {
            "input_tokens": (
                reply.input_tokens
                if reply.input_tokens is not None
                else estimate_input_tokens(body)
            ),
            "cache_read_input_tokens": reply.cache_read,
            "cache_creation_5m": reply.cache_creation_5m,
            "cache_creation_1h": reply.cache_creation_1h,
        }

    def _answer(self, body: dict[str, Any], reply: _Reply) -> dict[str, Any]:
        prompt = self._prompt_usage(body, reply)
        stop_reason = reply.stop_reason
        if reply.tool_input is not None:
            tool_input = reply.tool_input
            data = tool_input(body) if callable(tool_input) else copy.deepcopy(tool_input)
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": f"toolu_fake_{next(self._message_ids)}",
                "name": _forced_tool(body),
                "input": data,
            }
            default_output = max(1, len(json.dumps(data)) // 4)
            if self._api_usage:
                default_output = max(1, usage_rules.tokens_of_text(json.dumps(data)))
        else:
            text = reply.text(body) if callable(reply.text) else reply.text
            default_output = max(1, _count_words(text))
            if self._api_usage:
                limit = int(body.get("max_tokens") or 0)
                if limit and usage_rules.tokens_of_text(text) > limit:
                    text = text[: limit * usage_rules.CHARS_PER_TOKEN]
                    stop_reason = "max_tokens"
                default_output = max(1, usage_rules.tokens_of_text(text))
            block = {"type": "text", "text": text}
        output_tokens = reply.output_tokens if reply.output_tokens is not None else default_output
        return {
            "id": f"msg_fake_{next(self._message_ids)}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": [block],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt["input_tokens"],
                "cache_creation_input_tokens": prompt["cache_creation_5m"]
                + prompt["cache_creation_1h"],
                "cache_read_input_tokens": prompt["cache_read_input_tokens"],
                "cache_creation": {
                    "ephemeral_5m_input_tokens": prompt["cache_creation_5m"],
                    "ephemeral_1h_input_tokens": prompt["cache_creation_1h"],
                },
                "output_tokens": output_tokens,
                "service_tier": "standard",
            },
        }


# --------------------------------------------------------------------------- standalone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the fake Anthropic Messages API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("FAKE_ANTHROPIC_PORT", "8765")),
        help="0 picks a free port (default 8765 or $FAKE_ANTHROPIC_PORT)",
    )
    parser.add_argument(
        "--chunk-delay",
        type=float,
        default=float(os.environ.get("FAKE_ANTHROPIC_CHUNK_DELAY", "0")),
        help="seconds between streamed deltas ($FAKE_ANTHROPIC_CHUNK_DELAY)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=float(os.environ.get("FAKE_ANTHROPIC_LATENCY", "0")),
        help="seconds before every response ($FAKE_ANTHROPIC_LATENCY)",
    )
    parser.add_argument(
        "--reply",
        default=os.environ.get("FAKE_ANTHROPIC_REPLY", DEFAULT_REPLY),
        help="default reply text ($FAKE_ANTHROPIC_REPLY)",
    )
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    fake = FakeAnthropic(
        host=args.host,
        port=args.port,
        default_reply=args.reply,
        chunk_delay=args.chunk_delay,
        latency=args.latency,
        verbose=args.verbose,
    )
    fake.start()
    print(f"FAKE_ANTHROPIC_URL={fake.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
