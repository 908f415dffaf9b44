"""Restarts nobody notices: a process that shuts down finishes its replies and hands the rest on;
a process that crashes mid-reply lets another take the reply over within seconds, not a minute.

The browser test with a real `python -m mvp.serve` and SIGTERM is tests/e2e/test_drain_browser.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from backend.db import Database, unit_of_work
from backend.jobs import job_service, runner
from backend.models import Job, PracticeSession
from backend.models.enums import JobStatus, MessageRole
from backend.monitoring import watch
from backend.ops import shutdown
from backend.practice import conversation_service
from backend.practice.conversation_service import HANDED_ON, ShuttingDown
from backend.practice.session_service import ReplyInFlight
from tests.factories import make_classroom
from tests.integration.conftest import TEST_API_KEY
from tests.integration.reads import stored_messages

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Before: a dead process's claim held for REPLY_TIMEOUT_SECONDS + 15 s (60 s by default).
OLD_TAKEOVER_SECONDS = 60
REPLY = "Honestly, I kept thinking about it all week."


@pytest.fixture
def shutting_down():
    """This process shuts down during the test; afterwards it is an ordinary process again (what
    `runner` never needs outside tests: a process that drained exits)."""
    yield
    runner._draining.clear()
    runner._released.clear()


def _turns(engine, room, session_id: int) -> list[tuple[MessageRole, str]]:
    return [(m.role, m.content) for m in stored_messages(engine, room.student, session_id)]


def _start(engine, room) -> int:
    database = Database(engine)
    return conversation_service.start_conversation(
        database, actor=room.student, client_id=room.client.id
    ).id


def _wait_for(found, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.05)
    raise AssertionError(f"waited in vain for {what}")


# Crash (SIGKILL) --------------------------------------------------------------------------------
def _send_in_a_subprocess(engine, fake, room, session_id: int) -> subprocess.Popen:
    """Another app process stores the student's message and starts the reply, then is killed."""
    url = engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent(
        f"""
        import time
        from sqlalchemy.orm import Session
        from backend.actor import UserRead
        from backend.db import Database, create_db_engine
        from backend.models import User
        from backend.practice import conversation_service

        engine = create_db_engine({url!r})
        with Session(engine) as db:
            actor = UserRead.model_validate(db.get(User, {room.student.id}))
        conversation_service.submit_message(
            Database(engine), actor=actor, session_id={session_id}, content="How was your week?"
        )
        time.sleep(600)
        """
    )
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "DATABASE_URL": url,
        "ANTHROPIC_API_KEY": TEST_API_KEY,
        "ANTHROPIC_BASE_URL": fake.base_url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "ANTHROPIC_MODEL": "claude-haiku-4-5",
        "REDIS_URL": "",
    }
    return subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, env=env)


def test_a_reply_cut_off_by_a_crash_is_taken_over_within_seconds_and_stored_once(
    committed_postgresql, api
):
    with unit_of_work(committed_postgresql) as db:
        room = make_classroom(db)
    session_id = _start(committed_postgresql, room)
    api.hang(120, then="Never shown: its process died.").reply(REPLY)
    child = _send_in_a_subprocess(committed_postgresql, api, room, session_id)
    try:
        _wait_for(api.messages_requests, "the first process's request to the API", timeout=60)
    finally:
        child.kill()  # SIGKILL mid-reply
        child.wait(10)
    killed = time.monotonic()
    database = Database(committed_postgresql)

    def taken_over() -> bool:  # what the student's page polls on the other process
        return not conversation_service.reply_pending(
            database, actor=room.student, session_id=session_id
        )

    _wait_for(taken_over, "the dead process's claim to lapse", timeout=OLD_TAKEOVER_SECONDS - 15)
    takeover = time.monotonic() - killed
    outcome = conversation_service.request_reply(  # the page's own "ask once more"
        database, actor=room.student, session_id=session_id
    ).wait()
    print(
        f"\ntakeover after SIGKILL: {takeover:.1f} s (claim free), reply stored after "
        f"{time.monotonic() - killed:.1f} s"
    )

    assert outcome.ok, outcome.notice
    assert _turns(committed_postgresql, room, session_id) == [
        (MessageRole.user, "How was your week?"),  # the student's message, kept
        (MessageRole.assistant, REPLY),  # one reply
    ]
    # What a crash still costs: the reply is asked for again (README, "Restarts").
    assert len(api.messages_requests()) == 2


