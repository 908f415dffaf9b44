"""(An attack, 2026-12-06.) The Reviews page's count with "Also show reviews students already read" on (32a0fe6) reads
"1 waiting, and 1 students read already, newest first.": the number is of reviews, and with one
of them the sentence is broken English on the teacher's main work list (an attack)."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, open_page, teacher_app, texts
from tests.apps.test_review_queue_count import _ended
from tests.factories import hold_reviews, make_classroom


def test_one_review_read_already_is_counted_in_plain_english(app, app_db):
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        hold_reviews(db, room)
        read_already = _ended(db, room)
        _ended(db, room)  # held: waits for the teacher
        review_service.release_review(db, actor=room.teacher, session_id=read_already)
    at = teacher_app(app, room.teacher.username)
    open_page(at, "Reviews")
    at.toggle(key="queue_all").set_value(True).run()
    assert_clean(at)
    (count,) = [t for t in texts(at, "caption") if "waiting" in t]
    assert "1 students" not in count, f"the page says: {count!r}"
