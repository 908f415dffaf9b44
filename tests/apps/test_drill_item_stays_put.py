"""A student's open drill item is the item, not its place in the set: a teacher who takes out
an earlier item (or the open one) meanwhile neither moves the student to another client
statement, nor hides the feedback of a reply just sent, nor loses the words typed. (An attack,
2026-12-07.)"""

from __future__ import annotations

from sqlalchemy import select

from backend.db import unit_of_work
from backend.drills import drill_service
from backend.models import DrillAttempt
from tests.apps.helpers import assert_clean, classroom, everything, log_in, open_page, texts
from tests.apps.test_drill_words_kept import _assigned_open_question_set

OPEN = "What does a typical evening look like for you these days?"


def _assigned_set_of_six(app_db, section):
    return _assigned_open_question_set(app_db, section, items=6)


def _student_at_item_five(app, drill_set):
    student = log_in(app.run(), "sam.student")
    open_page(student, "Drills")
    student.button(key=f"open_drill_{drill_set.id}").click().run()
    for _ in range(4):
        student.button(key="drill_next").click().run()
    assert_clean(student)
    assert "**Item 5 of 6** · Open question" in texts(student)
    assert f"“{drill_set.items[4].statement}”" in everything(student)
    return student


def test_submitting_after_the_teacher_removed_an_earlier_item_shows_the_feedback(app, app_db):
    """Sam is at item 5 of 6. Meanwhile the teacher removes item 2 (the set keeps 5, so it is
    allowed). Sam types a reply to item 5's statement and clicks Submit: the reply is stored
    for item 5, but the page now shows another client statement (the old item 6, now "Item 5
    of 5") with an empty box and no feedback at all. The page remembers the item by its
    place in the list (`ITEM_KEY` was an index), not by the item."""
    _student, _alex, section = classroom(app_db)
    teacher, drill_set = _assigned_set_of_six(app_db, section)
    student = _student_at_item_five(app, drill_set)
    answered = drill_set.items[4]
    with unit_of_work(app_db) as db:  # the teacher's tab
        drill_service.remove_item(
            db, actor=teacher, set_id=drill_set.id, item_id=drill_set.items[1].id
        )

    student.text_area(key="drill_reply").input(OPEN)
    student.button(key="drill_submit").click().run()

    assert_clean(student)
    with unit_of_work(app_db, write=False) as db:
        stored = db.scalars(select(DrillAttempt.set_item_id)).all()
    assert stored == [answered.id]  # the reply went to the item Sam read
    shown = everything(student)
    assert f"“{answered.statement}”" in shown, (
        "after Submit the page shows another item than the one just answered:\n" + shown
    )
    assert "that hits the skill" in shown, "no feedback for the reply just sent:\n" + shown


def test_words_typed_while_the_teacher_removes_an_earlier_item_are_not_lost(app, app_db):
    """Sam is at item 5 of 6 and types a reply (the box loses focus: the page runs again);
    meanwhile the teacher removed item 2. The box now sits under another client statement and
    is empty; Previous shows item 5 again, also with an empty box: Sam's words are gone,
    quoted nowhere (the box took the draft of the item now at that place before it kept what
    was typed under the item it showed)."""
    _student, _alex, section = classroom(app_db)
    teacher, drill_set = _assigned_set_of_six(app_db, section)
    student = _student_at_item_five(app, drill_set)
    with unit_of_work(app_db) as db:  # the teacher's tab
        drill_service.remove_item(
            db, actor=teacher, set_id=drill_set.id, item_id=drill_set.items[1].id
        )

    student.text_area(key="drill_reply").input(OPEN).run()
    assert_clean(student)
    boxes = [student.text_area(key="drill_reply").value]
    student.button(key="drill_previous").click().run()
    boxes.append(student.text_area(key="drill_reply").value)
    student.button(key="drill_next").click().run()
    boxes.append(student.text_area(key="drill_reply").value)

    assert OPEN in boxes or OPEN in everything(student), (
        f"the reply Sam typed is nowhere: boxes {boxes}\n{everything(student)}"
    )


def test_words_typed_under_an_item_the_teacher_takes_out_are_shown_to_copy(app, app_db):
    """The open item itself is taken out while Sam types: the page moves on, and Sam's words
    are shown once as not sent, to copy."""
    _student, _alex, section = classroom(app_db)
    teacher, drill_set = _assigned_set_of_six(app_db, section)
    student = _student_at_item_five(app, drill_set)
    with unit_of_work(app_db) as db:  # the teacher's tab
        drill_service.remove_item(
            db, actor=teacher, set_id=drill_set.id, item_id=drill_set.items[4].id
        )
    student.text_area(key="drill_reply").input(OPEN).run()
    assert_clean(student)
    assert f"Not sent, the item was taken out of the set: {OPEN}" in everything(student)
    assert "**Item 5 of 5** · Open question" in texts(student)
    assert student.text_area(key="drill_reply").value == ""
