"""(An attack, 2026-12-06.) Attack E: the teacher's version of a review after it was released, and two people editing it.

README ("Teachers have the last word"): "Release to student makes it what the student reads,
marked 'Reviewed by your teacher'; saving after that updates it at once."
"""

from __future__ import annotations

from backend.db import unit_of_work
from backend.models.enums import Role
from backend.reviews import review_service, teacher_review_service
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app
from tests.apps.test_reviews_app import _waiting_review
from tests.factories import make_user

ADMIN_GOAL = "Name the feeling before you ask anything."
TEACHER_GOAL = "Reflect before every question."


def _goal_keys(at, session_id: int) -> list[str]:
    return [area.key for area in at.text_area if area.key == f"goal_{session_id}"]


def test_a_released_version_can_be_opened_again_to_correct_it(app, app_db, teacher):
    """A teacher releases their version, then notices a typo in the goal. README promises that
    "saving after that updates it at once", but the Reviews page (the only place with the
    editor) drops the review from its queue for good once the teacher's version is released,
    even with "Also show reviews students already read without my review" switched on: the
    teacher has no way to correct what the student reads."""
    session_id, _student = _waiting_review(app_db, teacher)
    at = open_page(teacher_app(app), "Reviews")
    at.text_area(key=f"goal_{session_id}").input("Reflect befor every qustion.")  # typos
    at.button(key="release_review").click().run()
    assert_clean(at)
    assert "Released" in everything(at)

    at.toggle(key="queue_all").set_value(True).run()
    assert_clean(at)
    assert _goal_keys(at, session_id), (
        "after release the teacher cannot open the review again to correct it; the page says: "
        + " | ".join(line for line in everything(at).splitlines() if "review" in line.lower())[:300]
    )


def test_saving_a_stale_page_after_a_release_is_not_called_a_draft(app, app_db, teacher):
    """The teacher has the Reviews page open; meanwhile an admin saves and releases a version
    of the same review. The teacher (page not reloaded) edits a score and presses *Save* (not
    *Release*): the page tells them "Saved your version. Release it when it is ready." although
    the student already reads that text, at once."""
    session_id, student = _waiting_review(app_db, teacher)
    with unit_of_work(app_db) as db:
        admin = make_user(db, username="ada.admin", role=Role.admin)
    at = open_page(teacher_app(app), "Reviews")
    assert at.selectbox(key="review_session_id").value == session_id

    with unit_of_work(app_db) as db:  # the admin, in another browser
        model = review_service.get_review(db, actor=admin, session_id=session_id)
        edits = model.content.model_dump(exclude={"demo"})
        edits["goal"] = ADMIN_GOAL
        teacher_review_service.save_teacher_review(
            db, actor=admin, session_id=session_id, edits=edits
        )
        review_service.release_review(db, actor=admin, session_id=session_id)

    at.text_area(key=f"goal_{session_id}").input(TEACHER_GOAL)
    at.button(key="save_review").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        seen = review_service.get_review(db, actor=student, session_id=session_id)
    told = everything(at)
    student_reads_it = seen.content.goal == TEACHER_GOAL
    assert not (student_reads_it and "Release it when it is ready" in told), (
        "the student reads the teacher's just-saved text at once, yet the teacher was told: "
        + next(line for line in told.splitlines() if "Release it when" in line)
    )


def test_a_colleagues_saved_version_is_not_silently_overwritten(app, app_db, teacher):
    """Teacher and admin edit the same held review. The admin saves a version with their goal;
    the teacher, whose page was open before, changes only the empathy score and saves. The
    admin's goal is gone without a word to either of them (the teacher's page never showed it:
    its form kept the model's text, while its caption says "Your version, saved ...")."""
    session_id, _student = _waiting_review(app_db, teacher)
    with unit_of_work(app_db) as db:
        admin = make_user(db, username="ada.admin", role=Role.admin)
    at = open_page(teacher_app(app), "Reviews")
    model_goal = at.text_area(key=f"goal_{session_id}").value

    with unit_of_work(app_db) as db:  # the admin saves a version (not released)
        model = review_service.get_review(db, actor=admin, session_id=session_id)
        edits = model.content.model_dump(exclude={"demo"})
        edits["goal"] = ADMIN_GOAL
        teacher_review_service.save_teacher_review(
            db, actor=admin, session_id=session_id, edits=edits
        )

    at.run()  # any rerun of the teacher's page (a click elsewhere) reads the review again
    assert_clean(at)
    shown_goal = at.text_area(key=f"goal_{session_id}").value
    at.number_input(key=f"score_{session_id}_empathy").set_value(2)
    at.button(key="save_review").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        final = review_service.get_review(db, actor=teacher, session_id=session_id)
    told = everything(at)
    assert final.teacher_content.goal == ADMIN_GOAL or "changed" in told.lower(), (
        f"the admin's saved goal {ADMIN_GOAL!r} was overwritten with {final.teacher_content.goal!r}"
        f" (the teacher's form showed {shown_goal!r}, the model's {model_goal!r}); nobody was told"
    )
