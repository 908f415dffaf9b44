"""Drills through AppTest (issue 24): a teacher builds a set from the built-in bank and assigns
it to a section, a student does its items with each reply coded at once (a miss, a retry that
hits, the model answer after the try), and the teacher sees the results per student and skill;
the student's hit rate per skill is on My progress."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.actor import UserRead
from backend.db import unit_of_work
from backend.drills import attempt_service, drill_service
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
from tests.apps.test_student_review import end_session
from tests.factories import make_section, make_user

CLOSED = "Do you drink every day?"
OPEN = "What does a typical evening look like for you?"
OTHER_OPEN = "What is an evening like for you these days?"


def _teacher_assigns_a_set(teacher: AppTest) -> None:
    open_page(teacher, "Drill sets")
    assert_clean(teacher)
    assert "No drill sets yet: create one above." in texts(teacher, "info")
    teacher.text_input(key="drill_title").input("Open questions, week 3")
    teacher.selectbox(key="drill_skill").select_index(2)  # Mixed, Reflect, Open question, ...
    teacher.button(key="create_drill_set").click().run()
    assert_clean(teacher)
    assert "Created Open questions, week 3." in everything(teacher)
    picker = teacher.multiselect(key="drill_bank_pick")
    assert picker.options and all(o.startswith("Open question: ") for o in picker.options)
    picker.set_value(["open-01", "open-02", "open-03", "open-04", "open-05"]).run()
    teacher.button(key="add_bank_items").click().run()
    assert_clean(teacher)
    assert "Added 5 items from the bank." in everything(teacher)
    teacher.button(key="assign_drill_set").click().run()
    assert_clean(teacher)
    assert "Assigned: its students see it on their Drills page." in everything(teacher)


def test_a_teacher_assigns_a_set_a_student_does_it_and_the_teacher_sees_results(app, app_db):
    _student, _alex, section = classroom(app_db)
    with unit_of_work(app_db, write=False) as db:
        username = db.scalar(select(User.username).where(User.role == "teacher"))
    teacher = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30), username)
    _teacher_assigns_a_set(teacher)

    student = log_in(app.run(), "sam.student")
    open_page(student, "Drills")
    assert_clean(student)
    (open_button,) = [
        b for b in student.button if b.key.startswith("open_drill_") and b.key != "open_drill_own"
    ]
    open_button.click().run()
    assert "**Item 1 of 5** · Open question" in texts(student)
    student.text_area(key="drill_reply").input(CLOSED)
    student.button(key="drill_submit").click().run()
    assert_clean(student)
    (missed,) = texts(student, "warning")
    assert missed.startswith("Your reply is a closed question: not yet.")
    assert any(
        t.startswith("**Model answer:** What does a typical evening") for t in texts(student)
    )

    student.text_area(key="drill_reply").input(OPEN)
    student.button(key="drill_submit").click().run()  # "Try again"
    assert_clean(student)
    assert "Your reply is an open question: that hits the skill." in texts(student, "success")
    student.button(key="drill_next").click().run()
    assert "**Item 2 of 5** · Open question" in texts(student)

    open_page(student, "My progress")
    assert_clean(student)
    assert "Drills" in texts(student, "subheader")
    assert any(t.startswith("- **Open question**: 50% of 2 attempts") for t in texts(student))

    open_page(teacher, "Drill sets")
    teacher.session_state["drill_results_section"] = section.id
    teacher.run()
    assert_clean(teacher)
    (table,) = teacher.dataframe
    rows = table.value.to_dict("records")
    assert rows == [
        {
            "Student": "Sam Student",
            "Skill": "Open question",
            "Attempts": 2,
            "Hit rate": "50%",
            "Items tried": 1,
            "Items hit": 1,
        }
    ]


def test_a_reviews_drill_next_opens_the_drill_of_its_weakest_skill(app, app_db):
    """Closed questions only: the review's weakest skill is open questions, and with no set of
    that skill assigned, Drill next opens the bank's open-question items."""
    classroom(app_db)
    turns = [("Do you drink every day?", ""), ("Is that every night?", "")]
    at = end_session(log_in(app.run(), "sam.student"), turns)
    assert_clean(at)
    assert "##### Drill next: Open question" in texts(at)
    at.button(key="open_suggested_drill").click().run()
    assert_clean(at)
    assert "Drills" in texts(at, "title")
    assert "Practise on your own" in texts(at, "subheader")
    assert at.selectbox(key="drill_own_skill").value == "open_question"
    assert "**Item 1 of 10** · Open question" in texts(at)


