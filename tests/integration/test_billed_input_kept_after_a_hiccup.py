"""An attack on 98df9b7 (2026-12-06): a database failure while the billed input is written at `message_start`
(`_ReplyJob._record_start`, run from `LLMGateway._sdk_chunks`) is now re-raised as the caller's
own `SQLAlchemyError`. `_generate` records a cut-off reply's billing only for a `GatewayError`,
so the call the API billed joins no totals and leaves no `partial_reply` event, even when the
database answers again a moment later: "paid calls always equal stored replies plus those
events" (README) no longer holds and the admin's cost figures under-count. Before 98df9b7 the
same hiccup was a `GatewayError` and the billed input was recorded."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from backend.db import Database, create_db_engine, unit_of_work
from backend.models import Event, PracticeSession
from backend.practice import conversation_service
from tests.factories import make_classroom


def test_a_one_off_database_hiccup_at_message_start_still_counts_the_billed_call(
    committed_postgresql, api
):
    engine = create_db_engine(committed_postgresql.url.render_as_string(hide_password=False))
    sequence = f"hiccup_{uuid.uuid4().hex[:8]}"
    try:
        with unit_of_work(engine) as db:
            room = make_classroom(db)
        database = Database(engine)
        session = conversation_service.start_conversation(
            database, actor=room.student, client_id=room.client.id
        )
        # The first write of billed input fails once (a failover, a lock timeout); a sequence
        # is not rolled back, so every later write goes through.
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SEQUENCE {sequence}")
            connection.exec_driver_sql(
                f"CREATE FUNCTION {sequence}() RETURNS trigger AS $$ BEGIN "
                f"IF nextval('{sequence}') = 1 THEN RAISE EXCEPTION 'connection lost'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                f"CREATE TRIGGER {sequence} BEFORE UPDATE OF input_tokens ON practice_sessions "
                f"FOR EACH ROW WHEN (NEW.input_tokens > OLD.input_tokens) "
                f"EXECUTE FUNCTION {sequence}()"
            )
        api.reply("I'm here.", input_tokens=1200, output_tokens=5)
        outcome = conversation_service.send_message(
            database, actor=room.student, session_id=session.id, content="Hello?"
        )
        assert not outcome.ok and "database is not answering" in (outcome.notice or "")
        assert api.request_count == 1  # one call, billed by the API

        with unit_of_work(engine, write=False) as db:
            billed = db.scalar(
                select(PracticeSession.input_tokens).where(PracticeSession.id == session.id)
            )
            cut_offs = db.scalar(
                select(func.count(Event.id)).where(
                    Event.category == "partial_reply", Event.session_id == session.id
                )
            )
        assert (billed, cut_offs) == (1200, 1), (
            f"the billed call left input_tokens={billed} and {cut_offs} partial_reply events"
        )
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {sequence} ON practice_sessions")
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {sequence}()")
            connection.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {sequence}")
        engine.dispose()
