"""Two app processes on one PostgreSQL and one Redis, driven by browsers as a deployment behind a
sticky proxy would be: a student on one process, the admin on the other.

What a user notices: the admin sees a conversation held on the other process, with its cost; the
per-user rate limit counts messages sent through both; a reply in flight on one process is shown
as on its way on the other, and the API is asked for it once.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid

import pytest
from sqlalchemy import create_engine, select, text

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.classes import section_service
from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.models import Message, PracticeSession
from backend.models.enums import Role
from backend.ops import demo_service
from tests.conftest import POSTGRES_ADMIN_URL, REDIS_TEST_URL, _postgres_reachable, require_service
from tests.e2e.conftest import (
    STARTUP_TIMEOUT_S,
    _free_port,
    start_app,
    stop_apps,
    wait_until_healthy,
    warm_up,
)
from tests.e2e.helpers import (
    MESSAGES,
    RUN_TIMEOUT_MS,
    keyed,
    log_in,
    open_client,
    say,
    wait_until_idle,
)
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

# Its own Redis database (the other tests use db 15): flushed before and after this module only.
# The suite's own Redis database (TEST_REDIS_URL; other test runs on the machine use others, and
# the other tests in it use namespaces of their own): only the app's keys are cleared.
REDIS_URL = REDIS_TEST_URL
APP_KEYS = "*counseling*"  # the app's rate limits (LIMITS:LIMITER/counseling/...) and API state
USER_LIMIT = 3  # messages per hour: the window outlasts any slow machine
CLIENT = "Maya Thompson"  # a demo client
HELD_REPLY_SECONDS = 60  # a reply held in flight until the test releases it (or this passes)
_numbers = itertools.count(1)


# The stack: one database, one Redis database, the fake API, two `streamlit run` -------------------
@pytest.fixture(scope="module")
def shared_database():
    """A fresh PostgreSQL database built by Alembic, with the demo data; dropped afterwards."""
    problem = _postgres_reachable()
    require_service(problem is None, problem or "")
    name = f"counseling_two_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        engine = create_db_engine(url)
        with unit_of_work(engine) as db:
            seeded = demo_service.seed_demo(db, password=PASSWORD)
        yield url, engine, seeded
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                )
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="module")
def shared_redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except Exception as error:  # the package missing or the server down: same reason to skip
        require_service(False, f"Redis is not reachable at {REDIS_URL}: {type(error).__name__}")
    _forget_app_keys(client)
    yield REDIS_URL
    _forget_app_keys(client)
    client.close()


def _forget_app_keys(client) -> None:
    for key in client.scan_iter(match=APP_KEYS):
        client.delete(key)


@pytest.fixture(scope="module")
def two_apps(warm_tabs, shared_database, shared_redis, fake_anthropic_server, tmp_path_factory):
    """Two `streamlit run mvp/app.py` on two ports with the same settings; yields both URLs."""
    database_url, _engine, _seeded = shared_database
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "DATABASE_URL": database_url,
        "REDIS_URL": shared_redis,
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": fake_anthropic_server.base_url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "ANTHROPIC_MODEL": "claude-haiku-4-5",
        # A held reply must outlast the time a second browser needs to log in and look at it.
        "ANTHROPIC_TIMEOUT_SECONDS": str(HELD_REPLY_SECONDS + 30),
        "REPLY_TIMEOUT_SECONDS": str(HELD_REPLY_SECONDS + 60),
        "USER_RATE_LIMIT": f"{USER_LIMIT}/hour",
    }
    logs = tmp_path_factory.mktemp("two_apps")
    apps = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log_path = logs / f"streamlit_{name}.log"
            apps.append((f"http://127.0.0.1:{port}", start_app(port, env, log_path), log_path))
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for url, process, log_path in apps:
            wait_until_healthy(url, process, log_path, deadline)
        for url, _process, _log in apps:
            warm_up(warm_tabs, url)
        yield apps[0][0], apps[1][0]
    finally:
        stop_apps([process for _url, process, _log in apps])


@pytest.fixture
def browsers(open_page):
    """A page per person, each in a browser context of its own (its own cookies)."""
    return lambda: open_page(height=1100)


@pytest.fixture
def student(shared_database):
    """A new student in the demo section (each test its own, so limits and sessions start empty)."""
    _url, engine, seeded = shared_database
    number = next(_numbers)
    with unit_of_work(engine) as db:
        user = make_user(
            db,
            role=Role.student,
            username=f"two.student{number}",
            display_name=f"Twin Student {number}",
        )
        section_service.join_section(db, actor=user, join_code=seeded.join_code)
    return user


def messages_in_database(engine, user_id: int) -> list[tuple[str, str]]:
    with unit_of_work(engine, write=False) as db:
        rows = db.execute(
            select(Message.role, Message.content)
            .join(PracticeSession, PracticeSession.id == Message.session_id)
            .where(PracticeSession.user_id == user_id)
            .order_by(Message.id)
        ).all()
    return [(str(role), content) for role, content in rows]


def wait_for(condition, what: str, timeout_s: float = RUN_TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


# The scenarios ----------------------------------------------------------------------------------
def test_admin_on_one_process_sees_a_live_session_held_on_the_other(
    two_apps, shared_database, browsers, student, fake_anthropic
):
    app_a, app_b = two_apps
    _url, engine, _seeded = shared_database
    admin_name = f"two.admin{next(_numbers)}"
    with unit_of_work(engine) as db:
        make_user(db, role=Role.admin, username=admin_name)
    admin, learner = browsers(), browsers()
    log_in(admin, app_b, admin_name, lands_on="Figures")
    student_row = admin.locator("[role=row]").filter(has_text=student.display_name)
    expect(student_row).to_have_count(0)

    # 1,000 input and 10 output tokens on Haiku 4.5 ($1 and $5 per million): $0.001050.
    fake_anthropic.reply(
        "I'm not sure why I'm here, honestly.", input_tokens=1000, output_tokens=10
    )
    log_in(learner, app_a, student.username)
    open_client(learner, CLIENT)
    say(learner, "Hi, what brings you in today?")
    expect(learner.locator(MESSAGES).last).to_contain_text("I'm not sure why I'm here, honestly.")

    keyed(admin, "refresh").get_by_role("button", name="Refresh").click()
    # The active-sessions table (a canvas grid: its cells are in the DOM for screen readers).
    expect(student_row).to_have_count(1)
    expect(student_row).to_contain_text(CLIENT)
    expect(student_row).to_contain_text("$0.001050")
    assert len(fake_anthropic.messages_requests()) == 1


def test_the_per_user_rate_limit_counts_messages_sent_through_both_processes(
    two_apps, shared_database, browsers, student, fake_anthropic
):
    app_a, app_b = two_apps
    _url, engine, _seeded = shared_database
    on_a, on_b = browsers(), browsers()
    log_in(on_a, app_a, student.username)
    open_client(on_a, CLIENT)
    log_in(on_b, app_b, student.username)
    open_client(on_b, CLIENT)

    for number in range(1, USER_LIMIT + 1):
        say(on_a, f"Question number {number}?")
    assert len(fake_anthropic.messages_requests()) == USER_LIMIT
    # A's last reply is drawn as it streams, before its job stores it: B acts once all are stored.
    wait_for(
        lambda: len(messages_in_database(engine, student.id)) == 2 * USER_LIMIT,
        "A's replies to be stored",
    )

    box = keyed(on_b, "chat_input").locator("textarea")
    box.fill("One more, from the other tab?")
    box.press("Enter")
    expect(on_b.get_by_text(f"faster than {USER_LIMIT} per hour")).to_be_visible()
    # The words are kept on screen with a way to send them again; nothing was stored or paid for.
    expect(on_b.get_by_text("Not sent: One more, from the other tab?")).to_be_visible()
    expect(keyed(on_b, "resend_draft").get_by_role("button", name="Send again")).to_be_visible()
    expect(on_b.locator(MESSAGES)).to_have_count(2 * USER_LIMIT)  # what was said on A
    assert len(fake_anthropic.messages_requests()) == USER_LIMIT
    stored = messages_in_database(engine, student.id)
    assert len(stored) == 2 * USER_LIMIT
    assert "One more, from the other tab?" not in [content for _role, content in stored]


def test_a_reply_in_flight_on_one_process_is_not_answered_again_by_the_other(
    two_apps, shared_database, browsers, student, fake_anthropic
):
    app_a, app_b = two_apps
    _url, engine, _seeded = shared_database
    reply = "It's been hard to sleep since the move."
    fake_anthropic.hang(HELD_REPLY_SECONDS, then=reply)
    on_a, on_b = browsers(), browsers()
    log_in(on_a, app_a, student.username)
    open_client(on_a, CLIENT)
    box = keyed(on_a, "chat_input").locator("textarea")
    box.fill("How have you been sleeping?")
    box.press("Enter")
    expect(on_a.get_by_text(f"{CLIENT} is answering")).to_be_visible()
    wait_for(lambda: fake_anthropic.messages_requests(), "the reply's request")

    try:
        # The same conversation on the other process, while the reply is held.
        log_in(on_b, app_b, student.username)
        open_client(on_b, CLIENT)
        expect(on_b.locator(MESSAGES)).to_have_count(1)
        expect(on_b.locator(MESSAGES).first).to_contain_text("How have you been sleeping?")
        expect(on_b.get_by_text(f"{CLIENT} is answering")).to_be_visible()
        # Impatient on B: the message is refused (and kept), the reply is still on its way.
        box = keyed(on_b, "chat_input").locator("textarea")
        box.fill("Are you still there?")
        box.press("Enter")
        expect(on_b.get_by_text("The client is still answering")).to_be_visible()
        expect(on_b.get_by_text("Not sent: Are you still there?")).to_be_visible()
        expect(on_b.get_by_text(f"{CLIENT} is answering")).to_be_visible()
        assert len(fake_anthropic.messages_requests()) == 1
    finally:
        fake_anthropic.release()

    for page in (on_a, on_b):
        expect(page.locator(MESSAGES)).to_have_count(2)
        expect(page.locator(MESSAGES).last).to_contain_text(reply)
        expect(page.get_by_text(f"{CLIENT} is answering")).to_have_count(0)
    on_b.reload()  # a fresh look from the other process: still one reply, and no new request
    wait_until_idle(on_b)
    expect(on_b.locator(MESSAGES)).to_have_count(2)
    assert len(fake_anthropic.messages_requests()) == 1
    assert messages_in_database(engine, student.id) == [
        ("user", "How have you been sleeping?"),
        ("assistant", reply),
    ]
