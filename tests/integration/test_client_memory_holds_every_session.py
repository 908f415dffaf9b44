"""A continuing client's memory holds every session the student spoke in, counts only those, and
the student is told truly whether it remembers the last one (an attack, 2026-12-07)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from backend.db import Database, unit_of_work
from backend.jobs import runner
from backend.models import Event, Job
from backend.models.base import utcnow
from backend.practice import conversation_service, memory_service, memory_writer, practice_screen
from tests.integration.test_client_memory import (
    SAFE_REPLY,
    SUMMARY,
    _continuing,
    _memory,
    _memory_block,
    _session,
)

LAST_WEEK = SUMMARY | {"agreed": "You agreed to try a walk after each night shift."}


def _notice(engine, room, session_id: int) -> str | None:
    with unit_of_work(engine, write=False) as db:
        screen = practice_screen.read_practice_screen(db, actor=room.student, session_id=session_id)
    return screen.memory_notice


def test_the_student_is_not_told_the_client_remembers_a_session_it_does_not_remember_yet(
    committed_engine, api, classroom
):
    """Session 1 is remembered. Session 2 ends and its memory job is still asking the model when
    the student starts session 3 (a few seconds: End, then the card's Start again). The practice
    page says "remembers your earlier sessions", but the first reply's prompt carries only
    session 1: the client has no idea of the walk agreed last time, and nothing tells the
    student so. (An attack, 2026-12-07.)"""
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    _session(committed_engine, classroom, "How have you been sleeping?")

    release = threading.Event()

    def slow_summary(body: dict) -> dict:
        release.wait(20)
        return LAST_WEEK

    database = Database(committed_engine)
    try:
        api.reply(SAFE_REPLY)
        api.tool_reply(slow_summary)
        second = conversation_service.start_conversation(
            database, actor=classroom.student, client_id=classroom.client.id
        )
        conversation_service.send_message(
            database, actor=classroom.student, session_id=second.id, content="Shall we try walks?"
        )
        conversation_service.end_conversation(
            database, actor=classroom.student, session_id=second.id
        )
        third = conversation_service.start_conversation(
            database, actor=classroom.student, client_id=classroom.client.id
        )
        notice = _notice(committed_engine, classroom, third.id)
        api.reply("Hello again.")
        conversation_service.send_message(
            database, actor=classroom.student, session_id=third.id, content="How did the walks go?"
        )
        block = _memory_block(api.messages_requests()[-1])
    finally:
        release.set()
        assert runner.wait_idle(20)
    remembers_last = "walk after each night shift" in block
    assert remembers_last or "remembers your earlier sessions" not in (notice or ""), (
        f"the page said {notice!r} while the client's prompt lacked the last session"
    )


def test_a_session_whose_memory_job_died_is_not_silently_forgotten_for_good(
    committed_engine, api, classroom, monkeypatch
):
    """Session 2's memory job is lost (the process died right after the end was committed:
    its job row goes stale and reads as failed). The student holds session 3 and ends it: its
    memory is written from session 1's memory and session 3 only. Session 2 is now missing from
    the memory for good (a memory is written again only from the latest session), and neither
    the teacher's panel nor the event log says so, unlike a job that gave up
    ("memory_not_written"). Now the next memory takes in every unremembered session. (An
    attack, 2026-12-07.)"""
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    _session(committed_engine, classroom, "How have you been sleeping?")

    # Session 2 ends; the process dies before the worker picks its memory job up.
    database = Database(committed_engine)
    api.reply(SAFE_REPLY)
    with monkeypatch.context() as patch:
        patch.setattr(memory_writer, "start_memory_job", lambda *a, **k: None)
        second = conversation_service.start_conversation(
            database, actor=classroom.student, client_id=classroom.client.id
        )
        conversation_service.send_message(
            database,
            actor=classroom.student,
            session_id=second.id,
            content="Let's agree you try a walk after each night shift.",
        )
        conversation_service.end_conversation(
            database, actor=classroom.student, session_id=second.id
        )
    with unit_of_work(committed_engine) as db:
        db.execute(
            update(Job)
            .where(Job.kind == memory_service.MEMORY_KIND, Job.subject == second.id)
            .values(created_at=utcnow() - timedelta(minutes=5))
        )
    lost = _memory(committed_engine, classroom, second.id)
    assert lost.unwritten_session_id == second.id  # the teacher is told, for now

    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY | {"relationship": "Session three's memory."})
    third = _session(committed_engine, classroom, "Good to see you again.")
    memory = _memory(committed_engine, classroom, third)
    covered = any(  # a later job took the lost session in, as the session it was
        "walk after each night shift" in str(r.body["messages"])
        for r in api.messages_requests()
        if r.body.get("tools")
    )
    with unit_of_work(committed_engine, write=False) as db:
        told = db.scalars(
            select(Event.message).where(
                Event.session_id == second.id, Event.category == "memory_not_written"
            )
        ).all()
    assert covered or told or memory.unwritten_session_id == second.id, (
        "session 2 is missing from the client's memory for good, and the teacher is not told"
    )


def test_a_session_opened_and_ended_without_a_word_is_not_a_meeting(
    committed_engine, configure, classroom
):
    """The student opens the client's card and ends the conversation before saying anything
    (the memory job rightly skips it: nothing to remember). Yet the next memory counts it: the
    client "has met" the student three times after two real sessions (and the summary model is
    told "This was session 3"). (An attack, 2026-12-07.)"""
    configure(anthropic_api_key=None)  # demo mode: the offline summary, which shows the count
    _continuing(committed_engine, classroom)
    _session(committed_engine, classroom, "What brings you here today?")
    _session(committed_engine, classroom)  # opened and ended, nothing said
    second_spoken = _session(committed_engine, classroom, "Shall we go on?")
    memory = _memory(committed_engine, classroom, second_spoken)
    assert "You have met 3 times" not in memory.summary, memory.summary
    assert "You have met 2 times" in memory.summary, memory.summary
