"""Drills (issue 24): a teacher's set from the built-in bank and their own items, assigned to a
section; a student's replies coded at once and every attempt kept; the section's results per
student and skill; and who may see or do what (another section's student, another teacher)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from backend import access
from backend.db import Database, unit_of_work
from backend.drills import attempt_service, drill_service, generation, results_service
from backend.drills.bank import bank_items
from backend.drills.read_models import DrillItemInput
from backend.errors import (
    BudgetExceededError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from backend.llm import GatewayError
from backend.llm.pricing import calculate_cost
from backend.llm.usage import Usage
from backend.models import DailyUsage, DrillAttempt, DrillSet, DrillSetItem, Event
from backend.models.base import utcnow
from backend.models.enums import DrillItemStatus, DrillSkill, Role
from backend.reviews.read_models import ReviewContent
from backend.reviews.rubrics import load_builtin_rubrics
from backend.usage import usage_service
from backend.usage.purposes import Purpose
from tests.factories import enroll, make_classroom, make_section, make_user

GOOD = "What does a typical evening look like for you?"
CLOSED = "Do you drink every day?"


def _open_question_set(db, room, *, items: int = 5, teacher=None):
    teacher = teacher or room.teacher
    drill_set = drill_service.create_set(
        db, actor=teacher, title="Open questions", skill=DrillSkill.open_question
    )
    keys = [item.key for item in bank_items(DrillSkill.open_question)[:items]]
    return drill_service.add_bank_items(db, actor=teacher, set_id=drill_set.id, keys=keys)


def test_a_student_does_an_assigned_set_and_the_teacher_sees_the_results(db):
    room = make_classroom(db)
    drill_set = _open_question_set(db, room)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )

    (assigned,) = attempt_service.assigned_sets(db, actor=room.student)
    assert (assigned.id, assigned.items, assigned.tried) == (drill_set.id, 5, 0)
    first = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id).items[0]

    missed = attempt_service.answer_item(
        db, actor=room.student, set_id=drill_set.id, item_id=first.id, reply=CLOSED
    )
    assert not missed.hit and missed.codes == ["closed_question"]
    assert missed.message.startswith("Your reply is a closed question: not yet.")
    answer = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id).items[0]
    assert missed.model_answer == answer.model_answer != ""  # shown after the try
    hit = attempt_service.answer_item(
        db, actor=room.student, set_id=drill_set.id, item_id=first.id, reply=GOOD
    )
    assert hit.hit and hit.message == "Your reply is an open question: that hits the skill."

    tries = attempt_service.attempts_in_set(db, actor=room.student, set_id=drill_set.id)
    assert [a.reply for a in tries[first.id]] == [CLOSED, GOOD]  # every attempt kept
    (assigned,) = attempt_service.assigned_sets(db, actor=room.student)
    assert (assigned.tried, assigned.hit) == (1, 1)

    (row,) = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert (row.student_id, row.skill, row.attempts, row.hits) == (
        room.student.id,
        DrillSkill.open_question,
        2,
        1,
    )
    assert (row.items_tried, row.items_hit, row.hit_rate) == (1, 1, 0.5)
    (day,) = attempt_service.skill_progress(db, actor=room.student)
    assert (day.skill, day.attempts, day.hits) == (DrillSkill.open_question, 2, 1)


def test_a_student_reads_an_items_model_answer_only_after_trying_it(db):
    """The model answer comes after the try: the set a student reads carries none for an item
    they have not answered (whatever a page shows), its author still reads them all."""
    room = make_classroom(db)
    drill_set = _open_question_set(db, room)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    seen = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id)
    assert [item.model_answer for item in seen.items] == [""] * 5
    first = seen.items[0]
    attempt_service.answer_item(
        db, actor=room.student, set_id=drill_set.id, item_id=first.id, reply="Do you drink?"
    )
    seen = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id)
    assert seen.items[0].model_answer and [i.model_answer for i in seen.items[1:]] == [""] * 4
    own = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id)
    assert all(item.model_answer for item in own.items)


def test_a_set_is_assigned_only_with_five_accepted_items_and_holds_ten_at_most(db):
    room = make_classroom(db)
    drill_set = _open_question_set(db, room, items=4)
    with pytest.raises(ValidationError, match="at least 5 accepted items"):
        drill_service.assign_set(
            db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
        )
    own = DrillItemInput(
        skill=DrillSkill.open_question,
        context="Alex, 34, drinking.",
        statement="I drink a bit more on weekends.",
        model_answer="What do weekends look like for you?",
    )
    for _ in range(6):
        drill_service.add_own_item(db, actor=room.teacher, set_id=drill_set.id, data=own)
    with pytest.raises(ConflictError, match="at most 10 items"):
        drill_service.add_own_item(db, actor=room.teacher, set_id=drill_set.id, data=own)
    wrong_skill = own.model_copy(update={"skill": DrillSkill.reflect})
    drill_service.remove_item(
        db, actor=room.teacher, set_id=drill_set.id, item_id=drill_set.items[0].id
    )
    with pytest.raises(ValidationError, match="mixed set"):
        drill_service.add_own_item(db, actor=room.teacher, set_id=drill_set.id, data=wrong_skill)
    assigned = drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    assert assigned.section_ids == [room.section.id] and len(assigned.accepted) == 9


def test_drafts_are_hidden_from_students_until_the_teacher_accepts_them(db):
    room = make_classroom(db)
    drill_set = _open_question_set(db, room)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    draft = DrillItemInput(
        skill=DrillSkill.open_question,
        context="Alex, 34.",
        statement="Work is fine, I guess.",
        model_answer="What is work like these days?",
    )
    added = drill_service.add_drafts(db, db.get_one(DrillSet, drill_set.id), [draft], "generated")
    assert added == 1
    seen = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id)
    assert len(seen.items) == 5
    mine = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id)
    (pending,) = mine.drafts
    with pytest.raises(NotFoundError):
        attempt_service.answer_item(
            db, actor=room.student, set_id=drill_set.id, item_id=pending.id, reply=GOOD
        )
    accepted = drill_service.accept_item(
        db, actor=room.teacher, set_id=drill_set.id, item_id=pending.id
    )
    assert accepted.items[-1].status == DrillItemStatus.accepted
    assert len(attempt_service.read_set(db, actor=room.student, set_id=drill_set.id).items) == 6


def test_another_sections_student_cannot_see_or_do_a_set(db):
    room = make_classroom(db)
    drill_set = _open_question_set(db, room)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    item = drill_set.items[0]
    outsider = make_user(db, username="outside.student")
    enroll(db, section=make_section(db, teacher=room.teacher, name="Other"), student=outsider)

    assert attempt_service.assigned_sets(db, actor=outsider) == []
    with pytest.raises(NotFoundError):
        attempt_service.read_set(db, actor=outsider, set_id=drill_set.id)
    with pytest.raises(NotFoundError):
        attempt_service.answer_item(
            db, actor=outsider, set_id=drill_set.id, item_id=item.id, reply=GOOD
        )
    assert db.query(DrillAttempt).count() == 0


def test_another_teacher_cannot_read_the_results_or_change_the_set(db):
    room = make_classroom(db)
    drill_set = _open_question_set(db, room)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    other = make_user(db, role=Role.teacher, username="other.teacher")
    with pytest.raises(PermissionDeniedError):
        results_service.section_results(db, actor=other, section_id=room.section.id)
    with pytest.raises(NotFoundError):
        drill_service.get_set(db, actor=other, set_id=drill_set.id)
    own_set = _open_question_set(db, room, teacher=other)
    with pytest.raises(PermissionDeniedError):  # not their section
        drill_service.assign_set(db, actor=other, set_id=own_set.id, section_id=room.section.id)


def test_practice_on_ones_own_uses_the_bank_and_counts_in_progress(db):
    room = make_classroom(db)
    item = bank_items(DrillSkill.reflect)[0]
    attempt = attempt_service.practise_bank_item(
        db, actor=room.student, key=item.key, reply=item.model_answer
    )
    assert attempt.hit
    tries = attempt_service.bank_attempts(db, actor=room.student, skill=DrillSkill.reflect)
    assert [a.reply for a in tries[item.key]] == [item.model_answer]
    (day,) = attempt_service.skill_progress(db, actor=room.student)
    assert (day.skill, day.hits) == (DrillSkill.reflect, 1)


def _review(codes: list[str]) -> ReviewContent:
    return ReviewContent.model_validate(
        {
            "codes": [{"turn": 2 * n + 1, "code": code} for n, code in enumerate(codes)],
            "scores": [],
            "strengths": [],
            "try_instead": [],
            "goal": "Keep going.",
        }
    )


@pytest.mark.parametrize(
    ("codes", "skill"),
    [
        (["open_question", "confront", "simple_reflection"], DrillSkill.sustain_talk),
        (["persuade", "closed_question"], DrillSkill.ask_permission),
        (["closed_question", "closed_question", "open_question"], DrillSkill.open_question),
        (["open_question", "closed_question"], DrillSkill.reflect),
    ],
)
def test_a_review_suggests_the_drill_of_its_weakest_skill(codes, skill):
    miti = next(r for r in load_builtin_rubrics() if r.key == "miti")
    assert results_service.weakest_skill(_review(codes), miti)[0] == skill


def test_the_suggested_drill_is_the_students_assigned_set_of_that_skill(db):
    room = make_classroom(db)
    miti = next(r for r in load_builtin_rubrics() if r.key == "miti")
    review = _review(["closed_question", "closed_question"])
    suggestion = results_service.suggest_drill(db, actor=room.student, content=review, rubric=miti)
    assert (suggestion.skill, suggestion.set_id) == (DrillSkill.open_question, None)  # the bank
    drill_set = _open_question_set(db, room)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    suggestion = results_service.suggest_drill(db, actor=room.student, content=review, rubric=miti)
    assert suggestion.set_id == drill_set.id


# Drafting items with the model -------------------------------------------------------------------
def _item(statement: str, answer: str, skill: str = "open_question") -> dict:
    return {"skill": skill, "context": "Alex, 34.", "statement": statement, "model_answer": answer}


def _teacher_set_and_client(engine):
    with unit_of_work(engine) as db:
        room = make_classroom(db)
        drill_set = drill_service.create_set(
            db, actor=room.teacher, title="Drafted", skill=DrillSkill.open_question
        )
    return room, drill_set


def draft(engine, room, drill_set, **kwargs):
    """`generation.draft_items` for the room's teacher, into `drill_set`, from the room's client."""
    return generation.draft_items(
        Database(engine),
        actor=room.teacher,
        set_id=drill_set.id,
        client_id=room.client.id,
        **kwargs,
    )


def test_drafted_items_wait_for_the_teacher_and_their_cost_is_recorded(api, committed_engine):
    room, drill_set = _teacher_set_and_client(committed_engine)
    good = [_item(f"Work is a lot, part {n}.", GOOD) for n in range(3)]
    missing = _item("I drink a bit.", CLOSED)  # a model answer that misses the skill
    api.tool_reply({"items": [*good, missing]}, input_tokens=900, output_tokens=400)
    api.tool_reply({"items": good}, input_tokens=1400, output_tokens=350)  # the repair

    drafted = draft(committed_engine, room, drill_set, count=4)

    # The item the repair left out was dropped (it had been counted 0: an attack on the day's
    # fixes, 2026-12-07).
    assert (drafted.added, drafted.dropped, drafted.demo) == (3, 1, False)
    first, repair = api.messages_requests()[-2:]
    assert "does not do the skill" in str(repair.body["messages"][-1])
    assert room.client.hidden_information not in str(first.body)  # hidden facts stay hidden
    expected = calculate_cost(
        "claude-haiku-4-5", Usage(input_tokens=900, output_tokens=400)
    ) + calculate_cost("claude-haiku-4-5", Usage(input_tokens=1400, output_tokens=350))
    assert drafted.cost == expected
    with unit_of_work(committed_engine, write=False) as db:
        day = db.scalar(select(DailyUsage).where(DailyUsage.user_id == room.teacher.id))
        events = db.scalars(select(Event).where(Event.category == "drill_items_call")).all()
        mine = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id)
    assert day is not None and day.drill_items_cost == day.cost == expected
    assert len(events) == 2
    assert [i.status for i in mine.items] == [DrillItemStatus.draft] * 3
    assert mine.items[0].source == f"generated:{room.client.name}"


def test_demo_mode_drafts_items_offline_for_free(committed_engine):
    room, drill_set = _teacher_set_and_client(committed_engine)
    drafted = draft(committed_engine, room, drill_set, count=5)
    assert (drafted.added, drafted.cost, drafted.demo) == (5, 0, True)
    with unit_of_work(committed_engine, write=False) as db:
        mine = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id)
        assert db.scalar(select(DailyUsage).where(DailyUsage.user_id == room.teacher.id)) is None
    assert all(item.status == DrillItemStatus.draft for item in mine.items)
    assert all(item.skill == DrillSkill.open_question for item in mine.items)
    assert all(room.client.name in item.context for item in mine.items)


def test_drafting_is_refused_once_the_teachers_budget_is_used_up(api, configure, committed_engine):
    room, drill_set = _teacher_set_and_client(committed_engine)
    configure(user_daily_token_budget=1000)
    with unit_of_work(committed_engine) as db:
        usage_service.record_call(
            db,
            purpose=Purpose.drill_items,
            user_id=room.teacher.id,
            at=utcnow(),
            usage=Usage(input_tokens=1200),
            cost=None,
        )
    with pytest.raises(BudgetExceededError):
        draft(committed_engine, room, drill_set)
    assert api.messages_requests() == []  # nothing was asked of the model
    with unit_of_work(committed_engine, write=False) as db:
        assert drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id).items == []


def test_a_draft_refused_for_billing_reaches_the_admins_error_log(api, committed_engine):
    """Replies, reviews and memories log an `api_<category>` event when the API refuses them;
    drafting did not, so a teacher told to ask an admin about billing left the admin's Error log
    empty (an attack, 2026-12-06)."""
    room, drill_set = _teacher_set_and_client(committed_engine)
    api.error(400, "invalid_request_error", "Your credit balance is too low to access it.")
    with pytest.raises(GatewayError):
        draft(committed_engine, room, drill_set)
    with unit_of_work(committed_engine, write=False) as db:
        logged = db.scalars(select(Event).where(Event.category.like("api_%"))).all()
    assert [(event.category, event.user_id) for event in logged] == [
        ("api_permission", room.teacher.id)
    ]


def test_an_assigned_set_keeps_five_items_and_a_set_taken_back_may_shrink(db):
    """A set reaches students only with at least 5 items; removing items must not take an
    assigned set below that, or students get a set the teacher could not have assigned."""
    room = make_classroom(db)
    drill_set = _open_question_set(db, room, items=6)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    first, second = drill_set.accepted[0], drill_set.accepted[1]
    drill_service.remove_item(db, actor=room.teacher, set_id=drill_set.id, item_id=first.id)
    with pytest.raises(ValidationError, match="at least 5 items") as refused:
        drill_service.remove_item(db, actor=room.teacher, set_id=drill_set.id, item_id=second.id)
    assert "add or accept one more item first" in str(refused.value)
    assert room.section.name in str(refused.value)
    student_sees = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id)
    assert len(student_sees.items) == 5
    drill_service.unassign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    shrunk = drill_service.remove_item(
        db, actor=room.teacher, set_id=drill_set.id, item_id=second.id
    )
    assert len(shrunk.accepted) == 4


def _assigned_set_of_six(engine):
    """(classroom, its set of 6 accepted items assigned to its section), committed: for the
    tests of two people changing the set at once."""
    with unit_of_work(engine) as db:
        room = make_classroom(db)
        drill_set = _open_question_set(db, room, items=6)
        drill_service.assign_set(
            db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
        )
    return room, drill_set


@pytest.mark.both_backends
def test_two_removals_at_once_leave_an_assigned_set_its_five_items(committed_engine):
    """Two tabs removing two items of an assigned set of 6 at the same moment: the second
    waits for the first and is refused, so students never get a set of 4."""
    room, drill_set = _assigned_set_of_six(committed_engine)
    first, second = drill_set.accepted[0].id, drill_set.accepted[1].id
    outcome: list[str] = []

    def other_tab() -> None:
        try:
            with unit_of_work(committed_engine) as db:
                drill_service.remove_item(
                    db, actor=room.teacher, set_id=drill_set.id, item_id=second
                )
            outcome.append("removed")
        except ValidationError as error:
            outcome.append(error.message)

    with unit_of_work(committed_engine) as db:
        drill_service.remove_item(db, actor=room.teacher, set_id=drill_set.id, item_id=first)
        tab = threading.Thread(target=other_tab)
        tab.start()
        tab.join(timeout=1)  # the first removal is not committed yet
    tab.join(timeout=30)
    assert len(outcome) == 1 and outcome[0].startswith("An assigned drill set keeps at least 5")
    with unit_of_work(committed_engine, write=False) as db:
        left = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id)
    assert len(left.accepted) == 5


@pytest.mark.both_backends
def test_an_answer_saved_while_its_item_is_removed_is_kept(committed_engine):
    """A student's answer still being saved when the teacher removes its item: the removal
    waits for it, sees it and only hides the item, so the answer stays."""
    room, drill_set = _assigned_set_of_six(committed_engine)
    item = drill_set.accepted[0].id
    answering = threading.Event()
    removed: list[str] = []

    def teacher_tab() -> None:
        answering.wait(10)
        with unit_of_work(committed_engine) as db:
            drill_service.remove_item(db, actor=room.teacher, set_id=drill_set.id, item_id=item)
        removed.append("removed")

    tab = threading.Thread(target=teacher_tab)
    tab.start()
    with unit_of_work(committed_engine) as db:
        attempt_service.answer_item(
            db, actor=room.student, set_id=drill_set.id, item_id=item, reply=GOOD
        )
        answering.set()
        tab.join(timeout=1)  # the removal runs while the answer is not committed yet
    tab.join(timeout=30)
    assert removed == ["removed"]
    with unit_of_work(committed_engine, write=False) as db:
        kept = db.scalars(select(DrillAttempt.reply)).all()
        hidden = db.get_one(DrillSetItem, item).status
    assert kept == [GOOD], "the student's answer was deleted with the item"
    assert hidden == DrillItemStatus.removed


@pytest.mark.both_backends
def test_an_answer_to_an_item_being_removed_is_told_the_item_is_gone(committed_engine):
    """The teacher's removal of an unanswered item is under way when the student answers it:
    the answer waits for it and is told the item is gone, not a database error."""
    room, drill_set = _assigned_set_of_six(committed_engine)
    item = drill_set.accepted[0].id
    outcome: list[str] = []

    def student_tab() -> None:
        try:
            with unit_of_work(committed_engine) as db:
                attempt_service.answer_item(
                    db, actor=room.student, set_id=drill_set.id, item_id=item, reply=GOOD
                )
            outcome.append("saved")
        except attempt_service.ItemTakenOut as error:
            outcome.append(error.message)
        except Exception as error:  # what the student would see instead
            outcome.append(type(error).__name__)

    with unit_of_work(committed_engine) as db:
        drill_service.remove_item(db, actor=room.teacher, set_id=drill_set.id, item_id=item)
        tab = threading.Thread(target=student_tab)
        tab.start()
        tab.join(timeout=1)  # the answer runs while the removal is not committed yet
    tab.join(timeout=30)
    assert len(outcome) == 1
    assert outcome[0].startswith("Your teacher took this item out of the set, so your reply was")


def test_a_bank_item_is_in_a_set_once_however_often_it_is_added(db):
    """The page offers only bank items not yet in the set, but a second tab (or a request naming
    one key five times) had put the same item in twice, or built an assignable set of five items
    that were one statement, which students then met five times. (An attack, 2026-12-07.)"""
    room = make_classroom(db)
    drill_set = drill_service.create_set(
        db, actor=room.teacher, title="Reflections", skill=DrillSkill.reflect
    )
    first, second = (item.key for item in bank_items(DrillSkill.reflect)[:2])
    drill_service.add_bank_items(db, actor=room.teacher, set_id=drill_set.id, keys=[first])
    shown = drill_service.add_bank_items(
        db, actor=room.teacher, set_id=drill_set.id, keys=[first, second, second, second]
    )

    assert sorted(item.source for item in shown.items) == sorted(
        [f"bank:{first}", f"bank:{second}"]
    )


def test_a_section_teacher_reads_a_colleagues_set_as_their_students_do(db):
    """An admin gives teacher B's drill set to teacher A's section too. `sets_of_section` gave A
    the whole set: B's drafts with their model answers and source (B's client) and B's other
    sections, though the policy lets only the author, admins and the set's students read it
    (an attack, 2026-12-07). A now reads what A's students read: the accepted items, and only
    A's own sections; the author still reads everything."""
    author = make_user(db, role=Role.teacher, username="author.b")
    teacher_a = make_user(db, role=Role.teacher, username="teacher.a")
    admin = make_user(db, role=Role.admin, username="the.admin")
    section_a = make_section(db, teacher=teacher_a, name="A's section")
    section_b = make_section(db, teacher=author, name="B's own section")
    drill_set = drill_service.create_set(db, actor=author, title="B's open questions")
    keys = [item.key for item in bank_items(DrillSkill.open_question)[:5]]
    drill_service.add_bank_items(db, actor=author, set_id=drill_set.id, keys=keys)
    draft = DrillItemInput(
        skill=DrillSkill.open_question,
        context="A client who has not decided yet.",
        statement="Draft statement only its author has seen yet",
        model_answer="What would help you decide?",
    )
    drill_service.add_drafts(
        db, db.get_one(DrillSet, drill_set.id), [draft], "generated:B's client"
    )
    drill_service.assign_set(db, actor=author, set_id=drill_set.id, section_id=section_b.id)
    drill_service.assign_set(db, actor=admin, set_id=drill_set.id, section_id=section_a.id)
    assert not access.allows(db, teacher_a, "drill", "read", db.get_one(DrillSet, drill_set.id))

    (seen,) = drill_service.sets_of_section(db, actor=teacher_a, section_id=section_a.id)
    assert seen.drafts == [] and len(seen.accepted) == 5
    assert seen.section_ids == [section_a.id]
    (own,) = drill_service.sets_of_section(db, actor=author, section_id=section_b.id)
    assert len(own.drafts) == 1 and own.section_ids == sorted([section_a.id, section_b.id])
