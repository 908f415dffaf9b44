"""`usage_service.rebuild` (run after a course import, and offered to check the tables) changes
no figure of the database it rebuilds: the paid calls no message or review holds (a reply cut off
after billing, a memory summary, a judge call, drill drafts) come back from the events that keep
them (a cost review, 2026-12-06: they were lost, and Cost today dropped)."""

from __future__ import annotations

from decimal import Decimal

from backend import event_log
from backend.db import Database, unit_of_work
from backend.llm.usage import Usage
from backend.models import PracticeSession
from backend.models.enums import Role
from backend.monitoring import metrics_service
from backend.practice import conversation_service, session_service
from backend.usage import usage_service
from backend.usage.purposes import Purpose
from tests.factories import add_message, add_reply, make_user

HAIKU = "claude-haiku-4-5"
LINES = [
    ("Hi, I'm Sam. What brings you in today?", "Work has been rough lately."),
    ("It sounds like work has been wearing you down.", "Yeah. I don't know what to do."),
    ("Have you tried talking to your boss?", "Not really."),
]


def _admin(engine):
    with unit_of_work(engine) as db:
        return make_user(db, role=Role.admin)


def _ended_session(engine, room) -> int:
    """An ended practice conversation of the room's student, its replies priced ($0.001 each)."""
    with unit_of_work(engine) as db:
        session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
        for said, answered in LINES:
            add_message(db, actor=room.student, session_id=session.id, content=said)
            add_reply(
                db,
                session_id=session.id,
                content=answered,
                usage=Usage(input_tokens=500, output_tokens=100),
                cost=Decimal("0.001"),
            )
        session_service.end_session(db, actor=room.student, session_id=session.id)
    return session.id


def test_a_rebuild_of_the_rollups_keeps_what_a_cut_off_reply_cost(committed_engine, api, classroom):
    """`usage_service.rebuild` (what `backend.cli import` runs after loading a course, and what
    its docstring offers "to check the tables") recomputes `daily_usage` from stored replies and
    reviews only. A practice conversation: one reply stored (1,000 in x $1 + 100 out x $5 per
    million = $0.0015) and one cut off mid-stream after the API billed its prompt (about 5,300
    input tokens of guide and profile, $0.005349 with its estimated output). Before the rebuild
    Cost today, the student's Top 10 row and the conversation's cost in History all read
    $0.006849; after it Cost today and the Top 10 row read $0.0015 while History (the session's
    own total, which an import carries) still reads $0.006849."""
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Fine, I suppose.", input_tokens=1000, output_tokens=100)
    assert conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="How are you?"
    ).ok
    api.stream_error_midway("I was going to say that my brother never called", chunk_delay=0)
    assert not conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="Go on."
    ).ok
    admin = _admin(committed_engine)

    def figures():
        with unit_of_work(committed_engine, write=False) as db:
            now = metrics_service.now_figures(db, actor=admin)
            students = metrics_service.breakdown(db, actor=admin, by="student")
            conversation = db.get(PracticeSession, session.id).estimated_cost
        return now.cost_today, students[0].cost, conversation

    before = figures()
    assert before[0] == before[1] == before[2] > Decimal("0.0015")  # the cut-off reply counts
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    assert figures() == before


def test_a_rebuild_of_the_rollups_keeps_what_memory_summaries_cost(
    committed_engine, api, classroom
):
    """A continuing client's memory summary ($0.0015, recorded as `memory_writer` records it)
    joins the session's cost and the student's budget row under "Client memory": Cost today
    $0.0045 (three replies at $0.001 and the summary), Client memory $0.0015, the student's Top
    10 row $0.0045. After `usage_service.rebuild` (run by every `backend.cli import`) they read
    $0.0030, $0 and $0.0030, while the conversation's cost in History keeps $0.0045."""
    session_id = _ended_session(committed_engine, classroom)
    with unit_of_work(committed_engine) as db:  # what memory_writer._record_calls records
        session_service.record_usage(
            db,
            session_id=session_id,
            usage=Usage(input_tokens=900, output_tokens=120),
            cost=Decimal("0.0015"),
            model=HAIKU,
            purpose=Purpose.memory,
        )
        event_log.record(
            db,
            "info",
            "memory_call",
            "A continuing client's memory summary was billed.",
            session_id=session_id,
            details={"input_tokens": 900, "output_tokens": 120, "cost": "0.0015"},
        )
    admin = _admin(committed_engine)

    def figures():
        with unit_of_work(committed_engine, write=False) as db:
            now = metrics_service.now_figures(db, actor=admin)
            students = metrics_service.breakdown(db, actor=admin, by="student")
        return now.cost_today, now.cost_parts.memory, students[0].cost

    before = figures()
    assert before == (Decimal("0.0045"), Decimal("0.0015"), Decimal("0.0045"))
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    assert figures() == before
