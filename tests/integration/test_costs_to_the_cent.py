"""Costs known to the cent: what each call is billed is what is recorded, when it was billed
(a cost review, 2026-12-06):
- a stream whose usage comes whole only in its last event is recorded as billed;
- a model without a price gets no call while the daily dollar budget is on;
- a failed review that a later attempt replaces, on its own day and hour, once (its cost moved
  onto the new review's day, so "Review cost today" counted it again, and the last 24 hours
  twice in a process that kept the failed attempt's hour);
- a reply cut off after billing, a memory summary: `usage_service.rebuild` (after a course
  import, or to check the tables) brings them back from their events (they were lost, and Cost
  today dropped)."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.db import Database, unit_of_work
from backend.drills import drill_service
from backend.errors import BudgetExceededError, PermissionDeniedError
from backend.jobs import runner
from backend.llm.usage import Completion, Usage
from backend.models import (
    ClientDailyUsage,
    ClientUsageIncrement,
    DailyUsage,
    Event,
    Message,
    PracticeSession,
    SessionReview,
)
from backend.models.enums import DrillSkill, Role
from backend.monitoring import health_service, metrics_service
from backend.practice import (
    conversation_service,
    memory_service,
    memory_writer,
    session_service,
)
from backend.reviews import review_service
from backend.usage import usage_service
from tests.factories import add_message, add_reply, make_user
from tests.fakes import anthropic_server
from tests.integration.test_drills import draft

HAIKU = "claude-haiku-4-5"
LINES = [
    ("Hi, I'm Sam. What brings you in today?", "Work has been rough lately."),
    ("It sounds like work has been wearing you down.", "Yeah. I don't know what to do."),
    ("Have you tried talking to your boss?", "Not really."),
]


def _admin(engine):
    with unit_of_work(engine) as db:
        return make_user(db, role=Role.admin)


def _usd(*parts: tuple[int, str]) -> Decimal:
    """Tokens times USD per million tokens, summed: the arithmetic of a bill."""
    return sum((tokens * Decimal(price) for tokens, price in parts), Decimal(0)) / 1_000_000


def _ended_session(engine, room, *, end: bool = True) -> int:
    """An ended (or, with `end=False`, open) practice conversation of the room's student, its
    replies priced ($0.001 each)."""
    with unit_of_work(engine) as db:
        session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
        for said, answered in LINES:
            add_message(db, actor=room.student, session_id=session.id, content=said)
            add_reply(
                db,
                session_id=session.id,
                content=answered,
                usage=Usage(input_tokens=500, output_tokens=100),
                cost=Decimal("0.001"),
            )
        if end:
            session_service.end_session(db, actor=room.student, session_id=session.id)
    return session.id


def _review_fails(engine, api, room, session_id: int) -> Decimal:
    """The review model answers twice with a review that does not validate (a quote not in the
    transcript, then the same after the repair): a failed review, both calls billed."""
    from tests.integration.test_reviews import valid_answer

    bad = valid_answer()
    bad["strengths"][0]["quote"] = "words the student never said"
    api.tool_reply(bad, input_tokens=1000, output_tokens=100, times=2)
    with pytest.raises(review_service.ReviewFailed):
        review_service.create_review(Database(engine), actor=room.student, session_id=session_id)
    return 2 * _usd((1000, "1"), (100, "5"))


def _review_succeeds(engine, api, room, session_id: int) -> Decimal:
    from tests.integration.test_reviews import valid_answer

    api.tool_reply(valid_answer(), input_tokens=1000, output_tokens=500)
    review = review_service.create_review(
        Database(engine), actor=room.student, session_id=session_id
    )
    assert review.status == "ready"
    return _usd((1000, "1"), (500, "5"))


def _as_if_earlier(engine, delta: timedelta) -> None:
    """Everything written so far happened `delta` earlier (the clock moved on by `delta`): every
    time stamp, and the daily rollups' days with them."""
    with unit_of_work(engine) as db:
        usage_service.fold_client_usage(db, wait=True)
    with unit_of_work(engine) as db:
        for model, columns in (
            (Message, ("created_at",)),
            (PracticeSession, ("started_at", "ended_at")),
            (SessionReview, ("created_at",)),
            (Event, ("created_at",)),
        ):
            for row in db.scalars(select(model)):
                for column in columns:
                    value = getattr(row, column)
                    if value is not None:
                        setattr(row, column, value - delta)
        if delta.days:
            for model in (DailyUsage, ClientDailyUsage, ClientUsageIncrement):
                for row in db.scalars(select(model)):
                    row.day = row.day - timedelta(days=delta.days)


