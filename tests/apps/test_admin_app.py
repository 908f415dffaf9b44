"""The admin monitor through AppTest: empty and known data, filters, accounts, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from backend import event_log
from backend.accounts import account_service
from backend.config import get_settings
from backend.db import unit_of_work
from backend.errors import AuthenticationError
from backend.llm.usage import Usage
from backend.models import Message, PracticeSession
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import rating_service, session_service
from backend.utils.rate_limiter import RateLimiter
from tests.apps.helpers import APP_PATH, PAGES, assert_clean, everything, log_in, open_page, texts
from tests.factories import (
    PASSWORD,
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_classroom,
    make_client,
    make_section,
    make_user,
    start_session,
)

ADMIN_PAGES = ["Figures", "Service health", "Error log", "Accounts"]


@pytest.fixture
def admin(app_db):
    with unit_of_work(app_db) as db:
        return make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")


def metric(at, label: str) -> str:
    matches = [m.value for m in at.metric if m.label == label]
    assert matches, f"no metric {label!r} among {[m.label for m in at.metric]}"
    return matches[0]


def table(at, column: str):
    """The first table on the page with this column."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def open_tab(at, label: str):
    """A tab of the Figures page (Now, Usage, ...) or another admin page, by its title."""
    open_page(at, label)
    assert_clean(at)
    return at


def admin_app(app):
    at = log_in(app.run(), "ada.admin")
    assert_clean(at)
    assert "Figures" in texts(at, "title")
    return at


def shown(at) -> str:
    """Everything readable on the page, the error log's expander labels and details included."""
    return "\n".join(
        [everything(at), *(e.label for e in at.main.expander), *(str(j.value) for j in at.json)]
    )


def reply(db, student, session, *, usage: Usage, cost: str, latency_ms: int, first_token_ms: int):
    add_message(db, actor=student, session_id=session.id, content="Hello.")
    return add_reply(
        db,
        session_id=session.id,
        content="Hi.",
        usage=usage,
        model="claude-haiku-4-5",
        cost=Decimal(cost),
        latency_ms=latency_ms,
        time_to_first_token_ms=first_token_ms,
    )


@pytest.fixture
def known_data(app_db, admin, monkeypatch):
    """Two conversations today (one ended), two ratings, and a per-user budget of 5,000 tokens.

    Figures by hand: 4 messages; tokens 3,000 in + 300 out + 1,000 cache read = 4,300; cost
    $0.0045 ($0.001047 per 1K tokens); reply times 1.2 s and 2.0 s; first tokens 0.3 s and 0.5 s.
    """
    monkeypatch.setenv("USER_DAILY_TOKEN_BUDGET", "5000")
    get_settings.cache_clear()
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        ended = start_session(db, user=room.student, client=room.client)
        first = reply(
            db,
            room.student,
            ended,
            usage=Usage(input_tokens=2000, output_tokens=200, cache_read_tokens=1000),
            cost="0.0030",
            latency_ms=2000,
            first_token_ms=500,
        )
        session_service.end_session(db, actor=room.student, session_id=ended.id)
        open_chat = start_session(db, user=room.student, client=room.client)
        second = reply(
            db,
            room.student,
            open_chat,
            usage=Usage(input_tokens=1000, output_tokens=100),
            cost="0.0015",
            latency_ms=1200,
            first_token_ms=300,
        )
        rating_service.rate_reply(db, actor=room.student, message_id=first.id, positive=False)
        rating_service.rate_reply(db, actor=room.student, message_id=second.id, positive=True)
    return room.teacher, room.student, room.client, room.section


