"""An operator running a class of 30 on the product: the alerts, the operator commands and the
figures behind the admin pages, as the person on call meets them (an attack, 2026-12-07)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from backend import alerts, event_log
from backend.db import unit_of_work
from backend.models.enums import Role
from tests.factories import PASSWORD, make_section, make_user
from tests.fakes.alert_receivers import Webhook


class _Clock(datetime):
    """The watch's clock, set by the test (the alerts' own dedupe keeps the real one)."""

    current = datetime(2026, 12, 7, 9, 59, 58, tzinfo=UTC)

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206
        return cls.current


def test_one_outage_seen_by_both_app_processes_alerts_the_operator_once(
    alerting, webhook, monkeypatch
):
    """compose runs two app processes (app, app2), each with its own readiness watch
    (`mvp.serve`). Redis goes down at 09:59:57; one process notices at 09:59:58, the other at
    its next check, 10:00:03. The operator's phone gets two "Not ready" alerts for one outage
    (and, when it is back, two "Ready again" ones), though "each is sent once by all processes
    together" (README, "Readiness and alerts"): the alert's key is the minute the process
    noticed it, so two processes on either side of a minute's edge make two keys."""
    from backend.monitoring import watch

    monkeypatch.setattr(watch, "datetime", _Clock)
    app, app2 = watch.ReadinessWatch(), watch.ReadinessWatch()  # one per app process
    assert app.check().ready and app2.check().ready
    alerting(redis_url="redis://127.0.0.1:1/0")  # Redis stops answering

    _Clock.current = datetime(2026, 12, 7, 9, 59, 58, tzinfo=UTC)
    assert not app.check().ready
    _Clock.current = datetime(2026, 12, 7, 10, 0, 3, tzinfo=UTC)
    assert not app2.check().ready

    assert alerts.wait_idle(30)
    red = [text for text in webhook.texts() if text.startswith("Not ready")]
    assert len(red) == 1, f"one outage, {len(red)} alerts to the operator: {red}"


def test_an_outage_after_one_that_ended_alerts_again(alerting, webhook, monkeypatch):
    """The fix's other side: readiness alerts take turns, so a second outage within the
    dedupe window, after the first one's "Ready again", is sent as well."""
    from backend.monitoring import watch

    monkeypatch.setattr(watch, "datetime", _Clock)
    app = watch.ReadinessWatch()
    for _ in range(2):
        alerting(redis_url="redis://127.0.0.1:1/0")
        assert not app.check().ready
        alerting(redis_url=None)
        assert app.check().ready
    assert alerts.wait_idle(30)
    said = [text[: len("Ready again")] for text in webhook.texts()]
    assert said == ["Not ready. ", "Ready again"] * 2, said


def test_seed_demo_with_a_weak_password_says_what_is_wrong_with_it(run_cli, sqlite_url):
    """`seed-demo --password demo1234` (the README offers `--password`): the operator reads only
    "Please correct the highlighted fields." on the terminal: nothing is highlighted there, and
    nothing says that the password is the problem or what to choose instead (`create-admin`
    prints the field's reason; `main` prints an AppError's message alone)."""
    result = run_cli(sqlite_url, "seed-demo", "--password", "demo1234")
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert "highlighted" not in said, said
    assert "password" in said.lower(), said


#: Where nothing answers: the database "goes down" for the watch.
UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/counseling"


def test_a_database_outage_shows_in_the_error_log_as_a_problem_once_it_is_back(
    alerting, webhook, committed_engine, sqlite_url
):
    """The database stops answering for a while, then comes back. The operator opens the Error
    log, which shows warnings, errors and critical events by default, and the daily sheet's
    "Problems logged": neither shows the outage. A Redis outage is written as an error when it
    starts; a database outage can only be written once the database is back, and then it is
    written as a single *info* event ("Ready again ... It was: The database cannot be
    reached"), hidden by the default filter and counted in no problem figure: the worst outage
    leaves the least trace."""
    from backend.monitoring import metrics_service, watch

    watcher = watch.ReadinessWatch()
    assert watcher.check().ready
    alerting(database_url=UNREACHABLE_DATABASE)
    assert not watcher.check().ready
    alerting(database_url=sqlite_url)
    assert watcher.check().ready
    assert alerts.wait_idle(30)

    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    with unit_of_work(committed_engine, write=False) as db:
        every = event_log.list_events(db, actor=admin, categories=["readiness"])
        shown = event_log.list_events(
            db, actor=admin, severities=["warning", "error", "critical"], categories=["readiness"]
        )
        today = metrics_service.daily_usage(db, actor=admin, days=1)[-1]
    assert any("database cannot be reached" in event.message for event in every), every
    assert any("database cannot be reached" in event.message for event in shown), (
        f"the Error log's default view shows nothing of the outage; logged: "
        f"{[(event.severity, event.message[:60]) for event in every]}"
    )
    assert today.problems >= 1, "Problems logged: 0 on the day the database was down"


