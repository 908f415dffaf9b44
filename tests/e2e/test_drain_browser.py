"""A restart nobody notices: the container's command (`python -m mvp.serve`) gets SIGTERM while a
reply streams to a student's browser.

What a user and an operator notice: /ready turns 503 at once (the proxy sends new requests to the
other process), the student watches the reply finish and sees it once, the API was asked once,
and the process is gone within its grace period. The cheaper checks (a message sent to a draining
process, a reply unfinished when the grace period ends, a crash) are in
tests/integration/test_restarts.py.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import create_db_engine, unit_of_work
from backend.models import Message
from backend.ops import demo_service
from tests.conftest import copy_database
from tests.e2e.conftest import (
    PROJECT_ROOT,
    _free_port,
    app_environment,
    wait_until_healthy,
    warm_up,
)
from tests.e2e.helpers import MESSAGES, keyed, log_in, open_client
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

CLIENT = "Maya Thompson"  # a demo client
GRACE_SECONDS = 20
REPLY = (
    "I guess it started after the move. New school, new people, and my mom working nights now. "
    "I lie awake going over everything I said that day, and then it is suddenly morning again."
)  # 36 words: 12 chunks of three, streamed over about 3.6 s


def _ready(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        json.loads(error.read())  # the problems, as JSON
        return error.code
    except OSError:
        return 0  # nothing answers (gone)


@pytest.fixture
def served(warm_tabs, fake_anthropic_server, sqlite_template, tmp_path):
    """`python -m mvp.serve` on a demo database; yields (url, readiness port, process, database
    URL); killed at the end if the test left it running."""
    database = tmp_path / "app.db"
    copy_database(sqlite_template, database)
    database_url = f"sqlite:///{database}"
    engine = create_db_engine(database_url)
    with unit_of_work(engine) as db:
        demo_service.seed_demo(db, password=PASSWORD)
    engine.dispose()
    port, readiness = _free_port(), _free_port()
    env = {
        **app_environment(fake_anthropic_server),
        "DATABASE_URL": database_url,
        "READINESS_PORT": str(readiness),
        "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
    }
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mvp.serve", "--server.port", str(port)]
            + ["--server.address", "127.0.0.1", "--server.headless", "true"]
            + ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, log_path)
        warm_up(warm_tabs, url)
        yield url, readiness, process, database_url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        print(log_path.read_text()[-3000:])


def test_sigterm_mid_reply_finishes_the_reply_once_and_exits_within_the_grace_period(
    served, page, fake_anthropic
):
    url, readiness, process, database_url = served
    assert _ready(readiness) == 200
    fake_anthropic.reply(REPLY, chunk_delay=0.3)
    log_in(page, url, "demo.student")
    open_client(page, CLIENT)
    box = keyed(page, "chat_input").locator("textarea")
    box.fill("How have you been sleeping?")
    box.press("Enter")
    expect(page.locator(MESSAGES).last).to_contain_text("I guess it started")  # streaming

    process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    # At once (the signal reaches the server's loop between two of its steps): the proxy stops
    # sending new requests here long before the reply has finished.
    answers = [_ready(readiness)]
    while answers[-1] == 200 and time.monotonic() - stopped < 2:
        answers.append(_ready(readiness))
    assert answers[-1] == 503, answers

    expect(page.locator(MESSAGES)).to_have_count(2)
    expect(page.locator(MESSAGES).last).to_contain_text("suddenly morning again.")
    expect(page.get_by_text(f"{CLIENT} is answering")).to_have_count(0)
    assert process.wait(timeout=GRACE_SECONDS + 10) == 0
    print(f"\nSIGTERM to exit: {time.monotonic() - stopped:.1f} s (grace {GRACE_SECONDS} s)")

    engine = create_db_engine(database_url)
    with unit_of_work(engine, write=False) as db:
        stored = [(str(m.role), m.content) for m in db.query(Message).order_by(Message.id)]
    engine.dispose()
    assert stored == [("user", "How have you been sleeping?"), ("assistant", REPLY)]
    assert len(fake_anthropic.messages_requests()) == 1  # billed once
