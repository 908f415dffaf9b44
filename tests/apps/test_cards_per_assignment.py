"""The same client on two assignment cards (Week 1, then a continuing Week 3 follow-up): the
Week 3 card's button started, and then continued, a Week 1 conversation (an attack, 2026-12-06)."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.actor import UserRead
from backend.db import unit_of_work
from backend.models import PracticeSession, User
from tests.apps.helpers import APP_PATH, assert_clean, classroom, log_in
from tests.factories import make_assignment


def test_each_card_starts_and_continues_its_own_assignments_conversation(app, app_db):
    student, alex, section = classroom(app_db)
    with unit_of_work(app_db) as db:
        week3 = make_assignment(
            db,
            teacher=UserRead.model_validate(db.get(User, section.teacher_id)),
            section=section,
            clients=[alex],
            title="Week 3 follow-up",
            continuing=True,
        )
    at = log_in(app.run(), "sam.student")
    at.button(key=f"start_{alex.id}_{week3.id}").click().run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        started = db.scalars(select(PracticeSession.assignment_id)).all()
    assert started == [week3.id]

    # Another browser, on the cards: only Week 3's continues.
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "sam.student")
    labels = {button.key: button.label for button in at.button if button.key.startswith("start_")}
    assert labels[f"start_{alex.id}_{week3.id}"] == "Continue conversation", labels
    week1 = next(key for key in labels if key != f"start_{alex.id}_{week3.id}")
    assert labels[week1] == "Start conversation", labels