def test_a_budget_alert_names_the_person_the_operator_can_look_up(
    alerting, webhook, committed_engine
):
    """A student passes 80% of the daily token allowance; the operator's webhook reads "Budget:
    user 7 has used 85% of the daily token budget". Nothing the admin can open shows an
    account's id (Accounts lists username, name, e-mail, role; the Error log and the Budgets
    tab show usernames), so the person on call cannot tell which of the 30 students it is, nor
    warn them, from the alert. The same holds for "user 7 used up the daily token budget"."""

    alerting(user_daily_token_budget=1_000, budget_alert_threshold=0.8)
    with unit_of_work(committed_engine) as db:
        student = make_user(db, username="priya.shah", display_name="Priya Shah")
    _past_the_threshold(committed_engine, student.id)
    [text] = webhook.texts()
    assert "priya.shah" in text, text


def test_practised_moments_do_not_read_as_abandoned_sessions_on_the_now_tab(db):
    """A student holds one session, ends it, then uses "Practise this moment" on three of its
    turns (the review invites it: "Try again as often as you like"). The admin's Now tab reads
    "Sessions today 4", "Completion rate 25% (1 of 4)": one completed session looks like three
    abandoned ones, and a class doing exactly what the review asks reads as a class walking out
    of its sessions. Everywhere else a practised moment is no session of its own (My progress,
    Class progress and the gradebook leave it out: `progress_service`)."""

    from backend.llm.usage import Usage
    from backend.monitoring import metrics_service
    from backend.practice import branch_service, session_service
    from tests.factories import add_message, add_reply, make_classroom, start_session

    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    session = start_session(db, user=room.student, client=room.client)
    for number in range(3):
        add_message(db, actor=room.student, session_id=session.id, content=f"Question {number}?")
        add_reply(db, session_id=session.id, usage=Usage(input_tokens=100), cost=Decimal("0.001"))
    session_service.end_session(db, actor=room.student, session_id=session.id)
    for turn in (1, 3, 5):  # the student's three turns, each practised once
        branch = branch_service.start_branch(
            db, actor=room.student, session_id=session.id, turn=turn
        )
        add_message(db, actor=room.student, session_id=branch.id, content="It sounds hard.")
        add_reply(db, session_id=branch.id, usage=Usage(input_tokens=100), cost=Decimal("0.001"))

    now = metrics_service.now_figures(db, actor=admin)
    assert (now.sessions_today, now.completed_today) == (1, 1), (
        f"Sessions today {now.sessions_today}, completion rate {now.completion_rate:.0%} "
        f"({now.completed_today} of {now.sessions_today}) for one completed session"
    )


def _at(hour: int, minute: int) -> None:
    _Clock.current = datetime(2026, 12, 7, hour, minute, tzinfo=UTC)


def _said(webhook: Webhook) -> list[str]:
    return [text[: len("Ready again")] for text in webhook.texts()]


def test_a_second_database_outage_alerts_the_operator_again(
    alerting, webhook, sqlite_url, monkeypatch
):
    """The database stops answering: the operator gets "Not ready. The database cannot be
    reached" (claimed in this process's memory, as nothing can be written), then "Ready again"
    once it is back (claimed in the database). Later the database goes down a second time: no
    alert at all. The memory fallback remembers "red" as the readiness group's last alert for
    good - no window, and the "back" claimed in the database never updates it - so every later
    database outage of this process is taken for a repeat of the first."""
    from backend.monitoring import watch

    monkeypatch.setattr(watch, "datetime", _Clock)
    watcher = watch.ReadinessWatch()
    for down, up in ((0, 5), (40, 45)):  # 10:00-10:05, then 10:40-10:45
        alerting(database_url=UNREACHABLE_DATABASE)
        _at(10, down)
        assert not watcher.check().ready
        assert alerts.wait_idle(30)  # sent while the database is still down
        alerting(database_url=sqlite_url)
        _at(10, up)
        assert watcher.check().ready
        assert alerts.wait_idle(30)
    said = _said(webhook)
    assert said == ["Not ready. ", "Ready again"] * 2, (
        f"two database outages, the operator was told: {said}"
    )


def test_a_database_outage_after_a_redis_outage_says_when_it_is_back(
    alerting, webhook, sqlite_url, monkeypatch
):
    """Redis is down for a few minutes ("Not ready", "Ready again": both claimed as events).
    Twenty minutes later the database stops answering: "Not ready. The database cannot be
    reached" reaches the operator (claimed in memory). When the database is back, "Ready again"
    is claimed in the database, whose last readiness alert is the Redis outage's "Ready again"
    (the database outage's red could not be written): taken for a repeat, it is never sent. The
    person on call was told the database is down and never that it is back."""
    from backend.monitoring import watch

    monkeypatch.setattr(watch, "datetime", _Clock)
    watcher = watch.ReadinessWatch()
    alerting(redis_url="redis://127.0.0.1:1/0")  # Redis stops answering
    _at(10, 0)
    assert not watcher.check().ready
    assert alerts.wait_idle(30)
    alerting(redis_url=None)
    _at(10, 4)
    assert watcher.check().ready
    assert alerts.wait_idle(30)
    alerting(database_url=UNREACHABLE_DATABASE)
    _at(10, 25)
    assert not watcher.check().ready
    assert alerts.wait_idle(30)
    alerting(database_url=sqlite_url)
    _at(10, 31)
    assert watcher.check().ready
    assert alerts.wait_idle(30)
    said = _said(webhook)
    assert said == ["Not ready. ", "Ready again"] * 2, (
        f"a Redis outage, then a database outage: the operator was told {said}"
    )