def test_a_failed_review_retried_the_next_day_is_not_counted_again_in_review_cost_today(
    committed_engine, api, classroom
):
    """Yesterday the review failed after a repair (2 calls: 2 x (1,000 in x $1 + 100 out x $5)
    per million = $0.0030, on yesterday's daily sheet under Reviews); today the student presses
    Try again and the review is written ($0.0010 + $0.0025 = $0.0035).

    Today's "Reviews" by purpose (the daily budget rows) is $0.0035, but "Review cost today"
    (which its help says is the same figure) reads $0.0065: the failed attempt's cost moved onto
    today's row and is counted a second time, on a day it was not billed. Over the two days the
    Reviews column and Review cost today add to $0.0095 for $0.0065 billed."""
    session_id = _ended_session(committed_engine, classroom)
    yesterday = _review_fails(committed_engine, api, classroom, session_id)
    _as_if_earlier(committed_engine, timedelta(days=1))
    today = _review_succeeds(committed_engine, api, classroom, session_id)
    assert (yesterday, today) == (Decimal("0.0030"), Decimal("0.0035"))
    assert api.billed_usd() == yesterday + today

    admin = _admin(committed_engine)
    with unit_of_work(committed_engine, write=False) as db:
        now = metrics_service.now_figures(db, actor=admin)
        days = metrics_service.daily_usage(db, actor=admin, days=2)
        review_today, _month = metrics_service.review_costs(db, actor=admin)
    assert (days[0].parts.review, days[1].parts.review) == (yesterday, today)
    assert now.cost_parts.review == today
    assert review_today.cost == now.cost_parts.review  # "as Review cost today below"


def test_the_last_24_hours_do_not_count_a_retried_reviews_failed_attempt_twice(
    committed_engine, api, classroom
):
    """A review failed two hours ago ($0.0030, both calls); the admin's dashboard has shown the
    Usage tab since (its closed hours are kept by the process); now the student retries and the
    review is written ($0.0035). The conversation cost $0.0030.

    "Cost today" is $0.0095. "Cost, last 24 hours" in the same process reads $0.0125: the hour
    of the failed attempt still holds its $0.0030 (kept when that hour closed) and the new review
    row carries it again. A new process shows $0.0095: the figure depends on which process
    serves the page."""
    session_id = _ended_session(committed_engine, classroom)
    failed = _review_fails(committed_engine, api, classroom, session_id)
    _as_if_earlier(committed_engine, timedelta(hours=2))
    admin = _admin(committed_engine)
    with unit_of_work(committed_engine, write=False) as db:  # the admin looks at the Usage tab
        before = metrics_service.hourly_usage(db, actor=admin)
    assert sum((bucket.cost for bucket in before), Decimal(0)) == Decimal("0.003") + failed
    written = _review_succeeds(committed_engine, api, classroom, session_id)

    with unit_of_work(committed_engine, write=False) as db:
        today = metrics_service.now_figures(db, actor=admin)
        hours = metrics_service.hourly_usage(db, actor=admin)
    billed = Decimal("0.003") + failed + written
    assert billed == Decimal("0.0095")
    assert today.cost_today == billed  # the daily rows (hours moved, days kept)
    assert sum((bucket.cost for bucket in hours), Decimal(0)) == billed


