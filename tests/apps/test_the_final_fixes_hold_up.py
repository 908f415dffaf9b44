"""The final fixes hold up: a failed reply's notice while that reply is on its way again, Start
over from a try asking first, the Budgets tab with no allowances (an attack on the day's fixes,
2026-12-07)."""

from __future__ import annotations

from backend.config import get_settings
from backend.db import Database, unit_of_work
from backend.practice import conversation_service, session_service
from tests.apps.helpers import (
    assert_clean,
    classroom,
    everything,
    hand_over_to_the_fragment_soon,
    log_in,
    start_button,
    texts,
)
from tests.apps.test_admin_app import admin, admin_app, open_tab  # noqa: F401 (a fixture)
from tests.apps.test_test_chat_and_check_page_hold_up import a_try_of_an_open_test_chat


def test_a_failed_replys_notice_is_not_shown_while_that_same_reply_is_on_its_way(
    app, app_db, app_api, monkeypatch
):
    """The first reply fails (overloaded): "... Press Retry." and Retry. The same message is
    asked again elsewhere (another tab's Retry, or this tab's Retry whose run was cut short by a
    click): its reply is on its way. This tab drawn again shows "Alex is answering…" and beside
    it the old notice telling the student the reply did not arrive, with Retry.
    `chat._Turn._notice_now` drops the notice only when its message is no longer the last; it
    does not look at `view.reply_pending`. (An attack on the day's fixes, 2026-12-07.)"""
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

    app_api.hang(30)  # the same message asked again elsewhere: its reply is on its way
    conversation_service.request_reply(Database(app_db), actor=student, session_id=session_id)
    try:
        at.run()
        assert_clean(at)
        answering = [i for i in texts(at, "info") if "is answering" in i]
        stale = [w for w in texts(at, "warning") if w in notice]
        retry = [b for b in at.button if b.key == "retry_reply"]
        assert not (answering and (stale or retry)), (
            f"{answering} and, beside it, the notice {stale} with Retry={bool(retry)}"
        )
    finally:
        app_api.release()


def test_no_nobody_is_close_when_no_allowance_is_set(
    app,
    app_db,
    admin,  # noqa: F811 (the fixture)
    monkeypatch,
):
    """USER_DAILY_TOKEN_BUDGET=0 and CHECK_DAILY_TOKEN_BUDGET=0: the tab says there is no
    per-user budget and no check allowance, then "Nobody is close to their daily limit. Users who
    pass 80% of one today are listed here" - there is no limit to be close to, nobody can ever be
    listed. (`figures_budgets.user_budget` returned after the caption before 2b3e034.) (An attack on the day's fixes, 2026-12-07.)"""
    monkeypatch.setenv("USER_DAILY_TOKEN_BUDGET", "0")
    monkeypatch.setenv("CHECK_DAILY_TOKEN_BUDGET", "0")
    get_settings.cache_clear()
    at = admin_app(app)
    open_tab(at, "Budgets")
    assert_clean(at)
    page = everything(at)
    assert "No per-user token budget is set" in page, page
    assert "Nobody is close to their daily limit" not in page, page


def _still_open(app_db, teacher, session_id: int) -> bool:
    with unit_of_work(app_db, write=False) as db:
        return session_service.get_session(db, actor=teacher, session_id=session_id).is_active


def test_start_over_from_an_ended_try_asks_before_ending_the_open_test_chat(
    app, app_db, teacher, app_api
):
    """A test chat X with two turns, still open. "Practise this moment" at turn 3 (a try);
    the teacher ends the try (End conversation; the focus moves to Start over) and presses Start
    over. No question is asked (`end_and_start_over` asks only while the try itself is open
    with messages), yet `chat_controls._fresh` ends X, the open test chat the try rewound, with
    all its turns: it can no longer be continued. The question "This ends this try of the
    moment and the test conversation it comes from" is never shown. (An attack on the day's fixes, 2026-12-07.)"""
    at, _alex, original_id = a_try_of_an_open_test_chat(app, app_db, teacher, app_api, turn=3)
    at.button(key="end_conversation").click().run()
    assert_clean(at)
    at.button(key="start_over").click().run()
    assert_clean(at)
    asked = [w for w in texts(at, "warning") if w.startswith("Start over?")]
    assert asked or _still_open(app_db, teacher, original_id), (
        f"the open test chat {original_id} was ended by Start over with no question asked"
    )


def test_start_over_from_an_untouched_try_of_the_first_turn_asks_first(
    app, app_db, teacher, app_api
):
    """ "Practise this moment" under the teacher's first turn: the try has no messages (none
    come before turn 1). Start over there asks nothing (`view.messages` is empty) and ends the
    open test chat X it rewinds, two turns and all. (An attack on the day's fixes, 2026-12-07.)"""
    at, _alex, original_id = a_try_of_an_open_test_chat(app, app_db, teacher, app_api, turn=1)
    at.button(key="start_over").click().run()
    assert_clean(at)
    asked = [w for w in texts(at, "warning") if w.startswith("Start over?")]
    assert asked or _still_open(app_db, teacher, original_id), (
        f"the open test chat {original_id} was ended by Start over with no question asked"
    )