def test_a_budget_alert_does_not_let_a_students_chosen_name_speak_in_the_operators_channel(
    alerting, webhook, committed_engine
):
    """Budget alerts now name the person by username and display name. A student signs up with
    the join code and chooses the display name "<!channel> API key leaked, rotate it at
    <https://evil.example/admin|the admin page>". Past 80% of their allowance, the operator's
    webhook - Slack or Teams, as the README offers - receives that text as it is: in Slack it
    pings everyone in the channel and shows a disguised link, written by a student, inside an
    alert from the platform. The username alone (letters, digits, . - _) could not do this."""
    from backend.accounts import account_service

    alerting(user_daily_token_budget=1_000, budget_alert_threshold=0.8)
    name = "<!channel> API key leaked, rotate it at <https://evil.example/admin|the admin page>"
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        section = make_section(db, teacher=teacher)
    with unit_of_work(committed_engine) as db:
        student = account_service.sign_up_student(
            db,
            join_code=section.join_code,
            username="mallory",
            display_name=name,
            password=PASSWORD,
        )
    _past_the_threshold(committed_engine, student.id)
    [text] = webhook.texts()
    assert "mallory" in text, text
    assert "<!channel>" not in text and "<https://" not in text, (
        f"the student's chosen name reaches the operator's channel as markup: {text}"
    )


def _past_the_threshold(engine, user_id: int) -> None:
    """850 of the user's 1,000 tokens spent today, then the budget step of their next message;
    its alerts sent."""
    from backend.config import get_settings
    from backend.usage import budget_service
    from tests.integration.test_budgets_alert_and_limits_hold import _spent_today

    with unit_of_work(engine) as db:
        _spent_today(db, user_id, tokens=850, cost="0.01")
    with unit_of_work(engine) as db:
        budget_service.check_budgets(db, get_settings(), user_id=user_id)
    assert alerts.wait_idle(30)


REDIS_DOWN = "redis://127.0.0.1:1/0"


class _Process:
    """One app process as far as alerts go: its own readiness watch and its own dispatcher
    (`get_dispatcher` is one per process; two in one test process would share it)."""

    def __init__(self, monkeypatch) -> None:
        from backend.monitoring import watch

        self.dispatcher = alerts.Dispatcher()
        self.watch = watch.ReadinessWatch()
        self._monkeypatch = monkeypatch

    def check(self) -> bool:
        self._monkeypatch.setattr(alerts, "get_dispatcher", lambda: self.dispatcher)
        ready = self.watch.check().ready
        assert self.dispatcher.wait_idle(30)
        return ready


def test_a_short_database_outage_seen_by_one_process_alerts_after_the_other_sent_back(
    alerting, webhook, sqlite_url, monkeypatch
):
    """compose runs two app processes, each with its readiness watch. At 10:00 Redis stops
    answering: process A sends "Not ready" (claimed in the database), B finds it sent. At 10:05
    Redis is back; B notices first and sends "Ready again", A finds it sent. At 10:30 the
    database stops answering for 20 seconds, between two of B's checks: only A notices. A sends
    nothing - its memory says "red" is the readiness group's last alert, because a claim that
    found B's "Ready again" in the database never updated that memory - and when the database
    is back, A's "Ready again" is taken for a repeat of B's. The operator hears nothing of the
    database outage (one process alone would have sent both)."""
    a, b = _Process(monkeypatch), _Process(monkeypatch)
    assert a.check() and b.check()

    alerting(redis_url=REDIS_DOWN)  # 10:00, Redis down
    assert not a.check()
    assert not b.check()
    alerting(redis_url=None)  # 10:05, Redis back: B notices first
    assert b.check()
    assert a.check()
    assert [text[:11] for text in webhook.texts()] == ["Not ready. ", "Ready again"]

    alerting(database_url=UNREACHABLE_DATABASE)  # 10:30, the database down for 20 s
    assert not a.check()  # only A checks while it is down
    alerting(database_url=sqlite_url)
    assert a.check()
    assert b.check()  # B never saw it

    said = [text[:11] for text in webhook.texts()]
    assert said == ["Not ready. ", "Ready again"] * 2, (
        f"a Redis outage, then a database outage seen by one process: the operator was told {said}"
    )