def test_a_rebuild_of_the_rollups_keeps_what_a_cut_off_reply_cost(committed_engine, api, classroom):
    """`usage_service.rebuild` (what `backend.cli import` runs after loading a course, and what
    its docstring offers "to check the tables") recomputes `daily_usage` from stored replies and
    reviews only. A practice conversation: one reply stored (1,000 in x $1 + 100 out x $5 per
    million = $0.0015) and one cut off mid-stream after the API billed its prompt (about 5,300
    input tokens of guide and profile, $0.005349 with its estimated output). Before the rebuild
    Cost today, the student's Top 10 row and the conversation's cost in History all read
    $0.006849; after it Cost today and the Top 10 row read $0.0015 while History (the session's
    own total, which an import carries) still reads $0.006849."""
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I suppose.", input_tokens=1000, output_tokens=100)
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="How are you?"
    ).ok
    api.stream_error_midway("I was going to say that my brother never called", chunk_delay=0)
    assert not conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Go on."
    ).ok
    admin = _admin(committed_engine)

    def figures():
        with unit_of_work(committed_engine, write=False) as db:
            students = metrics_service.breakdown(db, actor=admin, by="student")
            conversation = db.get(PracticeSession, session.id).estimated_cost
        return dashboard(committed_engine, admin), students[0].cost, conversation

    before = figures()
    shown, top_student, conversation = before
    # The cut-off reply counts everywhere: Cost today, the Top 10, History and the breakdowns
    # (these had dropped it after a rebuild: 2026-12-06, an attack).
    assert shown["cost today"] == top_student == conversation > Decimal("0.0015")
    assert shown["by model cost"] == shown["by client cost"] == shown["cost today"]
    assert rebuilt(committed_engine, lambda: figures()) == before


def dashboard(engine, admin) -> dict:
    """What the admin reads of the day: Cost today, Tokens today, and the by-model rows (model,
    tokens, cost) and by-client cost of the Breakdowns tab."""
    with unit_of_work(engine, write=False) as db:
        now = metrics_service.now_figures(db, actor=admin)
        by_model = metrics_service.breakdown(db, actor=admin, by="model")
        by_client = metrics_service.breakdown(db, actor=admin, by="client")
    return {
        "cost today": now.cost_today,
        "tokens today": now.tokens_today,
        "by model": sorted((row.label, row.tokens, row.cost) for row in by_model),
        "by model cost": sum((row.cost for row in by_model), Decimal(0)),
        "by client cost": sum((row.cost for row in by_client), Decimal(0)),
    }


def rebuilt(engine, read):
    """`read()` after `usage_service.rebuild` (with the dashboard's kept hours forgotten)."""
    with unit_of_work(engine) as db:
        usage_service.rebuild(db)
    metrics_service.forget_closed_periods()
    return read()


def test_a_rebuild_leaves_a_replaced_review_attempt_out_of_the_by_model_and_by_client_rows(
    committed_engine, api, classroom
):
    """(An attack, 2026-12-06.) A student's review failed (two billed calls, kept as a
    `review_call` event once a retry replaced it), then the retry succeeded. The by-model and
    by-client rows count the conversations' replies only; a rebuild had added the failed
    review's cost and 2,200 tokens to them, with no call made."""
    session_id = _ended_session(committed_engine, classroom)
    _review_fails(committed_engine, api, classroom, session_id)
    _review_succeeds(committed_engine, api, classroom, session_id)
    admin = _admin(committed_engine)
    before = dashboard(committed_engine, admin)
    assert rebuilt(committed_engine, lambda: dashboard(committed_engine, admin)) == before


