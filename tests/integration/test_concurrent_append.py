"""Racing writers: sequence numbers stay unique and gapless, totals equal the sum of messages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.db import unit_of_work
from backend.llm.usage import Usage
from backend.models import Message
from backend.practice import session_service
from tests.factories import add_message, add_reply, make_classroom, start_session

# Both backends: concurrent writers: each backend locks differently.
pytestmark = pytest.mark.both_backends

THREADS = 8
MESSAGES_PER_THREAD = 12


def test_parallel_appends_to_one_session(committed_engine):
    with unit_of_work(committed_engine) as db:
        room = make_classroom(db)
        session = start_session(db, user=room.student, client=room.client)

    def writer(thread: int) -> None:
        for number in range(MESSAGES_PER_THREAD):
            with unit_of_work(committed_engine) as db:
                if number % 2:
                    add_reply(
                        db,
                        session_id=session.id,
                        content=f"thread {thread} message {number}",
                        usage=Usage(input_tokens=10, output_tokens=3, cache_read_tokens=1),
                        cost=Decimal("0.000017"),
                    )
                else:
                    add_message(
                        db,
                        actor=room.student,
                        session_id=session.id,
                        content=f"thread {thread} message {number}",
                    )

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(writer, range(THREADS)))

    total = THREADS * MESSAGES_PER_THREAD
    with unit_of_work(committed_engine, write=False) as db:
        messages = session_service.get_messages(db, actor=room.student, session_id=session.id)
        final = session_service.get_session(db, actor=room.student, session_id=session.id)
        summed = db.execute(
            select(
                func.sum(Message.input_tokens),
                func.sum(Message.output_tokens),
                func.sum(Message.cache_read_tokens),
                func.sum(Message.cost),
            ).where(Message.session_id == session.id, Message.role == "assistant")
        ).one()
    assert [m.sequence_number for m in messages] == list(range(1, total + 1))
    assert sorted(m.content for m in messages) == sorted(
        f"thread {t} message {n}" for t in range(THREADS) for n in range(MESSAGES_PER_THREAD)
    )
    replies = total // 2
    assert (
        (final.input_tokens, final.output_tokens, final.cache_read_tokens)
        == (summed[0], summed[1], summed[2])
        == (10 * replies, 3 * replies, replies)
    )
    assert final.estimated_cost == summed[3] == Decimal("0.000017") * replies
    assert final.total_tokens == 14 * replies


def test_racing_starts_leave_one_active_session(committed_engine):
    with unit_of_work(committed_engine) as db:
        room = make_classroom(db)

    def start(_):
        try:
            with unit_of_work(committed_engine) as db:
                return session_service.create_session(
                    db, actor=room.student, client_id=room.client.id
                ).id
        except Exception as error:
            return error

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(start, range(6)))
    ids = [result for result in results if isinstance(result, int)]
    refusals = [result for result in results if not isinstance(result, int)]
    assert len(ids) == 1
    assert all("already have an open conversation" in str(error) for error in refusals)
