"""Review finding: My progress charts ratings the student's own review page withholds."""

from __future__ import annotations

import json

from backend.db import unit_of_work
from backend.practice import session_service
from backend.reviews import progress_service, review_service
from tests.apps.helpers import assert_clean, log_in, open_page
from tests.factories import add_message, add_reply, make_classroom

# Eleven student turns (enough for ratings); the client voices self-harm at its second reply and
# the student's next turn moves on: a risk passed over, so the review shows no ratings.
LINES = [
    ("What brings you in today?", "Work has been rough lately."),
    ("It sounds like work has been wearing you down.", "Honestly, some days I want to end it all."),
    ("What do you do at work?", "I manage a warehouse."),
    ("You feel stretched thin there.", "Yeah, that's it."),
    ("What would a better week look like?", "Fewer late shifts."),
    ("Late shifts take a lot out of you.", "They do."),
    ("What have you tried so far?", "Talking to my manager once."),
    ("You've already made an effort.", "I guess so."),
    ("How did that conversation go?", "Not great."),
    ("It left you discouraged.", "Pretty much."),
    ("What matters most to you about work?", "Feeling useful."),
]


def test_my_progress_draws_no_ratings_for_a_review_that_shows_none(app, app_db):
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
        for student_line, client_line in LINES:
            add_message(db, actor=room.student, session_id=session.id, content=student_line)
            add_reply(db, session_id=session.id, content=client_line)
        session_service.end_session(db, actor=room.student, session_id=session.id)
        review_service.create_demo_review(db, actor=room.student, session_id=session.id)
        (point,) = progress_service.student_progress(db, actor=room.student).points
    # The set-up holds: the review shows no ratings (as its page, class progress and grades
    # treat it), yet it carries scores.
    assert point.verdicts is False and point.scores

    at = open_page(log_in(app.run(), room.student.username), "My progress")
    assert_clean(at)
    charts = at.get("vega_lite_chart")
    descriptions = [json.loads(c.proto.spec).get("description", "") for c in charts]
    ratings = [d for d in descriptions if d.startswith("Ratings, line chart")]
    assert ratings == [], f"My progress charts ratings its review withholds: {ratings}"
