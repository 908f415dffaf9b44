"""A stale tab's Publish never publishes clients its card did not show (a review of the day's
fixes, 2026-12-07)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.classes import assignment_service
from backend.db import unit_of_work
from tests.apps.helpers import APP_PATH, assert_clean, everything, open_page, teacher_app, texts
from tests.factories import make_assignment, make_client, make_section


def _stored(app_db, teacher, assignment_id):
    with unit_of_work(app_db, write=False) as db:
        return assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment_id)


def test_publish_in_a_stale_tab_does_not_publish_clients_its_card_never_showed(
    app, app_db, teacher
):
    """Tab A shows the draft "Week 1" with Alex. Tab B swaps Alex for Blake and saves. Tab A,
    whose clients box nobody touched, presses *Publish*: `_store_chosen_clients` sees the box as
    it started ([Alex] == [Alex]) and stores nothing, so the assignment is published with Blake
    alone, and tab A says only "Published ... students in the section can now practise" while
    its card still showed Alex. The comment above the call promises the opposite: "unless
    another tab changed them meanwhile: then nothing is published, and the card shows them". (A review of the day's fixes, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        blake = make_client(db, teacher=teacher, name="Blake Chen")
        section = make_section(db, teacher=teacher, name="Skills 101")
        week = make_assignment(
            db, teacher=teacher, section=section, clients=[alex], title="Week 1", published=False
        )
    key = f"assignment_clients_{week.id}"
    tab_a = open_page(teacher_app(app), "Sections & assignments")
    assert tab_a.multiselect(key=key).value == [alex.id]

    tab_b = open_page(
        teacher_app(AppTest.from_file(APP_PATH, default_timeout=30)), "Sections & assignments"
    )
    tab_b.multiselect(key=key).unselect(alex.id).select(blake.id)
    tab_b.run()
    tab_b.button(key=f"save_assignment_clients_{week.id}").click().run()
    assert_clean(tab_b)
    assert _stored(app_db, teacher, week.id).client_ids == [blake.id]

    tab_a.button(key=f"publish_assignment_{week.id}").click().run()
    assert_clean(tab_a)
    if f"publish_anyway_{week.id}" in [button.key for button in tab_a.button]:
        tab_a.button(key=f"publish_anyway_{week.id}").click().run()  # unchecked clients: asked
        assert_clean(tab_a)

    stored = _stored(app_db, teacher, week.id)
    warned = " ".join(texts(tab_a, "warning")).lower()
    assert str(stored.status) != "published" or "changed elsewhere" in warned, (
        f"published with {stored.client_ids} (Blake) from a card that showed [Alex]; tab A said: "
        f"{everything(tab_a)[:300]}"
    )
