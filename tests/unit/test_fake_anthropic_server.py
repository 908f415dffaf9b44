"""The fake Anthropic server speaks the real wire protocol: checked with the real SDK.

No SDK class is mocked; every test makes real HTTP calls to 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import anthropic
import pytest

from tests.fakes.anthropic_server import DEFAULT_REPLY, FakeAnthropic

MODEL = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Hi, I'm your counsellor today. How are you?"}]
REPO_ROOT = Path(__file__).resolve().parents[2]
_clients: list[anthropic.Anthropic] = []


@pytest.fixture(autouse=True)
def _close_clients():
    """Close every SDK client a test made, so no pooled socket outlives it."""
    yield
    while _clients:
        _clients.pop().close()


def make_client(fake: FakeAnthropic, **kwargs) -> anthropic.Anthropic:
    """A real SDK client pointed at the fake server (no retries unless asked)."""
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("api_key", "test-key")
    kwargs.setdefault("base_url", fake.base_url)
    client = anthropic.Anthropic(**kwargs)
    _clients.append(client)
    return client


def create(client: anthropic.Anthropic, **kwargs):
    """``messages.create`` with the boilerplate filled in."""
    params = {"model": MODEL, "max_tokens": 256, "messages": MESSAGES, **kwargs}
    return client.messages.create(**params)


# --------------------------------------------------------------------------- replies


def test_default_reply_when_nothing_scripted(fake_anthropic):
    """An unscripted request gets the deterministic default reply."""
    message = create(make_client(fake_anthropic))
    assert message.content[0].text == DEFAULT_REPLY
    assert message.model == MODEL
    assert message.role == "assistant"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == len(DEFAULT_REPLY.split())
    assert message.usage.input_tokens > 0


def test_non_streaming_reply_and_usage(fake_anthropic):
    """Scripted text, token counts and cache counters come back as a typed Message."""
    fake_anthropic.reply(
        "Honestly? Not great.",
        input_tokens=120,
        output_tokens=7,
        cache_creation_5m=2000,
        cache_creation_1h=1000,
        cache_read=4096,
    )
    client = make_client(fake_anthropic)
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert raw.headers["request-id"].startswith("req_fake_")
    message = raw.parse()

    assert message.id.startswith("msg_")
    assert message.type == "message"
    assert message.content[0].type == "text"
    assert message.content[0].text == "Honestly? Not great."
    assert message.stop_sequence is None
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (120, 7)
    assert usage.cache_creation_input_tokens == 3000
    assert usage.cache_read_input_tokens == 4096
    assert usage.cache_creation.ephemeral_5m_input_tokens == 2000
    assert usage.cache_creation.ephemeral_1h_input_tokens == 1000


def test_max_tokens_stop_reason_and_callable_text(fake_anthropic):
    """``stop_reason`` is scriptable and reply text can depend on the request."""
    fake_anthropic.reply(
        lambda body: f"echo {body['messages'][-1]['content']}", stop_reason="max_tokens"
    )
    message = create(make_client(fake_anthropic), messages=[{"role": "user", "content": "ping"}])
    assert message.content[0].text == "echo ping"
    assert message.stop_reason == "max_tokens"


def test_queue_is_fifo_then_default(fake_anthropic):
    """Behaviours are consumed one per request, in order; ``times`` repeats one."""
    fake_anthropic.reply("first").reply("second", times=2)
    client = make_client(fake_anthropic)
    texts = [create(client).content[0].text for _ in range(4)]
    assert texts == ["first", "second", "second", DEFAULT_REPLY]
    assert fake_anthropic.pending == 0


TOOL = {
    "name": "record_review",
    "description": "Record the review.",
    "input_schema": {"type": "object", "properties": {"goal": {"type": "string"}}},
}


def test_tool_reply_answers_a_forced_tool_with_a_tool_use_block(fake_anthropic):
    """A scripted tool input comes back as the forced tool's ``tool_use`` block, with usage."""
    fake_anthropic.tool_reply({"goal": "Reflect more."}, input_tokens=900, cache_read=4096)
    fake_anthropic.tool_reply(lambda body: {"goal": f"{len(body['messages'])} messages"})
    client = make_client(fake_anthropic)
    forced = {"tools": [TOOL], "tool_choice": {"type": "tool", "name": "record_review"}}

    message = create(client, **forced)
    block = message.content[0]
    assert (block.type, block.name, block.input) == (
        "tool_use",
        "record_review",
        {"goal": "Reflect more."},
    )
    assert block.id.startswith("toolu_")
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (900, 4096)
    assert message.usage.output_tokens > 0
    assert create(client, **forced).content[0].input == {"goal": "1 messages"}
    assert fake_anthropic.last_request.body["tool_choice"]["name"] == "record_review"


