"""Open pages cost the server nothing while nobody acts on them (issue 21).

A fragment with `run_every` makes the browser ask for a rerun on a timer: the session time's
fragment did every 15 s, so 20 idle open conversations kept a quarter of a core busy. The running
session time is counted in the browser now, and polling for work done elsewhere backs off.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

from backend.db import unit_of_work
from backend.practice import session_service
from mvp import job_view
from tests.apps.helpers import assert_clean, classroom, everything, log_in, start_button, texts


@pytest.fixture
def timed_reruns(monkeypatch) -> list[float]:
    """The pauses of every timed rerun (`st.fragment(run_every=...)`) the runs asked for."""
    asked: list[float] = []
    enqueue = ForwardMsgQueue.enqueue

    def recording(queue, msg):
        if msg.WhichOneof("type") == "auto_rerun":
            asked.append(msg.auto_rerun.interval)
        return enqueue(queue, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)
    return asked


def test_an_open_conversation_asks_for_no_timed_rerun_and_its_clock_runs_in_the_browser(
    app, app_db, timed_reruns
):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("Hello there.").run()  # the demo client answers
    at.run()  # and the student thinks
    assert_clean(at)
    assert timed_reruns == []
    [caption] = [text for text in texts(at, "caption") if "Session time: " in text]
    assert caption.endswith(("0m 00s", "0m 01s", "0m 02s"))  # as the run drew it
    [clock] = [element.value for element in at.html if "setInterval" in element.value]
    assert "Session time: " in clock and ".st-key-session_time" in clock


def test_a_reply_written_elsewhere_is_polled_less_and_less_often(app, app_db, timed_reruns):
    student, _alex, _section = classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    chat_id = int(at.query_params["c"])
    with unit_of_work(app_db) as db:  # another process: the message, then its claim
        session = session_service.lock_for_turn(db, actor=student, session_id=chat_id)
        message = session_service.append_message(db, session, "How are you?")
        session_service.claim_reply(
            db, session_id=session.id, seconds=60, reserve_tokens=0, reserve_cost=Decimal(0)
        )
    at.run()
    assert_clean(at)
    assert "Alex Rivera is answering" in everything(at)
    assert timed_reruns == [1.0]  # at first every second: most replies land within seconds

    waited = job_view._SINCE_KEY.format(f"reply_{chat_id}_{message.id}")
    at.session_state[waited] = time.monotonic() - 20  # 20 s into the wait
    at.run()
    assert timed_reruns == [1.0, 8.0]


def test_polling_backs_off_from_every_second_to_every_ten():
    waits = [0, 3.9, 4, 7.9, 8, 16, 31.9, 32, 600]
    assert [job_view.poll_seconds(waited) for waited in waits] == [1, 1, 2, 2, 4, 8, 8, 10, 10]