def test_a_teacher_drafts_items_in_demo_mode_and_accepts_one(app, app_db):
    classroom(app_db)
    with unit_of_work(app_db, write=False) as db:
        username = db.scalar(select(User.username).where(User.role == "teacher"))
    teacher = teacher_app(app, username)
    open_page(teacher, "Drill sets")
    teacher.text_input(key="drill_title").input("From Alex")
    teacher.button(key="create_drill_set").click().run()  # a mixed set
    teacher.button(key="draft_items").click().run()
    assert_clean(teacher)
    assert any(
        t.startswith("Drafted 5 items (no cost (demo mode))") for t in texts(teacher, "success")
    )
    accepts = [b for b in teacher.button if b.key.startswith("accept_item_")]
    assert len(accepts) == 5
    item_id = accepts[0].key.removeprefix("accept_item_")
    teacher.text_area(key=f"edit_answer_{item_id}").input("What matters most to you here?")
    teacher.button(key=f"accept_item_{item_id}").click().run()
    assert_clean(teacher)
    assert len([b for b in teacher.button if b.key.startswith("accept_item_")]) == 4
    assert "**Items** (1 of 5-10)" in texts(teacher)
    assert "Model answer: What matters most to you here?" in texts(teacher, "caption")


def test_a_teacher_is_told_why_an_item_of_an_assigned_set_of_five_stays(app, app_db):
    classroom(app_db)
    with unit_of_work(app_db, write=False) as db:
        username = db.scalar(select(User.username).where(User.role == "teacher"))
    teacher = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30), username)
    _teacher_assigns_a_set(teacher)
    removes = [b for b in teacher.button if b.key.startswith("remove_item_")]
    assert len(removes) == 5
    removes[0].click().run()
    (refused,) = texts(teacher, "warning")
    assert refused.startswith("An assigned drill set keeps at least 5 items, and this one has 5")
    assert len([b for b in teacher.button if b.key.startswith("remove_item_")]) == 5


def test_a_student_whose_item_was_just_taken_out_is_told_so_and_keeps_their_words(app, app_db):
    classroom(app_db)
    with unit_of_work(app_db, write=False) as db:
        owner = UserRead.model_validate(
            db.scalars(select(User).where(User.role == "teacher")).one()
        )
    teacher = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30), owner.username)
    _teacher_assigns_a_set(teacher)
    with unit_of_work(app_db) as db:
        (drill_set,) = drill_service.list_sets(db, actor=owner)
        drill_service.add_bank_items(db, actor=owner, set_id=drill_set.id, keys=["open-06"])
    student = log_in(app.run(), "sam.student")
    open_page(student, "Drills")
    (open_button,) = [
        b for b in student.button if b.key.startswith("open_drill_") and b.key != "open_drill_own"
    ]
    open_button.click().run()
    assert "**Item 1 of 6** · Open question" in texts(student)
    student.text_area(key="drill_reply").input(OPEN)
    with unit_of_work(app_db) as db:  # the teacher takes item 1 out meanwhile
        first = drill_service.get_set(db, actor=owner, set_id=drill_set.id).accepted[0]
        drill_service.remove_item(db, actor=owner, set_id=drill_set.id, item_id=first.id)
    student.button(key="drill_submit").click().run()
    assert not texts(student, "error")
    (told,) = texts(student, "warning")
    assert told.startswith(
        "Your teacher took this item out of the set, so your reply was not saved"
    )
    assert OPEN in told  # their words are on the screen, not lost
    assert "**Item 1 of 5** · Open question" in texts(student)
    assert student.text_area(key="drill_reply").value == ""  # not left under another item


def test_a_hit_rate_of_199_in_200_is_not_shown_as_a_perfect_100_percent(app, app_db):
    student, _alex, section = classroom(app_db)
    with unit_of_work(app_db) as db:
        teacher = UserRead.model_validate(db.scalar(select(User).where(User.role == Role.teacher)))
        drill_set = drill_service.create_set(
            db, actor=teacher, title="Open questions", skill=DrillSkill.open_question
        )
        keys = [item.key for item in bank_items(DrillSkill.open_question)[:5]]
        drill_set = drill_service.add_bank_items(db, actor=teacher, set_id=drill_set.id, keys=keys)
        drill_service.assign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)
        for number in range(200):
            attempt_service.answer_item(
                db,
                actor=student,
                set_id=drill_set.id,
                item_id=drill_set.items[0].id,
                # Consecutive replies differ: the same words again are not a new attempt.
                reply=CLOSED if number == 0 else (OPEN, OTHER_OPEN)[number % 2],
            )
    at = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30), teacher.username)
    open_page(at, "Drill sets")
    at.session_state["drill_results_section"] = section.id
    at.run()
    assert_clean(at)
    (row,) = at.dataframe[0].value.to_dict("records")
    assert (row["Attempts"], row["Hit rate"]) == (200, ">99%")