def test_empty_database_renders_every_tab_with_empty_states(app, admin):
    at = admin_app(app)
    assert metric(at, "Active sessions") == "0"
    assert metric(at, "Messages today") == "0"
    assert metric(at, "Cost today") == "$0.00"
    assert metric(at, "Positive feedback") == "—"
    assert metric(at, "Reply median, last hour") == "—"
    page = everything(at)
    assert "No students' practice yet today." in page
    assert "No student is practising right now." in page

    expected = {
        "Usage": ["Nothing billed since ", "Nothing recorded in the last 7 days."],
        "Breakdowns": ["No replies in the last 30 days.", "No ratings yet."],
        "Budgets": ["Nobody is close to their daily limit.", "An alert is logged at 80%"],
        "Service health": ["Healthy", "These checks spend no tokens"],
        "Error log": ["No events match."],
        "Accounts": ["New account"],
    }
    for tab, messages in expected.items():
        page = shown(open_tab(at, tab))
        for message in messages:
            assert message in page, (tab, message)
    assert list(table(at, "Username")["Username"]) == ["ada.admin"]


def test_known_data_shows_the_right_figures(app, known_data):
    teacher, student, client, section = known_data
    at = admin_app(app)
    figures = {
        "Active sessions": "1",
        "Sessions today": "2",
        "Messages today": "4",
        "Completion rate": "50%",
        "Positive feedback": "50%",
        "Cost today": "$0.004500",
        "Cost per 1K tokens": "$0.001047",
        "Avg cost per conversation": "$0.003000",
        "Input tokens": "3,000",
        "Output tokens": "300",
        "Cache write tokens": "0",
        "Cache read tokens": "1,000",
        "Reply median, today": "1.20 s",
        "Reply p95, today": "2.00 s",
        "Reply median, last hour": "1.20 s",
        "First token median, today": "0.30 s",
        "First token p95, today": "0.50 s",
    }
    assert {label: metric(at, label) for label in figures} == figures
    assert "**Tokens today** · 4,300 in total" in texts(at)
    active = table(at, "Who")
    assert list(active["Who"]) == [student.display_name]
    assert list(active["Client"]) == [client.name]
    assert list(active["Messages"]) == [2] and list(active["Cost"]) == ["$0.001500"]

    open_tab(at, "Usage")
    assert metric(at, "Tokens, last 24 hours") == "4,300"
    assert metric(at, "Cost, last 24 hours") == "$0.004500"
    today = table(at, "Problems logged").iloc[0]  # newest day first
    assert (today["Sessions"], today["Messages"], today["Tokens"], today["Cost"]) == (
        2,
        4,
        4300,
        "$0.004500",
    )
    at.segmented_control(key="daily_range").set_value("30 days").run()
    assert len(table(at, "Problems logged")) == 30

    open_tab(at, "Breakdowns")
    for column, label in (
        ("Model", "claude-haiku-4-5"),
        ("Teacher", teacher.display_name),
        ("Section", section.name),
        ("Client", client.name),
        ("Student", student.display_name),
    ):
        rows = table(at, column)
        assert list(rows[column]) == [label], column
        assert list(rows["Tokens"]) == [4300] and list(rows["Cost"]) == ["$0.004500"]
    feedback = table(at, "Share positive")
    assert (list(feedback["Positive"]), list(feedback["Ratings"])) == ([1], [2])

    open_tab(at, "Budgets")
    assert metric(at, "Spent today") == "$0.004500"
    assert metric(at, "Daily cost budget") == "$20.00"
    assert "**5,000 tokens a day**" in everything(at)
    near = table(at, "Share of budget")
    assert list(near["User"]) == [student.username] and list(near["Tokens today"]) == [4300]


def test_refresh_shows_new_messages_and_auto_refresh_reruns_the_figures(app, app_db, admin):
    at = admin_app(app)
    assert metric(at, "Messages today") == "0"
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        session = start_session(db, user=room.student, client=room.client)
        reply(
            db,
            room.student,
            session,
            usage=Usage(input_tokens=10, output_tokens=5),
            cost="0.0001",
            latency_ms=900,
            first_token_ms=200,
        )
    at.button(key="refresh").click().run()
    assert metric(at, "Messages today") == "2"
    assert not any("refreshes every 30 seconds" in text for text in texts(at, "caption"))
    at.toggle(key="auto_refresh").set_value(True).run()
    assert any("refreshes every 30 seconds" in text for text in texts(at, "caption"))


