"""A student's drill reply is kept: moving between items, sending it twice, a set taken back
meanwhile; and what a teacher is told after drafting or about a set's sections."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.actor import UserRead
from backend.db import unit_of_work
from backend.drills import drill_service
from backend.drills.bank import bank_items
from backend.models import DrillAttempt, User
from backend.models.enums import DrillSkill, Role
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    teacher_app,
    texts,
)

OPEN = "What does a typical evening look like for you?"


def _assigned_open_question_set(app_db, section, items: int = 5):
    with unit_of_work(app_db) as db:
        teacher = UserRead.model_validate(db.scalar(select(User).where(User.role == Role.teacher)))
        drill_set = drill_service.create_set(
            db, actor=teacher, title="Open questions", skill=DrillSkill.open_question
        )
        keys = [item.key for item in bank_items(DrillSkill.open_question)[:items]]
        drill_set = drill_service.add_bank_items(db, actor=teacher, set_id=drill_set.id, keys=keys)
        drill_service.assign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)
    return teacher, drill_set


def _student_opens_the_set(app, drill_set) -> AppTest:
    student = log_in(app.run(), "sam.student")
    open_page(student, "Drills")
    student.button(key=f"open_drill_{drill_set.id}").click().run()
    assert_clean(student)
    assert "**Item 1 of 5** · Open question" in texts(student)
    return student


def test_a_reply_typed_but_not_submitted_survives_a_look_at_the_previous_item(app, app_db):
    """The student types a reply to item 2, clicks Previous to reread item 1's statement, and
    Next to come back: the reply box under item 2 is empty, their words gone without a trace
    (nothing submitted, nothing kept). Moving between items keeps each item's unsent
    words. (An attack, 2026-12-07.)"""
    _student, _alex, section = classroom(app_db)
    _teacher, drill_set = _assigned_open_question_set(app_db, section)
    student = _student_opens_the_set(app, drill_set)
    student.button(key="drill_next").click().run()
    assert "**Item 2 of 5** · Open question" in texts(student)
    words = "What would a good week look like for you, with less of this?"
    student.text_area(key="drill_reply").input(words).run()

    student.button(key="drill_previous").click().run()
    student.button(key="drill_next").click().run()

    assert_clean(student)
    assert "**Item 2 of 5** · Open question" in texts(student)
    assert student.text_area(key="drill_reply").value == words, (
        "the reply typed under item 2 was lost after Previous/Next"
    )


def test_submitting_the_same_unchanged_reply_again_is_not_a_second_attempt(app, app_db):
    """The student submits a reply (a miss), then clicks the button again (now labelled "Try
    again") without changing a word, as after a slow run or a double click. The same words are
    stored twice: the teacher's Results read 2 attempts and My progress "0% of 2 attempts" for
    one answer. A retry with unchanged words is not a retry. (An attack, 2026-12-07.)"""
    _student, _alex, section = classroom(app_db)
    _teacher, drill_set = _assigned_open_question_set(app_db, section)
    student = _student_opens_the_set(app, drill_set)
    student.text_area(key="drill_reply").input("Do you drink every day?").run()
    student.button(key="drill_submit").click().run()
    assert_clean(student)
    student.button(key="drill_submit").click().run()  # "Try again", the words unchanged
    assert_clean(student)

    with unit_of_work(app_db, write=False) as db:
        replies = db.scalars(select(DrillAttempt.reply)).all()
    assert len(replies) == 1, f"one answer stored {len(replies)} times: {replies}"


def test_a_draft_dropped_for_the_wrong_skill_is_not_said_to_miss_its_skill(app, app_db, app_api):
    """The model drafts 5 items for an Open question set; one of them is a Reflect item (its
    model answer a fine reflection). It is rightly dropped, but the teacher reads "1 dropped
    (their model answer missed the skill)": the model answer was never the problem, the item
    trained another skill. (An attack, 2026-12-07.)"""
    classroom(app_db)
    with unit_of_work(app_db, write=False) as db:
        username = db.scalar(select(User.username).where(User.role == "teacher"))
    good = [
        {
            "skill": "open_question",
            "context": f"Alex, 34. The closed question to open up: Do you drink {n}?",
            "statement": f"Work has been a lot lately, part {n}.",
            "model_answer": OPEN,
        }
        for n in range(4)
    ]
    other_skill = {
        "skill": "reflect",
        "context": "Alex, 34, on work.",
        "statement": "I am so tired of everyone telling me what to do.",
        "model_answer": "You are worn out by other people's advice.",
    }
    app_api.tool_reply({"items": [*good, other_skill]}, input_tokens=900, output_tokens=400)
    app_api.tool_reply({"items": [*good, other_skill]}, input_tokens=900, output_tokens=400)
    teacher = teacher_app(app, username)
    open_page(teacher, "Drill sets")
    teacher.text_input(key="drill_title").input("Open questions from Alex")
    teacher.selectbox(key="drill_skill").select_index(2)  # Open question
    teacher.button(key="create_drill_set").click().run()
    teacher.button(key="draft_items").click().run()
    assert_clean(teacher)
    told = everything(teacher)
    assert "Drafted 4 items" in told, told
    assert "model answer missed the skill" not in told, told


def test_a_reply_to_a_set_taken_back_meanwhile_is_shown_back_and_explained(app, app_db):
    """The student types a reply; meanwhile the teacher takes the set back from the section.
    Submit says "No drill set with id N." (an id the student never saw, as if the set never
    existed) and the reply box is gone with their words: nothing on the screen quotes them.
    An item taken out the same way is explained and the reply quoted (ItemTakenOut); a set
    taken back is too. (An attack, 2026-12-07.)"""
    _student, _alex, section = classroom(app_db)
    teacher, drill_set = _assigned_open_question_set(app_db, section)
    student = _student_opens_the_set(app, drill_set)
    words = "What does an ordinary evening look like for you these days?"
    student.text_area(key="drill_reply").input(words).run()
    with unit_of_work(app_db) as db:  # the teacher's other tab
        drill_service.unassign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)

    student.button(key="drill_submit").click().run()

    assert_clean(student)
    shown = everything(student)
    assert f"No drill set with id {drill_set.id}" not in shown, shown
    assert words in shown or (
        student.text_area and student.text_area(key="drill_reply").value == words
    ), f"the student's reply is nowhere on the page:\n{shown}"


def test_the_author_reads_the_name_of_a_section_an_admin_gave_their_set_to(app, app_db):
    """An admin assigns Tina's set to a colleague's section "Skills 202" (admins may). Tina's
    Drill sets page says "Assigned to: Skills 101, section 3": a bare database id instead of a
    section's name, naming nothing she can find anywhere. (An attack, 2026-12-07.)"""
    from tests.factories import make_section, make_user

    _student, _alex, section = classroom(app_db)
    teacher, drill_set = _assigned_open_question_set(app_db, section)
    with unit_of_work(app_db) as db:
        admin = make_user(db, role=Role.admin)
        colleague = make_user(db, role=Role.teacher)
        other = make_section(db, teacher=colleague, name="Skills 202")
        drill_service.assign_set(db, actor=admin, set_id=drill_set.id, section_id=other.id)
    at = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30), teacher.username)
    open_page(at, "Drill sets")
    assert_clean(at)
    captions = texts(at, "caption")
    assert f"section {other.id}" not in ", ".join(captions), captions


