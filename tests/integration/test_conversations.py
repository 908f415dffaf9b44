"""The conversation engine against a fake Anthropic API speaking the real protocol, both backends."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from backend import event_log, llm
from backend.clients import prompt_service
from backend.db import Database, unit_of_work
from backend.errors import ConflictError, ValidationError
from backend.llm import BreakerState, HealthStatus, get_gateway
from backend.models.enums import MessageRole
from backend.monitoring import health_service
from backend.practice import conversation_service, session_service
from tests.factories import make_user
from tests.integration.conftest import TEST_API_KEY
from tests.integration.reads import stored_messages, stored_session


def _events(engine, admin_engine_user):
    with unit_of_work(engine, write=False) as db:
        return event_log.list_events(db, actor=admin_engine_user)


def _admin(engine):
    from backend.models.enums import Role

    with unit_of_work(engine) as db:
        return make_user(db, role=Role.admin)


def _say(engine, student, chat_id, text):
    reply = conversation_service.submit_message(
        Database(engine), actor=student, session_id=chat_id, content=text
    )
    chunks = list(reply)
    return chunks, reply.outcome


def _retry(engine, student, chat_id):
    reply = conversation_service.request_reply(Database(engine), actor=student, session_id=chat_id)
    return list(reply), reply.outcome


@pytest.mark.both_backends  # exact costs are numerics per dialect
def test_streamed_turns_are_stored_with_the_apis_usage_and_exact_cost(
    committed_engine, api, classroom
):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply(
        "I don't know. Work has been a lot lately.",
        input_tokens=1200,
        output_tokens=11,
        cache_creation_5m=1000,
    )
    api.reply(
        "Maybe. I haven't told anyone that.",
        input_tokens=30,
        output_tokens=8,
        cache_read=1000,
        cache_creation_5m=60,
    )
    chunks, outcome = _say(
        committed_engine, classroom.student, session.id, "What brings you in today?"
    )
    assert len(chunks) > 1 and "".join(chunks) == "I don't know. Work has been a lot lately."
    assert outcome.ok and outcome.message.sequence_number == 2
    _chunks, second = _say(committed_engine, classroom.student, session.id, "That sounds heavy.")
    assert second.message.content == "Maybe. I haven't told anyone that."

    first_reply, second_reply = (
        m
        for m in stored_messages(committed_engine, classroom.student, session.id)
        if m.role == MessageRole.assistant
    )
    # Haiku 4.5: input $1, output $5, 5-minute cache write $1.25, cache read $0.10 per million.
    assert first_reply.cost == Decimal("0.002505")  # 1200*1 + 11*5 + 1000*1.25 = 2505
    assert second_reply.cost == Decimal("0.000245")  # 30*1 + 8*5 + 60*1.25 + 1000*0.1 = 245
    assert (second_reply.cache_read_tokens, second_reply.cache_write_tokens) == (1000, 60)
    assert first_reply.latency_ms is not None and first_reply.time_to_first_token_ms is not None
    assert first_reply.model == "claude-haiku-4-5"
    with unit_of_work(committed_engine, write=False) as db:
        totals = session_service.get_session(db, actor=classroom.student, session_id=session.id)
    assert totals.estimated_cost == Decimal("0.00275")
    assert (
        totals.input_tokens,
        totals.output_tokens,
        totals.cache_write_tokens,
        totals.cache_read_tokens,
    ) == (1230, 19, 1060, 1000)
    assert totals.total_tokens == 1230 + 19 + 1060 + 1000


def test_request_marks_the_stable_prefix_for_caching_and_alternates_roles(
    committed_engine, api, classroom
):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    _say(committed_engine, classroom.student, session.id, "Hello.")
    _say(committed_engine, classroom.student, session.id, "How was your week?")
    body = api.messages_requests()[-1].body
    assert body["stream"] is True and body["model"] == "claude-haiku-4-5"
    guide, own = body["system"]
    # The role-play guide every client shares is cached for an hour; the client's own part and
    # the conversation for ANTHROPIC_CACHE_TTL.
    assert guide["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert guide["text"] == prompt_service.guide() and "Alex Rivera" not in guide["text"]
    assert own["cache_control"] == {"type": "ephemeral"}
    assert "Alex Rivera" in own["text"]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][-1]["content"][0]["cache_control"] == {"type": "ephemeral"}
    # The same profile gives the same system prompt: the prefix can be served from the cache.
    assert api.messages_requests()[0].body["system"] == body["system"]


@pytest.mark.parametrize(
    ("script", "category", "words"),
    [
        (lambda api: api.error(401), "authentication", "API key was refused"),
        (lambda api: api.error(403), "permission", "permission or billing"),
        (lambda api: api.error(402, "billing_error"), "permission", "permission or billing"),
        (lambda api: api.error(400), "bad_request", "refused this request"),
        (lambda api: api.rate_limited(retry_after=1), "rate_limited", "too many requests"),
        (lambda api: api.error(500), "server_error", "internal error"),
        (lambda api: api.overloaded(), "overloaded", "overloaded"),
        (lambda api: api.connection_reset(), "connection", "Could not reach"),
        (lambda api: api.stream_error_midway("Well, I suppose"), "overloaded", "overloaded"),
    ],
)
def test_each_failure_keeps_the_message_explains_and_logs(
    committed_engine, api, classroom, script, category, words
):
    admin = _admin(committed_engine)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    script(api)
    _chunks, outcome = _say(
        committed_engine, classroom.student, session.id, "Can you tell me more?"
    )
    assert not outcome.ok and outcome.error.category == category
    assert words.lower() in outcome.notice.lower()
    assert "Alex Rivera" in outcome.notice  # an in-world notice, not the client's words
    stored = stored_messages(committed_engine, classroom.student, session.id)
    assert [(m.role, m.content) for m in stored] == [(MessageRole.user, "Can you tell me more?")]
    event = next(e for e in _events(committed_engine, admin) if e.category.startswith("api_"))
    assert event.category == f"api_{category}" and event.session_id == session.id
    assert event.details["request_id"] or category == "connection"
    assert TEST_API_KEY not in str(event.model_dump())

    # Retry answers the same message: one student message, one reply.
    chunks, retried = _retry(committed_engine, classroom.student, session.id)
    assert "".join(chunks) and retried.ok
    stored = stored_messages(committed_engine, classroom.student, session.id)
    assert [m.role for m in stored] == [MessageRole.user, MessageRole.assistant]


def test_timeout_is_its_own_category(committed_engine, api, configure, classroom):
    configure(anthropic_timeout_seconds=0.5)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.hang(5)
    _chunks, outcome = _say(committed_engine, classroom.student, session.id, "Hello?")
    assert outcome.error.category == "timeout" and "took too long" in outcome.notice


def test_a_reply_cut_off_midstream_is_not_stored(committed_engine, api, classroom):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.stream_error_midway(
        "I was going to say that my brother never called me back after", chunk_delay=0
    )
    chunks, outcome = _say(committed_engine, classroom.student, session.id, "Go on.")
    assert "".join(chunks).startswith("I was going")  # the student saw the start...
    assert not outcome.ok  # ...but it is not kept as a reply
    assert [m.role for m in stored_messages(committed_engine, classroom.student, session.id)] == [
        MessageRole.user
    ]
    # What the API billed before the cut still counts: input from message_start, output estimated.
    with unit_of_work(committed_engine, write=False) as db:
        totals = session_service.get_session(db, actor=classroom.student, session_id=session.id)
    assert totals.input_tokens > 0 and totals.output_tokens >= 1 and totals.estimated_cost > 0


def test_a_reply_whose_stream_just_ends_is_not_stored(committed_engine, api, classroom):
    """The stream ends cleanly for HTTP but without `message_delta` or `message_stop` (a proxy
    ending the response early): the SDK hands back what arrived, which had been stored and
    shown as the client's whole answer, with the output counted as 1 token. It is a cut-off
    reply: not kept, a notice and Retry, its output estimated from the words that came.
    (An attack, 2026-12-07.)"""
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.stream_ended_early(
        "I was going to say that my brother never called me back after", chunk_delay=0
    )
    chunks, outcome = _say(committed_engine, classroom.student, session.id, "Go on.")
    assert "".join(chunks).startswith("I was going")
    assert not outcome.ok and outcome.retryable and "Alex Rivera" in outcome.notice
    assert [m.role for m in stored_messages(committed_engine, classroom.student, session.id)] == [
        MessageRole.user
    ]
    with unit_of_work(committed_engine, write=False) as db:
        totals = session_service.get_session(db, actor=classroom.student, session_id=session.id)
    assert totals.input_tokens > 0 and totals.output_tokens > 1 and not totals.reply_pending
    api.reply("He never did call.")
    chunks, retried = _retry(committed_engine, classroom.student, session.id)
    assert retried.ok and [
        m.content for m in stored_messages(committed_engine, classroom.student, session.id)
    ] == ["Go on.", "He never did call."]


def test_a_reader_that_goes_away_does_not_cut_the_reply_off(committed_engine, api, classroom):
    """A Streamlit rerun stops reading mid-reply: the reply is still generated and stored."""
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply(
        "One two three four five six seven eight nine ten.",
        input_tokens=500,
        output_tokens=11,
        chunk_delay=0.01,
    )
    reply = conversation_service.submit_message(
        Database(committed_engine), actor=classroom.student, session_id=session.id, content="Hello?"
    )
    stream = iter(reply)
    assert next(stream)
    stream.close()  # what a Streamlit rerun does to a running stream
    _wait_until_stored(committed_engine, classroom.student, session.id, count=2)
    with unit_of_work(committed_engine, write=False) as db:
        totals = session_service.get_session(db, actor=classroom.student, session_id=session.id)
    assert (totals.input_tokens, totals.output_tokens) == (500, 11)
    assert not totals.reply_pending


def _wait_until_stored(engine, student, chat_id, *, count):
    import time

    for _ in range(200):
        if len(stored_messages(engine, student, chat_id)) >= count:
            return
        time.sleep(0.02)
    raise AssertionError("the reply was never stored")


def test_sdk_retries_overloaded_then_succeeds(committed_engine, api, configure, classroom):
    configure(anthropic_max_retries=2)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.overloaded(times=2, retry_after_ms=10)
    api.reply("Okay. I'm here.")
    _chunks, outcome = _say(committed_engine, classroom.student, session.id, "Hi.")
    assert outcome.ok and outcome.message.content == "Okay. I'm here."
    assert len(api.messages_requests()) == 3


def test_consecutive_student_messages_after_a_failure_are_merged(committed_engine, api, classroom):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.overloaded()
    _say(committed_engine, classroom.student, session.id, "First question.")
    _chunks, outcome = _say(committed_engine, classroom.student, session.id, "Second question.")
    assert outcome.ok
    sent = api.messages_requests()[-1].body["messages"]
    assert len(sent) == 1 and sent[0]["content"][0]["text"] == "First question.\n\nSecond question."


def test_circuit_breaker_fails_fast_then_recovers(committed_engine, api, configure, classroom):
    configure(breaker_failure_threshold=3, breaker_cooldown_seconds=30)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    now = [1000.0]
    get_gateway().breaker.clock = lambda: now[0]  # the breaker's own clock, moved by hand
    api.overloaded(times=3)
    _say(committed_engine, classroom.student, session.id, "Hello?")
    for _ in range(2):
        _retry(committed_engine, classroom.student, session.id)
    gateway = get_gateway()
    assert gateway.breaker.state == BreakerState.open
    assert gateway.health().status == HealthStatus.unavailable
    seen = len(api.messages_requests())
    with pytest.raises(llm.GatewayError) as refused:
        conversation_service.request_reply(
            Database(committed_engine), actor=classroom.student, session_id=session.id
        )
    assert refused.value.category == "unavailable" and len(api.messages_requests()) == seen
    now[0] += 31  # the cooldown has passed
    assert gateway.health().status == HealthStatus.degraded  # half-open: next call is a trial
    _chunks, trial = _retry(committed_engine, classroom.student, session.id)
    assert trial.ok and gateway.breaker.state == BreakerState.closed


def test_bad_messages_are_refused_before_anything_is_stored_or_sent(
    committed_engine, api, classroom
):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    for content, words in (("   \n", "Type a message"), ("x" * 2001, "at most 2,000 characters")):
        with pytest.raises(ValidationError, match=words):
            conversation_service.submit_message(
                Database(committed_engine),
                actor=classroom.student,
                session_id=session.id,
                content=content,
            )
    assert stored_messages(committed_engine, classroom.student, session.id) == []
    assert api.messages_requests() == []


def test_ended_conversation_refuses_messages_and_end_is_idempotent(
    committed_engine, api, classroom
):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    first = conversation_service.end_conversation(
        Database(committed_engine), actor=classroom.student, session_id=session.id
    )
    second = conversation_service.end_conversation(
        Database(committed_engine), actor=classroom.student, session_id=session.id
    )
    assert first.ended_at == second.ended_at
    with pytest.raises(ConflictError, match="has ended"):
        conversation_service.submit_message(
            Database(committed_engine),
            actor=classroom.student,
            session_id=session.id,
            content="Hello?",
        )


def test_start_reuses_the_active_conversation(committed_engine, api, classroom):
    first = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    again = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    assert first.id == again.id and first.prompt_version.startswith("client-v3/")


def _reply_number(body: dict) -> str:
    """A client reply naming the turn it answers (about 70 tokens)."""
    asked = body["messages"][-1]["content"][0]["text"]
    number = asked.split(":", 1)[0].removeprefix("Question ")
    return f"Reply {number}: my sister Rosa came up again. " + "I keep thinking about it. " * 10


def test_context_budget_moves_the_window_in_steps_and_keeps_what_the_client_said(
    committed_engine, api, configure, classroom
):
    """Past the budget the oldest turns go, ten messages at a time, so the prompt before the
    newest turns stays the same (cached) between moves; what the client said before the window
    follows the system prompt, so it stays consistent."""
    configure(context_token_budget=700, user_rate_limit="100/minute")
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.set_default_reply(_reply_number)
    for turn in range(12):
        _say(
            committed_engine,
            classroom.student,
            session.id,
            f"Question {turn}: " + "tell me more " * 20,
        )
    bodies = [request.body for request in api.messages_requests()]
    firsts = [body["messages"][0]["content"] for body in bodies]
    firsts = [text if isinstance(text, str) else text[0]["text"] for text in firsts]
    assert all(body["messages"][0]["role"] == "user" for body in bodies)
    assert bodies[-1]["messages"][-1]["content"][0]["text"].startswith("Question 11")
    # The window starts at message 1, 11, 21...: student turns 0, 5 and 10.
    starts = sorted({text.split(":", 1)[0] for text in firsts}, key=lambda t: int(t.split()[1]))
    assert starts[0] == "Question 0" and len(starts) >= 2
    assert set(starts) <= {"Question 0", "Question 5", "Question 10"}
    moved = [
        body for body, first in zip(bodies, firsts, strict=True) if first.startswith("Question 5")
    ]
    assert len(moved) >= 2 and all(body["system"] == moved[0]["system"] for body in moved)
    earlier = moved[0]["system"][2]
    assert earlier["text"].startswith(conversation_service.EARLIER_HEADER)
    assert "cache_control" not in earlier
    # The newest of the client's replies before the window, as many as a quarter of the budget
    # holds (here two of five), oldest first: the sister it named stays known.
    assert "- Reply 3: my sister Rosa" in earlier["text"] and "- Reply 4:" in earlier["text"]
    assert "Reply 2:" not in earlier["text"] and "Reply 5:" not in earlier["text"]
    assert earlier["text"].index("Reply 3:") < earlier["text"].index("Reply 4:")
    assert len(bodies[0]["system"]) == 2  # nothing left out yet, nothing added


def test_the_reply_cap_of_the_clients_style_reaches_the_request(
    committed_engine, api, configure, classroom
):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    _say(committed_engine, classroom.student, session.id, "Hello.")
    assert classroom.client.communication_style == "reserved"
    reserved = prompt_service.reply_length("reserved").max_tokens
    assert api.last_request.body["max_tokens"] == reserved == 100
    configure(anthropic_max_tokens=80)  # the operator's ceiling wins when it is lower
    _say(committed_engine, classroom.student, session.id, "How was your week?")
    assert api.last_request.body["max_tokens"] == 80


def test_a_reply_cut_at_the_cap_ends_at_its_last_whole_sentence(committed_engine, api, classroom):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply(
        "I don't know. Maybe it's work? It's just that every time I", stop_reason="max_tokens"
    )
    _chunks, outcome = _say(committed_engine, classroom.student, session.id, "What brings you in?")
    assert outcome.message.content == "I don't know. Maybe it's work?"
    assert (
        stored_messages(committed_engine, classroom.student, session.id)[-1].content
        == outcome.message.content
    )


def test_send_message_waits_for_the_whole_reply(committed_engine, api, classroom):
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I guess.", input_tokens=100, output_tokens=4)
    outcome = conversation_service.send_message(
        Database(committed_engine),
        actor=classroom.student,
        session_id=session.id,
        content="How are you?",
    )
    assert outcome.message.content == "Fine, I guess."
    assert outcome.message.cost == Decimal("0.00012")
    assert outcome.totals.estimated_cost == Decimal("0.00012")  # the new totals come back


def test_demo_mode_without_a_key(committed_engine, configure, classroom):
    configure(anthropic_api_key=None, anthropic_base_url=None)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    _chunks, first = _say(
        committed_engine, classroom.student, session.id, "Hi, what brings you in?"
    )
    _chunks, again = _say(committed_engine, classroom.student, session.id, "Tell me more.")
    assert first.message.model == "demo" and first.message.cost == 0
    assert first.message.content and again.message.content
    assert get_gateway().demo_mode and get_gateway().health().status == HealthStatus.healthy


def test_check_api_reports_success_and_failure(api):
    api.reply("ok", input_tokens=12, output_tokens=1)
    report = health_service.check_connection()
    assert report.ok and "claude-haiku-4-5" in report.summary and "$0.000017" in report.summary
    api.error(401)
    report = health_service.check_connection()
    assert not report.ok and "API key refused" in report.summary
    assert TEST_API_KEY not in report.summary
    assert all(request.headers.get("x-api-key") != TEST_API_KEY for request in api.requests)


def test_unpriced_model_is_recorded_as_unpriced(committed_engine, api, configure, classroom):
    # With the dollar budget off: while it is on, such a reply is refused (test_costs_to_the_cent.py).
    configure(anthropic_model="claude-future-9", global_daily_cost_budget_usd="0")
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    _chunks, outcome = _say(committed_engine, classroom.student, session.id, "Hello.")
    assert outcome.message.cost is None
    with unit_of_work(committed_engine, write=False) as db:
        assert (
            session_service.get_session(
                db, actor=classroom.student, session_id=session.id
            ).unpriced_replies
            == 1
        )


@pytest.mark.parametrize("who", ["student", "teacher"])
def test_starting_with_a_client_that_does_not_exist_is_refused_like_one_not_yours(
    committed_engine, api, classroom, who
):
    """An unknown client id failed inside the prompt's profile (a traceback on the page) before
    access was even asked; now it is refused with a message, and a student is told the same as
    for a client not assigned to them (a teacher may learn the id is another teacher's)."""
    from backend.errors import AppError
    from backend.models.enums import Role
    from tests.factories import make_client

    with unit_of_work(committed_engine) as db:
        other_teacher = make_user(db, role=Role.teacher)
        not_theirs = make_client(db, teacher=other_teacher).id
    actor = classroom.student if who == "student" else classroom.teacher
    refusals = []
    for client_id in (not_theirs, 999_999):
        with pytest.raises(AppError) as refused:
            conversation_service.start_conversation(
                Database(committed_engine), actor=actor, client_id=client_id
            )
        refusals.append((type(refused.value), refused.value.message.replace(str(client_id), "N")))
    if who == "student":
        assert refusals[0] == refusals[1]  # unknown and not assigned read alike


def test_an_edited_client_is_played_from_the_next_turn_on(committed_engine, api, classroom):
    """The system prompt is built once per version of the client, and an edit is a new version."""
    from backend.clients import client_service
    from tests.factories import client_input

    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    for text in ("Hello.", "How are you?"):
        assert _say(committed_engine, classroom.student, session.id, text)[1].ok
    first, second = (request.body["system"][1]["text"] for request in api.messages_requests())
    assert first == second and "Alex Rivera" in first
    with unit_of_work(committed_engine) as db:
        client_service.update_client(
            db,
            actor=classroom.teacher,
            client_id=classroom.client.id,
            data=client_input(name="Sam Okafor"),
        )
    assert _say(committed_engine, classroom.student, session.id, "And now?")[1].ok
    third = api.messages_requests()[-1].body["system"][1]["text"]  # the client's own part
    assert "Sam Okafor" in third and "Alex Rivera" not in third


def test_a_conversation_too_large_for_the_api_is_told_so_and_not_to_press_retry(
    committed_engine, api, classroom
):
    """HTTP 413 (request_too_large) read as an unknown error: "Press Retry to try again", which
    can only fail the same way (an independent review, 2026-12-06)."""
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.error(413)
    _chunks, outcome = _say(committed_engine, classroom.student, session.id, "Hello.")
    assert outcome.error is not None and not outcome.error.retryable
    assert "Retry" not in outcome.notice and "starting a new one" in outcome.notice


@pytest.mark.both_backends  # the end and the reply's store race on the row's lock
def test_a_reply_on_its_way_when_the_session_ends_in_another_tab_is_not_stored_after_it(
    committed_engine, api, classroom
):
    """The student ends the session in another tab while the client's reply streams. The reply
    was stored after the end: the teacher's transcript said the session ended, then showed a
    client turn said after it, and the review started at the end had read it without that turn
    (an attack, 2026-12-07). Ending now gives up the reply on its way; what it cost still
    counts."""
    database = Database(committed_engine)
    student = classroom.student
    session = conversation_service.start_conversation(
        database, actor=student, client_id=classroom.client.id
    )
    api.reply("Work has been a lot lately, and I keep thinking about it.", chunk_delay=0.2)
    reply = conversation_service.submit_message(
        database, actor=student, session_id=session.id, content="What brings you in?"
    )
    deadline = time.monotonic() + 10
    while not api.messages_requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # the reply has started streaming
    conversation_service.end_conversation(database, actor=student, session_id=session.id)
    reply.wait()
    # The tab that sent it says why, and offers no Retry on an ended conversation.
    assert reply.outcome.notice is not None and "ended" in reply.outcome.notice
    assert not reply.outcome.retryable

    ended = stored_session(committed_engine, student, session.id)
    messages = stored_messages(committed_engine, student, session.id)
    assert [(m.role, m.content) for m in messages] == [(MessageRole.user, "What brings you in?")]
    assert ended.ended_at is not None and ended.output_tokens > 0 and ended.estimated_cost > 0
