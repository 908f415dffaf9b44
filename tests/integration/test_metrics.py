"""Dashboard figures against hand-computed values on a known data set, on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from backend.config import get_settings
from backend.errors import PermissionDeniedError
from backend.models import Assignment, ClosedHour, DailyUsage, Event, Message, PracticeSession
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import session_service
from backend.usage import usage_service
from tests.factories import add_message, make_classroom, make_client, make_user, start_session

# Both backends: figures are grouped queries over UTC days.
pytestmark = pytest.mark.both_backends

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _session(db, *, user, client, started, status="active", ended=None, assignment_id=None):
    """A student's practice conversation: under an assignment, as the product starts them
    (the classroom's, unless given; only practice has one)."""
    if assignment_id is None:
        assignment_id = db.scalar(select(Assignment.id).order_by(Assignment.id).limit(1))
    session = PracticeSession(
        user_id=user.id,
        client_id=client.id,
        assignment_id=assignment_id,
        mode="practice",
        status=status,
        started_at=started,
        ended_at=ended,
    )
    db.add(session)
    db.flush()
    return session


def _reply(
    db,
    session,
    *,
    at,
    tokens=(100, 20, 0, 0),
    cost="0.0002",
    latency=1000,
    ttft=300,
    model="claude-haiku-4-5",
):
    """A student message one second before `at`, then a reply at `at`; totals kept in step."""
    for role in ("user", "assistant"):
        session.message_count += 1
        is_reply = role == "assistant"
        message = Message(
            session_id=session.id,
            sequence_number=session.message_count,
            role=role,
            content="x",
            created_at=at if is_reply else at - timedelta(seconds=1),
            model=model if is_reply else None,
            input_tokens=tokens[0] if is_reply else 0,
            output_tokens=tokens[1] if is_reply else 0,
            cache_write_tokens=tokens[2] if is_reply else 0,
            cache_read_tokens=tokens[3] if is_reply else 0,
            cost=Decimal(cost) if is_reply else None,
            latency_ms=latency if is_reply else None,
            time_to_first_token_ms=ttft if is_reply else None,
        )
        db.add(message)
    session.estimated_cost += Decimal(cost)
    db.flush()


@pytest.fixture
def data(db):
    """Two students, two clients; yesterday's session runs past midnight into today."""
    room = make_classroom(db)
    other_client = make_client(db, teacher=room.teacher, name="Blake")
    second = make_user(db, username="second.student")
    admin = make_user(db, role=Role.admin)
    overnight = _session(
        db,
        user=room.student,
        client=room.client,
        started=MIDNIGHT - timedelta(hours=1),
        status="completed",
        ended=MIDNIGHT + timedelta(minutes=20),
        assignment_id=room.assignment.id,
    )
    _reply(db, overnight, at=MIDNIGHT - timedelta(minutes=30), cost="0.001", latency=4000)
    _reply(db, overnight, at=MIDNIGHT + timedelta(minutes=10), cost="0.002", latency=2000)
    done = _session(
        db,
        user=room.student,
        client=other_client,
        started=MIDNIGHT + timedelta(hours=9),
        status="completed",
        ended=MIDNIGHT + timedelta(hours=10),
    )
    _reply(
        db,
        done,
        at=MIDNIGHT + timedelta(hours=9, minutes=5),
        tokens=(1000, 50, 200, 300),
        cost="0.004",
        latency=1000,
        ttft=100,
        model="claude-sonnet-4-6",
    )
    live = _session(db, user=second, client=room.client, started=NOW - timedelta(minutes=40))
    _reply(db, live, at=NOW - timedelta(minutes=20), cost="0.003", latency=3000, ttft=200)
    _reply(db, live, at=NOW - timedelta(minutes=10), cost="0.005", latency=5000, ttft=400)
    db.add(
        Event(
            severity="error",
            category="api_overloaded",
            message="x",
            created_at=NOW - timedelta(hours=2),
            details={},
        )
    )
    db.add(Event(severity="info", category="accounts", message="x", created_at=NOW, details={}))
    db.flush()
    usage_service.rebuild(db)  # the daily tables, as the app keeps them, from these rows
    # Make the second student close to the daily token budget (95% of the 1,000,000 default).
    db.execute(
        update(DailyUsage)
        .where(DailyUsage.user_id == second.id, DailyUsage.day == MIDNIGHT.date())
        .values(tokens=950_000)
    )
    return admin, room.student, second


def test_now_figures(db, data):
    admin, *_ = data
    now = metrics_service.now_figures(db, actor=admin, now=NOW)
    assert now.active_sessions == 1
    assert now.sessions_today == 2  # the overnight session started yesterday
    assert now.messages_today == 8  # 2 + 2 + 4, the 23:30 pair is yesterday's
    assert (now.input_tokens, now.output_tokens, now.cache_write_tokens, now.cache_read_tokens) == (
        1300,
        110,
        200,
        300,
    )
    assert now.cost_today == Decimal("0.014")  # 0.002 + 0.004 + 0.003 + 0.005
    assert now.cost_per_1k_tokens == Decimal("0.014") / 1910 * 1000
    assert now.completed_today == 1 and now.avg_cost_per_completed == Decimal("0.004")
    assert now.completion_rate == 0.5
    assert (now.latency_today.median_ms, now.latency_today.count) == (2000.0, 4)  # nearest rank
    assert now.latency_last_hour.count == 2
    assert now.latency_last_hour.p95_ms == 5000.0
    assert now.first_token_today.count == 4


def test_empty_database_gives_zeros_not_errors(db):
    admin = make_user(db, role=Role.admin)
    now = metrics_service.now_figures(db, actor=admin, now=NOW)
    assert (now.active_sessions, now.messages_today, now.cost_today) == (0, 0, 0)
    assert now.cost_per_1k_tokens is None and now.completion_rate is None
    assert now.latency_today == metrics_service.Percentiles(None, None, 0)
    assert len(metrics_service.hourly_usage(db, actor=admin, now=NOW)) == 24
    assert all(day.messages == 0 for day in metrics_service.daily_usage(db, actor=admin, now=NOW))


def test_hourly_and_daily_views(db, data):
    admin, *_ = data
    hours = metrics_service.hourly_usage(db, actor=admin, now=NOW)
    assert hours[0].start == NOW.replace(minute=0) - timedelta(hours=23)
    by_hour = {bucket.start.hour: bucket for bucket in hours if bucket.messages}
    assert by_hour[23].messages == 2 and by_hour[0].cost == Decimal("0.002")
    assert by_hour[12].messages == 4 and by_hour[12].cost == Decimal("0.008")
    days = metrics_service.daily_usage(db, actor=admin, days=7, now=NOW)
    assert [d.start.date() for d in days][-2:] == [
        (MIDNIGHT - timedelta(days=1)).date(),
        MIDNIGHT.date(),
    ]
    yesterday, today = days[-2], days[-1]
    assert (yesterday.sessions, yesterday.messages, yesterday.cost) == (1, 2, Decimal("0.001"))
    assert (today.sessions, today.messages, today.cost, today.problems) == (
        2,
        8,
        Decimal("0.014"),
        1,
    )
    assert today.tokens == 1910


def test_breakdowns(db, data):
    admin, student, second = data
    by_model = metrics_service.breakdown(db, actor=admin, by="model", now=NOW)
    assert [(b.label, b.cost, b.replies) for b in by_model] == [
        ("claude-haiku-4-5", Decimal("0.011"), 4),
        ("claude-sonnet-4-6", Decimal("0.004"), 1),
    ]
    by_client = metrics_service.breakdown(db, actor=admin, by="client", now=NOW)
    assert [(b.label, b.cost) for b in by_client] == [
        ("Alex Rivera", Decimal("0.011")),
        ("Blake", Decimal("0.004")),
    ]
    by_section = {
        b.label: b.cost for b in metrics_service.breakdown(db, actor=admin, by="section", now=NOW)
    }
    assert by_section == {"Section A": Decimal("0.015")}  # every practice has an assignment
    students = metrics_service.breakdown(db, actor=admin, by="student", now=NOW, limit=10)
    assert [(b.label, b.cost) for b in students] == [
        (second.display_name, Decimal("0.008")),
        (student.display_name, Decimal("0.007")),
    ]
    assert metrics_service.breakdown(db, actor=admin, by="teacher", now=NOW)[0].cost == Decimal(
        "0.015"
    )


def test_active_sessions_and_budgets(db, data):
    admin, _student, second = data
    active = metrics_service.active_sessions(db, actor=admin, now=NOW)
    assert [(a.user, a.messages, a.cost) for a in active] == [
        (second.display_name, 4, Decimal("0.008"))
    ]
    budgets = metrics_service.budget_status(db, get_settings(), actor=admin, now=NOW)
    assert budgets.spend_today == Decimal("0.014")  # replies today: student 0.006, second 0.008
    assert budgets.near_limit == [(second.username, 950_000)]  # 95% of the 1,000,000 default


def test_only_admins_see_the_dashboard(db, data):
    _admin, student, _second = data
    teacher = make_user(db, role=Role.teacher)
    for actor in (student, teacher, None):
        with pytest.raises(PermissionDeniedError):
            metrics_service.now_figures(db, actor=actor, now=NOW)


def test_daily_problems_count_what_the_error_log_shows_by_default(db, data):
    """A failed API call is logged as a warning (it can be retried): it is a problem of the day
    all the same, as in the error log's default filter (warning, error, critical)."""
    admin, *_ = data
    db.add(
        Event(
            severity="warning",
            category="api_server_error",
            message="x",
            created_at=NOW - timedelta(minutes=5),
            details={"status": 500},
        )
    )
    db.add(
        Event(
            severity="critical",
            category="api_authentication",
            message="x",
            created_at=NOW - timedelta(minutes=4),
            details={},
        )
    )
    db.flush()
    today = metrics_service.daily_usage(db, actor=admin, days=1, now=NOW)[-1]
    assert today.problems == 3  # the error of the fixture, this warning and this critical


def test_the_last_24_hours_include_billed_cut_off_replies_as_today_does(
    committed_engine, api, classroom
):
    """Both views count every billed token: stored replies and replies cut off midway."""
    from backend.db import Database, unit_of_work
    from backend.practice import conversation_service

    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I suppose.", input_tokens=1000, output_tokens=6, cache_read=200)
    assert conversation_service.send_message(
        Database(committed_engine),
        actor=classroom.student,
        session_id=session.id,
        content="How are you?",
    ).ok
    api.stream_error_midway("I was going to say that my brother never called", chunk_delay=0)
    assert not conversation_service.send_message(
        Database(committed_engine), actor=classroom.student, session_id=session.id, content="Go on."
    ).ok
    with unit_of_work(committed_engine, write=False) as db:
        today = metrics_service.now_figures(db, actor=admin)
        hours = metrics_service.hourly_usage(db, actor=admin)
        totals = db.get(PracticeSession, session.id)
    assert today.tokens_today == totals.total_tokens > 1206  # the cut-off reply is billed
    assert sum(bucket.tokens for bucket in hours) == today.tokens_today
    assert sum((bucket.cost for bucket in hours), Decimal(0)) == today.cost_today


def _nearest_rank(values: list[int], percent: int) -> float | None:
    """The value at rank ceil(p * n) of the sorted values: the definition the dashboard shows."""
    ordered = sorted(values)
    return float(ordered[-(-len(ordered) * percent // 100) - 1]) if ordered else None


def test_percentiles_are_the_nearest_rank_for_every_count(db):
    """Median and p95 of reply and first-token times, today and in the last hour, equal the
    nearest rank for counts 1 to 45 (ties, missing timings and student messages included)."""
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    session = _session(db, user=room.student, client=room.client, started=MIDNIGHT)
    rng = random.Random(13)
    replies = []  # (time, latency, first token) of each reply, in order
    for index in range(45):
        at = MIDNIGHT + timedelta(hours=10, minutes=3 * index)
        latency = None if index % 11 == 5 else rng.choice([800, 800, 1200, rng.randint(300, 9000)])
        ttft = rng.randint(100, 999)
        _reply(db, session, at=at, latency=latency, ttft=ttft)
        replies.append((at, latency, ttft))
    yesterday = _session(
        db, user=room.student, client=room.client, started=MIDNIGHT, status="completed"
    )
    _reply(db, yesterday, at=MIDNIGHT - timedelta(minutes=20), latency=99_000, ttft=99_000)
    for count in range(1, 46):
        now = replies[count - 1][0]
        figures = metrics_service.now_figures(db, actor=admin, now=now)
        for since, measured in (
            (now - timedelta(hours=1), (figures.latency_last_hour, figures.first_token_last_hour)),
            (MIDNIGHT, (figures.latency_today, figures.first_token_today)),
        ):
            kept = [reply for reply in replies[:count] if reply[0] >= since]
            for column, shown in zip((1, 2), measured, strict=True):
                values = [reply[column] for reply in kept if reply[column] is not None]
                expected = (_nearest_rank(values, 50), _nearest_rank(values, 95), len(values))
                assert (shown.median_ms, shown.p95_ms, shown.count) == expected, (count, since)


def test_the_last_24_hours_put_each_message_in_its_hour_up_to_now(db):
    """A message at the very start of an hour counts in that hour, one at `now` in the last bar,
    one a moment before the first hour and one after `now` in none."""
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    session = _session(db, user=room.student, client=room.client, started=MIDNIGHT)
    first = NOW.replace(minute=0) - timedelta(hours=23)  # 13:00 yesterday
    # Each reply comes a second after its student message.
    _reply(db, session, at=first + timedelta(seconds=1), cost="0.001")  # 13:00:00 and 13:00:01
    _reply(db, session, at=NOW.replace(minute=0), cost="0.002")  # 11:59:59 and 12:00:00
    _reply(db, session, at=NOW, cost="0.004")  # 12:29:59 and 12:30:00 (now)
    _reply(db, session, at=first, cost="0.008")  # 12:59:59 yesterday (out) and 13:00:00
    _reply(db, session, at=NOW + timedelta(seconds=2), cost="0.016")  # both after now
    hours = metrics_service.hourly_usage(db, actor=admin, now=NOW)
    assert [h.start for h in hours] == [first + timedelta(hours=h) for h in range(24)]
    counted = {h.start: (h.messages, h.cost) for h in hours if h.messages}
    assert counted == {
        first: (3, Decimal("0.009")),
        NOW.replace(minute=0) - timedelta(hours=1): (1, Decimal(0)),
        NOW.replace(minute=0): (3, Decimal("0.006")),
    }


def test_all_breakdowns_at_once_match_each_one_and_tell_clients_of_one_name_apart(db, data):
    admin, student, second = data
    every = metrics_service.breakdowns(db, actor=admin, now=NOW, students=1)
    assert set(every) == {"model", "teacher", "section", "client", "student"}
    for by in ("model", "teacher", "section", "client"):
        assert every[by] == metrics_service.breakdown(db, actor=admin, by=by, now=NOW), by
    assert every["student"] == [
        metrics_service.Breakdown(second.display_name, 950_000, Decimal("0.008"), 2)
    ]
    # A second client named like the first one (another teacher's) is a row of its own, named
    # with its teacher (it had been summed into the first's row: an attack, 2026-12-07).
    other_teacher = make_user(db, role=Role.teacher)
    twin = make_client(db, teacher=other_teacher, name="Blake")
    twin_session = _session(
        db, user=second, client=twin, started=NOW - timedelta(hours=3), status="completed"
    )
    _reply(db, twin_session, at=NOW - timedelta(hours=2), cost="0.001")
    usage_service.rebuild(db)
    by_client = metrics_service.breakdowns(db, actor=admin, now=NOW)["client"]
    assert [(b.cost, b.replies) for b in by_client] == [
        (Decimal("0.011"), 4),
        (Decimal("0.004"), 1),
        (Decimal("0.001"), 1),
    ]
    assert by_client[0].label == "Alex Rivera"
    assert by_client[2].label == f"Blake ({other_teacher.username})" != by_client[1].label
    assert by_client[1].label.startswith("Blake (")


# The cache of closed periods -------------------------------------------------------------------
def _every_figure(db, admin, now):
    """Everything the dashboard shows that the cache of closed periods serves, as of `now`."""
    return (
        metrics_service.now_figures(db, actor=admin, now=now),
        metrics_service.hourly_usage(db, actor=admin, now=now),
        metrics_service.daily_usage(db, actor=admin, days=30, now=now),
        metrics_service.breakdowns(db, actor=admin, now=now),
    )


def _busy_days(db, *, days=3, seed=5):
    """Replies at random times over the last `days` days before NOW, and a few problems."""
    room = make_classroom(db)
    other = make_client(db, teacher=room.teacher, name="Blake")
    rng = random.Random(seed)
    first = MIDNIGHT - timedelta(days=days - 1)
    for _ in range(12):
        session = _session(
            db,
            user=room.student,
            client=rng.choice([room.client, other]),
            started=first,
            status="completed",
        )
        for _ in range(8):
            at = first + timedelta(seconds=rng.randrange(int((NOW - first).total_seconds())))
            latency = rng.choice([None, rng.randint(300, 9000)])
            _reply(db, session, at=at, cost=f"0.00{rng.randint(1, 9)}", latency=latency)
    for _ in range(10):
        at = first + timedelta(seconds=rng.randrange(int((NOW - first).total_seconds())))
        db.add(Event(severity="error", category="x", message="x", created_at=at, details={}))
    db.flush()
    usage_service.rebuild(db)
    return make_user(db, role=Role.admin), room


def test_figures_from_the_cache_equal_a_fresh_computation(db):
    admin, _room = _busy_days(db)
    for now in (NOW - timedelta(hours=30), NOW - timedelta(hours=5, minutes=7), NOW):
        first = _every_figure(db, admin, now)  # fills the cache with the closed periods
        assert metrics_service._closed, "nothing was cached"
        cached = _every_figure(db, admin, now)
        metrics_service.forget_closed_periods()
        assert cached == first == _every_figure(db, admin, now), now


def test_the_cache_serves_closed_periods_and_forgets_on_request(db):
    """A row written back-dated into a closed hour (only an import does that) is not seen until
    the cache is forgotten: proof that closed periods are not read again."""
    admin, room = _busy_days(db)
    before = _every_figure(db, admin, NOW)
    late = _session(db, user=room.student, client=room.client, started=MIDNIGHT, status="completed")
    _reply(db, late, at=NOW - timedelta(hours=3), cost="0.5", latency=60_000)  # closed hour
    usage_service.rebuild(db)
    assert _every_figure(db, admin, NOW)[1] == before[1]  # 24 hours: as cached
    metrics_service.forget_closed_periods()
    now, hours, days, _breakdowns = _every_figure(db, admin, NOW)
    assert sum(h.messages for h in hours) == sum(h.messages for h in before[1]) + 2
    assert now.latency_today.count == before[0].latency_today.count + 1
    assert days[-1].cost == before[2][-1].cost + Decimal("0.5")  # today: read live anyway


def test_a_message_in_the_open_hour_shows_on_the_next_refresh(db):
    admin, room = _busy_days(db)
    now_before, hours_before, days_before, by_before = _every_figure(db, admin, NOW)
    session = _session(db, user=room.student, client=room.client, started=NOW, status="completed")
    _reply(db, session, at=NOW - timedelta(minutes=1), cost="0.25", latency=7)
    usage_service.rebuild(db)
    now, hours, days, by = _every_figure(db, admin, NOW)
    assert now.messages_today == now_before.messages_today + 2
    assert now.latency_today.count == now_before.latency_today.count + 1
    assert now.latency_last_hour.count == now_before.latency_last_hour.count + 1
    assert hours[-1].messages == hours_before[-1].messages + 2
    assert hours[-1].cost == hours_before[-1].cost + Decimal("0.25")
    assert days[-1].cost == days_before[-1].cost + Decimal("0.25")
    assert sum(b.cost for b in by["model"]) == sum(b.cost for b in by_before["model"]) + Decimal(
        "0.25"
    )


def test_periods_that_closed_within_the_grace_are_read_live(db):
    """At 00:05 the last hour and the last day closed 5 minutes ago: a transaction that began
    before midnight may still commit into them, so they are read again on each refresh; an hour
    that closed more than the grace ago is not."""
    admin, room = _busy_days(db)
    now = MIDNIGHT + timedelta(minutes=5)
    hours_before = metrics_service.hourly_usage(db, actor=admin, now=now)
    days_before = metrics_service.daily_usage(db, actor=admin, days=2, now=now)
    session = _session(
        db, user=room.student, client=room.client, started=MIDNIGHT, status="completed"
    )
    _reply(db, session, at=MIDNIGHT - timedelta(minutes=1), cost="0.25")  # in the grace
    _reply(db, session, at=MIDNIGHT - timedelta(hours=1, minutes=1), cost="0.5")  # closed
    db.add(Event(severity="error", category="x", message="x", created_at=now, details={}))
    db.add(
        Event(severity="error", category="x", message="x", created_at=MIDNIGHT, details={})
    )  # today's, not yesterday's
    db.add(
        Event(
            severity="error",
            category="x",
            message="x",
            created_at=MIDNIGHT - timedelta(seconds=1),
            details={},
        )
    )
    usage_service.rebuild(db)
    hours = metrics_service.hourly_usage(db, actor=admin, now=now)
    assert hours[-2].cost == hours_before[-2].cost + Decimal("0.25")  # 23:00, in the grace
    assert hours[-3] == hours_before[-3]  # 22:00, closed before the row was back-dated into it
    yesterday, today = metrics_service.daily_usage(db, actor=admin, days=2, now=now)
    assert yesterday.cost == days_before[0].cost + Decimal("0.75")
    assert (yesterday.problems, today.problems) == (
        days_before[0].problems + 1,
        days_before[1].problems + 2,
    )


def test_periods_after_the_wall_clock_are_never_cached(db):
    """A `now` ahead of the wall clock: the hours between the two are still open."""
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    wall = datetime.now(UTC)
    ahead = wall + timedelta(hours=3)
    earlier = _session(db, user=room.student, client=room.client, started=wall, status="completed")
    _reply(db, earlier, at=wall - timedelta(days=2))  # the database is not empty
    before = metrics_service.hourly_usage(db, actor=admin, now=ahead)
    session = _session(db, user=room.student, client=room.client, started=wall)
    _reply(db, session, at=wall + timedelta(seconds=30), cost="0.25")  # written "now"
    hours = metrics_service.hourly_usage(db, actor=admin, now=ahead)
    assert sum(h.cost for h in hours) == sum(h.cost for h in before) + Decimal("0.25")


def test_a_database_filled_after_a_refresh_is_not_served_its_old_zeros(db):
    """An import fills an empty database with past rows while the app may be running."""
    admin = make_user(db, role=Role.admin)
    assert sum(h.messages for h in metrics_service.hourly_usage(db, actor=admin, now=NOW)) == 0
    _busy_days(db)
    hours = metrics_service.hourly_usage(db, actor=admin, now=NOW)
    metrics_service.forget_closed_periods()
    assert hours == metrics_service.hourly_usage(db, actor=admin, now=NOW)
    assert sum(h.messages for h in hours) > 0


def test_kept_hours_give_the_figures_of_the_messages_themselves(db):
    """Closed hours are kept in `closed_hours` when first needed: each hour's messages, tokens,
    cost and sorted reply timings exactly; a process with an empty cache reads them there, and
    shows the same figures: percentiles the nearest ranks of the replies themselves."""
    admin, room = _busy_days(db, days=2, seed=11)
    shown = metrics_service.now_figures(db, actor=admin, now=NOW)
    hours = metrics_service.hourly_usage(db, actor=admin, now=NOW)
    kept = db.scalars(select(ClosedHour).order_by(ClosedHour.hour)).all()
    first = NOW.replace(minute=0) - 23 * HOUR  # the first of the last 24 hours
    assert [row.hour for row in kept] == [first + n * HOUR for n in range(23)]  # 12:00 is open
    messages = db.execute(
        select(
            Message.created_at,
            Message.latency_ms,
            Message.time_to_first_token_ms,
            Message.role,
            Message.all_tokens,
            Message.cost,
        ).where(Message.created_at >= first, Message.created_at <= NOW)
    ).all()
    for row in kept:
        in_hour = [m for m in messages if row.hour <= m.created_at < row.hour + HOUR]
        replies = [m for m in in_hour if m.role == "assistant"]
        assert (row.messages, row.tokens, row.cost) == (
            len(in_hour),
            sum(m[4] for m in in_hour),
            sum((m.cost for m in replies), Decimal(0)),
        )
        for column, data in ((1, row.latency_ms), (2, row.first_token_ms)):
            expected = sorted(m[column] for m in replies if m[column] is not None)
            assert list(metrics_service._unpack(data)) == expected, row.hour
    metrics_service.forget_closed_periods()  # a new process: the kept hours, not the messages
    assert metrics_service.now_figures(db, actor=admin, now=NOW) == shown
    assert metrics_service.hourly_usage(db, actor=admin, now=NOW) == hours
    today = [m for m in messages if m.created_at >= MIDNIGHT and m.role == "assistant"]
    for column, figure in ((1, shown.latency_today), (2, shown.first_token_today)):
        values = [m[column] for m in today if m[column] is not None]
        assert (figure.median_ms, figure.p95_ms, figure.count) == (
            _nearest_rank(values, 50),
            _nearest_rank(values, 95),
            len(values),
        )
    # A reply back-dated into a kept hour (only an import does that) counts after the rebuild.
    late = _session(db, user=room.student, client=room.client, started=MIDNIGHT, status="completed")
    _reply(db, late, at=MIDNIGHT + timedelta(hours=3), latency=60_000)
    metrics_service.forget_closed_periods()
    still = metrics_service.now_figures(db, actor=admin, now=NOW)
    assert (still.latency_today, still.first_token_today) == (
        shown.latency_today,
        shown.first_token_today,
    )
    assert metrics_service.hourly_usage(db, actor=admin, now=NOW) == hours
    usage_service.rebuild(db)
    metrics_service.forget_closed_periods()
    rebuilt = metrics_service.now_figures(db, actor=admin, now=NOW)
    assert rebuilt.latency_today.count == shown.latency_today.count + 1
    assert sum(h.messages for h in metrics_service.hourly_usage(db, actor=admin, now=NOW)) == (
        sum(h.messages for h in hours) + 2
    )


@pytest.mark.both_backends
def test_a_conversation_whose_reply_is_streaming_now_is_active_not_left_open(db):
    """Sam's message is 40 minutes old and its reply failed; Sam presses Retry and the client is
    answering now. The Now tab listed no active session and counted Sam's conversation as left
    open, "a tab closed without End session" (an attack, 2026-12-07)."""
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin, username="ada.admin")
    session = start_session(db, user=room.student, client=room.client)
    add_message(db, actor=room.student, session_id=session.id, content="Hello, I'm Sam.")
    long_ago = datetime.now(UTC) - timedelta(minutes=40)
    db.execute(update(Message).where(Message.session_id == session.id).values(created_at=long_ago))
    db.execute(
        update(PracticeSession).where(PracticeSession.id == session.id).values(started_at=long_ago)
    )
    session_service.claim_reply(  # Retry: the reply asked for again, streaming now
        db, session_id=session.id, seconds=60, reserve_tokens=1000, reserve_cost=Decimal("0.001")
    )
    active = metrics_service.active_sessions(db, actor=admin)
    assert [a.session_id for a in active] == [session.id]
    assert metrics_service.now_figures(db, actor=admin).left_open_sessions == 0


def test_tokens_of_the_last_24_hours_count_what_tokens_today_counts(
    committed_engine, api, classroom
):
    """A student's reply (1,000 in, 100 out) and an admin's Test connection (12 in, 2 out):
    "Tokens today" read 1,100 (conversations' tokens), while the Usage tab's hours of today
    added to 1,114, though its help says it counts as Today's figures do: it counted the
    connection test's (and drafted drill items') tokens from their events. Costs agreed.
    (An attack, 2026-12-07.)"""
    from backend.db import Database, unit_of_work
    from backend.monitoring import health_service
    from backend.practice import conversation_service

    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if now - midnight < timedelta(minutes=2):
        pytest.skip("too close to midnight UTC: the day would change under the test")
    database = Database(committed_engine)
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I suppose.", input_tokens=1000, output_tokens=100)
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="How are you?"
    ).ok
    api.reply("ok", input_tokens=12, output_tokens=2)
    assert health_service.run_connection_test(database, actor=admin).ok
    with unit_of_work(committed_engine, write=False) as db:
        today = metrics_service.now_figures(db, actor=admin)
        hours = metrics_service.hourly_usage(db, actor=admin)
    todays_hours = [bucket for bucket in hours if bucket.start >= midnight]
    assert today.tokens_today == 1100 == sum(bucket.tokens for bucket in todays_hours)
    assert today.cost_today == sum((bucket.cost for bucket in todays_hours), Decimal(0))
