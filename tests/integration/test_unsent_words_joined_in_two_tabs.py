"""An attack on fdaa66f (2026-12-06): past 20 waiting messages a new one joins the last waiting one by changing its
text, but "Send again" takes the words it sent off the list by their text
(`unsent_service.remove`). Words one tab sends again while another tab's refused message joins
the last one are then never taken off: the words already sent stay waiting and are sent a second
time ("words one tab sent again are not sent again from the other", README)."""

from __future__ import annotations

from backend.accounts import account_service, unsent_service
from backend.practice import session_service
from tests.factories import make_classroom


def test_words_sent_again_are_taken_off_though_another_tab_joined_words_to_them(db):
    room = make_classroom(db)
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    token = account_service.start_login_session(db, actor=room.student)  # both tabs' log-in
    keep = dict(actor=room.student, token=token, session_id=session.id)
    for number in range(1, 21):
        unsent_service.add(db, **keep, text=f"Thought number {number}.")

    # Tab 1 presses "Send again": it reads the list and sends all twenty (they fit one message).
    batch = unsent_service.kept(db, **keep)
    # Meanwhile tab 2's message is refused ("wait for the reply" to tab 1's): it joins the last.
    unsent_service.add(db, **keep, text="Are you still there?")
    # Tab 1's message was stored: the twenty it sent come off the list.
    left = unsent_service.remove(db, **keep, sent=batch)

    assert left == ["Are you still there?"], f"words already sent wait to be sent again: {left!r}"