def test_a_rebuild_of_the_rollups_keeps_what_memory_summaries_cost(
    committed_engine, api, classroom
):
    """A continuing client's memory summary ($0.0015, recorded as `memory_writer` records it)
    joins the session's cost and the student's budget row under "Client memory": Cost today
    $0.0045 (three replies at $0.001 and the summary), Client memory $0.0015, the student's Top
    10 row $0.0045. After `usage_service.rebuild` (run by every `backend.cli import`) they read
    $0.0030, $0 and $0.0030, while the conversation's cost in History keeps $0.0045."""
    session_id = _ended_session(committed_engine, classroom)
    summary = Completion(
        text="",
        usage=Usage(input_tokens=900, output_tokens=120),
        model=HAIKU,
        stop_reason="tool_use",
        request_id=None,
        latency_ms=800,
        time_to_first_token_ms=None,
        cost=Decimal("0.0015"),
    )
    with unit_of_work(committed_engine) as db:
        memory_writer.record_call(db, session_id, summary)
    admin = _admin(committed_engine)

    def figures():
        with unit_of_work(committed_engine, write=False) as db:
            now = metrics_service.now_figures(db, actor=admin)
            students = metrics_service.breakdown(db, actor=admin, by="student")
        return now.cost_today, now.cost_parts.memory, students[0].cost

    before = figures()
    assert before == (Decimal("0.0045"), Decimal("0.0015"), Decimal("0.0045"))
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    assert figures() == before


@pytest.fixture
def usage_in_message_delta(monkeypatch):
    """The fake streams usage as the SDK allows it to: `message_start` carries zeros (its
    `cache_creation` split included) and the cumulative input and cache counts come in
    `message_delta` (the SDK overwrites its snapshot with them: "Usage counts on a message_delta
    are cumulative totals"). What the fake bills (`fake.bill`) is unchanged: the whole usage."""
    original = anthropic_server._Handler._event

    def event(self, event_type, data):
        if event_type == "message_start":
            data = copy.deepcopy(data)
            usage = data["message"]["usage"]
            self._held_usage = dict(usage)
            usage.update(
                input_tokens=0,
                cache_creation_input_tokens=0,
                cache_read_input_tokens=0,
                cache_creation={"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            )
        elif event_type == "message_delta":
            data = copy.deepcopy(data)
            held = self._held_usage
            data["usage"].update(
                input_tokens=held["input_tokens"],
                cache_creation_input_tokens=held["cache_creation_input_tokens"],
                cache_read_input_tokens=held["cache_read_input_tokens"],
            )
        return original(self, event_type, data)

    monkeypatch.setattr(anthropic_server._Handler, "_event", event)


def test_cache_writes_reported_in_message_delta_are_recorded_as_billed(
    committed_engine, api, classroom, usage_in_message_delta
):
    """A reply that wrote 5,000 tokens to the prompt cache (5-minute lifetime), with its usage
    in `message_delta`: the API bills 300 input x $1 + 5,000 writes x $1.25 + 6 output x $5 per
    million = $0.00658. The product keeps the (stale) all-zero `cache_creation` split from
    `message_start` over the cumulative `cache_creation_input_tokens` and records $0.00033:
    Cost today, the session's cost and the budgets miss $0.00625 (95%) of the reply, and
    "Cache write tokens" reads 0."""
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I suppose.", input_tokens=300, output_tokens=6, cache_creation_5m=5000)
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="How are you?"
    ).ok
    admin = _admin(committed_engine)
    with unit_of_work(committed_engine, write=False) as db:
        now = metrics_service.now_figures(db, actor=admin)
        session_cost = db.get(PracticeSession, session.id).estimated_cost

    billed = _usd((300, "1"), (5000, "1.25"), (6, "5"))
    assert billed == api.billed_usd() == Decimal("0.00658")
    assert (now.cost_today, session_cost, now.cache_write_tokens) == (billed, billed, 5000)


UNPRICED = "claude-opus-4-1"  # a real model id the price table does not list


def _send(committed_engine, api, classroom, line: str = "How are you?"):
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I suppose.", input_tokens=20_000, output_tokens=300)
    return session, conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content=line
    )


