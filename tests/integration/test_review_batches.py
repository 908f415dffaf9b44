"""Reviews held for the teacher are written through the Message Batches API at half price; reviews
a student reads at once keep the normal call. Everything through the fake API and the real SDK."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from backend.db import Database, unit_of_work
from backend.jobs import job_service, runner
from backend.llm import GatewayError
from backend.llm.pricing import calculate_cost
from backend.llm.usage import Usage
from backend.models import Event, Job, ReviewBatch, SessionReview, User
from backend.models.base import utcnow
from backend.models.enums import Role
from backend.models.review import ReviewStatus
from backend.practice import conversation_service, session_service
from backend.reviews import review_batches, review_screen, review_service, rubric_service
from backend.usage import usage_service
from backend.usage.purposes import Purpose
from tests import factories
from tests.factories import make_user
from tests.integration.conftest import TEST_API_KEY
from tests.integration.test_reviews import (
    _quote_not_in_transcript,
    budget_rows,
    ended_session,
    valid_answer,
)

MODEL = "claude-haiku-4-5"
USAGE = {"input_tokens": 1000, "output_tokens": 500, "cache_read": 4096}
ONE_CALL = Usage(input_tokens=1000, output_tokens=500, cache_read_tokens=4096)
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def batch_api(api, configure):
    """The gateway on the fake API, polling batches quickly."""
    configure(review_batch_poll_seconds=0.02)
    return api


def hold_reviews(engine, room) -> None:
    """The assignment's reviews wait for the teacher to release them."""
    with unit_of_work(engine) as db:
        factories.hold_reviews(db, room)


def stored(engine, session_id) -> SessionReview:
    with unit_of_work(engine, write=False) as db:
        row = db.scalars(select(SessionReview).where(SessionReview.session_id == session_id)).one()
        db.expunge(row)
        return row


def batch_rows(engine) -> list[ReviewBatch]:
    with unit_of_work(engine, write=False) as db:
        rows = list(db.scalars(select(ReviewBatch).order_by(ReviewBatch.id)))
        db.expunge_all()
        return rows


@pytest.mark.both_backends  # the batch row is written and settled beside the review
def test_a_held_review_goes_through_a_batch_at_half_the_price(
    batch_api, classroom, committed_engine
):
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    batch_api.tool_reply(valid_answer(), **USAGE)

    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )

    assert len(batch_api.batches) == 1 and batch_api.messages_requests() == []
    params = batch_api.batches[0].requests[0]["params"]
    assert params["model"] == MODEL
    assert params["tool_choice"] == {"type": "tool", "name": "record_review"}
    review = stored(committed_engine, session_id)
    assert review.status == ReviewStatus.ready and review.released_at is None  # still held
    assert review.content is not None and review.content["codes"]
    full = calculate_cost(MODEL, ONE_CALL)
    assert full is not None and review.cost == full / 2
    assert review.cost == batch_api.billed_usd()  # what the API bills, to the nano-dollar
    assert (review.input_tokens, review.output_tokens) == (1000, 500)
    [row] = batch_rows(committed_engine)
    assert row.batch_id == batch_api.batches[0].id and row.status == "collected"


def test_an_invalid_batch_answer_is_repaired_once_through_a_normal_call(
    batch_api, classroom, committed_engine
):
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    bad = valid_answer()
    _quote_not_in_transcript(bad)
    batch_api.tool_reply(bad, **USAGE).tool_reply(valid_answer(), **USAGE)

    review_service.create_review(
        Database(committed_engine), actor=classroom.teacher, session_id=session_id
    )

    [repair] = batch_api.messages_requests()
    assert repair.body["messages"][-1]["content"][0]["type"] == "tool_result"
    full = calculate_cost(MODEL, ONE_CALL)
    review = stored(committed_engine, session_id)
    assert review.status == ReviewStatus.ready
    assert review.cost == full / 2 + full == batch_api.billed_usd()


@pytest.mark.parametrize("outcome", ["errored", "expired"])
def test_a_batch_request_that_errs_or_expires_falls_back_to_a_normal_call(
    batch_api, classroom, committed_engine, outcome
):
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    if outcome == "errored":
        batch_api.error(500)
    else:
        batch_api.batch_outcome("expired")
    batch_api.tool_reply(valid_answer(), **USAGE)

    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )

    assert len(batch_api.batches) == 1 and len(batch_api.messages_requests()) == 1
    review = stored(committed_engine, session_id)
    assert review.status == ReviewStatus.ready and review.released_at is None
    assert review.cost == calculate_cost(MODEL, ONE_CALL) == batch_api.billed_usd()
    with unit_of_work(committed_engine, write=False) as db:
        event = db.scalars(select(Event).where(Event.category == "review_batch_fallback")).one()
    assert outcome in event.message and "normal call" in event.message
    assert [row.status for row in batch_rows(committed_engine)] == ["fell_back"]