def test_the_page_says_when_items_another_tab_added_were_not_added_again(app, app_db):
    """A second tab added both picked items first: the service rightly copied nothing, but the
    page said "Added 2 items from the bank." (An attack, 2026-12-07.)"""
    classroom(app_db)
    with unit_of_work(app_db, write=False) as db:
        teacher_row = db.scalar(select(User).where(User.role == Role.teacher))
        actor = UserRead.model_validate(teacher_row)
    teacher = teacher_app(app, teacher_row.username)
    open_page(teacher, "Drill sets")
    teacher.text_input(key="drill_title").input("Open questions, week 3")
    teacher.selectbox(key="drill_skill").select_index(2)
    teacher.button(key="create_drill_set").click().run()
    with unit_of_work(app_db, write=False) as db:
        (drill_set,) = drill_service.list_sets(db, actor=actor)
    teacher.multiselect(key="drill_bank_pick").set_value(["open-01", "open-02", "open-03"]).run()
    with unit_of_work(app_db) as db:  # the other tab
        drill_service.add_bank_items(db, actor=actor, set_id=drill_set.id, keys=["open-01"])

    teacher.button(key="add_bank_items").click().run()

    assert_clean(teacher)
    shown = everything(teacher)
    assert "Added 2 items from the bank (1 was in the set already)." in shown, shown
    teacher.multiselect(key="drill_bank_pick").set_value(["open-04"]).run()
    with unit_of_work(app_db) as db:
        drill_service.add_bank_items(db, actor=actor, set_id=drill_set.id, keys=["open-04"])
    teacher.button(key="add_bank_items").click().run()
    assert "That item was in the set already: nothing was added." in everything(teacher)
    teacher.button(key="add_bank_items").click().run()  # nothing picked
    shown = everything(teacher)
    assert "Pick the bank items to add first." in shown and "in the set already" not in shown


def test_choosing_another_skill_starts_its_first_item_with_an_empty_reply(app, app_db):
    """Next, Previous and Open empty the reply box; choosing another skill did not, so a Reflect
    item's reply sat under the Open question item and a careless Submit stored it there as a
    miss (an attack, 2026-12-07)."""
    reflection = "It sounds like you are worn out."
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    open_page(at, "Drills")
    at.button(key="open_drill_own").click().run()
    at.text_area(key="drill_reply").input(reflection).run()
    at.button(key="drill_submit").click().run()
    at.selectbox(key="drill_own_skill").set_value("open_question").run()
    assert_clean(at)
    assert "**Item 1 of 10** · Open question" in texts(at)
    assert at.text_area(key="drill_reply").value == ""
    at.button(key="drill_submit").click().run()  # the careless Submit
    with unit_of_work(app_db, write=False) as db:
        replies = db.scalars(
            select(DrillAttempt.reply).where(DrillAttempt.skill == "open_question")
        ).all()
    assert reflection not in replies


def test_a_teacher_sees_the_drill_sets_others_gave_their_section(app, app_db):
    """An admin writes "Open questions, shared" and assigns it to a teacher's section: its
    students practise it and its attempts count on Results, but the teacher's Drill sets page
    said "No drill sets yet" and named no set of the section (an attack, 2026-12-07). It lists
    the sets others gave the teacher's sections, with their items as students see them."""
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username="tina.teacher")
        admin = make_user(db, role=Role.admin, username="ada.admin")
        section = make_section(db, teacher=teacher, name="Skills 101")
        shared = drill_service.create_set(
            db, actor=admin, title="Open questions, shared", skill=DrillSkill.open_question
        )
        keys = [item.key for item in bank_items(DrillSkill.open_question)[:5]]
        drill_service.add_bank_items(db, actor=admin, set_id=shared.id, keys=keys)
        drill_service.assign_set(db, actor=admin, set_id=shared.id, section_id=section.id)
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "tina.teacher")
    open_page(at, "Drill sets")
    assert_clean(at)
    page = everything(at) + "\n".join(expander.label for expander in at.expander)
    assert "Open questions, shared" in page and "Skills 101" in page
    assert "No drill sets yet" not in page
    # Its items too, as the students read them (a second attack: the first version named the
    # set only, and the teacher could not read what the students practised).
    missing = [item.statement for item in bank_items(DrillSkill.open_question)[:5]]
    assert [statement for statement in missing if statement not in page] == []
