"""My progress (student) and Class progress (teacher): empty states, charts, tables, the CSV."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.models import SessionReview
from backend.models.enums import Role
from backend.practice import session_service
from backend.reviews import review_service
from backend.utils.markdown import as_typed
from tests.apps.helpers import APP_PATH, assert_clean, everything, log_in, open_page, texts
from tests.factories import add_message, add_reply, enroll, make_classroom, make_user

LINES = [
    ("What brings you in today?", "Work has been rough lately."),
    ("It sounds like work has been wearing you down.", "Yeah. I don't know what to do."),
    ("You should talk to your boss.", "Maybe."),
]


def reviewed_classroom(app_db, *, sessions: int = 2):
    """A classroom whose student ended `sessions` conversations, each with its demo review."""
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        for _ in range(sessions):
            session = session_service.create_session(
                db, actor=room.student, client_id=room.client.id
            )
            for student_line, client_line in LINES:
                add_message(db, actor=room.student, session_id=session.id, content=student_line)
                add_reply(db, session_id=session.id, content=client_line)
            session_service.end_session(db, actor=room.student, session_id=session.id)
            review_service.create_demo_review(db, actor=room.student, session_id=session.id)
    return room


def test_my_progress_says_what_to_do_before_any_review(app, app_db):
    with unit_of_work(app_db) as db:
        make_user(db, username="new.student")
    at = open_page(log_in(app.run(), "new.student"), "My progress")
    assert_clean(at)
    assert "My progress" in texts(at, "title")
    assert "No reviewed sessions yet. Finish a conversation on the **Practice** page" in (
        everything(at)
    )
    assert not at.get("vega_lite_chart")


def test_my_progress_draws_charts_and_collects_try_instead_items(app, app_db):
    room = reviewed_classroom(app_db)
    at = open_page(log_in(app.run(), room.student.username), "My progress")
    assert_clean(at)
    assert {"Ratings", "Indicators", "Try instead"} <= set(texts(at, "subheader"))
    assert "2 reviewed sessions, all by the automatic demo review" in everything(at)
    # Three-turn sessions: no ratings (said so), the counted indicators are charted.
    assert "No ratings yet: a session needs at least 10 of your turns" in everything(at)
    assert len(at.get("vega_lite_chart")) >= 2  # indicators
    assert f"You said: {as_typed('You should talk to your boss.')}" in everything(at)


def test_class_progress_without_sections_or_reviews_says_what_next(app, app_db):
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username="new.teacher")
    at = open_page(log_in(app.run(), "new.teacher"), "Class progress")
    assert_clean(at)
    assert "No sections yet. Create one on **Sections & assignments**" in everything(at)

    with unit_of_work(app_db) as db:
        room = make_classroom(db)
    fresh = AppTest.from_file(APP_PATH, default_timeout=30)
    at = open_page(log_in(fresh.run(), room.teacher.username), "Class progress")
    assert_clean(at)
    assert "No reviewed sessions here yet." in everything(at)
    assert teacher.username == "new.teacher"


def test_class_progress_shows_the_distribution_below_fair_and_the_gradebook(app, app_db, downloads):
    room = reviewed_classroom(app_db)
    with unit_of_work(app_db) as db:
        other = make_user(db, display_name="=cmd|' /C calc'!A0")
        enroll(db, section=room.section, student=other)
    at = open_page(log_in(app.run(), room.teacher.username), "Class progress")
    assert_clean(at)
    assert {"Scores per criterion", "Below fair"} <= set(texts(at, "subheader"))
    # Session counts: whole numbers on the axis (issue 22, item 13).
    chart = next(c for c in at.get("vega_lite_chart") if "Sessions" in c.proto.spec)
    axis = json.loads(chart.proto.spec)["encoding"]["y"]["axis"]
    assert axis["tickMinStep"] == 1 and axis["format"] == "d"
    assert at.selectbox(key="progress_section").value == room.section.id
    distribution = next(f.value for f in at.dataframe if "Mean" in f.value.columns)
    assert len(distribution) == 6  # micro-skills
    # Demo reviews of three-turn sessions count for nothing: no averages, no below-fair list.
    assert (distribution[["1", "2", "3", "4", "5"]].sum(axis=1) == 0).all()
    assert distribution["Mean"].isna().all()
    assert "No session here counts for verdicts yet" in everything(at)
    assert "2 left out of the averages and the below-fair list" in everything(at)

    assert "Download sessions (CSV)" in [button.label for button in at.get("download_button")]
    rows = list(csv.DictReader(io.StringIO(downloads["sessions_csv"])))
    assert len(rows) == 2 and {row["student"] for row in rows} == {room.student.display_name}
    assert all(row["assignment"] == room.assignment.title for row in rows)

    at.selectbox(key=f"progress_assignment_{room.section.id}").select(room.assignment.id).run()
    assert_clean(at)
    assert "2 reviewed sessions" in everything(at)


def test_class_progress_offers_grades_for_canvas_or_moodle_by_the_teachers_rule(
    app, app_db, downloads
):
    room = reviewed_classroom(app_db)
    # Both demo reviews made real ones of sessions long enough for ratings: 4 of 5, then 2 of 5.
    with unit_of_work(app_db) as db:
        for review, score in zip(
            db.scalars(select(SessionReview).order_by(SessionReview.id)), (4, 2), strict=True
        ):
            scores = [{"criterion": "empathy", "score": score, "turns": [1]}]
            db.execute(
                update(SessionReview)
                .where(SessionReview.id == review.id)
                .values(
                    content=review.content | {"demo": False, "scores": scores},
                    indicators=review.indicators | {"enough_evidence": True},
                )
            )
    at = open_page(log_in(app.run(), room.teacher.username), "Class progress")
    assert_clean(at)
    assert "Grades for your LMS" in texts(at, "subheader")
    assert "Download grades (CSV)" in [button.label for button in at.get("download_button")]
    assert at.radio(key="grade_rule").options == [
        "Latest released review",
        "Best released review",
        "Mean of released reviews",
    ]
    canvas = list(csv.reader(io.StringIO(downloads["grades_csv"])))
    assert canvas[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Notes",
        room.assignment.title,
    ]
    assert canvas[1][0] == "Points Possible" and float(canvas[1][6]) == 100.0
    assert len(canvas) == 3 and canvas[2][0] == room.student.display_name
    assert float(canvas[2][6]) == 40.0 and canvas[2][5] == "model"  # the latest, by default

    at.radio(key="grade_rule").set_value("Best released review").run()
    at.radio(key="grade_lms").set_value("Moodle").run()
    assert_clean(at)
    (row,) = csv.DictReader(io.StringIO(downloads["grades_csv"]))
    assert row["Username"] == room.student.username
    assert float(row[f"{room.assignment.title} (out of 100)"]) == 80.0
    assert row["Figures from"] == "model"
