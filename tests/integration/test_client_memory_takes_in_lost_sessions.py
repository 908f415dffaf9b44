"""A continuing client's memory takes in every session whose memory was lost, each as a session
of its own, and says truly what it took in (an attack on the day's fixes, 2026-12-07)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from backend.db import Database, unit_of_work
from backend.models import Event, Job
from backend.models.base import utcnow
from backend.practice import conversation_service, memory_service, memory_writer, practice_screen
from tests.integration.test_client_memory import (
    SAFE_REPLY,
    SUMMARY,
    _continuing,
    _memory,
    _session,
)

WALK = "Let's agree you try a walk after each night shift."


def _lost_session(engine, room, monkeypatch, *lines: str) -> int:
    """A session the student speaks in and ends, whose memory job is lost with its process (the
    worker never picks it up; its row goes stale and reads as failed)."""
    with monkeypatch.context() as patch:
        patch.setattr(memory_writer, "start_memory_job", lambda *a, **k: None)
        session_id = _session(engine, room, *lines)
    _age_job(engine, session_id)
    return session_id


def _age_job(engine, session_id: int) -> None:
    with unit_of_work(engine) as db:
        db.execute(
            update(Job)
            .where(Job.kind == memory_service.MEMORY_KIND, Job.subject == session_id)
            .values(created_at=utcnow() - timedelta(minutes=5), heartbeat_at=None)
        )


def _told(engine, session_id: int) -> list[str]:
    with unit_of_work(engine, write=False) as db:
        return list(
            db.scalars(
                select(Event.message).where(
                    Event.session_id == session_id, Event.category == "memory_not_written"
                )
            )
        )


def _last_summary_request(api):
    return next(r for r in reversed(api.messages_requests()) if r.body.get("tools"))


def _summarised(api, words: str) -> bool:
    """Whether a memory summary was asked of a transcript with these words (the lost session's
    job never asked: only a later job that took it in did)."""
    return any(
        words in str(r.body["messages"]) for r in api.messages_requests() if r.body.get("tools")
    )


def test_a_lost_first_sessions_memory_job_leaves_it_out_of_the_memory_for_good(
    committed_engine, api, classroom, monkeypatch
):
    """e9c2811 folds the sessions a lost job left out into the next memory, but only after a
    memory was written once (`_unremembered` returns [] when there is no memory row). The very
    first session's job is lost; the student holds session 2 and ends it: its memory is written
    from session 2 alone. The walk agreed in session 1 is gone from the client's memory for good,
    the teacher's panel no longer flags anything (the latest session is written) and no event
    says so: the defect the commit fixed, for the first session. (An attack on the day's fixes, 2026-12-07.)"""
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    first = _lost_session(committed_engine, classroom, monkeypatch, WALK)
    assert _memory(committed_engine, classroom, first).unwritten_session_id == first

    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    second = _session(committed_engine, classroom, "Good to see you again.")
    memory = _memory(committed_engine, classroom, second)
    covered = _summarised(api, "walk after each night shift")
    assert covered or _told(committed_engine, first) or memory.unwritten_session_id == first, (
        "session 1 is missing from the client's memory for good, and the teacher is not told "
        f"(written from {memory.written_from_session_id}, unwritten {memory.unwritten_session_id})"
    )


def test_folding_a_lost_session_in_does_not_earn_the_secret_by_turns_of_two_sessions(
    committed_engine, api, classroom, monkeypatch
):
    """The client reveals its hidden information after 3 of the student's turns in a
    conversation. Session 1 (1 turn) is remembered; session 2 (2 turns) loses its memory job;
    session 3 (2 turns) ends and its memory folds session 2 in. `earned_in` then counts the
    student's turns of both sessions as one conversation: 4 >= 3, so the memory marks the secret
    earned, and the next session's client may tell it from its first reply, though the student
    never reached 3 turns in any conversation (had session 2's job run, neither memory would
    have earned it). (An attack on the day's fixes, 2026-12-07.)"""
    _continuing(committed_engine, classroom, reveal_after=3)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    _session(committed_engine, classroom, "How are you?")
    api.reply(SAFE_REPLY)
    api.reply(SAFE_REPLY)
    _lost_session(committed_engine, classroom, monkeypatch, "How was work?", "And at home?")
    api.reply(SAFE_REPLY)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    third = _session(committed_engine, classroom, "Good to see you.", "How are you sleeping?")
    memory = _memory(committed_engine, classroom, third)
    assert memory.written_from_session_id == third
    assert not memory.hidden_earned, (
        "the secret counts as earned: the turns of two sessions were counted as one "
        "conversation's against the reveal threshold"
    )


def test_an_ended_session_whose_memory_was_lost_is_not_promised_to_be_remembered(
    committed_engine, api, classroom, monkeypatch
):
    """The student's page of a session they ended (the page they stay on after End) whose
    memory job was lost says: "Alex ... does not remember your last session (your teacher can
    have its memory written). It will remember this one next time." This one IS that last
    session, and nothing will write its memory unless the teacher asks: the notice, written for
    an open conversation, promises the opposite of what it just said. (An attack on the day's fixes, 2026-12-07.)"""
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    first = _lost_session(committed_engine, classroom, monkeypatch, WALK)
    with unit_of_work(committed_engine, write=False) as db:
        screen = practice_screen.read_practice_screen(db, actor=classroom.student, session_id=first)
    notice = screen.memory_notice or ""
    assert not (
        "does not remember your last session" in notice
        and "It will remember this one next time" in notice
    ), notice


def test_a_session_whose_job_was_running_when_the_next_was_remembered_is_not_lost_for_good(
    committed_engine, api, classroom, monkeypatch
):
    """Session 2's memory job is running (another worker, a slow summary call) when session 3
    ends: session 3's memory leaves session 2 out, rightly, as its job is at it. Then that job
    dies with its process. Session 3's memory is the latest, so the teacher's panel flags
    nothing, no event says so, and session 4's memory folds in only what follows session 3:
    session 2 is out of the memory for good (the case e9c2811 meant to close). (An attack on the day's fixes, 2026-12-07.)"""
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    _session(committed_engine, classroom, "How have you been sleeping?")
    api.reply(SAFE_REPLY)
    database = Database(committed_engine)
    with monkeypatch.context() as patch:
        patch.setattr(memory_writer, "start_memory_job", lambda *a, **k: None)
        second = conversation_service.start_conversation(
            database, actor=classroom.student, client_id=classroom.client.id
        )
        conversation_service.send_message(
            database, actor=classroom.student, session_id=second.id, content=WALK
        )
        conversation_service.end_conversation(
            database, actor=classroom.student, session_id=second.id
        )
    with unit_of_work(committed_engine) as db:  # a worker elsewhere runs it, heartbeating
        db.execute(
            update(Job)
            .where(Job.kind == memory_service.MEMORY_KIND, Job.subject == second.id)
            .values(status="running", started_at=utcnow(), heartbeat_at=utcnow())
        )
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    third = _session(committed_engine, classroom, "Good to see you again.")
    assert "walk after each night shift" not in str(_last_summary_request(api).body["messages"])
    _age_job(committed_engine, second.id)  # its process died
    with unit_of_work(committed_engine) as db:
        db.execute(
            update(Job)
            .where(Job.kind == memory_service.MEMORY_KIND, Job.subject == second.id)
            .values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    panel = _memory(committed_engine, classroom, third)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    fourth = _session(committed_engine, classroom, "Shall we go on?")
    memory = _memory(committed_engine, classroom, fourth)
    covered = _summarised(api, "walk after each night shift")
    assert covered or _told(committed_engine, second.id) or panel.unwritten_session_id, (
        "session 2 is missing from the client's memory for good, and the teacher is not told "
        f"(written from {memory.written_from_session_id})"
    )


def test_a_session_taken_in_after_later_ones_does_not_count_the_meetings_back(
    committed_engine, configure, classroom, monkeypatch
):
    """Session 1's memory job was lost before 0017, and session 2's memory was written without
    it (the writer then had no catch-up). Session 3's job now writes session 1 first, after the
    memory already covers session 2: it had written "You have met 1 time." after "You have met
    2 times.", and told the model "This was session 1" as if nothing came after it. A session
    taken in late counts the meetings the memory covers. (A review of the day's fixes,
    2026-12-07.)"""
    configure(anthropic_api_key=None)  # demo mode: the offline summary shows what was written
    _continuing(committed_engine, classroom)
    _lost_session(committed_engine, classroom, monkeypatch, "Let's talk about sleep.")
    with monkeypatch.context() as before_0017:  # the writer before 0017: no catch-up
        before_0017.setattr(memory_writer, "_lost_before", lambda db, session_id: [])
        _session(committed_engine, classroom, "Shall we agree on walks?")
    third = _session(committed_engine, classroom, "How did the walks go?")
    summary = _memory(committed_engine, classroom, third).summary
    counts = [int(n) for n in re.findall(r"You have met (\d+) times?", summary)]
    assert counts == sorted(counts) and counts[-1] == 3, summary
    assert "Session 1 (" in summary  # session 1 is in the memory, under its own date


def test_the_model_is_told_a_late_session_came_before_what_the_memory_covers(
    committed_engine, api, classroom, monkeypatch
):
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    _lost_session(committed_engine, classroom, monkeypatch, "Let's talk about sleep.")
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    with monkeypatch.context() as before_0017:
        before_0017.setattr(memory_writer, "_lost_before", lambda db, session_id: [])
        _session(committed_engine, classroom, "Shall we agree on walks?")
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY, times=2)
    _session(committed_engine, classroom, "How did the walks go?")
    late, latest = [r.body["system"] for r in api.messages_requests() if r.body.get("tools")][-2:]
    assert "This was session 1" in str(late) and "covers later sessions" in str(late)
    assert "you have met 2 times" in str(late)
    assert "This was session 3" in str(latest) and "covers later" not in str(latest)
