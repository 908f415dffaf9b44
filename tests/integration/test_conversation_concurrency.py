"""Many people and tabs at once, through the service layer, on SQLite and PostgreSQL.

50 threads send 20 times each into 10 conversations (5 tabs per conversation), and every fourth
action is a reload that re-asks for a reply. Whatever interleaving happens: every stored student
message is answered exactly once, no two replies stand back to back, every paid call is a stored
reply or a logged cut-off, and no rate limit or budget is passed by more than one in-flight reply.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from backend.db import Database, unit_of_work
from backend.errors import AppError
from backend.models import DailyUsage, Event, Message, PracticeSession
from backend.models.enums import Role
from backend.practice import conversation_service
from backend.usage import usage_service
from tests.factories import enroll, make_assignment, make_client, make_section, make_user

# Both backends: concurrent writers: each backend locks differently.
pytestmark = pytest.mark.both_backends

CONVERSATIONS = 10
THREADS = 50
ACTIONS = 20
RATE_LIMIT = 15
TOKEN_BUDGET = 4000
REPLY_TOKENS = 400  # 300 input + 100 output, as the fake API reports them


def test_every_message_is_answered_once_and_no_limit_is_passed(committed_engine, api, configure):
    configure(
        user_rate_limit=f"{RATE_LIMIT}/minute",
        global_rate_limit="100000/hour",
        user_daily_token_budget=TOKEN_BUDGET,
    )
    api.set_default_reply("Mm. I hear you.", input_tokens=300, output_tokens=100)
    api.set_chunk_delay(0.002)
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        client = make_client(db, teacher=teacher)
        section = make_section(db, teacher=teacher)
        students = [make_user(db) for _ in range(CONVERSATIONS)]
        for student in students:
            enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
    chats = [
        conversation_service.start_conversation(
            Database(committed_engine), actor=student, client_id=client.id
        )
        for student in students
    ]

    def tab(thread: int) -> Counter:
        student, session = students[thread % CONVERSATIONS], chats[thread % CONVERSATIONS]
        seen: Counter = Counter()
        for action in range(ACTIONS):
            try:
                if action % 4 == 3:  # a reload: the page re-asks for a reply
                    reply = conversation_service.request_reply(
                        Database(committed_engine), actor=student, session_id=session.id
                    )
                else:
                    reply = conversation_service.submit_message(
                        Database(committed_engine),
                        actor=student,
                        session_id=session.id,
                        content=f"tab {thread} message {action}",
                    )
                seen["answered" if reply.wait().ok else "failed"] += 1
            except AppError as refused:
                seen[type(refused).__name__] += 1
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = sum(pool.map(tab, range(THREADS)), Counter())
    assert outcomes["answered"] > 0 and outcomes["failed"] == 0, outcomes
    # The run really raced: tabs met replies in flight, and the budget ran out for some.
    assert outcomes["ReplyInFlight"] and outcomes["BudgetExceededError"], outcomes

    with unit_of_work(committed_engine, write=False) as db:
        stored_replies = 0
        for session in chats:
            roles = db.execute(
                select(Message.sequence_number, Message.role)
                .where(Message.session_id == session.id)
                .order_by(Message.sequence_number)
            ).all()
            assert [number for number, _ in roles] == list(range(1, len(roles) + 1))
            # Strictly student, client, student, client...: each message answered exactly once.
            assert [role for _, role in roles] == ["user", "assistant"] * (len(roles) // 2)
            replies = len(roles) // 2
            stored_replies += replies
            assert replies <= RATE_LIMIT
            row = db.get(PracticeSession, session.id)
            assert row.total_tokens == REPLY_TOKENS * replies
            assert row.total_tokens <= TOKEN_BUDGET + REPLY_TOKENS
            assert row.reply_claim_id is None and row.reserved_tokens == 0
        cut_offs = db.scalar(select(func.count(Event.id)).where(Event.category == "partial_reply"))
    assert len(api.messages_requests()) == stored_replies + cut_offs

    # The daily tables written beside each message match a rebuild from the messages themselves.
    client = usage_service.client_usage()  # the rollup and the increments not yet folded

    def snapshot(db):
        return (
            sorted(
                tuple(r)
                for r in db.execute(
                    select(
                        DailyUsage.day,
                        DailyUsage.user_id,
                        DailyUsage.tokens,
                        DailyUsage.cost,
                        DailyUsage.replies,
                    )
                )
            ),
            sorted(
                tuple(r)
                for r in db.execute(
                    select(
                        client.day,
                        client.client_id,
                        client.model,
                        func.sum(client.messages),
                        func.sum(client.replies),
                        func.sum(client.input_tokens),
                        func.sum(client.cost),
                    ).group_by(client.day, client.client_id, client.model)
                )
            ),
        )

    with unit_of_work(committed_engine) as db:
        kept = snapshot(db)
        usage_service.rebuild(db)
        assert snapshot(db)[0] == kept[0]
        assert sum(row[3] for row in kept[1]) == db.scalar(select(func.count(Message.id)))
