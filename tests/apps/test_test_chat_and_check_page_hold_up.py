"""The teacher's test chat and the check page hold up: a draft principle at ten principles, Start
over from a try of one moment, words typed to a client archived meanwhile (an attack, 2026-12-07)."""

from __future__ import annotations

from backend.clients import client_service
from backend.db import Database, unit_of_work
from backend.practice import conversation_service, session_service
from tests.apps.helpers import assert_clean, everything, teacher_app, texts
from tests.apps.test_client_check_app import add_client, check_from_card, run_check
from tests.factories import make_client
from tests.fakes.misbehave import judge_answers, misbehave, passing_judgement

AI_REPLY = "As an AI language model, I cannot share my feelings."
TEN = [f"Rule number {n}: stay in the role." for n in range(1, 11)]


def a_try_of_an_open_test_chat(app, app_db, teacher, app_api, turn: int = 3):
    """A teacher's open test chat with Alex (two turns), and "Practise this moment" at `turn`:
    (the page on the try, Alex, the test chat's id)."""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
    app_api.set_default_reply("Work, mostly.")
    at = teacher_app(app)
    at.button(key=f"test_client_{alex.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hi Alex, what brings you in today?").run()
    at.chat_input(key="chat_input").set_value("Is it work?").run()
    assert_clean(at)
    original_id = at.session_state["test_session_id"]
    at.button(key=f"practise_test_{original_id}_{turn}").click().run()
    assert_clean(at)
    assert at.session_state["test_session_id"] != original_id
    return at, alex, original_id


def test_make_this_a_principle_on_a_client_with_ten_principles(app, app_db, teacher, app_api):
    """A client already has the ten principles the form allows (its Add is disabled). "Make this
    a principle" on a finding still adds an eleventh to the form; Save is then refused, so the
    button leads to a form that cannot be saved. (An attack, 2026-12-07.)"""
    client = add_client(app_db, teacher, name="Alex Rivera", principles=TEN)
    misbehave(app_api, when_student_says="Are you an AI", reply=AI_REPLY)
    judge_answers(app_api, passing_judgement())
    at = run_check(check_from_card(teacher_app(app), client.id))
    buttons = [b for b in at.button if b.key and b.key.startswith("principle_")]
    assert buttons
    buttons[0].click().run()
    assert_clean(at)
    assert "10 principles already: remove one, and the check's draft takes its place" in everything(
        at
    )
    at.button(key="save_client").click().run()
    page = everything(at)
    with unit_of_work(app_db) as db:
        saved = client_service.get_client(db, actor=teacher, client_id=client.id)
    assert saved.principles == TEN  # nothing saved, as expected with 11
    # What the teacher reads under the principles: Pydantic's words, not the app's.
    assert "List should have at most 10 items after validation" not in page, [
        t for t in texts(at, "caption") if "List should" in t
    ]


def test_start_over_in_a_practised_moment_of_a_test_chat_starts_a_new_conversation(
    app, app_db, teacher, app_api
):
    """A test chat, then "Practise this moment" at its second turn (a branch), then Start over
    (and Yes). The teacher asked for a new conversation; Start over ends the branch and asks for
    the client's open conversation, which is the original test chat (still open: a branch leaves
    it as it was). The page shows the old chat again, its four messages, not a new one. (An attack, 2026-12-07.)"""
    at, _alex, original_id = a_try_of_an_open_test_chat(app, app_db, teacher, app_api)
    branch_id = at.session_state["test_session_id"]
    at.button(key="start_over").click().run()
    at.button(key="confirm_start_over").click().run()
    assert_clean(at)
    fresh_id = at.session_state["test_session_id"]
    assert fresh_id not in (original_id, branch_id), (
        f"Start over opened conversation {fresh_id} (the original test chat {original_id}), "
        f"with {len(at.chat_message)} messages shown"
    )
    assert len(at.chat_message) == 0


def test_a_message_typed_to_a_client_archived_meanwhile_never_reaches_another_client(
    app, app_db, teacher, app_api
):
    """The teacher has test chats open with Alex and with Blake and is talking to Alex. In
    another tab Alex is archived. The next message typed to Alex: the page now picks Blake (Alex
    is no longer in the list) and Blake's chat takes the message typed to Alex, and Blake
    answers it. The teacher's words land in another client's conversation, without a word. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        blake = make_client(db, teacher=teacher, name="Blake Moss")
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
    database = Database(app_db)
    conversation_service.start_conversation(database, actor=teacher, client_id=blake.id)
    at = teacher_app(app)
    at.button(key=f"test_client_{alex.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hi Alex, what brings you in today?").run()
    assert_clean(at)
    alex_chat = at.session_state["test_session_id"]

    with unit_of_work(app_db) as db:  # another tab
        client_service.set_archived(db, actor=teacher, client_id=alex.id, archived=True)
    words = "Alex, you said your sister called you last night?"
    at.chat_input(key="chat_input").set_value(words).run()
    with unit_of_work(app_db, write=False) as db:
        blake_chat = session_service.get_active_session(db, actor=teacher, client_id=blake.id)
        said_to_blake = [
            m.content
            for m in session_service.get_messages(db, actor=teacher, session_id=blake_chat.id)
        ]
        said_to_alex = [
            m.content for m in session_service.get_messages(db, actor=teacher, session_id=alex_chat)
        ]
    assert words not in said_to_blake, (
        f"the words typed to Alex went to Blake's chat: {said_to_blake}; Alex's: {said_to_alex}"
    )


def test_a_message_typed_to_a_client_archived_meanwhile_is_not_lost_without_a_word(
    app, app_db, teacher, app_api
):
    """As above, with no other chat open: the page now offers Blake's "Start test
    conversation"; the words typed to Alex are neither stored, nor kept as not sent, nor shown. (An attack, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        make_client(db, teacher=teacher, name="Blake Moss")
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key=f"test_client_{alex.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hi Alex, what brings you in today?").run()
    assert_clean(at)
    with unit_of_work(app_db) as db:  # another tab
        client_service.set_archived(db, actor=teacher, client_id=alex.id, archived=True)
    words = "Alex, you said your sister called you last night?"
    at.chat_input(key="chat_input").set_value(words).run()
    assert words in everything(at), "the words typed to Alex are gone, without a word"
