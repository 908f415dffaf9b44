"""(An attack, 2026-12-06.) a teacher edits a client while a student is mid-conversation (or later practises a
moment of an old conversation). `ClientProfile.version` is "bumped on every edit, so a
conversation records which version of the client it met" (backend/models/client_profile.py), and
README "Practise this moment": a branch is "a new practice conversation with the same client,
prompt version and assignment". The turn, though, always plays the client as it is now
(conversation_service `_prompt`), so the recorded version names a client the model no longer
played: a teacher (or a researcher reading a course export) comparing conversations by version,
or a check scorecard's version with what students met, is misled."""

from __future__ import annotations

from backend.clients import client_service
from backend.db import Database, unit_of_work
from backend.practice import branch_service, conversation_service, session_service

OLD_SECRET = "Was recently passed over for promotion."
NEW_SECRET = "Has been gambling away the rent money at the casino."


def _edit_hidden(engine, room, hidden: str) -> int:
    with unit_of_work(engine) as db:
        data = client_service.get_client(db, actor=room.teacher, client_id=room.client.id)
        data = data.to_input()
        data.hidden_information = hidden
        return client_service.update_client(
            db, actor=room.teacher, client_id=room.client.id, data=data
        ).version


def _system(request) -> str:
    return "\n".join(block["text"] for block in request.body["system"])


def _send(engine, room, session_id: int, text: str) -> None:
    reply = conversation_service.submit_message(
        Database(engine), actor=room.student, session_id=session_id, content=text
    )
    assert reply.wait().ok


def _recorded_version(engine, room, session_id: int) -> str:
    with unit_of_work(engine) as db:
        session = session_service.get_session(db, actor=room.student, session_id=session_id)
        return session.prompt_version or ""


def test_the_version_a_conversation_records_is_the_one_it_is_played_with(
    committed_engine, api, classroom
):
    room = classroom
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=room.student, client_id=room.client.id
    )
    api.reply("Hi. Work's been rough.")
    _send(committed_engine, room, session.id, "Hello, what brings you here?")
    assert OLD_SECRET in _system(api.last_request)

    new_version = _edit_hidden(committed_engine, room, NEW_SECRET)  # mid-conversation
    api.reply("It's just a lot.")
    _send(committed_engine, room, session.id, "Tell me more.")

    played_new = NEW_SECRET in _system(api.last_request)
    recorded = _recorded_version(committed_engine, room, session.id)
    # Either the conversation keeps the client it started with, or it says it met the new one.
    assert (not played_new) or recorded.endswith(f"/p{new_version}"), (
        f"the model was played version {new_version} (new hidden information), the "
        f"conversation records {recorded!r}"
    )


def test_practise_this_moment_after_an_edit_meets_the_recorded_client(
    committed_engine, api, classroom
):
    room = classroom
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=room.student, client_id=room.client.id
    )
    api.reply("Hi. Work's been rough.")
    _send(committed_engine, room, session.id, "Hello, what brings you here?")
    api.reply("It's just a lot.")
    _send(committed_engine, room, session.id, "Why don't you just quit?")
    conversation_service.end_conversation(
        Database(committed_engine), actor=room.student, session_id=session.id
    )
    new_version = _edit_hidden(committed_engine, room, NEW_SECRET)  # the next week

    with unit_of_work(committed_engine) as db:
        branch = branch_service.start_branch(db, actor=room.student, session_id=session.id, turn=3)
    api.reply("I don't know.")
    _send(committed_engine, room, branch.id, "It sounds like work is wearing you down.")

    played_new = NEW_SECRET in _system(api.last_request)
    assert (not played_new) or branch.prompt_version.endswith(f"/p{new_version}"), (
        f"the branch records {branch.prompt_version!r} (the original's) but its client was "
        f"played as version {new_version}"
    )