def test_a_review_the_student_reads_at_once_does_not_use_a_batch(
    batch_api, classroom, committed_engine
):
    session_id = ended_session(committed_engine, classroom)  # released immediately (the default)
    batch_api.tool_reply(valid_answer(), **USAGE)
    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    assert batch_api.batches == [] and len(batch_api.messages_requests()) == 1
    assert stored(committed_engine, session_id).cost == calculate_cost(MODEL, ONE_CALL)


def test_review_batches_off_writes_held_reviews_with_a_normal_call(
    batch_api, configure, classroom, committed_engine
):
    configure(review_batches="off")
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    batch_api.tool_reply(valid_answer(), **USAGE)
    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    assert batch_api.batches == [] and len(batch_api.messages_requests()) == 1
    review = stored(committed_engine, session_id)
    assert review.released_at is None and review.cost == calculate_cost(MODEL, ONE_CALL)


def test_the_teachers_queue_shows_a_review_being_written_in_a_batch(
    batch_api, classroom, committed_engine
):
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    batch_api.hold_batches().tool_reply(valid_answer(), **USAGE)
    database = Database(committed_engine)
    job = review_service.start_review(database, actor=classroom.student, session_id=session_id)
    _wait_for(lambda: batch_rows(committed_engine))

    with unit_of_work(committed_engine, write=False) as db:
        screen = review_screen.read_review_screen(db, actor=classroom.teacher)
    [item] = screen.queue
    assert item.session_id == session_id and item.writing is not None
    assert review_batches.BATCH_STEP in item.writing  # "being written (batch, usually minutes)"

    batch_api.end_batches()
    live = runner.live_job(job.id)
    assert live is None or live.wait(10)
    with unit_of_work(committed_engine, write=False) as db:
        screen = review_screen.read_review_screen(db, actor=classroom.teacher)
    [item] = screen.queue
    assert item.writing is None and screen.review is not None and screen.review.content


@pytest.mark.both_backends  # another process, and the jobs' unique index, on either database
def test_a_process_that_dies_after_submitting_resumes_the_same_batch(
    batch_api, classroom, committed_engine
):
    """Killed while the batch is in progress: the next look resumes collecting that batch; it is
    not submitted again and the answer is billed (and recorded) once."""
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    batch_api.hold_batches().tool_reply(valid_answer(), **USAGE)
    child = _review_in_a_subprocess(committed_engine, batch_api, classroom, session_id)
    try:
        _wait_for(lambda: batch_rows(committed_engine), timeout=60)
    finally:
        child.kill()
        child.wait(10)
    # The dead process's job stops getting heartbeats; some time later it reads as stale.
    with unit_of_work(committed_engine) as db:
        long_ago = utcnow() - timedelta(seconds=job_service.STALE_AFTER_SECONDS + 1)
        db.execute(update(Job).values(heartbeat_at=long_ago, created_at=long_ago))
    batch_api.end_batches()

    database = Database(committed_engine)
    assert review_service.resume_held_reviews(database) == 1
    assert runner.wait_idle(10)
    assert review_service.resume_held_reviews(database) == 0  # nothing left to resume

    assert len(batch_api.batches) == 1 and batch_api.messages_requests() == []
    review = stored(committed_engine, session_id)
    assert review.status == ReviewStatus.ready
    assert review.cost == calculate_cost(MODEL, ONE_CALL) / 2 == batch_api.billed_usd()
    assert [row.status for row in batch_rows(committed_engine)] == ["collected"]


def _review_in_a_subprocess(engine, fake, room, session_id) -> subprocess.Popen:
    """Another process starts the review job and then waits (to be killed)."""
    script = textwrap.dedent(
        f"""
        import time
        from backend.actor import UserRead
        from backend.db import Database, create_db_engine
        from backend.models import User
        from backend.reviews import review_service
        from sqlalchemy.orm import Session

        engine = create_db_engine({engine.url.render_as_string(hide_password=False)!r})
        with Session(engine) as db:
            actor = UserRead.model_validate(db.get(User, {room.student.id}))
        review_service.start_review(Database(engine), actor=actor, session_id={session_id})
        time.sleep(600)
        """
    )
    env = {
        **os.environ,
        "ENV_FILE": "/dev/null",
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "ANTHROPIC_API_KEY": TEST_API_KEY,
        "ANTHROPIC_BASE_URL": fake.base_url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "REVIEW_BATCH_POLL_SECONDS": "0.05",
        "REDIS_URL": "",
    }
    return subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, env=env)


