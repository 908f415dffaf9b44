"""(An attack, 2026-12-06.) (Attack S, 2026-12-06.) The review editor's stale-form check (`over=`), from the teacher's side.

README/commit e7bb6ba: a version someone else saved since the form opened is never overwritten
unseen: Save says so, "your changes are still in the form", and a second Save replaces theirs.
"""

from __future__ import annotations

from backend.db import unit_of_work
from backend.models.enums import Role
from backend.reviews import review_service, teacher_review_service
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app
from tests.apps.test_reviews_app import _waiting_review
from tests.factories import make_user


def _admin_saves(app_db, session_id, change) -> None:
    with unit_of_work(app_db) as db:
        admin = make_user(db, username="ada.admin", role=Role.admin)
        model = review_service.get_review(db, actor=admin, session_id=session_id)
        edits = model.content.model_dump(exclude={"demo"})
        change(edits)
        teacher_review_service.save_teacher_review(
            db, actor=admin, session_id=session_id, edits=edits
        )


def test_a_second_save_after_a_conflict_keeps_each_comment_on_its_turn(app, app_db, teacher):
    """The teacher rewrites the comments of the strengths in their form. Meanwhile an admin saves
    a version without the first strength (emptied, so dropped). The teacher's Save is refused
    ("your changes are still in the form: press Save again to replace theirs"); they press Save
    again. The saved version pins the teacher's comment on one turn under another turn's quote,
    and the teacher's last strength is gone: the form's boxes are matched by position against
    the admin's shorter list."""
    session_id, _student = _waiting_review(app_db, teacher)
    at = open_page(teacher_app(app), "Reviews")
    with unit_of_work(app_db) as db:
        model = review_service.get_review(db, actor=teacher, session_id=session_id).content
    assert len(model.strengths) >= 2, model.strengths
    mine = {}
    for index, item in enumerate(model.strengths):
        text = f"Mine about turn {item.turn} ({index})."
        mine[item.turn] = text
        at.text_area(key=f"strength_{session_id}_{index}").input(text)

    def drop_first(edits):
        edits["strengths"] = edits["strengths"][1:]

    _admin_saves(app_db, session_id, drop_first)
    at.button(key="save_review").click().run()
    assert "changed by someone else" in everything(at)
    at.button(key="save_review").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        final = review_service.get_review(db, actor=teacher, session_id=session_id)
    saved = [(s.turn, s.comment) for s in final.teacher_content.strengths]
    wrong = [(turn, comment) for turn, comment in saved if mine.get(turn) != comment]
    assert not wrong and len(saved) == len(mine), (
        f"after 'press Save again to replace theirs' the strengths saved are {saved}; the "
        f"teacher's form had {sorted(mine.items())}"
    )


def test_coming_back_to_the_reviews_page_does_not_call_the_version_it_shows_someone_elses(
    app, app_db, teacher
):
    """The teacher opens a review, goes to another page (Clients), and comes back: the form now
    starts from the version an admin saved meanwhile (its goal is in the box). The teacher adds
    to that goal and presses Save: refused, 'changed by someone else since you opened it', about
    the very version the form shows."""
    session_id, _student = _waiting_review(app_db, teacher)
    at = open_page(teacher_app(app), "Reviews")
    assert at.selectbox(key="review_session_id").value == session_id
    open_page(at, "Clients")

    def goal(edits):
        edits["goal"] = "The admin's goal."

    _admin_saves(app_db, session_id, goal)
    open_page(at, "Reviews")
    assert_clean(at)
    shown = at.text_area(key=f"goal_{session_id}").value
    at.text_area(key=f"goal_{session_id}").input(f"{shown} And mine.")
    at.button(key="save_review").click().run()
    told = everything(at)
    refused = [line for line in told.splitlines() if "changed by someone else" in line]
    assert not (shown == "The admin's goal." and refused), (
        f"the form showed the admin's goal {shown!r}, yet Save says: {refused[0]}"
    )


def test_a_version_an_admin_saved_is_not_called_the_teachers_own(app, app_db, teacher):
    """An admin saved a version of the review; the teacher opens it on the Reviews page. It had
    read "Your version, saved ...", so a teacher took another's edits for their own."""
    session_id, _student = _waiting_review(app_db, teacher)
    _admin_saves(app_db, session_id, lambda edits: None)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    captions = [caption.value for caption in at.caption]
    assert not [text for text in captions if text.startswith("Your version")], captions
    assert [text for text in captions if text.startswith("A version someone else saved")], captions

    at.button(key="save_review").click().run()  # the teacher saves it as their own
    assert_clean(at)
    assert [caption.value for caption in at.caption if caption.value.startswith("Your version")]


def test_the_queue_does_not_call_an_admins_saved_version_the_teachers_changes(app, app_db, teacher):
    """The panel said "A version someone else saved", but the queue's label above it still
    read "your changes are not released yet". (An attack, 2026-12-07.)"""
    session_id, _student = _waiting_review(app_db, teacher)
    _admin_saves(app_db, session_id, lambda edits: None)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    label = at.selectbox(key="review_session_id").format_func(session_id)
    assert "your changes" not in label and "someone else's changes" in label, label

    at.button(key="save_review").click().run()  # the teacher saves it as their own
    assert_clean(at)
    label = at.selectbox(key="review_session_id").format_func(session_id)
    assert "your changes are not released yet" in label, label
