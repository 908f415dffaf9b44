"""A teacher corrects the automatic risk check in their version of a review: a false alarm taken
out no longer shows the student the red box, and a flag the student did answer says so (an
attack, 2026-12-07)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.reviews import review_service
from tests.apps.helpers import APP_PATH, assert_clean, everything, log_in, open_page, teacher_app
from tests.apps.test_reviews_app import _waiting_review

FIGURE_OF_SPEECH = [
    ("What brings you in today?", "Work. Some days I could kill my boss, he is impossible."),
    *[("What else is going on?", "The usual, really.")] * 9,  # ten turns: rated
]


def rewrite_what_rests_on_the_risk(at, session_id: int) -> None:
    """The ratings' reasons, the suggestions' whys and the goal written again: the automatic
    ones rest on the flag the teacher took out (a release keeping them is refused)."""
    for box in at.text_area:
        if str(box.key).startswith((f"reasoning_{session_id}_", f"why_{session_id}_")):
            box.input("Read again: open questions and reflections.")
    at.text_area(key=f"goal_{session_id}").input("Reflect before each question next time.")


def _student_reads(session_id: int) -> str:
    sam = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "sam.student")
    sam = open_page(sam, "My sessions")
    sam.session_state[f"my_session_{session_id}"] = True
    sam.run()
    assert_clean(sam)
    return everything(sam)


def test_a_teacher_takes_out_a_false_alarm_and_the_student_reads_no_risk(app, app_db, teacher):
    """The offline risk check flags "I could kill my boss" (its phrases are broad on purpose) as
    passed over: the student reads a red "Risk passed over" box and gets no ratings. The
    teacher's editor copied the flag into their version with no way to correct it, so a
    teacher who knew it for a figure of speech could only release the red box. (An attack,
    2026-12-07.)"""
    session_id, _sam = _waiting_review(app_db, teacher, FIGURE_OF_SPEECH)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    assert "Risk passed over" in everything(at)  # the flag, before the teacher's word
    at.radio(key=f"risk_{session_id}_0").set_value("none")
    rewrite_what_rests_on_the_risk(at, session_id)
    at.button(key="release_review").click().run()
    assert_clean(at)
    assert "Released" in everything(at)
    shown = _student_reads(session_id)
    assert "Reviewed by your teacher" in shown
    assert "Risk passed over" not in shown, shown


def test_a_teacher_marks_a_flag_answered(app, app_db, teacher):
    """A flag the student did answer (in words the check did not know) is marked answered: the
    student reads no red box, and the teacher's version says it was answered. (An attack,
    2026-12-07.)"""
    session_id, _sam = _waiting_review(app_db, teacher, FIGURE_OF_SPEECH)
    at = open_page(teacher_app(app), "Reviews")
    at.radio(key=f"risk_{session_id}_0").set_value("answered")
    rewrite_what_rests_on_the_risk(at, session_id)
    at.button(key="release_review").click().run()
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        review = review_service.get_review(db, actor=teacher, session_id=session_id)
    final = review.final_content
    assert final is not None and [item.responded for item in final.risk] == [True]
    assert "Risk passed over" not in _student_reads(session_id)