def test_error_log_filters_details_and_no_api_key(app, app_db, admin):
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        session = start_session(db, user=room.student, client=room.client)
        event_log.record(
            db,
            "error",
            "api_overloaded",
            "Reply failed: overloaded",
            user_id=room.student.id,
            session_id=session.id,
            details={
                "request_id": "req_123",
                "status": 529,
                "detail": "sent with sk-ant-api03-SECRETKEY",
            },
        )
        event_log.record(db, "warning", "budget", "Near the daily budget")
        event_log.record(db, "info", "accounts", "Something routine")
    at = open_tab(admin_app(app), "Error log")
    labels = [e.label for e in at.main.expander]
    assert len(labels) == 2  # info is off by default
    assert "Near the daily budget" in labels[0]  # newest first
    assert "API: overloaded (HTTP 529)" in labels[1].replace("\\", "")
    page = shown(at)
    assert (
        f"**Request id** `req_123` · **Session** #{session.id} · **User** {room.student.username}"
        in page
    )
    assert "sk-ant" not in page and "SECRETKEY" not in page

    at.multiselect(key="log_severity").set_value(["info"]).run()
    labels = [e.label for e in at.main.expander]
    assert labels and all("info" in label for label in labels)
    assert any("Something routine" in label for label in labels)

    at.multiselect(key="log_severity").set_value([]).run()  # none chosen: every severity
    at.multiselect(key="log_category").set_value(["budget"]).run()
    assert ["Near the daily budget" in e.label for e in at.main.expander] == [True]

    at.multiselect(key="log_category").set_value([]).run()
    at.multiselect(key="log_severity").set_value(["critical"]).run()
    assert not at.main.expander and "No events match." in everything(at)

    # The filters survive a visit to another tab.
    open_tab(at, "Now")
    open_tab(at, "Error log")
    assert at.multiselect(key="log_severity").value == ["critical"]


def test_account_actions(app, app_db, admin):
    at = open_tab(admin_app(app), "Accounts")
    at.text_input(key="account_username").input("new.teacher")
    at.text_input(key="account_display_name").input("New Teacher")
    at.selectbox(key="account_role").set_value("teacher")
    at.text_input(key="account_password").input("short")
    at.button(key="create_account").click().run()
    assert texts(at, "warning") and "new.teacher" not in list(table(at, "Username")["Username"])

    at.text_input(key="account_password").input("first password")
    at.button(key="create_account").click().run()
    assert "Created the teacher account 'new.teacher'." in everything(at)
    accounts = table(at, "Username").set_index("Username")
    assert (
        accounts.loc["new.teacher", "Role"] == "teacher" and accounts.loc["new.teacher", "Active"]
    )

    at.selectbox(key="manage_account").set_value("new.teacher").run()
    at.text_input(key="reset_password").input("tiny")
    at.button(key="reset_password_button").click().run()
    assert texts(at, "warning")
    at.text_input(key="reset_password").input("second password")
    at.button(key="reset_password_button").click().run()
    assert "New password set for 'new.teacher'" in everything(at)
    limiter = RateLimiter()
    with unit_of_work(app_db) as db:
        assert account_service.authenticate(
            db, username="new.teacher", password="second password", limiter=limiter
        )

    at.button(key="toggle_active").click().run()
    assert "'new.teacher' is deactivated" in everything(at)
    with pytest.raises(AuthenticationError, match="deactivated"):
        with unit_of_work(app_db) as db:
            account_service.authenticate(
                db, username="new.teacher", password="second password", limiter=limiter
            )
    at.button(key="toggle_active").click().run()
    assert "'new.teacher' is active again" in everything(at)
    with unit_of_work(app_db) as db:
        assert account_service.authenticate(
            db, username="new.teacher", password="second password", limiter=limiter
        )

    at.selectbox(key="manage_account").set_value("ada.admin").run()
    assert at.button(key="toggle_active").disabled  # nobody locks themselves out