def test_a_reply_of_a_model_without_a_price_is_refused_while_the_dollar_budget_is_on(
    committed_engine, api, configure, classroom
):
    """Counted as $0, such replies passed the daily dollar budget however much was billed (a
    cost review, 2026-12-06): now none is asked for, and the admin's log says what to do."""
    configure(anthropic_model=UNPRICED, global_daily_cost_budget_usd="20")
    with pytest.raises(BudgetExceededError, match="The AI model is paused"):
        _send(committed_engine, api, classroom)
    assert api.messages_requests() == []  # nothing was paid for
    with unit_of_work(committed_engine, write=False) as db:
        logged = db.query(Event).filter(Event.category == "budget").one()
        assert UNPRICED in logged.message and "MODEL_PRICES_JSON" in logged.message
        assert db.query(Message).count() == 0


def test_drafting_drill_items_with_a_model_without_a_price_is_refused_while_the_budget_is_on(
    committed_engine, api, configure, classroom
):
    """Replies, reviews and checks of an unpriced model were refused, but a teacher's drill
    drafts still went to it and counted $0 against the daily dollar budget (noticed after the
    cost review, 2026-12-06): now none is asked for, and nothing is added to the set. Drafts,
    like reviews and memories, are written by REVIEW_MODEL."""
    configure(review_model=UNPRICED, global_daily_cost_budget_usd="20")
    with unit_of_work(committed_engine) as db:
        drill_set = drill_service.create_set(
            db, actor=classroom.teacher, title="Drafted", skill=DrillSkill.open_question
        )
    with pytest.raises(BudgetExceededError, match="The AI model is paused"):
        draft(committed_engine, classroom, drill_set)
    assert api.messages_requests() == []  # nothing was paid for
    with unit_of_work(committed_engine, write=False) as db:
        assert drill_service.get_set(db, actor=classroom.teacher, set_id=drill_set.id).items == []
        assert UNPRICED in db.query(Event).filter(Event.category == "budget").one().message