def test_tool_reply_streams_its_input_as_json_pieces(fake_anthropic):
    """Streamed, the tool input arrives as ``input_json_delta`` pieces the SDK reassembles."""
    answer = {"goal": "Ask one open question before giving advice. " * 3}
    fake_anthropic.tool_reply(answer)
    with make_client(fake_anthropic).messages.stream(
        model=MODEL, max_tokens=256, messages=MESSAGES, tools=[TOOL]
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == answer
    assert final.stop_reason == "tool_use"


# --------------------------------------------------------------------------- streaming


def test_streaming_text_and_final_usage(fake_anthropic):
    """``messages.stream`` yields several chunks that join to the reply; usage is complete."""
    text = "I don't really know why I'm here, my mum made me come today."
    fake_anthropic.reply(text, input_tokens=50, cache_read=1024, cache_creation_5m=300)
    with make_client(fake_anthropic).messages.stream(
        model=MODEL, max_tokens=256, messages=MESSAGES
    ) as stream:
        chunks = list(stream.text_stream)
        final = stream.get_final_message()

    assert len(chunks) > 2
    assert "".join(chunks) == text
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens == 50
    assert final.usage.output_tokens == len(text.split())
    assert final.usage.cache_read_input_tokens == 1024
    assert final.usage.cache_creation_input_tokens == 300
    assert fake_anthropic.last_request.stream is True


def test_stream_event_sequence_matches_the_api(fake_anthropic):
    """The raw SSE events come in the documented order."""
    fake_anthropic.reply("one two three four five six seven")
    events = create(make_client(fake_anthropic), stream=True)
    types = [event.type for event in events]  # the SDK drops ``ping`` events
    assert types[:2] == ["message_start", "content_block_start"]
    assert set(types[2:-3]) == {"content_block_delta"} and len(types[2:-3]) == 3
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]

    raw = _raw_post(
        fake_anthropic, {"model": MODEL, "max_tokens": 50, "messages": MESSAGES, "stream": True}
    )
    assert raw.startswith("event: message_start\ndata: {")
    assert 'event: ping\ndata: {"type": "ping"}\n\n' in raw


def test_chunk_delay_spaces_out_deltas(fake_anthropic):
    """A per-reply chunk delay slows the stream down (useful for UI tests)."""
    fake_anthropic.reply("a b c d e f g h i", chunk_delay=0.05)  # 3 chunks -> ~0.15 s
    started = time.perf_counter()
    with make_client(fake_anthropic).messages.stream(
        model=MODEL, max_tokens=50, messages=MESSAGES
    ) as stream:
        assert "".join(stream.text_stream) == "a b c d e f g h i"
    assert time.perf_counter() - started >= 0.14


def test_mid_stream_error_raises_while_iterating(fake_anthropic):
    """An ``error`` event after HTTP 200 surfaces as an APIStatusError mid-iteration."""
    fake_anthropic.stream_error_midway(
        "Well, I guess it started when", "overloaded_error", "Overloaded"
    )
    received = []
    with pytest.raises(anthropic.APIStatusError) as info:
        with make_client(fake_anthropic).messages.stream(
            model=MODEL, max_tokens=256, messages=MESSAGES
        ) as stream:
            for chunk in stream.text_stream:
                received.append(chunk)
    assert "".join(received) == "Well, I guess it started when"
    assert info.value.type == "overloaded_error"
    assert info.value.request_id.startswith("req_fake_")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "error_type", "exception"),
    [
        (400, "invalid_request_error", anthropic.BadRequestError),
        (401, "authentication_error", anthropic.AuthenticationError),
        (402, "billing_error", anthropic.PaymentRequiredError),
        (403, "permission_error", anthropic.PermissionDeniedError),
        (404, "not_found_error", anthropic.NotFoundError),
        (429, "rate_limit_error", anthropic.RateLimitError),
        (500, "api_error", anthropic.InternalServerError),
        (529, "overloaded_error", anthropic.OverloadedError),
    ],
)
def test_error_status_maps_to_sdk_exception(fake_anthropic, status, error_type, exception):
    """Each scripted status raises the matching SDK exception with the request id."""
    fake_anthropic.error(status, error_type, f"scripted {error_type}")
    with pytest.raises(exception) as info:
        create(make_client(fake_anthropic))
    err = info.value
    assert err.status_code == status
    assert err.type == error_type
    assert err.api_message == f"scripted {error_type}"
    assert err.body == {
        "type": "error",
        "error": {"type": error_type, "message": f"scripted {error_type}"},
    }
    assert err.request_id and err.request_id.startswith("req_fake_")


