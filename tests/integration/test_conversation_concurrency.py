"""Many students at once against a slow fake API: nothing lost, numbering gapless, totals exact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from backend.db import unit_of_work
from backend.models import ChatSession, ClientDailyUsage, DailyUsage, Message
from backend.models.enums import Role
from backend.services import conversation_service, usage_service
from tests.factories import enroll, make_assignment, make_client, make_section, make_user

STUDENTS = 6
TURNS = 3
SAME_SESSION_SENDERS = 4


def test_parallel_conversations_and_parallel_sends_in_one_session(committed_engine, api,
                                                                  configure):
    configure(user_rate_limit="1000/minute")
    api.latency(0.05).set_chunk_delay(0.005)
    with unit_of_work(committed_engine) as session:
        teacher = make_user(session, role=Role.teacher)
        client = make_client(session, teacher=teacher)
        section = make_section(session, teacher=teacher)
        students = [make_user(session) for _ in range(STUDENTS)]
        for student in students:
            enroll(session, section=section, student=student)
        make_assignment(session, teacher=teacher, section=section, clients=[client])
    chats = {s.id: conversation_service.start_conversation(committed_engine, actor=s,
                                                           client_id=client.id) for s in students}

    def converse(student) -> None:
        for turn in range(TURNS):
            conversation_service.submit_message(committed_engine, actor=student,
                                                session_id=chats[student.id].id,
                                                content=f"{student.username} turn {turn}")
            list(conversation_service.stream_reply(committed_engine, actor=student,
                                                   session_id=chats[student.id].id))

    shared_student = students[0]
    shared_chat = chats[shared_student.id]

    def send_in_shared_session(index: int) -> None:
        conversation_service.send_message(committed_engine, actor=shared_student,
                                          session_id=shared_chat.id, content=f"shared {index}")

    with ThreadPoolExecutor(STUDENTS + SAME_SESSION_SENDERS) as pool:
        jobs = [pool.submit(converse, s) for s in students]
        jobs += [pool.submit(send_in_shared_session, i) for i in range(SAME_SESSION_SENDERS)]
        for job in jobs:
            job.result()

    with unit_of_work(committed_engine, write=False) as session:
        for student in students:
            chat_id = chats[student.id].id
            rows = session.execute(select(Message.sequence_number, Message.role, Message.content)
                                   .where(Message.session_id == chat_id)
                                   .order_by(Message.sequence_number)).all()
            assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
            user_texts = {row[2] for row in rows if row[1] == "user"}
            expected = {f"{student.username} turn {t}" for t in range(TURNS)}
            if student is shared_student:
                expected |= {f"shared {i}" for i in range(SAME_SESSION_SENDERS)}
            assert user_texts == expected
            assert sum(1 for row in rows if row[1] == "assistant") >= 1
        sums = session.execute(
            select(Message.session_id, func.sum(Message.input_tokens), func.sum(Message.output_tokens),
                   func.sum(Message.cost), func.count(Message.id))
            .where(Message.role == "assistant").group_by(Message.session_id)).all()
        for session_id, input_tokens, output_tokens, cost, replies in sums:
            chat = session.get(ChatSession, session_id)
            assert (chat.input_tokens, chat.output_tokens) == (input_tokens, output_tokens)
            assert chat.estimated_cost == cost and replies >= 1
    assert len(api.messages_requests()) >= STUDENTS * TURNS

    # The daily tables written beside each message match a rebuild from the messages themselves.
    def snapshot(session):
        return (sorted(tuple(r) for r in session.execute(select(
                    DailyUsage.day, DailyUsage.user_id, DailyUsage.tokens, DailyUsage.cost,
                    DailyUsage.replies))),
                sorted(tuple(r) for r in session.execute(select(
                    ClientDailyUsage.day, ClientDailyUsage.client_id, ClientDailyUsage.model,
                    ClientDailyUsage.sessions, ClientDailyUsage.messages, ClientDailyUsage.replies,
                    ClientDailyUsage.input_tokens, ClientDailyUsage.cost))))

    with unit_of_work(committed_engine) as session:
        kept = snapshot(session)
        usage_service.rebuild(session)
        assert snapshot(session) == kept
        assert sum(row[4] for row in kept[1]) == session.scalar(select(func.count(Message.id)))
