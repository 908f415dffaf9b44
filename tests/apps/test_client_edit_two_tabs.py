"""(An attack, 2026-12-06.) Attack: one client edited in two tabs (a teacher's second tab, or a teacher and an admin).
Tab A opens *Edit*; meanwhile tab B adds a principle drafted from a check finding and saves;
then tab A saves its own small change. Tab A's save writes the whole form it loaded earlier, so
B's principle is gone, silently: no message in either tab, and the student's next turn plays a
client without it. (Client memory has exactly this guard: "If the memory is written or saved by
someone else while the teacher types, *Save* says so" - README, Continuing clients.)"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.clients import client_service
from backend.db import unit_of_work
from tests.apps.helpers import APP_PATH, assert_clean, everything, teacher_app, texts
from tests.factories import make_client

PRINCIPLE = "When praised, you doubt that it matters."


def test_a_save_from_a_stale_form_does_not_silently_undo_another_tabs_save(app, app_db, teacher):
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")

    tab_a = teacher_app(app)
    tab_a.button(key=f"edit_client_{client.id}").click().run()
    assert tab_a.text_input(key="client_name").value == "Alex Rivera"

    tab_b = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30))
    tab_b.button(key=f"edit_client_{client.id}").click().run()
    tab_b.button(key="add_principle").click().run()
    tab_b.text_input(key="client_principle_0").input(PRINCIPLE)
    tab_b.button(key="save_client").click().run()
    assert_clean(tab_b)
    with unit_of_work(app_db) as db:
        saved = client_service.get_client(db, actor=teacher, client_id=client.id)
    assert saved.principles == [PRINCIPLE]

    tab_a.text_input(key="client_occupation").input("Head barista")
    tab_a.button(key="save_client").click().run()
    assert_clean(tab_a)

    with unit_of_work(app_db) as db:
        now = client_service.get_client(db, actor=teacher, client_id=client.id)
    warned = any(
        "changed" in message.lower() or "someone else" in message.lower()
        for message in texts(tab_a, "warning") + texts(tab_a, "error")
    )
    assert PRINCIPLE in now.principles or warned, (
        "tab A's save silently removed the principle tab B saved; tab A said: "
        + everything(tab_a)[:300]
    )