def test_retries_past_overload_then_succeeds(fake_anthropic):
    """With max_retries=2 the SDK survives two 529s; the server sees three requests."""
    fake_anthropic.error(529, "overloaded_error", "Overloaded", retry_after_ms=10, times=2)
    fake_anthropic.reply("Fine, I'll talk.")
    message = create(make_client(fake_anthropic, max_retries=2))
    assert message.content[0].text == "Fine, I'll talk."
    assert fake_anthropic.request_count == 3
    retry_counts = [r.headers["x-stainless-retry-count"] for r in fake_anthropic.requests]
    assert retry_counts == ["0", "1", "2"]


def test_retry_after_headers_are_honoured(fake_anthropic):
    """``retry-after-ms`` and ``retry-after`` set the SDK's wait between attempts."""
    fake_anthropic.rate_limited(retry_after=0.3)  # seconds (the SDK accepts floats)
    fake_anthropic.error(429, retry_after_ms=10)
    fake_anthropic.reply("ok")
    assert create(make_client(fake_anthropic, max_retries=2)).content[0].text == "ok"
    t0, t1, t2 = (r.received_at for r in fake_anthropic.requests)
    assert t1 - t0 >= 0.28  # waited ~retry-after
    assert t2 - t1 < 0.25  # waited ~10 ms, not the default ~0.5-1 s backoff


def test_x_should_retry_false_stops_retries(fake_anthropic):
    """``x-should-retry: false`` overrides the SDK's retry of a 500."""
    fake_anthropic.error(500, should_retry=False)
    with pytest.raises(anthropic.InternalServerError):
        create(make_client(fake_anthropic, max_retries=2))
    assert fake_anthropic.request_count == 1


def test_connection_reset_raises_connection_error(fake_anthropic):
    """A dropped connection without a response is an APIConnectionError, and the server recovers."""
    fake_anthropic.connection_reset()
    client = make_client(fake_anthropic)
    with pytest.raises(anthropic.APIConnectionError) as info:
        create(client)
    assert not isinstance(info.value, anthropic.APITimeoutError)
    assert create(client).content[0].text == DEFAULT_REPLY


def test_hang_triggers_client_timeout(fake_anthropic):
    """A hung request makes a client with timeout=0.5 raise APITimeoutError quickly."""
    fake_anthropic.hang(10)
    started = time.perf_counter()
    with pytest.raises(anthropic.APITimeoutError):
        create(make_client(fake_anthropic, timeout=0.5))
    assert time.perf_counter() - started < 3
    # The hung handler does not block other requests.
    assert create(make_client(fake_anthropic)).content[0].text == DEFAULT_REPLY


def test_release_ends_a_hang_and_keeps_the_records(fake_anthropic):
    """A reply held by a long ``hang`` is answered as scripted once the test releases it."""
    import concurrent.futures

    fake_anthropic.hang(60, then="Finally.")
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(create, make_client(fake_anthropic))
        while fake_anthropic.request_count == 0:
            time.sleep(0.01)
        assert not held.done()
        fake_anthropic.release()
        assert held.result(timeout=10).content[0].text == "Finally."
    assert fake_anthropic.request_count == 1


def test_latency_applies_to_every_response_concurrently(fake_anthropic):
    """``latency`` delays each response without serialising concurrent requests."""
    import concurrent.futures

    fake_anthropic.latency(0.2)
    client = make_client(fake_anthropic)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda _: create(client).content[0].text, range(5)))
    elapsed = time.perf_counter() - started
    assert results == [DEFAULT_REPLY] * 5
    assert 0.2 <= elapsed < 0.9


def test_invalid_request_is_rejected_without_consuming_script(fake_anthropic):
    """Requests the real API would refuse get a 400 and leave the queue alone."""
    fake_anthropic.reply("kept")
    with pytest.raises(anthropic.BadRequestError):
        make_client(fake_anthropic).messages.create(model=MODEL, max_tokens=10, messages=[])
    assert fake_anthropic.pending == 1


