"""Alerts reach the operator outside the app (issue 23, item 4a): a local webhook and a local
SMTP mailbox receive each alert once; a receiver that hangs or fails never holds up a turn."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from backend import alerts, event_log, llm
from backend.config import get_settings
from backend.db import Database, unit_of_work
from backend.models import DailyUsage
from backend.models.enums import Role
from backend.practice import conversation_service
from backend.usage import budget_service
from tests.factories import make_user
from tests.fakes.alert_receivers import Mailbox


@pytest.fixture
def mailbox():
    receiver = Mailbox()
    yield receiver
    receiver.close()


@pytest.fixture
def alerting(configure, webhook, mailbox, committed_engine):
    """Both channels on, retries quick (the backoff is what is tested, not its length). Alerts
    sent are events in the database: `committed_engine` empties it afterwards."""
    configure(
        alert_webhook_url=webhook.url,
        alert_smtp_host="127.0.0.1",
        alert_smtp_port=mailbox.port,
        alert_smtp_starttls="false",
        alert_email_from="practice@school.test",
        alert_email_to="ops@school.test, dean@school.test",
        alert_retry_seconds="0.01",
    )
    return configure


def _student_turns(engine, classroom, *contents: str) -> None:
    session = conversation_service.start_conversation(
        Database(engine), actor=classroom.student, client_id=classroom.client.id
    )
    for content in contents:
        conversation_service.send_message(
            Database(engine), actor=classroom.student, session_id=session.id, content=content
        )


def test_a_budget_passing_its_threshold_reaches_webhook_and_mailbox_once(
    committed_engine, api, alerting, classroom, webhook, mailbox
):
    alerting(user_daily_token_budget=1000, budget_alert_threshold=0.8)
    api.reply("Hm.", input_tokens=850, output_tokens=2)  # 85%: past the threshold
    api.reply("Yes.", input_tokens=50, output_tokens=2)  # still past it: no second alert
    api.reply("Okay.", input_tokens=50, output_tokens=2)
    _student_turns(committed_engine, classroom, "First.", "Second.", "Third.")
    assert alerts.wait_idle(30)
    texts = webhook.texts()
    assert len(texts) == 1 and "daily token budget" in texts[0]
    assert len(mailbox.messages) == 1
    assert "daily token budget" in mailbox.messages[0]
    assert "To: ops@school.test, dean@school.test" in mailbox.messages[0]


def test_the_same_alert_from_two_processes_is_sent_once(configure, alerting, webhook, mailbox):
    one, other = alerts.Dispatcher(), alerts.Dispatcher()  # as two app processes would
    alert = alerts.Alert(key="test:same", text="Something happened.")
    one.submit(alert)
    other.submit(alert)
    alerts.notify("test:same", "Something happened.")
    assert one.wait_idle(30) and other.wait_idle(30) and alerts.wait_idle(30)
    assert webhook.texts() == ["Something happened."]
    assert len(mailbox.messages) == 1


def test_racing_processes_on_postgresql_send_an_alert_once(
    alerting, webhook, postgresql_url, committed_postgresql
):
    """Eight processes' senders claim one alert at once; the advisory lock lets one through."""
    alerting(database_url=postgresql_url)
    senders = [alerts.Dispatcher() for _ in range(8)]
    for sender in senders:
        sender.submit(alerts.Alert(key="test:race", text="Once, from one of them."))
    assert all(sender.wait_idle(60) for sender in senders)
    assert webhook.texts() == ["Once, from one of them."]


def test_a_failing_receiver_gets_the_alert_on_a_retry(alerting, webhook):
    webhook.fail_next = 2
    alerts.notify("test:retry", "Third time lucky.")
    assert alerts.wait_idle(30)
    assert webhook.attempts == 3
    assert webhook.texts() == ["Third time lucky."]


def test_the_breaker_opening_alerts_once(alerting, webhook, api):
    alerting(breaker_failure_threshold=2)
    breaker = llm.get_gateway().breaker
    for _ in range(5):  # opens at the second failure; failures while open change nothing new
        breaker.record_failure()
    assert alerts.wait_idle(30)
    texts = webhook.texts()
    assert len(texts) == 1 and "circuit breaker opened" in texts[0]