@pytest.mark.parametrize("role", [Role.teacher, Role.student])
def test_other_roles_cannot_reach_the_monitor(app_db, role):
    with unit_of_work(app_db) as db:
        user = make_user(db, role=role, username=f"just.a.{role.value}")
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), user.username, PASSWORD)
    assert_clean(at)
    assert "Figures" not in texts(at, "title") and not at.metric
    for title in ADMIN_PAGES:
        page_file = APP_PATH.replace("app.py", PAGES[title])
        direct = AppTest.from_file(page_file, default_timeout=30)
        direct.session_state["user"] = user
        direct.run()
        assert any("You do not have access to this page." in e for e in texts(direct, "error"))
        assert not direct.metric and not direct.tabs and not direct.dataframe


def test_each_admin_page_queries_only_its_own_figures(app, admin, monkeypatch):
    called: list[str] = []
    queries = ("now_figures", "active_sessions", "hourly_usage", "daily_usage", "breakdowns")
    for name in (*queries, "budget_status"):
        original = getattr(metrics_service, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            called.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(metrics_service, name, counting)
    at = admin_app(app)  # Figures, on its Now tab
    assert set(called) == {"now_figures", "active_sessions"}
    for page, expected in (
        ("Usage", {"hourly_usage", "daily_usage"}),
        ("Breakdowns", {"breakdowns"}),
        ("Budgets", {"budget_status"}),
        ("Service health", set()),
        ("Error log", set()),
        ("Accounts", set()),
    ):
        called.clear()
        open_tab(at, page)
        assert set(called) == expected, page


def test_the_figures_say_when_a_model_in_use_has_no_price(app, app_api, admin, monkeypatch):
    """With the dollar budget off, calls of a model the price table does not list go through and
    count $0: Cost today read "$0.00" after a day of such replies, with nothing on the Figures
    page to say the figure leaves them out (noticed on 2026-12-06)."""
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-opus-4-1")  # real, but not in the price table
    monkeypatch.setenv("GLOBAL_DAILY_COST_BUDGET_USD", "0")
    get_settings.cache_clear()
    at = admin_app(app)
    warnings = " ".join(w.value for w in at.warning)
    assert "claude-opus-4-1" in warnings and "MODEL_PRICES_JSON" in warnings
    assert "$0" in warnings  # what its calls count as in these figures


def test_with_the_budget_on_the_figures_say_the_unpriced_model_is_paused(
    app, app_api, admin, monkeypatch
):
    """With the dollar budget on (the default) no call of an unpriced model is made: the
    warning said they "count as $0", with the refusal as an aside and without the second way
    out the Error log gives (an attack on the warning above, 2026-12-06)."""
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-opus-4-1")
    monkeypatch.setenv("GLOBAL_DAILY_COST_BUDGET_USD", "20")
    get_settings.cache_clear()
    at = admin_app(app)
    warning = " ".join(w.value for w in at.warning if "claude-opus-4-1" in w.value)
    assert "paused" in warning and "count as $0" not in warning
    assert "MODEL_PRICES_JSON" in warning and "GLOBAL_DAILY_COST_BUDGET_USD=0" in warning


def test_the_figures_say_nothing_of_prices_when_every_model_has_one(app, app_api, admin):
    at = admin_app(app)
    assert not [w for w in at.warning if "MODEL_PRICES_JSON" in w.value]


def test_the_usage_tab_shows_a_days_cost_that_no_message_carries(app, app_db, admin, app_api):
    """An admin's connection test is billed, but it is no message: the Usage tab said "No
    messages in the last 24 hours" and hid the hourly cost beside Cost today's (noticed in an
    attack, 2026-12-06). Every paid call shows there."""
    app_api.reply("ok", input_tokens=12, output_tokens=2)
    at = admin_app(app)
    open_tab(at, "Service health")
    at.button(key="test_connection").click().run()
    assert any("Connection test passed" in text for text in texts(at, "success"))
    open_tab(at, "Usage")
    assert "Nothing billed since" not in everything(at)
    assert metric(at, "Cost, last 24 hours") == "$0.000022"
    open_tab(at, "Now")
    assert metric(at, "Connection tests") == "$0.000022"


def _chat(db, student, client, cost: str):
    """A conversation of `student` with `client` with one reply costing `cost`."""
    session = start_session(db, user=student, client=client)
    usage = Usage(input_tokens=10, output_tokens=5)
    reply(db, student, session, usage=usage, cost=cost, latency_ms=900, first_token_ms=100)
    return session


def test_breakdowns_tell_apart_what_shares_a_name(app, app_db, admin):
    """Two teachers' sections both named "Section A", two clients both named "Alex Rivera", two
    teachers and two students of one display name (names are not unique: "Sam Lee" twice in a
    class of 200). The breakdowns summed each pair into one row, and Top 10 students showed two
    identical rows: the admin read one section costing $0.003 (an attack, 2026-12-07). Each is
    a row of its own, told apart by whose it is (a student, a teacher: by username)."""
    with unit_of_work(app_db) as db:
        room = make_classroom(db)  # Teacher's "Section A", client "Alex Rivera"
        other = make_user(db, role=Role.teacher, display_name=room.teacher.display_name)
        twin = make_user(db, display_name=room.student.display_name)
        client = make_client(db, teacher=other, name=room.client.name)
        section = make_section(db, teacher=other, name=room.section.name)
        enroll(db, section=section, student=twin)
        make_assignment(db, teacher=other, section=section, clients=[client])
        _chat(db, room.student, room.client, "0.001")
        _chat(db, twin, client, "0.002")
    at = open_tab(admin_app(app), "Breakdowns")
    assert_clean(at)
    for column in ("Section", "Client", "Teacher", "Student"):
        rows = table(at, column)
        assert len(rows) == 2 and len(set(rows[column])) == 2, rows
        assert sorted(rows["Cost"]) == ["$0.001000", "$0.002000"], rows
        # By whose they are, as the admin can look them up (an attack on the first version
        # found database ids, "Section A (Teacher 21) #2", where the teachers share a name).
        assert not any("#" in label for label in rows[column]), rows
    for column, whose in (("Student", twin), ("Teacher", other), ("Section", other)):
        assert f"({whose.username})" in " ".join(table(at, column)[column])


def test_top_students_names_whose_namesake_ranks_below_the_cut(app, app_db, admin):
    """Two students named "Sam Lee": one spends most, the other ranks 11th. Top 10 students
    showed a bare "Sam Lee" (an attack, 2026-12-07): names are told apart among all students."""
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        sam, namesake = (make_user(db, display_name="Sam Lee") for _ in range(2))
        fillers = [make_user(db) for _ in range(9)]
        for student in [sam, namesake, *fillers]:
            enroll(db, section=room.section, student=student)
        _chat(db, sam, room.client, "0.050")
        for index, student in enumerate(fillers):
            _chat(db, student, room.client, f"0.0{20 + index}")
        _chat(db, namesake, room.client, "0.001")
    at = open_tab(admin_app(app), "Breakdowns")
    assert_clean(at)
    top = list(table(at, "Student")["Student"])
    assert len(top) == 10 and top[0] == f"Sam Lee ({sam.username})", top


def test_a_conversation_left_open_for_days_is_not_an_active_session(app, app_db, admin):
    """A student opened a conversation four days ago, said one thing and closed the tab; nothing
    ends a conversation by itself. The Now tab read "Active sessions 1", listed it as open for
    96 hours, beside a help that says active means open now (an attack, 2026-12-07): the admin of
    a class of 200 could not tell who is practising. Active is now a message (or the start)
    within the last 30 minutes; the others are counted apart, as left open."""
    four_days_ago = datetime.now(UTC) - timedelta(days=4)
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        left = _chat(db, room.student, room.client, "0.001")
        db.execute(
            update(PracticeSession)
            .where(PracticeSession.id == left.id)
            .values(started_at=four_days_ago)
        )
        db.execute(
            update(Message).where(Message.session_id == left.id).values(created_at=four_days_ago)
        )
        pat = make_user(db, display_name="Pat Now")
        enroll(db, section=room.section, student=pat)
        _chat(db, pat, room.client, "0.001")
    at = admin_app(app)
    assert_clean(at)
    assert metric(at, "Active sessions") == "1"
    assert list(table(at, "Open for")["Who"]) == ["Pat Now"]
    assert "1 more conversation was left open" in everything(at)


def test_feedback_by_client_tells_two_clients_of_one_name_apart(app, app_db, admin):
    """Two teachers each have a client "Alex Rivera"; one is rated down, the other up. "Feedback
    by client" showed two identical "Alex Rivera" rows, 0% and 100% (an attack, 2026-12-07):
    whose client was failing could not be told. Each is named with its teacher's username."""
    from backend.practice import rating_service

    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        other = make_user(db, role=Role.teacher)
        twin = make_client(db, teacher=other, name=room.client.name)
        section = make_section(db, teacher=other, name="Group B")
        student = make_user(db)
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=other, section=section, clients=[twin])
        usage = Usage(input_tokens=10, output_tokens=5)
        down = reply(
            db,
            room.student,
            start_session(db, user=room.student, client=room.client),
            usage=usage,
            cost="0.001",
            latency_ms=900,
            first_token_ms=100,
        )
        up = reply(
            db,
            student,
            start_session(db, user=student, client=twin),
            usage=usage,
            cost="0.002",
            latency_ms=900,
            first_token_ms=100,
        )
        rating_service.rate_reply(db, actor=room.student, message_id=down.id, positive=False)
        rating_service.rate_reply(db, actor=student, message_id=up.id, positive=True)
    at = open_tab(admin_app(app), "Breakdowns")
    assert_clean(at)
    feedback = table(at, "Share positive")
    assert sorted(feedback["Client"]) == sorted(
        f"{room.client.name} ({teacher.username})" for teacher in (room.teacher, other)
    )