def test_a_memory_summary_of_a_model_without_a_price_is_not_asked_for_while_the_budget_is_on(
    committed_engine, api, configure, classroom
):
    """A continuing client's memory is written when a session ends, by REVIEW_MODEL as set then
    (a restart may have changed it). With an unpriced model and the dollar budget on, the
    summary was asked for and counted $0: now the free summary is written instead, as when the
    budget is used up, and nothing is billed."""
    from tests.integration.test_client_memory import _continuing

    _continuing(committed_engine, classroom)
    session_id = _ended_session(committed_engine, classroom, end=False)
    configure(review_model=UNPRICED, global_daily_cost_budget_usd="20")
    asked_before = len(api.messages_requests())
    conversation_service.end_conversation(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    assert runner.wait_idle(10), "the memory job outlived the test"
    assert len(api.messages_requests()) == asked_before  # no summary was paid for
    with unit_of_work(committed_engine, write=False) as db:
        memory = memory_service.read_memory(db, actor=classroom.teacher, session_id=session_id)
        spent = db.scalar(select(func.sum(DailyUsage.memory_cost))) or Decimal(0)
    assert memory is not None and "Session 1" in memory.summary  # the free summary
    assert spent == Decimal(0)


def test_drafts_and_memories_are_asked_of_review_model_when_only_the_chat_model_is_unpriced(
    committed_engine, api, configure, classroom
):
    """An attack on the two tests above (2026-12-06): the price was looked up for the chat
    model (ANTHROPIC_MODEL), not the one drafts and memories are asked of, so with only the chat
    model unpriced a teacher could not draft and a memory was never written by the model."""
    from tests.integration.test_client_memory import SUMMARY, _continuing
    from tests.integration.test_drills import GOOD, _item

    _continuing(committed_engine, classroom)
    session_id = _ended_session(committed_engine, classroom, end=False)
    configure(anthropic_model=UNPRICED, global_daily_cost_budget_usd="20")
    with unit_of_work(committed_engine) as db:
        drill_set = drill_service.create_set(
            db, actor=classroom.teacher, title="Drafted", skill=DrillSkill.open_question
        )
    api.tool_reply({"items": [_item(f"Work is a lot, part {n}.", GOOD) for n in range(3)]})
    drafted = draft(committed_engine, classroom, drill_set, count=3)
    api.tool_reply(SUMMARY, input_tokens=900, output_tokens=120)
    conversation_service.end_conversation(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    assert runner.wait_idle(10), "the memory job outlived the test"
    assert drafted.added == 3
    assert [request.body["model"] for request in api.messages_requests()] == [HAIKU, HAIKU]
    with unit_of_work(committed_engine, write=False) as db:
        memory = memory_service.read_memory(db, actor=classroom.teacher, session_id=session_id)
    assert memory is not None and "keep a sleep diary" in memory.summary  # the model's summary


def test_an_admins_connection_test_is_in_cost_today_and_the_last_24_hours(committed_engine, api):
    """The Health page's "Test connection" makes one small paid call. Its cost was shown in
    the page's message and nowhere else, so Cost today and the hourly figures fell short of the
    API's bill by every test an admin ran (noticed 2026-12-06). Now it joins the admin's day
    under "Connection tests", and a rebuild of the rollups keeps it."""
    admin = _admin(committed_engine)
    api.reply("ok", input_tokens=12, output_tokens=2)
    check = health_service.run_connection_test(Database(committed_engine), actor=admin)
    assert check.ok and "cost $0.000022" in check.summary
    billed = api.billed_usd()
    assert billed == _usd((12, "1"), (2, "5"))

    def figures():
        with unit_of_work(committed_engine, write=False) as db:
            now = metrics_service.now_figures(db, actor=admin)
            hours = metrics_service.hourly_usage(db, actor=admin)
        return now.cost_today, now.cost_parts.connection_test, sum(h.cost for h in hours)

    assert figures() == (billed, billed, billed)
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    assert figures() == (billed, billed, billed)


def test_only_an_admin_may_run_a_connection_test(committed_engine, api, classroom):
    """The page is an admin's, and so is the service: a teacher's call is refused unpaid."""
    with pytest.raises(PermissionDeniedError):
        health_service.run_connection_test(Database(committed_engine), actor=classroom.teacher)
    assert api.messages_requests() == []


def test_a_practice_sessions_average_cost_counts_the_review_attempts_it_replaced(
    committed_engine, api, classroom
):
    """A session's conversation ($0.0030), its review that failed after a repair ($0.0030,
    both calls) and the review written when the student pressed Try again ($0.0035): the
    session cost $0.0095, as Cost today says. "Avg cost per practice session" read $0.0065: it
    added only the review kept with the session (noticed 2026-12-06)."""
    session_id = _ended_session(committed_engine, classroom)
    failed = _review_fails(committed_engine, api, classroom, session_id)
    written = _review_succeeds(committed_engine, api, classroom, session_id)
    admin = _admin(committed_engine)
    with unit_of_work(committed_engine, write=False) as db:
        now = metrics_service.now_figures(db, actor=admin)
    assert now.cost_today == Decimal("0.003") + failed + written == Decimal("0.0095")
    assert now.completed_today == 1
    assert now.avg_cost_per_practice_session == now.cost_today
    assert now.avg_cost_per_completed == Decimal("0.003")  # the conversation alone


def test_a_long_review_on_haiku_5_5_costs_what_the_api_bills_for_a_long_prompt(
    committed_engine, configure, api, classroom
):
    """A review sends the whole transcript; a long session's review on REVIEW_MODEL=
    claude-haiku-5-5 can pass 100,000 prompt tokens, where every token costs five times as much.
    The admin's review cost (and the dollar budget) counted a fifth of the bill. (An attack,
    2026-12-07.)"""
    from tests.integration.test_reviews import ended_session, valid_answer

    configure(review_model="claude-haiku-5-5")
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    session_id = ended_session(committed_engine, classroom)
    api.tool_reply(valid_answer(), input_tokens=120_000, output_tokens=1_000)
    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    billed = (120_000 * Decimal("0.50") + 1_000 * Decimal("2.50")) / 1_000_000
    with unit_of_work(committed_engine, write=False) as db:
        today, _month = metrics_service.review_costs(db, actor=admin)
    assert today.cost == billed == api.billed_usd() == Decimal("0.0625")