# --------------------------------------------------------------------------- recording & misc


def test_requests_are_recorded_with_credentials_redacted(fake_anthropic):
    """The recorded request keeps path and body but never the API key."""
    create(make_client(fake_anthropic), system="You are Sam, a reluctant client.")
    [request] = fake_anthropic.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.body["system"] == "You are Sam, a reluctant client."
    assert request.body["messages"] == MESSAGES
    assert "test-key" not in json.dumps(request.headers)
    credential_headers = {
        k: v for k, v in request.headers.items() if k in ("x-api-key", "authorization")
    }
    assert credential_headers and set(credential_headers.values()) == {"[redacted]"}


def test_count_tokens(fake_anthropic):
    """``messages.count_tokens`` returns an estimate of roughly chars/4."""
    client = make_client(fake_anthropic)
    short = client.messages.count_tokens(model=MODEL, messages=MESSAGES)
    long = client.messages.count_tokens(model=MODEL, system="x" * 4000, messages=MESSAGES)
    assert short.input_tokens > 0
    assert 1000 <= long.input_tokens - short.input_tokens <= 1010
    assert fake_anthropic.request_count == 2


def test_reset_clears_everything(fake_anthropic):
    """``reset`` drops the script, records and latency."""
    fake_anthropic.reply("never sent").latency(5)
    fake_anthropic.reset()
    assert (fake_anthropic.pending, fake_anthropic.request_count) == (0, 0)
    started = time.perf_counter()
    assert create(make_client(fake_anthropic)).content[0].text == DEFAULT_REPLY
    assert time.perf_counter() - started < 1


def test_env_var_base_url_and_context_manager(monkeypatch):
    """A standalone instance works as a context manager and via ANTHROPIC_BASE_URL."""
    with FakeAnthropic(default_reply="standalone") as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        client = anthropic.Anthropic(max_retries=0)
        _clients.append(client)
        assert create(client).content[0].text == "standalone"
    with pytest.raises(anthropic.APIConnectionError):
        create(client)


def test_module_runs_standalone():
    """``python -m tests.fakes.anthropic_server`` serves until terminated."""
    with subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.anthropic_server", "--port", "0", "--latency", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            line = proc.stdout.readline().strip()
            assert line.startswith("FAKE_ANTHROPIC_URL=http://127.0.0.1:")
            base_url = line.split("=", 1)[1]
            client = anthropic.Anthropic(api_key="test-key", base_url=base_url, max_retries=0)
            _clients.append(client)
            assert create(client).content[0].text == DEFAULT_REPLY
        finally:
            proc.terminate()
            assert proc.wait(timeout=5) == 0