def test_the_usage_tab_says_which_24_hours_it_counts(app, app_db, admin):
    """The 24 bars are clock hours: a reply billed 23 h 59 min ago may be before the first, yet
    the tab said "Nothing billed in the last 24 hours" (an attack, 2026-12-07). It names the
    hour its window starts at."""
    now = datetime.now(UTC)
    billed = now - timedelta(hours=23, minutes=59)
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        session = _chat(db, room.student, room.client, "0.004")
        db.execute(
            update(Message).where(Message.session_id == session.id).values(created_at=billed)
        )
    at = open_tab(admin_app(app), "Usage")
    assert_clean(at)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    assert f"since {first:%H:00} UTC" in everything(at)
    assert "in the last 24 hours" not in everything(at)


def test_the_error_log_reaches_every_event_page_by_page(app, app_db, admin):
    """An outage morning logs 250 failed calls. The Error log's largest page is 200, with no way
    further: the first 50, where the outage began, could not be read (an attack, 2026-12-07).
    "Older events" pages on from the last event shown; "Newest events" comes back."""
    with unit_of_work(app_db) as db:
        for number in range(250):
            event_log.record(db, "warning", "api_overloaded", f"Reply failed, event {number:03d}")
    at = admin_app(app)
    at.session_state["_kept_log_limit"] = 200
    open_page(at, "Error log")
    assert_clean(at)
    assert len(at.main.expander) == 200 and "event 249" in shown(at)
    at.button(key="log_older").click().run()
    assert_clean(at)
    assert len(at.main.expander) == 50
    assert "event 000" in shown(at) and "event 050" not in shown(at)
    assert "log_older" not in [button.key for button in at.button]
    at.button(key="log_newest").click().run()
    assert "event 249" in shown(at) and len(at.main.expander) == 200


