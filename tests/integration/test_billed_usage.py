"""What a reply is billed is what is recorded, to the nano-dollar, however the API reports its
usage (an independent cost review, 2026-12-06)."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from backend.db import Database, unit_of_work
from backend.errors import BudgetExceededError
from backend.models import Event, Message, PracticeSession
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import conversation_service
from tests.factories import make_user
from tests.fakes import anthropic_server


def _admin(engine):
    with unit_of_work(engine) as db:
        return make_user(db, role=Role.admin)


def _usd(*parts: tuple[int, str]) -> Decimal:
    """Tokens times USD per million tokens, summed: the arithmetic of a bill."""
    return sum((tokens * Decimal(price) for tokens, price in parts), Decimal(0)) / 1_000_000


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
