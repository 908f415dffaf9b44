"""The Reviews page counts its queue "N waiting, newest first." (attacks, 2026-12-06). With the
toggle that also shows reviews students already read on, the list adds reviews that wait for
nobody, and the count said they all wait: one held review and one already released read
"2 waiting", then "1 waiting, and 1 students read already"."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.practice import session_service
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, open_page, teacher_app, texts
from tests.factories import add_message, add_reply, hold_reviews, make_classroom
from tests.integration.test_reviews import LINES


def _ended(db, room):
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    for student_line, client_line in LINES:
        add_message(db, actor=room.student, session_id=session.id, content=student_line)
        add_reply(db, session_id=session.id, content=client_line)
    session_service.end_session(db, actor=room.student, session_id=session.id)
    review_service.create_demo_review(db, actor=room.student, session_id=session.id)
    return session.id


def test_the_queue_count_counts_only_reviews_that_wait(app, app_db):
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        hold_reviews(db, room)
        read_already = _ended(db, room)
        _ended(db, room)  # held: waits for the teacher
        review_service.release_review(db, actor=room.teacher, session_id=read_already)
    at = teacher_app(app, room.teacher.username)
    open_page(at, "Reviews")
    assert_clean(at)
    assert "1 waiting, newest first." in texts(at, "caption")
    at.toggle(key="queue_all").set_value(True).run()
    assert_clean(at)
    assert len(at.selectbox(key="review_session_id").options) == 2
    counts = [t for t in texts(at, "caption") if "waiting" in t]
    # One waits, one the student reads already (not "2 waiting", nor "1 students").
    assert counts == ["1 waiting, and 1 review students read already, newest first."], counts
