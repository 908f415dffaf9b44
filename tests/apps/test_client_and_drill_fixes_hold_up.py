"""Attacks on the day's client and drill fixes, each fixed: the open drill item stays put
from the first, a client form open elsewhere is never replaced unseen, a repair's fixed item is
kept, a card's line is a first sentence in any language, a colleague's client of the same name
is told apart, and words under an item taken out are shown to copy. (An attack on the day's
fixes, 2026-12-07.)"""

from __future__ import annotations

from sqlalchemy import select

from backend.actor import UserRead
from backend.db import unit_of_work
from backend.drills import drill_service
from backend.drills.bank import bank_items
from backend.drills.read_models import DrillItemInput
from backend.models import DrillAttempt, DrillSet, User
from backend.models.enums import DrillSkill, Role
from tests.apps.helpers import (
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    teacher_app,
    texts,
)
from tests.factories import make_client

OPEN = "What does a typical evening look like for you these days?"
DRAFT = DrillItemInput(
    skill=DrillSkill.open_question,
    context="Alex, 34, warehouse shift lead. You were about to ask: Do you sleep well?",
    statement="I keep waking up at three and then I just lie there until the alarm.",
    model_answer="What goes through your mind when you lie awake like that?",
)


def _set_with_a_draft_first(app_db, section):
    """Drafted items first (the model's, waiting), then five bank items, assigned."""
    with unit_of_work(app_db) as db:
        teacher = UserRead.model_validate(db.scalar(select(User).where(User.role == Role.teacher)))
        drill_set = drill_service.create_set(
            db, actor=teacher, title="Open questions", skill=DrillSkill.open_question
        )
        drill_service.add_drafts(db, db.get_one(DrillSet, drill_set.id), [DRAFT], "generated:Alex")
        keys = [item.key for item in bank_items(DrillSkill.open_question)[:5]]
        drill_set = drill_service.add_bank_items(db, actor=teacher, set_id=drill_set.id, keys=keys)
        drill_service.assign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)
    return teacher, drill_set


def test_a_draft_accepted_meanwhile_does_not_move_the_student_off_the_first_item(app, app_db):
    """Sam opens the set and reads item 1 (never pressing Next). Meanwhile the teacher accepts
    the model's draft, which sits first in the set. Sam types a reply to the statement read and
    presses Submit: the reply is stored for that item, but the page now shows the draft's
    statement ("Item 1 of 6"), with an empty box and no feedback. The item open is tracked by
    (ref, place) only once Previous/Next is pressed; before that the page falls back to place 0
    (`mvp/student/drills.py:_item`), which is what the fix was meant to stop."""
    _student, _alex, section = classroom(app_db)
    teacher, drill_set = _set_with_a_draft_first(app_db, section)
    accepted = [item for item in drill_set.items if item.status.value == "accepted"]
    draft = next(item for item in drill_set.items if item.status.value == "draft")
    read = accepted[0]
    student = log_in(app.run(), "sam.student")
    open_page(student, "Drills")
    student.button(key=f"open_drill_{drill_set.id}").click().run()
    assert_clean(student)
    assert f"“{read.statement}”" in everything(student)

    with unit_of_work(app_db) as db:  # the teacher's tab
        drill_service.accept_item(db, actor=teacher, set_id=drill_set.id, item_id=draft.id)

    student.text_area(key="drill_reply").input(OPEN)
    student.button(key="drill_submit").click().run()

    assert_clean(student)
    with unit_of_work(app_db, write=False) as db:
        stored = db.scalars(select(DrillAttempt.set_item_id)).all()
    assert stored == [read.id]  # the reply went to the item Sam read
    shown = everything(student)
    assert f"“{read.statement}”" in shown, (
        "after Submit the page shows another item than the one just answered:\n" + shown
    )
    assert "that hits the skill" in shown, "no feedback for the reply just sent:\n" + shown


def test_the_item_shown_after_its_own_was_taken_out_stays_when_the_teacher_changes_more(
    app, app_db
):
    """Sam is at item 5 of 6; the teacher takes item 5 out, and the page shows the old item 6
    as "Item 5 of 5". Sam answers it; the teacher then adds an item and takes out item 1: Sam's
    page jumps to the new item (place 4 again), the feedback of the reply just sent gone. The
    fallback place is never remembered as the item now open (`_item` keeps ITEM_KEY on the
    removed item's ref)."""
    _student, _alex, section = classroom(app_db)
    with unit_of_work(app_db) as db:
        teacher = UserRead.model_validate(db.scalar(select(User).where(User.role == Role.teacher)))
        drill_set = drill_service.create_set(
            db, actor=teacher, title="Open questions", skill=DrillSkill.open_question
        )
        keys = [item.key for item in bank_items(DrillSkill.open_question)[:6]]
        drill_set = drill_service.add_bank_items(db, actor=teacher, set_id=drill_set.id, keys=keys)
        drill_service.assign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)
    student = log_in(app.run(), "sam.student")
    open_page(student, "Drills")
    student.button(key=f"open_drill_{drill_set.id}").click().run()
    for _ in range(4):
        student.button(key="drill_next").click().run()
    assert "**Item 5 of 6** · Open question" in texts(student)

    with unit_of_work(app_db) as db:  # the teacher's tab
        drill_service.remove_item(
            db, actor=teacher, set_id=drill_set.id, item_id=drill_set.items[4].id
        )
    student.run()
    answered = drill_set.items[5]
    assert f"“{answered.statement}”" in everything(student)
    student.text_area(key="drill_reply").input(OPEN)
    student.button(key="drill_submit").click().run()
    assert "that hits the skill" in everything(student)

    with unit_of_work(app_db) as db:  # the teacher again: one more item, then one less
        drill_service.add_own_item(db, actor=teacher, set_id=drill_set.id, data=DRAFT)
        drill_service.remove_item(
            db, actor=teacher, set_id=drill_set.id, item_id=drill_set.items[0].id
        )
    student.run()

    assert_clean(student)
    shown = everything(student)
    assert f"“{answered.statement}”" in shown, (
        "the page moved to another item than the one Sam just answered:\n" + shown
    )
    assert "that hits the skill" in shown, "the reply's feedback is gone:\n" + shown


