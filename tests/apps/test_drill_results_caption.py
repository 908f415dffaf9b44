"""(An attack, 2026-12-06.) The teacher's drill *Results* explain "Items hit: items with at least one hit." README (and the
service) count an item as hit only if its latest attempt hit, as the student's own list does. A
student who hit an item and then missed it on a retry has "Items hit 0" in the table while the
caption under it tells the teacher that column counts items with at least one hit (this one had
one): the teacher reads the 0 as "never hit"."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.drills import attempt_service
from tests.apps.helpers import assert_clean, open_page, teacher_app, texts
from tests.factories import make_classroom
from tests.integration.test_drill_results import CLOSED, OPEN, _assigned_set


def test_the_caption_says_how_items_hit_are_counted(app, app_db):
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        drill_set = _assigned_set(db, room)
        first = drill_set.items[0].id
        for reply in (OPEN, CLOSED):  # a hit, then a retry that misses
            attempt_service.answer_item(
                db, actor=room.student, set_id=drill_set.id, item_id=first, reply=reply
            )
    at = teacher_app(app, room.teacher.username)
    open_page(at, "Drill sets")
    at.session_state["drill_results_section"] = room.section.id
    at.run()
    assert_clean(at)
    (table,) = at.dataframe
    (row,) = table.value.to_dict("records")
    assert (row["Attempts"], row["Hit rate"], row["Items tried"]) == (2, "50%", 1)
    assert row["Items hit"] == 0  # README: hit at its latest attempt
    captions = [c for c in texts(at, "caption") if "Items hit" in c]
    assert captions, "the Results table has no explanation of Items hit"
    wrong = [c for c in captions if "at least one hit" in c]
    assert not wrong, f"the table shows Items hit 0 for an item hit once, under the caption {wrong}"