def _raw_post(fake: FakeAnthropic, body: dict) -> str:
    """POST without the SDK, to look at the bytes on the wire."""
    request = urllib.request.Request(
        fake.base_url + "/v1/messages",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-api-key": "test-key"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        return response.read().decode()


# --------------------------------------------------------------------------- usage as the API reports it

PREFIX_5K = "You are a careful reviewer. " * 740  # 20,720 characters: 5,180 tokens


def cached_system(text: str = PREFIX_5K, **control) -> list[dict]:
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral", **control}}]


def counts(message) -> tuple[int, int, int]:
    usage = message.usage
    return usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens


def test_api_usage_caches_a_prefix_that_reaches_the_models_minimum_and_bills_it(fake_anthropic):
    fake = fake_anthropic.use_api_usage()
    client = make_client(fake)
    first = create(client, system=cached_system())
    second = create(client, system=cached_system())
    question = math.ceil(len(MESSAGES[0]["content"]) / 4)
    assert counts(first) == (question, 5180, 0)  # the first request writes the prefix
    assert counts(second) == (question, 0, 5180)  # the next one reads it
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == 5180
    output = first.usage.output_tokens
    assert output == math.ceil(len(DEFAULT_REPLY) / 4)
    # Haiku 4.5 at $1 / $5 per million: writes 1.25x and reads 0.1x the input price.
    first_cost = (question + Decimal("1.25") * 5180 + 5 * output) / Decimal(10**6)
    second_cost = (question + Decimal("0.1") * 5180 + 5 * output) / Decimal(10**6)
    assert [line.cost for line in fake.bill] == [first_cost, second_cost]
    assert fake.billed_usd() == first_cost + second_cost
    assert fake.bill[0].usage["cache_write_5m_tokens"] == 5180


def test_a_prefix_below_the_models_minimum_is_not_cached(fake_anthropic):
    fake = fake_anthropic.use_api_usage()
    client = make_client(fake)
    short = cached_system("Be brief. " * 800)  # 2,000 tokens
    for _ in range(2):  # Haiku 4.5 needs 4,096 tokens: nothing is written or read, nothing fails
        assert counts(create(client, system=short))[1:] == (0, 0)
    create(client, model="claude-sonnet-4-5", system=short)  # Sonnet 4.5 needs 1,024
    again = create(client, model="claude-sonnet-4-5", system=short)
    assert counts(again)[1:] == (0, 2000)
    assert (
        create(client, model="claude-sonnet-4-6", system=short).usage.cache_read_input_tokens == 0
    )


def test_a_conversation_reads_its_earlier_prefix_and_writes_only_the_new_turns(fake_anthropic):
    """The last message carries the breakpoint; the next turn finds the previous one's entry by
    looking back, reads it, and writes only what was added."""
    fake = fake_anthropic.use_api_usage()
    client = make_client(fake)
    system = [{"type": "text", "text": PREFIX_5K}]

    def marked(messages: list[dict]) -> list[dict]:
        *earlier, last = messages
        block = {"type": "text", "text": last["content"], "cache_control": {"type": "ephemeral"}}
        return [*earlier, {"role": last["role"], "content": [block]}]

    turn_one = [{"role": "user", "content": "Hello there."}]  # 3 tokens
    first = create(client, system=system, messages=marked(turn_one))
    turn_two = turn_one + [
        {"role": "assistant", "content": "Hi."},  # 1 token
        {"role": "user", "content": "How are you?"},  # 3 tokens
    ]
    second = create(client, system=system, messages=marked(turn_two))
    assert counts(first) == (0, 5183, 0)
    assert counts(second) == (0, 4, 5183)


def test_cache_entries_expire_after_their_lifetime_and_an_hour_costs_twice(fake_anthropic):
    fake = fake_anthropic.use_api_usage()
    client = make_client(fake)
    create(client, system=cached_system())
    fake.advance_clock(299)
    assert counts(create(client, system=cached_system()))[2] == 5180  # read: alive 5 more minutes
    fake.advance_clock(301)
    assert counts(create(client, system=cached_system()))[1:] == (5180, 0)  # expired: written
    hour = create(client, model="claude-sonnet-4-6", system=cached_system(ttl="1h"))
    assert hour.usage.cache_creation.ephemeral_1h_input_tokens == 5180
    assert fake.bill[-1].usage["cache_write_1h_tokens"] == 5180
    fake.advance_clock(3000)
    assert (
        create(
            client, model="claude-sonnet-4-6", system=cached_system(ttl="1h")
        ).usage.cache_read_input_tokens
        == 5180
    )
    written = fake.bill[-2]
    expected = (
        3 * written.usage["input_tokens"] + 2 * 3 * 5180 + 15 * written.usage["output_tokens"]
    ) / Decimal(10**6)
    assert written.cost == expected


def test_api_usage_cuts_a_reply_at_max_tokens(fake_anthropic):
    fake = fake_anthropic.use_api_usage()
    fake.reply("I don't know where to begin, honestly. " * 20)
    message = create(make_client(fake), max_tokens=30)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 30
    assert len(message.content[0].text) == 120


def test_streamed_usage_carries_the_cache_counts_at_message_start(fake_anthropic):
    fake = fake_anthropic.use_api_usage()
    client = make_client(fake)
    create(client, system=cached_system())
    with client.messages.stream(
        model=MODEL, max_tokens=256, system=cached_system(), messages=MESSAGES
    ) as stream:
        starts = [event for event in stream if event.type == "message_start"]
        final = stream.get_final_message()
    assert starts[0].message.usage.cache_read_input_tokens == 5180
    assert final.usage.cache_read_input_tokens == 5180
    assert fake.bill[-1].usage["cache_read_tokens"] == 5180


def test_scripted_counts_win_over_api_usage_and_more_than_four_breakpoints_is_refused(
    fake_anthropic,
):
    fake = fake_anthropic.use_api_usage()
    fake.reply("Fine.", input_tokens=7, cache_read=11)
    client = make_client(fake)
    assert counts(create(client, system=cached_system())) == (7, 0, 11)
    five = [
        {"type": "text", "text": f"part {n}", "cache_control": {"type": "ephemeral"}}
        for n in range(5)
    ]
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4 blocks"):
        create(client, system=five)


def test_reset_forgets_the_cache_the_bill_and_the_usage_mode(fake_anthropic):
    fake = fake_anthropic.use_api_usage()
    create(make_client(fake), system=cached_system())
    fake.reset()
    assert fake.bill == []
    message = create(make_client(fake), system=cached_system())
    assert counts(message)[1:] == (0, 0)  # back to the fixed estimates, nothing cached
    assert message.usage.output_tokens == len(DEFAULT_REPLY.split())


# --------------------------------------------------------------------------- message batches


def batch_request(custom_id: str, **params) -> dict:
    return {
        "custom_id": custom_id,
        "params": {"model": MODEL, "max_tokens": 256, "messages": MESSAGES, **params},
    }


def test_a_batch_is_in_progress_then_ended_with_one_result_per_request(fake_anthropic):
    fake_anthropic.reply("First.", input_tokens=100, output_tokens=10)
    fake_anthropic.tool_reply({"ok": True}, input_tokens=200, output_tokens=20)
    client = make_client(fake_anthropic)
    tools = [{"name": "answer", "description": "d", "input_schema": {"type": "object"}}]
    batch = client.messages.batches.create(
        requests=[batch_request("a"), batch_request("b", tools=tools)]
    )
    assert batch.id.startswith("msgbatch_") and batch.type == "message_batch"
    assert batch.processing_status == "in_progress" and batch.results_url is None
    assert batch.request_counts.processing == 2
    first_look = client.messages.batches.retrieve(batch.id)
    assert first_look.processing_status == "in_progress"
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.ended_at is not None
    assert ended.request_counts.succeeded == 2 and ended.request_counts.processing == 0
    assert ended.results_url and ended.results_url.endswith(f"/{batch.id}/results")

    results = {item.custom_id: item.result for item in client.messages.batches.results(batch.id)}
    assert results["a"].type == "succeeded" and results["a"].message.content[0].text == "First."
    assert results["b"].message.content[0].type == "tool_use"
    assert results["b"].message.content[0].input == {"ok": True}
    # Billed at half the list price: (100 * $1 + 10 * $5) / 2 per million.
    assert [line.cost for line in fake_anthropic.bill] == [
        Decimal(150) / 2 / Decimal(10**6),
        Decimal(300) / 2 / Decimal(10**6),
    ]
    assert all(line.batch for line in fake_anthropic.bill)
    assert fake_anthropic.messages_requests() == []  # no /v1/messages call was made


def test_a_scripted_error_or_expiry_is_that_requests_result_and_is_not_billed(fake_anthropic):
    fake_anthropic.error(529).batch_outcome("expired").reply("Fine.")
    client = make_client(fake_anthropic)
    batch = client.messages.batches.create(
        requests=[batch_request("x"), batch_request("y"), batch_request("z")]
    )
    fake_anthropic.end_batches()
    ended = client.messages.batches.retrieve(batch.id)
    counts = ended.request_counts
    assert (counts.errored, counts.expired, counts.succeeded) == (1, 1, 1)
    results = {item.custom_id: item.result for item in client.messages.batches.results(batch.id)}
    assert results["x"].type == "errored"
    assert results["x"].error.error.type == "overloaded_error"
    assert results["y"].type == "expired" and results["z"].type == "succeeded"
    assert len(fake_anthropic.bill) == 1


def test_held_batches_stay_in_progress_until_ended_and_cancel_ends_them(fake_anthropic):
    client = make_client(fake_anthropic)
    fake_anthropic.hold_batches()
    held = client.messages.batches.create(requests=[batch_request("a")])
    for _ in range(3):
        assert client.messages.batches.retrieve(held.id).processing_status == "in_progress"
    with pytest.raises(anthropic.AnthropicError):
        client.messages.batches.results(held.id)  # no results_url before the end
    cancelled = client.messages.batches.cancel(held.id)
    assert cancelled.processing_status in ("canceling", "ended")
    ended = client.messages.batches.retrieve(held.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 1
    assert [item.result.type for item in client.messages.batches.results(held.id)] == ["canceled"]
    assert fake_anthropic.bill == []
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve("msgbatch_nope")
    assert [b.id for b in fake_anthropic.batches] == [held.id]