def test_words_under_an_item_taken_out_while_on_another_page_are_shown_to_copy(app, app_db):
    """Sam types a reply under item 5 (the page runs: the words are kept as the item's draft)
    and looks at My progress. Meanwhile the teacher takes item 5 out. Back on Drills, the set
    is still open at its place; Sam's words are nowhere: `_words_of_an_item_taken_out` only
    quotes the box's live value, which Streamlit forgot on the other page, and the draft kept
    under the removed item is never shown."""
    _student, _alex, section = classroom(app_db)
    with unit_of_work(app_db) as db:
        teacher = UserRead.model_validate(db.scalar(select(User).where(User.role == Role.teacher)))
        drill_set = drill_service.create_set(
            db, actor=teacher, title="Open questions", skill=DrillSkill.open_question
        )
        keys = [item.key for item in bank_items(DrillSkill.open_question)[:6]]
        drill_set = drill_service.add_bank_items(db, actor=teacher, set_id=drill_set.id, keys=keys)
        drill_service.assign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)
    student = log_in(app.run(), "sam.student")
    open_page(student, "Drills")
    student.button(key=f"open_drill_{drill_set.id}").click().run()
    for _ in range(4):
        student.button(key="drill_next").click().run()
    student.text_area(key="drill_reply").input(OPEN).run()
    assert_clean(student)

    open_page(student, "My progress")
    assert_clean(student)
    with unit_of_work(app_db) as db:  # the teacher's tab
        drill_service.remove_item(
            db, actor=teacher, set_id=drill_set.id, item_id=drill_set.items[4].id
        )
    open_page(student, "Drills")
    assert_clean(student)
    boxes = [student.text_area(key="drill_reply").value]
    assert OPEN in everything(student) or OPEN in boxes, (
        "the words Sam typed under the item taken out are gone:\n" + everything(student)
    )


def test_typing_in_the_client_form_is_not_dropped_by_edit_on_another_card(app, app_db, teacher):
    """The teacher opens Alex in the form and rewrites the concern (no Save yet: the form is an
    st.form, whose values reach the server only on Save), then presses Edit on Blake's card to
    look at Blake. The form now holds Blake; Alex's rewrite is gone, and nothing said so:
    `_keeps_unsaved` compares session state, which never saw the typing (it only catches a
    refused Save). The fix's promise, "Edit/Copy on another card keeps unsaved typing and says
    so", holds only after a refused save."""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        blake = make_client(db, teacher=teacher, name="Blake Chen")
    at = teacher_app(app)
    at.button(key=f"edit_client_{alex.id}").click().run()
    typed = "Panic attacks on the bus since March; stopped going to work."
    at.text_area(key="client_presenting_concern").input(typed)

    at.button(key=f"edit_client_{blake.id}").click().run()
    assert_clean(at)
    kept = at.text_area(key="client_presenting_concern").value == typed
    said = any(word in everything(at).lower() for word in ("unsaved", "not saved", "discard"))
    assert kept or said, (
        "Edit on Blake's card replaced the form holding typing not saved, without a word; the "
        f"form holds {at.text_input(key='client_name').value!r}"
    )


def test_an_assignments_clients_box_tells_a_colleagues_client_from_the_teachers_own(
    app, app_db, teacher
):
    """Tina has her own "Alex Rivera" (an import of a colleague's); an admin added the
    colleague's original "Alex Rivera" to Tina's assignment. The assignment card's Clients box
    offers "Alex Rivera" twice: `names_apart` only tells Tina's own clients apart, and the
    colleague's is labelled from `client_labels` by its bare name, outside that check."""
    from backend.classes import assignment_service
    from backend.classes.read_models import AssignmentInput
    from tests.factories import make_assignment, make_section, make_user

    with unit_of_work(app_db) as db:
        admin = make_user(db, role=Role.admin)
        colleague = make_user(db, role=Role.teacher)
        theirs = make_client(db, teacher=colleague, name="Alex Rivera")
        mine = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        assignment = make_assignment(db, teacher=teacher, section=section, clients=[mine])
        assignment_service.update_assignment(
            db,
            actor=admin,
            assignment_id=assignment.id,
            data=AssignmentInput(title=assignment.title, client_ids=[mine.id, theirs.id]),
        )
    at = open_page(teacher_app(app), "Sections & assignments")
    assert_clean(at)
    box = at.multiselect(key=f"assignment_clients_{assignment.id}")
    labels = list(box.options)
    assert len(set(labels)) == len(labels), (
        f"the assignment's Clients box offers {labels!r}: two clients Tina cannot tell apart"
    )
