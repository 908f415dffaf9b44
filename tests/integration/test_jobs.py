"""Backend jobs: long work any process can follow, share, cancel, and start again after a crash."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.checks import check_service
from backend.db import Database, create_db_engine, unit_of_work
from backend.errors import NotFoundError, PermissionDeniedError
from backend.jobs import job_service, runner
from backend.jobs.read_models import JobRead
from backend.models import ClientCheck, DailyUsage, Job, SessionReview
from backend.models.base import utcnow
from backend.models.enums import JobStatus, Role
from backend.practice import conversation_service
from backend.reviews import review_service
from tests.factories import make_user
from tests.integration.test_reviews import ended_session, valid_answer


@pytest.fixture
def elsewhere(committed_engine):
    """The same database through an engine of its own: what another app process reads."""
    engine = create_db_engine(committed_engine.url.render_as_string(hide_password=False))
    yield Database(engine)
    engine.dispose()


def eventually(read: Callable[[], JobRead | None], done: Callable[[JobRead], bool]) -> JobRead:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = read()
        if job is not None and done(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job never got there: {read()}")


def model_calls(api) -> int:
    return sum(1 for request in api.requests if request.path == "/v1/messages")


def test_a_review_job_is_followed_from_another_process_and_shared_by_a_second_request(
    api, classroom, committed_engine, elsewhere
):
    session_id = ended_session(committed_engine, classroom)
    api.latency(30)  # the model takes its time: the job is seen while it runs
    api.tool_reply(valid_answer(), input_tokens=1000, output_tokens=500)
    here = Database(committed_engine)

    job = review_service.start_review(here, actor=classroom.student, session_id=session_id)
    assert job.status in (JobStatus.queued, JobStatus.running)

    def read() -> JobRead | None:
        return review_service.review_job(elsewhere, actor=classroom.teacher, session_id=session_id)

    running = eventually(read, lambda job: job.progress == "Scoring")
    assert running.id == job.id and running.status == JobStatus.running
    assert running.heartbeat_at is not None and running.finished_at is None
    again = review_service.start_review(here, actor=classroom.teacher, session_id=session_id)
    assert again.id == job.id  # a second click, tab or process shares the job under way

    api.latency(0)
    api.release()
    done = eventually(read, lambda job: not job.active)
    assert done.status == JobStatus.done and done.error is None
    with unit_of_work(committed_engine) as db:
        review = db.scalar(select(SessionReview).where(SessionReview.session_id == session_id))
        spent = db.scalar(
            select(DailyUsage.tokens).where(DailyUsage.user_id == classroom.student.id)
        )
    assert review is not None and done.result == {"review_id": review.id}
    assert model_calls(api) == 1  # one paid call for both requests, counted once
    assert spent == 1000 + 500 and review.input_tokens == 1000


def test_a_job_whose_process_died_reads_failed_and_can_be_started_again(
    configure, classroom, committed_engine
):
    configure(anthropic_api_key=None, anthropic_base_url=None)
    session_id = ended_session(committed_engine, classroom)
    gone = utcnow() - timedelta(seconds=job_service.STALE_AFTER_SECONDS + 5)
    with unit_of_work(committed_engine) as db:  # a process died mid-review, a while ago
        dead = Job(
            kind=review_service.REVIEW_KIND,
            subject=session_id,
            owner_id=classroom.student.id,
            status=JobStatus.running,
            created_at=gone,
            started_at=gone,
            heartbeat_at=gone,
            progress="Scoring",
        )
        db.add(dead)
        db.flush()
        dead_id = dead.id
    database = Database(committed_engine)

    shown = review_service.review_job(database, actor=classroom.student, session_id=session_id)
    assert shown is not None and shown.id == dead_id
    assert shown.status == JobStatus.failed and shown.error == job_service.STALE_MESSAGE

    fresh = review_service.start_review(database, actor=classroom.student, session_id=session_id)
    assert fresh.id != dead_id
    assert runner.wait_idle(20)
    latest = review_service.review_job(database, actor=classroom.student, session_id=session_id)
    assert latest is not None and latest.id == fresh.id and latest.status == JobStatus.done
    with unit_of_work(committed_engine) as db:
        assert db.get_one(Job, dead_id).status == JobStatus.failed  # for good, not just shown
        assert review_service.get_review(db, actor=classroom.student, session_id=session_id)


def test_a_cancelled_check_stops_between_probe_turns_and_stores_no_scorecard(
    api, classroom, committed_engine, elsewhere
):
    api.latency(30)  # every probe's first reply is held
    database = Database(committed_engine)
    job = check_service.start_check(
        database, actor=classroom.teacher, client_id=classroom.client.id
    )

    def read() -> JobRead | None:
        return check_service.check_job(elsewhere, actor=classroom.teacher, client_id=job.subject)

    eventually(read, lambda job: job.status == JobStatus.running)
    eventually(lambda: read() if model_calls(api) else None, lambda job: True)
    runner.cancel(database, actor=classroom.teacher, job_id=job.id)
    api.latency(0)
    api.release()
    ended = eventually(read, lambda job: not job.active)
    assert ended.status == JobStatus.cancelled and ended.cancel_requested
    assert runner.wait_idle(20)
    with unit_of_work(committed_engine) as db:
        assert db.scalar(select(func.count(ClientCheck.id))) == 0
    assert model_calls(api) <= check_service.MAX_CONCURRENT_PROBES  # no turn after the cancel


def test_the_clients_author_stops_a_check_an_admin_started_and_another_teacher_cannot(
    api, classroom, committed_engine
):
    """The check page shows Cancel to whoever may run the client's checks; the job's own rule
    (its owner) refused the author of the client when an admin had started it."""
    api.latency(30)
    database = Database(committed_engine)
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
        stranger = make_user(db, role=Role.teacher)
    job = check_service.start_check(database, actor=admin, client_id=classroom.client.id)
    eventually(lambda: model_calls(api) or None, lambda calls: True)
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        check_service.cancel_check(database, actor=stranger, client_id=classroom.client.id)
    check_service.cancel_check(database, actor=classroom.teacher, client_id=classroom.client.id)
    api.latency(0)
    api.release()
    assert runner.wait_idle(20)
    ended = check_service.check_job(database, actor=classroom.teacher, client_id=job.subject)
    assert ended is not None and ended.status == JobStatus.cancelled


def test_a_replys_text_so_far_is_readable_by_another_process_while_it_streams(
    api, classroom, committed_engine, elsewhere
):
    words = " ".join(f"word{number}" for number in range(120))
    api.reply(words, chunk_delay=0.03)  # about four seconds of streaming
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    reply = conversation_service.submit_message(
        Database(committed_engine),
        actor=classroom.student,
        session_id=session.id,
        content="What brings you in today?",
    )

    def text_so_far() -> str | None:
        return conversation_service.pending_reply_text(
            elsewhere, actor=classroom.student, session_id=session.id
        )

    deadline = time.monotonic() + 20
    seen = ""
    while time.monotonic() < deadline and not seen:
        seen = text_so_far() or ""
        time.sleep(0.05)
    outcome = reply.wait()
    assert outcome.ok and outcome.message is not None
    assert seen and words.startswith(seen) and seen != words  # part of it, while it streamed
    assert text_so_far() is None  # stored: nothing is on its way any more
    with unit_of_work(committed_engine) as db:
        job = job_service.get(db, reply.job_id)
    assert job is not None and job.status == JobStatus.done
    assert job.result == {"message_id": outcome.message.id} and job.progress == words


def test_a_heartbeat_keeps_jobs_alive_and_brings_back_the_cancels_asked_elsewhere(
    classroom, committed_engine
):
    long_ago = utcnow() - timedelta(seconds=job_service.STALE_AFTER_SECONDS + 1)
    with unit_of_work(committed_engine) as db:
        jobs = [
            Job(
                kind="reply",
                subject=subject,
                owner_id=classroom.student.id,
                status=JobStatus.running,
                created_at=long_ago,
                heartbeat_at=long_ago,
            )
            for subject in (1, 2)
        ]
        db.add_all(jobs)
        db.flush()
        ids = [job.id for job in jobs]
        jobs[1].cancel_requested = True  # another process asked to cancel this one

    with unit_of_work(committed_engine) as db:
        assert job_service.beat(db, ids) == {ids[1]}
    with unit_of_work(committed_engine, write=False) as db:
        assert [job_service.get(db, job_id).status for job_id in ids] == [JobStatus.running] * 2
