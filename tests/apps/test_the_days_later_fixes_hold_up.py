"""The day's later fixes hold up on the pages: a teacher's risk flags, what a flag taken out leaves,
and an assignment's details saved over another tab's (an attack on the day's fixes, 2026-12-07)."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app
from tests.apps.test_reviews_app import _waiting_review
from tests.apps.test_teacher_corrects_a_risk_flag import rewrite_what_rests_on_the_risk

TWO_FLAGS = [
    ("What brings you in today?", "Work. Some days I could kill my boss, he is impossible."),
    ("What else is going on?", "Some nights I think about how to end it all."),
    *[("What else is going on?", "The usual, really.")] * 8,  # ten turns: rated
]


def test_a_false_alarm_taken_out_does_not_take_out_the_next_flag_on_the_next_save(
    app, app_db, teacher
):
    """adf4082: the teacher takes out the first of two flags (a figure of speech) and saves. The
    form starts again from the saved version, whose only flag is now the second one (the real
    risk), but `_forget_form` does not forget the `risk_` keys (not in FORM_KEYS): the radio of
    that flag still holds "none" and shows "Not a risk". The teacher corrects a goal and saves
    or releases again: the real risk is taken out unseen, and the student reads no warning. (An attack on the day's fixes, 2026-12-07.)"""
    session_id, _sam = _waiting_review(app_db, teacher, TWO_FLAGS)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    at.radio(key=f"risk_{session_id}_0").set_value("none")
    at.button(key="save_review").click().run()
    assert_clean(at)
    assert "Saved" in everything(at)
    with unit_of_work(app_db, write=False) as db:
        saved = review_service.get_review(db, actor=teacher, session_id=session_id).final_content
    assert saved is not None and len(saved.risk) == 1  # the real risk stays
    shown = at.radio(key=f"risk_{session_id}_0").value
    at.button(key="release_review").click().run()  # nothing changed by the teacher
    assert_clean(at)
    with unit_of_work(app_db, write=False) as db:
        final = review_service.get_review(db, actor=teacher, session_id=session_id).final_content
    assert final is not None and len(final.risk) == 1, (
        f"the second flag ({saved.risk[0].quote!r}) was taken out by a release the teacher did "
        f"not change: its radio showed {shown!r} after the first save"
    )


FIGURE_OF_SPEECH = [
    ("What brings you in today?", "Work. Some days I could kill my boss, he is impossible."),
    *[("What else is going on?", "The usual, really.")] * 9,  # ten turns: rated
]


def test_a_false_alarm_taken_out_leaves_no_risk_penalty_in_the_ratings_that_now_count(
    app, app_db, teacher
):
    """adf4082: the teacher takes out a false alarm ("I could kill my boss") and releases, as
    the commit's own test does. Taking it out makes the ratings count (grades, class figures),
    but they were the automatic review's, written while the flag stood: every score held at
    2/5 "a risk the client voiced was passed over", the goal telling the student to ask about
    harm. Now the release is refused until the teacher rates and writes those again. (An attack
    on the day's fixes, 2026-12-07.)"""
    session_id, _sam = _waiting_review(app_db, teacher, FIGURE_OF_SPEECH)
    at = open_page(teacher_app(app), "Reviews")
    at.radio(key=f"risk_{session_id}_0").set_value("none")
    at.button(key="release_review").click().run()
    assert "still rest on it" in everything(at)
    with unit_of_work(app_db, write=False) as db:
        review = review_service.get_review(db, actor=teacher, session_id=session_id)
    assert review.teacher_content is None  # nothing saved, nothing released

    rewrite_what_rests_on_the_risk(at, session_id)
    at.button(key="release_review").click().run()
    assert_clean(at)
    assert "Released" in everything(at)
    with unit_of_work(app_db, write=False) as db:
        final = review_service.get_review(db, actor=teacher, session_id=session_id).final_content
    assert final is not None and not final.risk
    assert "risk" not in " ".join([final.goal, *(s.reasoning for s in final.scores)]).lower()


def test_saving_the_due_date_on_a_card_does_not_undo_a_title_another_tab_corrected(
    app, app_db, teacher
):
    """4ec18c1: the card's "Title, instructions and due date" fields are filled once
    (`setdefault`) and kept in the browser's session for as long as the page shows them. The
    teacher corrects the title "Wek 1" to "Week 1" in a second tab (or a co-teaching admin does).
    Back in the first tab, whose card heading now reads "Week 1", they move the due date and
    Save: the stale "Wek 1" still in the title box is saved over the correction, unseen (no
    version check, unlike the review editor and the client memory). (An attack on the day's fixes, 2026-12-07.)"""
    from datetime import date, timedelta

    from tests.apps.test_assignment_details_can_be_corrected import _stored, _week

    week = _week(app_db, teacher)
    at = open_page(teacher_app(app), "Sections & assignments")
    assert_clean(at)
    with unit_of_work(app_db) as db:  # the other tab
        assignment_service_update(db, teacher, week.id, "Week 1")
    at.run()  # any rerun: the card's heading now reads "Week 1"
    assert "Week 1" in everything(at)
    at.date_input(key=f"assignment_due_{week.id}").set_value(date.today() + timedelta(days=9))
    at.button(key=f"save_assignment_details_{week.id}").click().run()
    assert_clean(at)
    stored = _stored(app_db, teacher, week)
    assert stored.title == "Week 1", (
        f"the title another tab corrected was saved back to {stored.title!r} by a due-date save"
    )


def assignment_service_update(db, teacher, assignment_id: int, title: str) -> None:
    from backend.classes import assignment_service

    current = assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment_id)
    assignment_service.update_details(
        db,
        actor=teacher,
        assignment_id=assignment_id,
        title=title,
        instructions=current.instructions,
        due_at=current.due_at,
    )
