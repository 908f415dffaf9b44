"""(An attack, 2026-12-06.) Attack E: a strength or a "try instead" item the teacher disagrees with.

README: the teacher's version is "checked the same way, 0-6 strengths and 'try instead' items";
the quick start tells teachers to "change what you disagree with, and release it". The editor
has boxes for each item's texts and none to remove an item: emptying the boxes is all a teacher
can do.
"""

from __future__ import annotations

from backend.db import unit_of_work
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app
from tests.apps.test_reviews_app import _waiting_review


def test_an_emptied_strength_is_not_released_as_praise_without_words(app, app_db, teacher):
    """The teacher disagrees with the model's first strength and empties its comment, then
    releases. The save is accepted, and the student's review still quotes their line under a
    green "strength" badge with nothing after it: praise the teacher meant to withdraw."""
    session_id, student = _waiting_review(app_db, teacher)
    at = open_page(teacher_app(app), "Reviews")
    comment = at.text_area(key=f"strength_{session_id}_0")
    assert comment.value  # the model's comment
    comment.input("")
    at.button(key="release_review").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        seen = review_service.get_review(db, actor=student, session_id=session_id)
    empty = [s for s in seen.content.strengths if not s.comment.strip()] if seen.by_teacher else []
    assert not empty, (
        f"released to the student as a strength with no comment: turn {empty[0].turn}, "
        f"{empty[0].quote!r} (the page said: "
        + next((line for line in everything(at).splitlines() if "Released" in line), "")
        + ")"
    )


def test_a_try_instead_item_the_teacher_disagrees_with_can_be_dropped(app, app_db, teacher):
    """The model suggested a "try instead" for a turn the teacher thinks was fine. Emptying its
    better reply and its why (the only thing the form allows) is refused ("give both a better
    reply and why"), so the teacher can release the review only with a suggestion they reject,
    although a teacher's version may have 0 "try instead" items."""
    session_id, student = _waiting_review(app_db, teacher)
    at = open_page(teacher_app(app), "Reviews")
    assert at.text_area(key=f"better_{session_id}_0").value
    for index in range(10):
        if not any(area.key == f"better_{session_id}_{index}" for area in at.text_area):
            break
        at.text_area(key=f"better_{session_id}_{index}").input("")
        at.text_area(key=f"why_{session_id}_{index}").input("")
    at.button(key="release_review").click().run()
    with unit_of_work(app_db) as db:
        seen = review_service.get_review(db, actor=teacher, session_id=session_id)
    refused = [line for line in everything(at).splitlines() if "cannot be saved" in line]
    assert seen.teacher_released_at is not None and not seen.teacher_content.try_instead, (
        "the teacher cannot drop the model's try-instead items: " + " ".join(refused)[:300]
    )