def test_a_long_reply_keeps_its_claim_past_the_lease_while_its_process_lives(
    committed_engine, api, classroom
):
    session_id = _start(committed_engine, classroom)
    api.hang(60, then=REPLY)
    database = Database(committed_engine)
    reply = conversation_service.submit_message(
        database, actor=classroom.student, session_id=session_id, content="Still there?"
    )

    def claimed_until():
        with unit_of_work(committed_engine, write=False) as db:
            return db.scalar(
                select(PracticeSession.reply_claimed_until).where(PracticeSession.id == session_id)
            )

    first = claimed_until()
    _wait_for(lambda: claimed_until() > first, "a heartbeat to renew the claim", timeout=10)
    with pytest.raises(ReplyInFlight):  # another tab (or process) may not answer it again
        conversation_service.request_reply(database, actor=classroom.student, session_id=session_id)
    # Released once the request is held at the API: on a busy machine the first reply of a
    # process (which imports the SDK) can reach it after the claim's renewal.
    _wait_for(api.messages_requests, "the reply's request at the API")
    api.release()
    assert reply.wait().ok
    assert [content for _role, content in _turns(committed_engine, classroom, session_id)] == [
        "Still there?",
        REPLY,
    ]
    assert len(api.messages_requests()) == 1


# Shutdown (SIGTERM) ----------------------------------------------------------------------------
def _ready(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_shutdown_finishes_the_reply_streaming_here_and_reads_not_ready_at_once(
    committed_engine, api, classroom, shutting_down
):
    session_id = _start(committed_engine, classroom)
    api.reply(REPLY, chunk_delay=0.2)  # about 2 s of streaming
    server = watch.readiness_server(port=0)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert _ready(port)[0] == 200
        reply = conversation_service.submit_message(
            Database(committed_engine),
            actor=classroom.student,
            session_id=session_id,
            content="Hello.",
        )
        chunks = iter(reply)
        first = next(chunks)  # streaming has begun

        runner.begin_drain()  # what SIGTERM does first
        status, body = _ready(port)
        drained = shutdown.drain(grace=20)
    finally:
        server.shutdown()
        server.server_close()
    print(f"\n{drained.summary()}")

    assert status == 503 and "shutting down" in body["problems"][0]
    assert drained.unfinished == 0
    assert first + "".join(chunks) == REPLY  # the student saw it to the end
    assert reply.outcome.ok
    assert _turns(committed_engine, classroom, session_id) == [
        (MessageRole.user, "Hello."),
        (MessageRole.assistant, REPLY),
    ]
    assert len(api.messages_requests()) == 1  # billed once


def test_a_message_sent_to_a_process_shutting_down_is_kept_and_answered_by_the_next(
    committed_engine, api, classroom, shutting_down
):
    session_id = _start(committed_engine, classroom)
    database = Database(committed_engine)
    runner.begin_drain()

    outcome = conversation_service.send_message(
        database, actor=classroom.student, session_id=session_id, content="Are you there?"
    )
    assert not outcome.ok and outcome.notice == HANDED_ON
    with pytest.raises(ShuttingDown):  # Retry on the same process: handed on too
        conversation_service.request_reply(database, actor=classroom.student, session_id=session_id)
    assert _turns(committed_engine, classroom, session_id) == [(MessageRole.user, "Are you there?")]
    assert api.messages_requests() == []  # nothing asked (or billed) here

    runner._draining.clear()  # the next process: its page asks for the unanswered message's reply
    answered = conversation_service.request_reply(
        database, actor=classroom.student, session_id=session_id
    ).wait()
    assert answered.ok
    assert [role for role, _text in _turns(committed_engine, classroom, session_id)] == [
        MessageRole.user,
        MessageRole.assistant,
    ]
    assert len(api.messages_requests()) == 1


def test_a_reply_unfinished_when_the_grace_period_ends_is_handed_on_at_once(
    committed_engine, api, classroom, shutting_down
):
    session_id = _start(committed_engine, classroom)
    api.hang(60, then="Never kept: its process stopped.").reply(REPLY)
    database = Database(committed_engine)
    conversation_service.submit_message(
        database, actor=classroom.student, session_id=session_id, content="Hello?"
    )
    _wait_for(api.messages_requests, "the reply's request")

    drained = shutdown.drain(grace=0.5)
    assert drained.unfinished == 1
    # Let go of at once (no waiting for a lease to lapse): the job reads as stopped by the
    # restart, and the conversation is free for the next process.
    assert not conversation_service.reply_pending(
        database, actor=classroom.student, session_id=session_id
    )
    with unit_of_work(committed_engine, write=False) as db:
        job = job_service.latest(db, kind=conversation_service.REPLY_KIND, subject=session_id)
    assert job is not None and job.status == JobStatus.failed
    assert job.error == job_service.STALE_MESSAGE

    runner._draining.clear()  # the next process
    runner._released.clear()
    assert (
        conversation_service.request_reply(database, actor=classroom.student, session_id=session_id)
        .wait()
        .ok
    )
    api.release()  # the stopped process's request ends; its late reply is not stored
    assert runner.wait_idle(10)
    assert _turns(committed_engine, classroom, session_id) == [
        (MessageRole.user, "Hello?"),
        (MessageRole.assistant, REPLY),
    ]


# A heartbeat beside a reply being stored --------------------------------------------------------
def test_a_heartbeat_while_a_reply_is_stored_leaves_both_whole(committed_postgresql, api):
    """Storing a reply locks its conversation, then ends its job; the heartbeat renews the jobs
    and then the conversations' claims. Neither may become a deadlock's victim: the reply was
    billed already, and a lost heartbeat lets another process take the conversation over."""
    with unit_of_work(committed_postgresql) as db:
        room = make_classroom(db)
    session_id = _start(committed_postgresql, room)
    api.hang(60, then=REPLY)
    database = Database(committed_postgresql)
    reply = conversation_service.submit_message(
        database, actor=room.student, session_id=session_id, content="How was your week?"
    )
    _wait_for(api.messages_requests, "the request to the API")

    def beaten_and_held() -> tuple:
        with unit_of_work(committed_postgresql, write=False) as db:
            job = db.scalars(select(Job).where(Job.status == JobStatus.running)).one()
            held = db.get_one(PracticeSession, session_id).reply_claimed_until
            return job.id, job.heartbeat_at, held

    job_id, beaten_before, held_before = beaten_and_held()
    time.sleep(0.01)  # the heartbeat's new times must differ from these
    with committed_postgresql.connect() as storing:  # what storing a reply does, in its order
        storing.execute(
            update(PracticeSession)
            .where(PracticeSession.id == session_id)
            .values(message_count=PracticeSession.message_count)
        )
        beat = threading.Thread(target=runner.beat_once)
        beat.start()
        _wait_for(lambda: _lock_waits(committed_postgresql), "the heartbeat to wait for the row")
        storing.execute(update(Job).where(Job.id == job_id).values(progress="Storing the reply"))
        storing.commit()
    beat.join(30)

    _, beaten_after, held_after = beaten_and_held()
    assert beaten_after > beaten_before and held_after > held_before  # the heartbeat was whole
    api.release()
    assert reply.wait().ok
    assert _turns(committed_postgresql, room, session_id)[-1] == (MessageRole.assistant, REPLY)


def _lock_waits(engine) -> int:
    """How many backends of this database wait for a lock (read in a transaction of its own:
    PostgreSQL keeps one snapshot of pg_stat_activity per transaction)."""
    with engine.connect() as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
