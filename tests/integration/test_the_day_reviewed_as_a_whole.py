"""The day's change reviewed as a whole: an old session's memory notice, old sessions after a
course moves, a course file with an out-of-range amount, a lost session folded in once (a review
of the day's fixes, 2026-12-07)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import update

from backend.db import Database, create_db_engine, unit_of_work
from backend.errors import ConflictError
from backend.jobs import runner
from backend.models import PracticeSession
from backend.ops import backup_service
from backend.practice import memory_writer, practice_screen
from tests.integration.test_backup_roundtrip import small_export  # noqa: F401
from tests.integration.test_client_memory import (
    SAFE_REPLY,
    SUMMARY,
    _continuing,
    _memory,
    _session,
)


def _notice(engine, room, session_id: int) -> str:
    with unit_of_work(engine, write=False) as db:
        screen = practice_screen.read_practice_screen(db, actor=room.student, session_id=session_id)
    return screen.memory_notice or ""


def test_an_old_sessions_page_does_not_promise_a_memory_the_teacher_cannot_have_written(
    committed_engine, api, classroom
):
    """The teacher makes an assignment continuing after the student held two sessions (the
    case `taken_in`'s "no" names: "held before the assignment was continuing"). The first
    session's page says "Alex has not taken in this session (your teacher can have its memory
    written)". The teacher presses the one button there is (`request_memory`): it writes the
    memory from the latest session only, and asked again it refuses ("There is nothing new to
    remember"). Nothing the teacher can do writes the first session, so the page's promise is
    untrue: the student waits for a memory that never comes. (A review of the day's fixes, 2026-12-07.)"""
    api.reply(SAFE_REPLY)
    first = _session(committed_engine, classroom, "Let's agree you try a walk after shifts.")
    api.reply(SAFE_REPLY)
    second = _session(committed_engine, classroom, "How was the week?")
    _continuing(committed_engine, classroom)

    api.tool_reply(SUMMARY)
    memory_writer.request_memory(
        Database(committed_engine), actor=classroom.teacher, session_id=second
    )
    assert runner.wait_idle(10)
    assert _memory(committed_engine, classroom, second).written_from_session_id == second

    notice = _notice(committed_engine, classroom, first)
    promised = "teacher can have its memory written" in notice
    try:
        memory_writer.request_memory(
            Database(committed_engine), actor=classroom.teacher, session_id=first
        )
        assert runner.wait_idle(10)
        refused = None
    except ConflictError as error:
        refused = error.message
    assert not (promised and refused), (
        f"session {first}'s page says {notice!r}, but the teacher asking for it is told "
        f"{refused!r}: nothing can write it"
    )


@pytest.mark.parametrize("target_kind", ["sqlite"])
def test_a_course_moved_to_another_database_still_says_its_old_sessions_were_taken_in(
    committed_engine, api, classroom, tmp_path, fresh_database, target_kind
):
    """Migration 0017 adds `practice_sessions.remembered_at` empty for every session held before
    it; `taken_in` then falls back on the session's memory job ("written before sessions
    recorded it"). Jobs are in no course file, so once the course is exported and imported (a
    move to PostgreSQL, a restore) every such session but the one the memory was last written
    from reads "Alex has not taken in this session (your teacher can have its memory written)":
    the memory holds it, and the same page said "Alex remembers this session" before the move. (A review of the day's fixes, 2026-12-07.)"""
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    first = _session(committed_engine, classroom, "Let's agree you try a walk after shifts.")
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    second = _session(committed_engine, classroom, "How was the week?")
    assert _memory(committed_engine, classroom, second).written_from_session_id == second
    with unit_of_work(committed_engine) as db:  # as 0017 leaves sessions held before it
        db.execute(update(PracticeSession).values(remembered_at=None))
    before = _notice(committed_engine, classroom, first)
    assert "remembers this session" in before, before

    out = io.StringIO()
    with unit_of_work(committed_engine, write=False) as db:
        backup_service.export_course(db, out, teacher_username=classroom.teacher.username)
    target = create_db_engine(fresh_database(target_kind, tmp_path))
    try:
        with unit_of_work(target) as db:
            backup_service.import_course(db, io.StringIO(out.getvalue()))
        after = _notice(target, classroom, first)
    finally:
        target.dispose()
    assert after == before, f"before the move: {before!r}; after it: {after!r}"


@pytest.mark.parametrize(
    ("table", "changes"),
    [
        ("practice_sessions", {"estimated_cost": "1e30"}),  # Money: BIGINT nano-dollars
    ],
    ids=["huge-amount"],
)
def test_a_course_file_with_an_out_of_range_amount_is_refused_with_a_sentence(
    small_export,  # noqa: F811
    fresh_database,
    tmp_path,
    backend_name,
    table,
    changes,
):
    """40855e7 refuses a course file's "out-of-range numbers" with a sentence, but checks only
    columns whose Python type is int: a dollar amount (`Money`, stored as BIGINT nano-dollars,
    exported as a decimal string) is never range-checked. "1e30" dollars is 10**39 nano-dollars:
    PostgreSQL's DataError is caught by the new `except DataError`, but SQLite's driver raises
    a raw OverflowError (no DBAPI error): the operator's restore ends in a traceback. (A review of the day's fixes, 2026-12-07.)"""
    from tests.integration.test_backup_roundtrip import import_text
    from tests.integration.test_both_backends_answer_alike import _spoiled

    spoiled = _spoiled(small_export[2], table, **changes)
    target = create_db_engine(fresh_database(backend_name, tmp_path))
    try:
        try:
            import_text(target, spoiled)
        except backup_service.BadCourseFile:
            pass
        except Exception as error:  # what the CLI does not catch: a traceback
            pytest.fail(f"{backend_name}: a raw {type(error).__name__}: {error}"[:300])
    finally:
        target.dispose()


def test_a_lost_session_is_folded_into_the_memory_once_when_two_jobs_run_close_together(
    committed_engine, api, classroom, monkeypatch
):
    """Session 1's memory job is lost. Sessions 2 and 3 end close together (session 2's job is
    slow: two summaries, the lost one first). Session 3's job reads its list of lost sessions
    (`_lost_before`: [1], as session 1 has no `remembered_at` yet) before session 2's job stores
    session 1. Session 2's job folds session 1 in and stamps it remembered; session 3's job then
    folds session 1 in AGAIN, as `_read_source` looks only at `memory.session_id` (now 2), never
    at the session's own `remembered_at`: the summary model is asked to add session 1 twice
    ("you agreed to walk after each night shift" twice in the memory, billed twice). (A review of the day's fixes, 2026-12-07.)"""
    from tests.integration.test_client_memory_takes_in_lost_sessions import WALK, _lost_session

    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    first = _lost_session(committed_engine, classroom, monkeypatch, WALK)
    database = Database(committed_engine)
    with monkeypatch.context() as patch:  # both jobs queued; this test runs them in race order
        patch.setattr(memory_writer, "start_memory_job", lambda *a, **k: None)
        api.reply(SAFE_REPLY)
        second = _session(committed_engine, classroom, "How was the week?")
        api.reply(SAFE_REPLY)
        third = _session(committed_engine, classroom, "Shall we go on?")
    with unit_of_work(committed_engine, write=False) as db:
        read_by_the_third_job = memory_writer._lost_before(db, third)
    assert read_by_the_third_job == [first]

    for _ in range(4):
        api.tool_reply(SUMMARY)
    memory_writer.write_memory(database, session_id=second)  # folds session 1 in, then 2
    with monkeypatch.context() as patch:  # the third job, with the list it read before
        patch.setattr(memory_writer, "_lost_before", lambda db, sid: read_by_the_third_job)
        memory_writer.write_memory(database, session_id=third)
    asked = [
        r
        for r in api.messages_requests()
        if r.body.get("tools") and "walk after each night shift" in str(r.body["messages"])
    ]
    assert len(asked) == 1, f"session {first} was folded into the memory {len(asked)} times"
