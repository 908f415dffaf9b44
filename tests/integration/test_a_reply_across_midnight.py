"""A reply that starts before midnight UTC and ends after it is one day's cost, whichever figure
reads it: Cost today, the hours, a rebuild of the rollups. (An attack on "costs known to the
cent", 2026-12-07.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from backend.db import Database, unit_of_work
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import conversation_service, session_service
from backend.usage import usage_service
from backend.usage.budget_service import start_of_utc_day
from tests.factories import make_user
from tests.fakes import anthropic_server

pytestmark = pytest.mark.both_backends  # UTC days and rollups


def _usd(*parts: tuple[int, str]) -> Decimal:
    return sum((tokens * Decimal(price) for tokens, price in parts), Decimal(0)) / 1_000_000


def _admin(engine):
    with unit_of_work(engine) as db:
        return make_user(db, role=Role.admin)


def _midnight_passes_as_the_reply_streams(monkeypatch) -> None:
    """The services' clock reads 23:59:59 yesterday (UTC) until the fake API sends the reply's
    first text, after `message_start` was read; then it is now again."""
    clock = {"now": start_of_utc_day(datetime.now(UTC)) - timedelta(seconds=1)}
    monkeypatch.setattr(session_service, "utcnow", lambda: clock["now"])
    original = anthropic_server._Handler._event

    def event(self, event_type, data):
        if event_type == "content_block_delta":
            clock["now"] = datetime.now(UTC)
        return original(self, event_type, data)

    monkeypatch.setattr(anthropic_server._Handler, "_event", event)


def test_a_reply_that_straddles_utc_midnight_is_in_cost_today_as_in_todays_hours(
    committed_engine, api, classroom, monkeypatch
):
    """A student sends a message at 23:59:59 UTC; the reply (20,000 input tokens, 100 output on
    Haiku 4.5: $0.0205) starts streaming then and is stored a moment after midnight. The admin's
    Now tab then reads "Cost today" $0.000495 while the hourly chart's hour since midnight reads
    $0.0205 (the stored reply), and yesterday's day holds $0.020005 that no hour of yesterday
    holds. The billed input is written to the rollups under the day `message_start` arrived
    (`session_service.record_usage`: `at=utcnow()`), the rest under the message's day; the
    hourly figures and `usage_service.rebuild` put the whole reply on the message's day, so a
    rebuild (a course import, or a check of the tables) moves $0.02 from yesterday to today."""
    _midnight_passes_as_the_reply_streams(monkeypatch)
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I suppose.", input_tokens=20_000, output_tokens=100, chunk_delay=0.3)
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="How are you?"
    ).ok
    admin = _admin(committed_engine)
    metrics_service.forget_closed_periods()
    now = datetime.now(UTC)
    with unit_of_work(committed_engine, write=False) as db:
        cost_today = metrics_service.now_figures(db, actor=admin, now=now).cost_today
        hours_today = sum(
            (
                bucket.cost
                for bucket in metrics_service.hourly_usage(db, actor=admin, now=now)
                if bucket.start >= start_of_utc_day(now)
            ),
            Decimal(0),
        )
    billed = _usd((20_000, "1"), (100, "5"))
    assert api.billed_usd() == billed == Decimal("0.0205")
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    metrics_service.forget_closed_periods()
    with unit_of_work(committed_engine, write=False) as db:
        rebuilt_today = metrics_service.now_figures(db, actor=admin, now=now).cost_today
    assert (cost_today, hours_today) == (rebuilt_today, rebuilt_today), (
        f"Cost today {cost_today}, today's hours {hours_today}, after a rebuild {rebuilt_today}"
    )


def test_a_reply_cut_off_after_midnight_is_all_on_the_day_it_was_cut_off(
    committed_engine, api, classroom, monkeypatch
):
    """The same reply cut off by an error event after midnight: it is not kept, and what it
    billed was on two days, its input on yesterday's rows and the rest on today's, while a
    rebuild puts it all on its event's day (today)."""
    _midnight_passes_as_the_reply_streams(monkeypatch)
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.stream_error_midway("Fine, I suppose, it has been", chunk_delay=0.3)
    outcome = conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="How are you?"
    )
    assert not outcome.ok
    admin = _admin(committed_engine)
    now = datetime.now(UTC)
    metrics_service.forget_closed_periods()
    with unit_of_work(committed_engine, write=False) as db:
        cost_today = metrics_service.now_figures(db, actor=admin, now=now).cost_today
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    metrics_service.forget_closed_periods()
    with unit_of_work(committed_engine, write=False) as db:
        rebuilt_today = metrics_service.now_figures(db, actor=admin, now=now).cost_today
    assert cost_today == rebuilt_today > 0, f"Cost today {cost_today}, rebuilt {rebuilt_today}"
