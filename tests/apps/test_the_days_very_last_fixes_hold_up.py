"""The day's very last fixes hold up on the pages: Start over from a try of a try, and a failed
reply's notice only while its message waits (an attack on the day's fixes, 2026-12-07)."""

from __future__ import annotations

from backend.db import Database, unit_of_work
from backend.practice import conversation_service, session_service
from tests.apps.helpers import (
    assert_clean,
    classroom,
    hand_over_to_the_fragment_soon,
    log_in,
    start_button,
    texts,
)
from tests.apps.test_test_chat_and_check_page_hold_up import a_try_of_an_open_test_chat


def test_start_over_from_a_try_of_a_try_starts_a_new_test_chat(app, app_db, teacher, app_api):
    """A test chat X; "Practise this moment" at its second turn (try B1); in B1, the teacher
    answers and presses "Practise this moment" under their own turn in it (try B2, a try of B1).
    Start over, "Yes, start over" ("This ends this try of the moment and the test conversation
    it comes from"). `chat_controls._fresh` ends what `start_conversation` hands back only when
    it is the chat the try rewound (B1); it hands back X, the old test chat, which is shown again
    with all its messages instead of a new conversation. (An attack on the day's fixes, 2026-12-07.)"""
    at, _alex, original_id = a_try_of_an_open_test_chat(app, app_db, teacher, app_api)
    first_try = at.session_state["test_session_id"]
    at.chat_input(key="chat_input").set_value("What about work weighs on you?").run()
    assert_clean(at)
    at.button(key=f"practise_test_{first_try}_3").click().run()
    assert_clean(at)
    second_try = at.session_state["test_session_id"]
    assert second_try not in (original_id, first_try)

    at.button(key="start_over").click().run()
    at.button(key="confirm_start_over").click().run()
    assert_clean(at)
    shown = at.session_state["test_session_id"]
    with unit_of_work(app_db, write=False) as db:
        session = session_service.get_session(db, actor=teacher, session_id=shown)
    assert shown not in (original_id, first_try, second_try) and session.message_count == 0, (
        f"Start over on a try of a try shows conversation {shown} (the old test chat is "
        f"{original_id}) with {session.message_count} messages, not a new one"
    )


def test_a_notice_from_an_answered_message_is_not_shown_while_the_next_reply_is_on_its_way(
    app, app_db, app_api, monkeypatch
):
    """The student's first reply fails (overloaded): the notice and Retry. In another tab the
    reply to that message arrives (Retry there), and the student sends the next message there;
    its reply is on its way. Back in this tab: "Alex is answering…" - and beside it, the first
    message's old notice with its Retry, though nothing failed. (The notice is kept in the
    browser session for the conversation, not for the message it was about: the run that saw
    the message answered left it standing.) (An attack on the day's fixes, 2026-12-07.)"""
    hand_over_to_the_fragment_soon(monkeypatch)
    student, alex, _section = classroom(app_db)
    app_api.overloaded(times=1)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("What brings you in?").run()
    assert_clean(at)
    assert at.button(key="retry_reply"), "no Retry after the failure"
    notice = texts(at, "warning")
    with unit_of_work(app_db, write=False) as db:
        session_id = session_service.get_active_session(db, actor=student, client_id=alex.id).id

    database = Database(app_db)  # another tab: Retry there, then the next message
    app_api.reply("Work has been a lot lately.")
    conversation_service.request_reply(database, actor=student, session_id=session_id).wait()
    app_api.hang(30)
    conversation_service.submit_message(
        database, actor=student, session_id=session_id, content="Tell me more about work."
    )
    try:
        at.run()  # this tab, drawn again
        assert_clean(at)
        stale = [w for w in texts(at, "warning") if w in notice]
        assert not stale and not [b for b in at.button if b.key == "retry_reply"], (
            f"the answered message's notice {stale} and its Retry stand beside {texts(at, 'info')}"
        )
    finally:
        app_api.release()
