"""Who controls a continuing client's memory job (an attack, 2026-12-06).

README, "Who may see what": a continuing client's memory of a student is read and edited by the
student's teacher and admins only, "not by the student". A job "is read by id or cancelled by
whoever started it and admins". The memory job was stored as the *student's* job, even when the
teacher asked for it, so the student could stop what the client remembers, and the teacher who
asked could not follow or stop their own request. It is now the section teacher's when a
conversation's end starts it, and the asker's when asked for.
"""

from __future__ import annotations

import pytest

from backend.classes import assignment_service
from backend.db import Database, unit_of_work
from backend.errors import NotFoundError, PermissionDeniedError
from backend.jobs import job_service, runner
from backend.models.enums import JobStatus
from backend.practice import memory_service, memory_writer, session_service
from tests.factories import add_message, add_reply
from tests.integration.test_client_memory import SUMMARY
from tests.integration.test_reviews import ended_session


def _make_continuing(engine, room) -> None:
    with unit_of_work(engine) as db:
        assignment_service.set_continuing_client(
            db, actor=room.teacher, assignment_id=room.assignment.id, continuing=True
        )


def test_a_student_cannot_cancel_the_job_writing_their_continuing_clients_memory(
    committed_engine, classroom
):
    """The student ends a session with a continuing client; the memory job is queued (as
    `end_conversation` queues it). The student must not be able to stop it: the memory is the
    teacher's to read and edit, and a cancelled job means the client silently forgets the
    session (the teacher then sees a memory that is not written from the latest session)."""
    _make_continuing(committed_engine, classroom)
    with unit_of_work(committed_engine) as db:
        session = session_service.create_session(
            db, actor=classroom.student, client_id=classroom.client.id
        )
    session_id = session.id
    with unit_of_work(committed_engine) as db:
        add_message(db, actor=classroom.student, session_id=session_id, content="How was work?")
        add_reply(db, session_id=session_id, content="Rough. I barely sleep.")
    # What end_conversation does, minus handing the job to the pool (so it is still queued).
    with unit_of_work(committed_engine) as db:
        ended = session_service.end_session(db, actor=classroom.student, session_id=session_id)
        job = memory_service.queue_memory(db, ended)
    assert job is not None and job.kind == memory_service.MEMORY_KIND

    database = Database(committed_engine)
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        runner.cancel(database, actor=classroom.student, job_id=job.id)

    with unit_of_work(committed_engine, write=False) as db:
        stored = job_service.get(db, job.id)
    assert stored is not None and not stored.cancel_requested


def test_the_teacher_who_asked_for_a_memory_can_follow_that_job(committed_engine, api, classroom):
    """The assignment became continuing after the student's session: the teacher presses
    "Write it from the latest session" (`request_memory`) and gets the job back. The README says
    a job is read by id (and cancelled) by whoever started it: the teacher. Today the job is
    stored as the student's, so the teacher is told it does not exist, while the student (who
    may not even read the memory) may follow and cancel it."""
    session_id = ended_session(committed_engine, classroom)
    _make_continuing(committed_engine, classroom)
    api.tool_reply(SUMMARY, input_tokens=900, output_tokens=120)
    database = Database(committed_engine)

    job = memory_writer.request_memory(database, actor=classroom.teacher, session_id=session_id)
    assert runner.wait_idle(10)

    with unit_of_work(committed_engine, write=False) as db:
        followed = job_service.get_job(db, actor=classroom.teacher, job_id=job.id)
    assert followed.id == job.id and followed.status == JobStatus.done
    with (
        unit_of_work(committed_engine, write=False) as db,
        pytest.raises((PermissionDeniedError, NotFoundError)),
    ):
        job_service.get_job(db, actor=classroom.student, job_id=job.id)