def _wait_for(found, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.05)
    raise AssertionError("waited in vain")


def test_a_stored_batch_the_api_no_longer_knows_falls_back_to_a_normal_call(
    batch_api, classroom, committed_engine
):
    """A pending batch id the API answers 404 for (archived, another workspace) is not asked about
    forever: the review is written with a normal call and the event log says so."""
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    with unit_of_work(committed_engine) as db:
        db.add(
            ReviewBatch(
                session_id=session_id,
                requested_by_id=classroom.student.id,
                batch_id="msgbatch_gone",
                custom_id="review-gone",
            )
        )
    batch_api.tool_reply(valid_answer(), **USAGE)
    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )
    assert batch_api.batches == [] and len(batch_api.messages_requests()) == 1
    assert stored(committed_engine, session_id).cost == calculate_cost(MODEL, ONE_CALL)
    assert [row.status for row in batch_rows(committed_engine)] == ["fell_back"]
    with unit_of_work(committed_engine, write=False) as db:
        event = db.scalars(select(Event).where(Event.category == "review_batch_fallback")).one()
    assert "missing" in event.message


def _batch_left_by_a_dead_process(engine, fake, room) -> int:
    """A held review whose process died after submitting its batch (the batch then ends): the
    session's id. Its job reads as stale, its batch row is pending."""
    hold_reviews(engine, room)
    session_id = ended_session(engine, room)
    fake.hold_batches().tool_reply(valid_answer(), **USAGE)
    child = _review_in_a_subprocess(engine, fake, room, session_id)
    try:
        _wait_for(lambda: batch_rows(engine), timeout=60)
    finally:
        child.kill()
        child.wait(10)
    with unit_of_work(engine) as db:
        long_ago = utcnow() - timedelta(seconds=job_service.STALE_AFTER_SECONDS + 1)
        db.execute(update(Job).values(heartbeat_at=long_ago, created_at=long_ago))
    fake.end_batches()
    return session_id


def test_a_pending_batch_is_collected_after_the_assignment_switched_to_release_at_once(
    batch_api, classroom, committed_engine
):
    """The teacher switches the assignment to release reviews at once while a held review's batch
    runs: the batch already paid for is collected, not a second (full-price) call made, and the
    queue no longer says it is being written."""
    session_id = _batch_left_by_a_dead_process(committed_engine, batch_api, classroom)
    with unit_of_work(committed_engine) as db:
        rubric_service.set_assignment_rubric(
            db,
            actor=classroom.teacher,
            assignment_id=classroom.assignment.id,
            rubric_id=None,
            release_reviews="immediately",
        )
    batch_api.tool_reply(valid_answer(), **USAGE)  # what a second, normal call would get

    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )

    assert batch_api.messages_requests() == []  # no second call: the batch's answer is used
    review = stored(committed_engine, session_id)
    assert review.cost == calculate_cost(MODEL, ONE_CALL) / 2 == batch_api.billed_usd()
    assert [row.status for row in batch_rows(committed_engine)] == ["collected"]
    with unit_of_work(committed_engine, write=False) as db:
        screen = review_screen.read_review_screen(
            db, actor=classroom.teacher, include_unreviewed=True
        )
    assert [item.writing for item in screen.queue] == [None]


def test_a_dead_process_batch_of_a_deactivated_student_is_collected_for_the_teacher(
    batch_api, classroom, committed_engine
):
    """The student who asked for the review was deactivated while its batch ran: the teacher
    opening the Reviews page still gets the review the batch wrote (paid already), not a queue
    item "being written" for ever."""
    session_id = _batch_left_by_a_dead_process(committed_engine, batch_api, classroom)
    with unit_of_work(committed_engine) as db:
        db.execute(update(User).where(User.id == classroom.student.id).values(is_active=False))

    with unit_of_work(committed_engine) as db:
        stranger = make_user(db, role=Role.student)
        other_teacher = make_user(db, role=Role.teacher)

    database = Database(committed_engine)
    for outsider in (stranger, other_teacher):  # the policy refuses them: nothing is started
        assert review_service.resume_held_reviews(database, actor=outsider) == 0
    assert review_service.resume_held_reviews(database, actor=classroom.teacher) == 1
    assert runner.wait_idle(10)

    review = stored(committed_engine, session_id)
    assert review.status == ReviewStatus.ready and review.content
    assert len(batch_api.batches) == 1 and batch_api.messages_requests() == []
    assert [row.status for row in batch_rows(committed_engine)] == ["collected"]