def test_an_archived_client_and_its_namesake_are_told_apart_as_archived(app, app_db, admin):
    """A teacher archives "Alex Rivera" and writes a new "Alex Rivera". Both rows read "Alex
    Rivera (teacher) #3" and "#7": database ids the admin cannot map to anything on screen (an
    attack, 2026-12-07). The archived one is named as such, in Feedback by client and Client."""
    from backend.clients import client_service
    from backend.practice import rating_service

    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        new = make_client(db, teacher=room.teacher, name=room.client.name)
        make_assignment(db, teacher=room.teacher, section=room.section, clients=[new], title="W2")
        usage = Usage(input_tokens=10, output_tokens=5)
        for client, positive in ((room.client, False), (new, True)):
            said = reply(
                db,
                room.student,
                start_session(db, user=room.student, client=client),
                usage=usage,
                cost="0.001",
                latency_ms=900,
                first_token_ms=100,
            )
            rating_service.rate_reply(db, actor=room.student, message_id=said.id, positive=positive)
        client_service.set_archived(db, actor=room.teacher, client_id=room.client.id, archived=True)
    at = open_tab(admin_app(app), "Breakdowns")
    assert_clean(at)
    archived = f"{room.client.name} ({room.teacher.username}, archived)"
    for column, values in (("Share positive", "Client"), ("Cost", "Client")):
        labels = sorted(
            next(
                f.value
                for f in at.dataframe
                if column in f.value.columns and values in f.value.columns
            )[values]
        )
        assert labels == sorted([archived, f"{room.client.name} ({room.teacher.username})"]), labels