def test_a_hanging_receiver_never_holds_up_a_turn(
    committed_engine, api, alerting, classroom, webhook
):
    alerting(user_daily_token_budget=1000, alert_timeout_seconds=600)
    api.reply("Hm.", input_tokens=900, output_tokens=2)
    api.reply("Yes.", input_tokens=20, output_tokens=2)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    send = conversation_service.send_message
    send(Database(committed_engine), actor=classroom.student, session_id=session.id, content="Hi.")
    webhook.hold()  # the receiver answers nothing until the test releases it
    turn = threading.Thread(  # its budget check passes the threshold: an alert
        target=send,
        args=(Database(committed_engine),),
        kwargs={"actor": classroom.student, "session_id": session.id, "content": "Hello."},
    )
    turn.start()
    turn.join(timeout=120)
    try:
        assert not turn.is_alive(), "the turn waited for the alert receiver"
        assert webhook.arrived.wait(30)  # the alert is on its way, still unanswered
        assert webhook.texts() == []
    finally:
        webhook.release()
    assert alerts.wait_idle(30)
    assert len(webhook.texts()) == 1


def test_readiness_going_red_and_back_alerts_once_each_and_is_logged(
    alerting, webhook, committed_engine
):
    from backend.monitoring import watch

    watcher = watch.ReadinessWatch()
    assert watcher.check().ready
    alerting(redis_url="redis://127.0.0.1:1/0")
    assert not watcher.check().ready
    assert not watcher.check().ready  # still red: nothing new
    alerting(redis_url=None)
    assert watcher.check().ready
    assert alerts.wait_idle(30)
    texts = webhook.texts()
    assert len(texts) == 2
    assert texts[0].startswith("Not ready") and "Redis cannot be reached" in texts[0]
    assert texts[1].startswith("Ready again")
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    with unit_of_work(committed_engine, write=False) as db:
        logged = event_log.list_events(db, actor=admin, categories=["readiness"])
    assert [event.severity for event in logged] == ["info", "error"]  # newest first
    assert "Redis cannot be reached" in logged[1].message


def test_the_daily_cost_summary_is_sent_once_a_day(alerting, webhook, committed_engine):
    from backend.monitoring import watch

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    with unit_of_work(committed_engine) as db:
        student = make_user(db)
        db.add(DailyUsage(day=yesterday, user_id=student.id, cost=Decimal("1.25"), replies=40))
    now = datetime.now(UTC)
    watch.send_daily_summary(Database(committed_engine), now=now)
    watch.send_daily_summary(Database(committed_engine), now=now)  # the other app process
    assert alerts.wait_idle(30)
    texts = webhook.texts()
    assert len(texts) == 1
    assert f"{yesterday:%Y-%m-%d}" in texts[0] and "$1.25" in texts[0] and "40 replies" in texts[0]


def test_a_client_check_allowance_alert_names_the_check_allowance(
    committed_engine, alerting, webhook
):
    """A teacher passes 80% of the 2,000-token client-check allowance with none of the
    10,000-token practice budget used: the operator's alert had said "of the daily token budget
    (1,700 of 2,000 tokens)", naming a budget that is untouched. (An attack, 2026-12-07.)"""
    alerting(
        user_daily_token_budget=10_000, check_daily_token_budget=2_000, budget_alert_threshold=0.8
    )
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        db.add(
            DailyUsage(
                day=datetime.now(UTC).date(),
                user_id=teacher.id,
                tokens=1_700,
                check_tokens=1_700,
                cost=Decimal("0.01"),
                check_turns_cost=Decimal("0.01"),
            )
        )
    with unit_of_work(committed_engine) as db:  # the budget step of a client check
        budget_service.check_budgets(db, get_settings(), user_id=teacher.id, check=True)

    assert alerts.wait_idle(30)
    [text] = webhook.texts()
    assert "client check" in text and "1,700 of 2,000 tokens" in text, text
    assert "daily token budget" not in text, text
