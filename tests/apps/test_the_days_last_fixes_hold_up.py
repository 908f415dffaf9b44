"""The day's last fixes hold up on the pages: words typed to the only client archived meanwhile,
a check's draft principle waiting for room, Start over from a try ending only the chat it rewound
(an attack on the day's fixes, 2026-12-07)."""

from __future__ import annotations

from backend.clients import client_service
from backend.db import unit_of_work
from tests.apps.helpers import assert_clean, everything, teacher_app
from tests.apps.test_client_check_app import add_client, check_from_card, run_check
from tests.apps.test_test_chat_and_check_page_hold_up import a_try_of_an_open_test_chat
from tests.factories import make_client
from tests.fakes.misbehave import judge_answers, misbehave, passing_judgement

AI_REPLY = "As an AI language model, I cannot share my feelings."
TEN = [f"Rule number {n}: stay in the role." for n in range(1, 11)]


def test_words_typed_to_the_only_client_archived_meanwhile_are_not_lost(
    app, app_db, teacher, app_api
):
    """The teacher has one client, Alex, and is in a test chat with Alex. Another tab archives
    Alex. The next message typed: the page has no client left to list and says "No clients to try
    yet" (`try_page` returns before `_archived_meanwhile`), and the words are neither stored, nor
    kept as not sent, nor shown. (An attack on the day's fixes, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
    app_api.reply("I don't really know where to start.")
    at = teacher_app(app)
    at.button(key=f"test_client_{alex.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hi Alex, what brings you in today?").run()
    assert_clean(at)
    with unit_of_work(app_db) as db:  # another tab
        client_service.set_archived(db, actor=teacher, client_id=alex.id, archived=True)
    words = "Alex, you said your sister called you last night?"
    at.chat_input(key="chat_input").set_value(words).run()
    assert words in everything(at), (
        f"the words typed to Alex are gone without a word; the page says: {everything(at)[-300:]}"
    )


def test_a_draft_principle_at_ten_principles_still_waits_after_one_is_removed(
    app, app_db, teacher, app_api
):
    """A client with ten principles; "Make this a principle" on a finding says "10 principles
    already: replace one with “...”". The teacher does what it says: presses Remove beside one
    principle to make room. The drafted principle was gone (the warning was drawn once, the
    draft popped): now it waits, and takes the place made. (An attack on the day's fixes, 2026-12-07.)"""
    client = add_client(app_db, teacher, name="Alex Rivera", principles=TEN)
    misbehave(app_api, when_student_says="Are you an AI", reply=AI_REPLY)
    judge_answers(app_api, passing_judgement())
    at = run_check(check_from_card(teacher_app(app), client.id))
    buttons = [b for b in at.button if b.key and b.key.startswith("principle_")]
    assert buttons
    buttons[0].click().run()
    assert_clean(at)
    warning = next(w for w in everything(at).split("\n") if "principles already" in w)
    assert "remove one, and the check's draft takes its place" in warning, warning
    at.button(key="remove_principle_9").click().run()
    assert_clean(at)
    in_form = [
        at.text_input(key=f"client_principle_{n}").value
        for n in range(10)
        if f"client_principle_{n}" in at.session_state
    ]
    assert len(in_form) == 10 and in_form[:9] == TEN[:9], in_form  # the draft took the place
    assert "As an AI language model" in in_form[-1], in_form[-1]


def test_words_typed_to_the_only_client_archived_meanwhile_wait_for_its_restore(
    app, app_db, teacher, app_api
):
    """As above; the teacher then restores Alex (Clients) and comes back to Try a client: the
    words typed are not waiting in Alex's chat either (nothing kept them). (An attack on the day's fixes, 2026-12-07.)"""
    from tests.apps.helpers import open_page

    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
    app_api.reply("I don't really know where to start.")
    at = teacher_app(app)
    at.button(key=f"test_client_{alex.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hi Alex, what brings you in today?").run()
    with unit_of_work(app_db) as db:  # another tab
        client_service.set_archived(db, actor=teacher, client_id=alex.id, archived=True)
    words = "Alex, you said your sister called you last night?"
    at.chat_input(key="chat_input").set_value(words).run()
    with unit_of_work(app_db) as db:  # restored
        client_service.set_archived(db, actor=teacher, client_id=alex.id, archived=False)
    at = open_page(at, "Clients")
    at = open_page(at, "Try a client")
    assert_clean(at)
    assert words in everything(at), (
        f"after Alex's restore the words typed are nowhere: {everything(at)[-300:]}"
    )


def test_start_over_from_a_try_ends_only_the_test_chat_it_rewound(app, app_db, teacher, app_api):
    """A test chat (X), "Practise this moment" at its second turn (a try, B). Meanwhile, in
    another tab, the teacher ends X and goes on in a new test chat with Alex (Y). Back in this
    tab, Start over on the try (Yes): `chat_controls._fresh` ends whatever open conversation
    `start_conversation` hands back when it has messages - Y, the other tab's chat, which is not
    the one the try rewound - and the confirmation had said only the try and the conversation it
    comes from would end. (An attack on the day's fixes, 2026-12-07.)"""
    from backend.db import Database
    from backend.practice import conversation_service, session_service

    at, alex, original_id = a_try_of_an_open_test_chat(app, app_db, teacher, app_api)
    database = Database(app_db)  # another tab
    conversation_service.end_conversation(database, actor=teacher, session_id=original_id)
    other = conversation_service.start_conversation(database, actor=teacher, client_id=alex.id)
    conversation_service.send_message(
        database, actor=teacher, session_id=other.id, content="Hello again, Alex."
    )

    at.button(key="start_over").click().run()
    at.button(key="confirm_start_over").click().run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        still = session_service.get_session(db, actor=teacher, session_id=other.id)
    assert still.is_active, (
        f"Start over on the try ended the other tab's test chat {other.id} "
        f"({still.message_count} messages), not the one it rewound ({original_id})"
    )