def test_every_problem_report_can_be_read_page_by_page(app, app_db, admin):
    """After a bad release day, 130 problem reports: the tab showed the newest 100 and "100
    reports, newest first", so the first 30, which say what broke first, could not be read (an
    attack, 2026-12-07). "Older reports" pages on, as the events do."""
    from backend.models import ProblemReport

    with unit_of_work(app_db) as db:  # from a whole class (one account may send five)
        students = [make_user(db, role=Role.student) for _ in range(26)]
        for number in range(130):
            reporter = students[number % len(students)]
            db.add(
                ProblemReport(
                    user_id=reporter.id, page="Figures", text=f"Broken, report {number:03d}"
                )
            )
            db.flush()
    at = admin_app(app)
    open_page(at, "Error log")
    assert "report 129" in shown(at) and "report 029" not in shown(at)
    at.button(key="reports_older").click().run()
    assert_clean(at)
    assert "report 000" in shown(at) and "report 030" not in shown(at)
    at.button(key="reports_newest").click().run()
    assert "report 129" in shown(at)


def test_an_older_page_says_what_it_holds_and_a_filter_changed_back_shows_the_newest(
    app, app_db, admin
):
    """Two faults of the first pager (an attack, 2026-12-07): its caption named the minute of
    the event paged from ("10 events older than 10:15" above ten events of 10:15), and changing
    a filter and back brought the older page back unasked, so the newest events looked gone."""
    start = datetime(2026, 12, 7, 10, 15, 5, tzinfo=UTC)
    with unit_of_work(app_db) as db:
        for number in range(60):
            event_log.record(
                db,
                "warning",
                "api_overloaded",
                f"Reply failed, event {number:03d}",
                at=start + timedelta(seconds=number * 0.8),
            )
    at = admin_app(app)
    at.session_state["_kept_log_limit"] = 50
    open_page(at, "Error log")
    at.button(key="log_older").click().run()
    assert_clean(at)
    assert "event 000" in shown(at) and "event 059" not in shown(at)
    caption = next(c.value for c in at.caption if "newest first" in c.value)
    assert "older than" not in caption and caption.startswith("10 ")
    chosen = at.multiselect(key="log_severity").value
    at.multiselect(key="log_severity").set_value(["error"]).run()
    at.multiselect(key="log_severity").set_value(chosen).run()
    assert_clean(at)
    assert "event 059" in shown(at)


