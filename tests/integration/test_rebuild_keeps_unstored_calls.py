"""(An attack, 2026-12-06.) `usage_service.rebuild` keeps every figure: the paid calls no message
holds (a cut-off reply, a judge call, a memory summary) stay in the tokens and in the by-model and
by-client costs, not only in Cost today."""

from __future__ import annotations

from decimal import Decimal

from backend.db import Database, unit_of_work
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import conversation_service
from backend.usage import usage_service
from tests.factories import make_user


def _admin(engine):
    with unit_of_work(engine) as db:
        return make_user(db, role=Role.admin)


def test_a_rebuild_keeps_a_cut_off_replys_tokens_and_cost_in_tokens_today_and_by_model(
    committed_engine, api, classroom
):
    """A practice conversation: one reply stored, one cut off mid-stream after the API billed
    its prompt (thousands of input tokens). Before `usage_service.rebuild` (run by every
    `backend.cli import`, and offered "to check the tables"; its docstring: "a rebuild of a
    database's own tables then changes no figure") the Now tab's Tokens and the Breakdowns tab's
    "by model" and "by client" rows count the cut-off reply, as the README says they do ("the
    other breakdowns count the conversations' replies and judge calls"; Tokens "every
    conversation's"). After the rebuild Cost today still counts it (it is rebuilt from the
    event), but Tokens today and the by-model / by-client cost drop it: `rebuild` refills
    `client_daily_usage` from stored messages only. The admin sees the model's cost for the day
    fall below Cost today with no call removed."""
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
            now = metrics_service.now_figures(db, actor=admin)
            by_model = metrics_service.breakdown(db, actor=admin, by="model")
            by_client = metrics_service.breakdown(db, actor=admin, by="client")
        return {
            "cost today": now.cost_today,
            "tokens today": now.tokens_today,
            "by model cost": sum((row.cost for row in by_model), Decimal(0)),
            "by model": sorted((row.label, row.tokens, row.cost) for row in by_model),
            "by client cost": sum((row.cost for row in by_client), Decimal(0)),
        }

    before = figures()
    assert before["by model cost"] == before["cost today"] > Decimal("0.0015")  # replies only
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    metrics_service.forget_closed_periods()
    assert figures() == before
