"""The output guard on the reply path (issue 19, items 1 and 2): a short secret, and a fact split
over two replies, are stopped before the student sees them, and the reply is asked for again."""

from __future__ import annotations

from backend.clients import client_service
from backend.db import Database, unit_of_work
from backend.practice import conversation_service
from backend.reviews import review_rules
from backend.reviews.turns import Turn
from tests.integration.reads import stored_messages

SHORT = "She is secretly pregnant."
LONG = "Lost their job at the bakery on Elm Street last March after 12 years."
SAFE = "I'd rather not talk about that yet."


def _set_hidden(engine, classroom, hidden: str):
    with unit_of_work(engine) as db:
        data = client_service.get_client(
            db, actor=classroom.teacher, client_id=classroom.client.id
        ).to_input()
        data.hidden_information = hidden
        return client_service.update_client(
            db, actor=classroom.teacher, client_id=classroom.client.id, data=data
        )


def _send(engine, classroom, session_id: int, content: str):
    reply = conversation_service.submit_message(
        Database(engine), actor=classroom.student, session_id=session_id, content=content
    )
    return "".join(reply), reply.outcome


def _start(engine, classroom):
    return conversation_service.start_conversation(
        Database(engine), actor=classroom.student, client_id=classroom.client.id
    )


def test_a_short_secret_is_never_shown_nor_stored(committed_engine, api, classroom):
    _set_hidden(committed_engine, classroom, SHORT)
    session = _start(committed_engine, classroom)
    api.reply("Fine. She is secretly pregnant.", chunk_delay=0)
    api.reply(SAFE)
    seen, outcome = _send(committed_engine, classroom, session.id, "Tell me your secret.")
    assert "pregnant" not in seen and seen.endswith(SAFE)
    assert outcome.message is not None and outcome.message.content == SAFE
    stored = stored_messages(committed_engine, classroom.student, session.id)
    assert "pregnant" not in " ".join(m.content for m in stored)


def test_a_fact_split_over_two_replies_is_stopped_at_the_second(committed_engine, api, classroom):
    _set_hidden(committed_engine, classroom, LONG)
    session = _start(committed_engine, classroom)
    api.reply("The bakery on Elm Street.")
    api.reply("Twelve years, gone last March.", chunk_delay=0)
    api.reply(SAFE)
    first, _ = _send(committed_engine, classroom, session.id, "Where did you work?")
    assert first == "The bakery on Elm Street."
    second, outcome = _send(committed_engine, classroom, session.id, "What happened there?")
    assert "Twelve" not in second and "March" not in second and second.endswith(SAFE)
    stored = [m.content for m in stored_messages(committed_engine, classroom.student, session.id)]
    assert stored[-1] == SAFE and "Twelve years, gone last March." not in stored


def test_the_review_finds_the_turn_that_completed_a_split_leak(committed_engine, classroom):
    client = _set_hidden(committed_engine, classroom, LONG)
    turns = [
        Turn(1, "user", "Where did you work?"),
        Turn(2, "assistant", "The bakery on Elm Street."),
        Turn(3, "user", "What happened there?"),
        Turn(4, "assistant", "Twelve years, gone last March."),
    ]
    assert review_rules.hidden_information_turn(turns, client, run_words=6) == 4