def test_a_set_taken_back_then_next_item_quotes_the_words_and_names_no_id(app, app_db):
    """Sam types a reply under item 1; meanwhile the teacher takes the set back. Sam clicks
    "Next item" (to look at the next one before submitting) instead of Submit. The page says
    "No drill set with id N." (an id Sam never saw, as if the set never existed), and the words
    Sam typed are nowhere on the page, with no way to get them back. The fix explains a set
    taken back and quotes the reply only on Submit (`attempt_service.SetNotAssigned`); the page
    itself (`student/drills._assigned_set` -> `read_set`) still says DrillSetNotFound, and the
    words went into the drafts of a set that is no longer shown. (An attack on the
    day's fixes, 2026-12-07.)"""
    _student, _alex, section = classroom(app_db)
    teacher, drill_set = _assigned_open_question_set(app_db, section)
    student = _student_opens_the_set(app, drill_set)
    words = "What does an ordinary evening look like for you these days?"
    student.text_area(key="drill_reply").input(words).run()
    with unit_of_work(app_db) as db:  # the teacher's other tab
        drill_service.unassign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)

    student.button(key="drill_next").click().run()

    shown = everything(student).replace("\\", "")
    assert f"No drill set with id {drill_set.id}" not in shown, shown
    boxes = [t.value for t in student.text_area if t.key == "drill_reply"]
    assert words in shown or words in boxes, f"the typed reply is nowhere:\n{shown}"


def test_a_drill_reply_typed_survives_a_look_at_another_page(app, app_db):
    """Sam types a reply under item 2 of a set, opens the Practice page to check something,
    and comes back to Drills: the set is still open at item 2 but the reply box is empty. The
    fix says words typed under an item and not sent stay with that item; they are kept only
    when Previous/Next/Open/skill is clicked (`_keep_draft` in the callbacks), and on return
    `_item` finds its SHOWN_KEY unchanged, so it restores nothing. (An attack on the
    day's fixes, 2026-12-07.)"""
    _student, _alex, section = classroom(app_db)
    _teacher, drill_set = _assigned_open_question_set(app_db, section)
    student = _student_opens_the_set(app, drill_set)
    student.button(key="drill_next").click().run()
    words = "What would a good week look like for you, with less of this?"
    student.text_area(key="drill_reply").input(words).run()

    open_page(student, "Practice")
    open_page(student, "Drills")

    assert "**Item 2 of 5** · Open question" in texts(student), texts(student)
    assert student.text_area(key="drill_reply").value == words, (
        "the reply typed under item 2 was lost after a visit to another page"
    )
