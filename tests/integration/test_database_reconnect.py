"""PostgreSQL connections closed by the server are replaced before use, without a pre-ping."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import create_engine, text

from backend.db import Database, create_db_engine, unit_of_work
from backend.models.enums import MessageRole
from backend.practice import conversation_service
from tests.conftest import POSTGRES_ADMIN_URL
from tests.factories import make_classroom
from tests.integration.reads import stored_messages


def _terminate(admin, application_name: str) -> int:
    """Kill every backend of that application, as a restart would; wait until they are gone."""
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = :name"
    with admin.connect() as connection:
        killed = connection.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM ({query}) AS found"),
            {"name": application_name},
        ).all()
        for _ in range(100):
            connection.rollback()  # pg_stat_activity is read once per transaction
            if not connection.execute(text(query), {"name": application_name}).all():
                return len(killed)
            time.sleep(0.05)
    raise AssertionError("the backends did not end")


def test_a_turn_after_the_server_closed_the_connections_succeeds(committed_postgresql, api):
    name = f"reconnect-{uuid.uuid4().hex[:8]}"
    engine = create_db_engine(
        committed_postgresql.url.render_as_string(hide_password=False),
        connect_args={"application_name": name},
    )
    try:
        assert not engine.pool._pre_ping  # no round trip before every transaction
        with unit_of_work(engine) as db:
            room = make_classroom(db)
        database = Database(engine)
        session = conversation_service.start_conversation(
            database, actor=room.student, client_id=room.client.id
        )
        assert conversation_service.send_message(
            database, actor=room.student, session_id=session.id, content="Hello."
        ).ok
        assert _terminate(committed_postgresql, name) >= 1

        outcome = conversation_service.send_message(
            database, actor=room.student, session_id=session.id, content="Are you there?"
        )
        assert outcome.ok, outcome.notice  # the student sees the reply, no error
        roles = [m.role for m in stored_messages(engine, room.student, session.id)]
        assert roles == [MessageRole.user, MessageRole.assistant] * 2
    finally:
        engine.dispose()


def test_a_database_outage_while_a_reply_streams_is_named_as_such(committed_postgresql, api):
    """The reply arrives but the database stops taking connections before it is stored: the
    student is told the database is not answering (not that the AI service failed, which sends
    an operator to the wrong place), and their message is kept for a Retry."""
    name = f"outage-{uuid.uuid4().hex[:8]}"
    url = committed_postgresql.url.render_as_string(hide_password=False)
    database_name = committed_postgresql.url.database
    engine = create_db_engine(url, connect_args={"application_name": name})
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with unit_of_work(engine) as db:
            room = make_classroom(db)
        database = Database(engine)
        session = conversation_service.start_conversation(
            database, actor=room.student, client_id=room.client.id
        )
        api.hang(60, then="I have been sleeping badly.")
        reply = conversation_service.submit_message(
            database, actor=room.student, session_id=session.id, content="How are you sleeping?"
        )
        deadline = time.monotonic() + 30
        while not api.messages_requests() and time.monotonic() < deadline:
            time.sleep(0.05)
        with admin.connect() as connection:  # the database goes away mid-reply
            connection.execute(text(f'ALTER DATABASE "{database_name}" ALLOW_CONNECTIONS false'))
        _terminate(admin, name)
        api.release()
        outcome = reply.wait()

        assert not outcome.ok
        assert outcome.notice is not None and "database" in outcome.notice
        assert "AI service" not in outcome.notice
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database_name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
        engine.dispose()
    said = [
        (m.role, m.content) for m in stored_messages(committed_postgresql, room.student, session.id)
    ]
    assert said == [(MessageRole.user, "How are you sleeping?")]  # kept for a Retry