def test_positive_feedback_never_reads_all_while_one_rating_is_negative(app, app_db, admin):
    """199 of 200 reply ratings thumbs up: "Positive feedback" read "100%" beside its own help
    "199 of 200 ... are positive", and the one complaint vanished from the figure an operator
    scans. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        session = start_session(db, user=room.student, client=room.client)
        for number in range(200):
            add_message(db, actor=room.student, session_id=session.id, content=f"Turn {number}.")
            stored = add_reply(
                db,
                session_id=session.id,
                content="Okay.",
                usage=Usage(input_tokens=10, output_tokens=2),
                cost=Decimal("0.000001"),
            )
            rating_service.rate_reply(
                db, actor=room.student, message_id=stored.id, positive=number != 0
            )
    at = admin_app(app)
    assert "199 of 200" in next(m.help for m in at.metric if m.label == "Positive feedback")
    assert metric(at, "Positive feedback") == ">99%"


def test_every_active_session_is_listed_for_a_class_of_150(app, app_db, admin):
    """150 students practising at once: "Active sessions" read 150 while the table under it
    listed 100 conversations and said nothing of the other 50, so an operator looking for a
    student who reported a problem could not find them. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        for number in range(150):
            student = make_user(
                db, role=Role.student, username=f"pupil{number:03}", display_name=f"Pupil {number}"
            )
            enroll(db, section=room.section, student=student)
            start_session(db, user=student, client=room.client)
    at = admin_app(app)
    assert metric(at, "Active sessions") == "150"
    assert len(table(at, "Who")) == 150


def test_feedback_by_client_never_reads_all_while_a_rating_is_negative(app, app_db):
    """A client students have used all year: 1,999 of its 2,000 reply thumbs are up, one is
    down. The Now tab reads ">99%" (68121a3), but the Breakdowns tab's "Feedback by client"
    table, the one place the admin sees it per client, gets 1.0 for "Share positive" and draws
    a full bar reading 100.00%: the one complaint vanishes again, and two tabs of one page
    disagree. RatingShare.percent rounds to a tenth of a percent before the table's two-decimal
    percent format shows it (mvp/admin/figures_tabs.py passes `share.percent / 100`).
    (An attack on the first fix, 2026-12-07.)"""
    from sqlalchemy import insert

    from backend.models import Message, MessageRating
    from backend.models.enums import MessageRole, Role
    from backend.practice import rating_service
    from tests.apps.test_admin_app import admin_app, metric, open_tab, table
    from tests.factories import make_classroom, make_user, start_session

    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")
        room = make_classroom(db)
        session = start_session(db, user=room.student, client=room.client)
        db.execute(
            insert(Message),
            [
                {
                    "session_id": session.id,
                    "sequence_number": number,
                    "role": MessageRole.user if number % 2 else MessageRole.assistant,
                    "content": "Okay.",
                }
                for number in range(1, 4001)
            ],
        )
        replies = db.scalars(
            Message.__table__.select()
            .with_only_columns(Message.id)
            .where(Message.session_id == session.id, Message.role == MessageRole.assistant)
            .order_by(Message.id)
        ).all()
        assert len(replies) == 2000
        db.execute(
            insert(MessageRating),
            [
                {"message_id": reply, "user_id": room.student.id, "positive": index != 0}
                for index, reply in enumerate(replies)
            ],
        )
        rating_service.rebuild_tallies(db)  # as after a bulk import
    at = admin_app(app)
    assert metric(at, "Positive feedback") == ">99%"
    at = open_tab(at, "Breakdowns")
    feedback = table(at, "Share positive")
    assert (list(feedback["Positive"]), list(feedback["Ratings"])) == ([1999], [2000])
    share = float(feedback["Share positive"].iloc[0])
    assert f"{share * 100:.2f}%" != "100.00%", "one negative rating reads as all positive"
