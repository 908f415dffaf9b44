"""The output guard lets good, in-character replies through: what the student said, the client
may say back (false alarms a student and a teacher noticed as "held back because it broke
character": an attack, 2026-12-07)."""

from __future__ import annotations

from backend.clients import client_service
from backend.db import Database, unit_of_work
from backend.practice import conversation_service
from tests.integration.reads import stored_messages

PREGNANT = "She is secretly pregnant."
BAKERY = "Lost their job at the bakery on Elm Street last March after 12 years."


def _set_hidden(engine, classroom, hidden: str) -> None:
    with unit_of_work(engine) as db:
        data = client_service.get_client(
            db, actor=classroom.teacher, client_id=classroom.client.id
        ).to_input()
        data.hidden_information = hidden
        client_service.update_client(
            db, actor=classroom.teacher, client_id=classroom.client.id, data=data
        )


def _start(engine, classroom):
    return conversation_service.start_conversation(
        Database(engine), actor=classroom.student, client_id=classroom.client.id
    )


def _send(engine, classroom, session_id: int, content: str):
    return conversation_service.send_message(
        Database(engine), actor=classroom.student, session_id=session_id, content=content
    )


def _shown_as_said(engine, api, classroom, student: str, client: str) -> None:
    """The student says `student`; the model answers `client` (twice, were it stopped once):
    the student reads it as it was said."""
    session = _start(engine, classroom)
    api.reply(client, chunk_delay=0, times=2)
    outcome = _send(engine, classroom, session.id, student)
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert outcome.message.content == client


def test_a_secret_already_shared_stays_shared_when_the_history_window_moves_on(
    committed_engine, api, configure, classroom
):
    """The student asked "are you pregnant?" and the client said yes (the guard lets that
    through: the student said the word). Twenty minutes later, in the same conversation, the
    history window has moved past those two turns, and the guard protects the secret again: the
    client is stopped, twice, from talking about the pregnancy the two of them have been
    discussing all along, and the student reads "held back because it broke character"."""
    configure(context_token_budget=700, user_rate_limit="100/minute")
    _set_hidden(committed_engine, classroom, PREGNANT)
    session = _start(committed_engine, classroom)
    api.reply("Yes. I'm pregnant. Nobody else knows.", chunk_delay=0)
    first = _send(committed_engine, classroom, session.id, "Are you pregnant?")
    assert first.ok and "pregnant" in first.message.content  # control: a confirmed guess
    api.set_default_reply(
        "I keep going over it in my head, the same worries, round and round. " * 4
    )
    for turn in range(10):
        assert _send(
            committed_engine, classroom, session.id, f"Turn {turn}: go on, " + "tell me more " * 15
        ).ok
    later = "Being pregnant at my age scares me more than I let on."
    api.reply(later, chunk_delay=0, times=2)
    outcome = _send(committed_engine, classroom, session.id, "What scares you most right now?")
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert outcome.message.content == later
    assert stored_messages(committed_engine, classroom.student, session.id)[-1].content == later


def test_the_client_may_confirm_the_students_own_words(committed_engine, api, classroom):
    """The student guesses the whole thing in their own words; the client says yes, echoing
    them. Nothing the student did not say is in the reply, yet a six-word run of the hidden
    information ("job at the bakery on Elm") stops it, both times: "held back"."""
    _set_hidden(committed_engine, classroom, BAKERY)
    _shown_as_said(
        committed_engine,
        api,
        classroom,
        "Did you lose your job at the bakery on Elm Street last March?",
        "Yes. My job at the bakery on Elm Street, last March. How did you know?",
    )


def test_the_client_may_repeat_words_the_student_pasted(committed_engine, api, classroom):
    """A student pastes a line of the role-play rules and asks the client about it. The client,
    in character, repeats the odd words back: nothing the student did not type. The guard reads
    it as reciting the instructions and withholds both attempts."""
    _shown_as_said(
        committed_engine,
        api,
        classroom,
        "Someone told me: You are the client, never the counselor. What do you make of that?",
        "\"You are the client, never the counselor\"? I don't know what you're reading from.",
    )