def test_a_dead_process_batch_is_collected_when_the_students_budget_is_used_up(
    batch_api, configure, classroom, committed_engine
):
    """The batch is paid for when it is submitted: collecting it later is not refused because the
    student's daily budget ran out meanwhile (the review would stay "being written")."""
    session_id = _batch_left_by_a_dead_process(committed_engine, batch_api, classroom)
    with unit_of_work(committed_engine) as db:  # the student went on practising that day
        usage_service.record_call(
            db,
            purpose=Purpose.review,
            user_id=classroom.student.id,
            at=utcnow(),
            usage=ONE_CALL,
            cost=None,
        )
    configure(user_daily_token_budget=1000)

    database = Database(committed_engine)
    assert review_service.resume_held_reviews(database, actor=classroom.teacher) == 1
    assert runner.wait_idle(10)

    review = stored(committed_engine, session_id)
    assert review.status == ReviewStatus.ready
    assert [row.status for row in batch_rows(committed_engine)] == ["collected"]


def test_a_batch_the_api_refuses_to_take_is_in_the_event_log_like_a_failed_call(
    batch_api, configure, classroom, committed_engine
):
    """The batch cannot be submitted (the API unreachable): the asker gets the API's error, and
    the event log has it as it has a normal call's failure (the admin sees why no review came)."""
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    configure(anthropic_base_url="http://127.0.0.1:9")  # nothing listens there

    with pytest.raises(GatewayError):
        review_service.create_review(
            Database(committed_engine), actor=classroom.student, session_id=session_id
        )

    with unit_of_work(committed_engine, write=False) as db:
        events = db.scalars(select(Event).where(Event.session_id == session_id)).all()
    assert [event.category for event in events] == ["api_connection"]
    assert batch_rows(committed_engine) == []


def test_reviews_waiting_for_their_batches_leave_the_workers_to_students_replies(
    batch_api, classroom, committed_engine, monkeypatch
):
    """A held review may wait hours for its batch; a class's worth of them must not take every
    worker of the pool that students' replies run on (here the pool has one)."""
    monkeypatch.setattr(runner, "WORKERS", 1)
    monkeypatch.setattr(runner, "_pool", None)
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    database = Database(committed_engine)
    # The fake answers in order: the chat's call comes first; the batch is answered when it ends.
    batch_api.hold_batches().reply("It's been a long week.").tool_reply(valid_answer(), **USAGE)
    review_service.start_review(database, actor=classroom.student, session_id=session_id)
    _wait_for(lambda: batch_rows(committed_engine))  # the review now waits for its batch
    with unit_of_work(committed_engine) as db:
        chat = session_service.create_session(
            db, actor=classroom.student, client_id=classroom.client.id
        )
    replies: list[conversation_service.ReplyOutcome] = []
    sender = threading.Thread(
        target=lambda: replies.append(
            conversation_service.send_message(
                database, actor=classroom.student, session_id=chat.id, content="How are you?"
            )
        ),
        daemon=True,
    )
    try:
        sender.start()
        sender.join(20)
        [reply] = replies  # answered while the batch still waits
        assert reply.message is not None, reply
        assert reply.message.content == "It's been a long week."
    finally:
        batch_api.end_batches()
        assert runner.wait_idle(20)
        sender.join(20)
        if runner._pool is not None:
            runner._pool.shutdown(wait=False)
    assert stored(committed_engine, session_id).status == ReviewStatus.ready


def test_a_billed_batch_answer_without_the_tool_call_is_counted(api, classroom, committed_engine):
    """A held review's batch request succeeds (billed at half price) with no tool call: the
    review falls back to a normal call, and both calls reach the budgets (the batch's was
    dropped as a `malformed` miss)."""
    hold_reviews(committed_engine, classroom)
    session_id = ended_session(committed_engine, classroom)
    api.reply("Prose instead of the tool.", input_tokens=6000, output_tokens=400)  # the batch's
    api.tool_reply(valid_answer(), input_tokens=6000, output_tokens=400)  # the fallback call

    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )

    assert [line.batch for line in api.bill] == [True, False]
    _tokens, cost, review_cost = budget_rows(committed_engine)
    assert cost == review_cost == api.billed_usd()  # one and a half normal calls' price
