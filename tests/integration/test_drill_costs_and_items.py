"""Drills as an attacker and a demanding user would try them (review of issue 24): a model's
drafted item that the set's own text check refuses must not lose what the call cost, and a
teacher tidying an assigned set must not erase the attempts a student already made."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db import Database, unit_of_work
from backend.drills import attempt_service, drill_service, generation
from backend.drills.read_models import DrillItemInput
from backend.errors import AppError
from backend.models import DailyUsage, Event
from backend.models.enums import DrillSkill
from tests.factories import make_classroom
from tests.integration.test_drills import (
    CLOSED,
    GOOD,
    _item,
    _open_question_set,
    _teacher_set_and_client,
)


def test_a_drafted_item_with_a_blank_context_still_records_what_the_call_cost(
    api, committed_engine
):
    """The model's items pass `_validate` on raw lengths (a context of one space is 1 character),
    then `add_drafts` cleans them (`clean_text(required=True)`) and raises in the same unit of
    work as the usage records: the billed call is rolled back, so the teacher's budget never
    sees it and they can draft again for free, as often as they like."""
    room, drill_set = _teacher_set_and_client(committed_engine)
    good = [_item(f"Work is a lot, part {n}.", GOOD) for n in range(3)]
    blank = _item("I drink a bit more than I used to.", GOOD) | {"context": " "}
    api.tool_reply({"items": [*good, blank]}, input_tokens=900, output_tokens=400)
    api.tool_reply({"items": good}, input_tokens=1400, output_tokens=350)  # a repair, if asked

    try:
        drafted = generation.draft_items(
            Database(committed_engine),
            actor=room.teacher,
            set_id=drill_set.id,
            client_id=room.client.id,
            count=4,
        )
    except AppError:
        drafted = None

    calls = len(api.messages_requests())
    assert calls >= 1
    with unit_of_work(committed_engine, write=False) as db:
        day = db.scalar(select(DailyUsage).where(DailyUsage.user_id == room.teacher.id))
        billed = db.scalar(
            select(func.count()).select_from(Event).where(Event.category == "drill_items_call")
        )
    assert billed == calls, "every billed drafting call has its event"
    assert day is not None and day.drill_items_cost > 0, "the call's cost reached the budget"
    assert drafted is not None and drafted.added == 3, "the three good drafts are kept"


def test_removing_an_item_from_an_assigned_set_keeps_the_students_attempts(db):
    """README (Drills): "every attempt is stored" and "Items are copies, so a changed bank or
    draft never changes an item a student answered"; the student's hit rate by day is on My
    progress. `remove_item` deletes the item, and `drill_attempts.set_item_id` is ON DELETE
    CASCADE, so a teacher tidying a set erases a student's past work and their progress."""
    room = make_classroom(db)
    drill_set = _open_question_set(db, room, items=6)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    first = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id).items[0]
    attempt_service.answer_item(
        db, actor=room.student, set_id=drill_set.id, item_id=first.id, reply=GOOD
    )
    before = attempt_service.skill_progress(db, actor=room.student)
    assert [(d.skill, d.attempts, d.hits) for d in before] == [(DrillSkill.open_question, 1, 1)]

    drill_service.remove_item(db, actor=room.teacher, set_id=drill_set.id, item_id=first.id)
    db.expire_all()

    after = attempt_service.skill_progress(db, actor=room.student)
    assert [(d.skill, d.attempts, d.hits) for d in after] == [(DrillSkill.open_question, 1, 1)]


def test_an_accepted_item_a_student_answered_cannot_be_rewritten_under_their_attempts(db):
    """README (Drills): "Items are copies, so a changed bank or draft never changes an item a
    student answered". `accept_item` with `data` rewrites any item of the set, not only a draft
    (`_item` checks the set, never the status): the student's attempt then shows beside a client
    statement and model answer they never saw."""
    room = make_classroom(db)
    drill_set = _open_question_set(db, room)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    first = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id).items[0]
    attempt_service.answer_item(
        db, actor=room.student, set_id=drill_set.id, item_id=first.id, reply=GOOD
    )
    rewrite = DrillItemInput(
        skill=DrillSkill.open_question,
        context="Someone else entirely.",
        statement="A statement the student never answered.",
        model_answer="What would you like to talk about today?",
    )
    try:
        drill_service.accept_item(
            db, actor=room.teacher, set_id=drill_set.id, item_id=first.id, data=rewrite
        )
    except AppError:
        pass  # refusing to rewrite an accepted item is one fix
    db.expire_all()

    seen = attempt_service.read_set(db, actor=room.student, set_id=drill_set.id)
    statements = {item.id: item.statement for item in seen.items}
    assert statements.get(first.id, first.statement) == first.statement


def test_a_repair_that_sends_only_the_fixed_item_keeps_the_good_ones_of_the_first_answer(
    api, committed_engine
):
    """Five items asked for; the first answer has four good ones and one whose model answer
    misses the skill, so it is sent back, and the model answers with the one item fixed. Both
    calls are billed; the four good items of the first answer had been thrown away ("Drafted 1
    items"). Every item that held up in any answer is kept, each statement once. (An attack,
    2026-12-07.)"""
    room, drill_set = _teacher_set_and_client(committed_engine)
    good = [_item(f"Work has been a lot, part {n}.", GOOD) for n in range(4)]
    api.tool_reply({"items": [*good, _item("I drink a bit in the evenings.", CLOSED)]})
    fixed = _item("I drink a bit in the evenings.", "How does drinking fit into your evenings?")
    api.tool_reply({"items": [fixed, good[0]]})  # the fix, and one good item again
    drafted = generation.draft_items(
        Database(committed_engine),
        actor=room.teacher,
        set_id=drill_set.id,
        client_id=room.client.id,
        count=5,
    )
    with unit_of_work(committed_engine, write=False) as db:
        mine = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id)
    assert len(api.messages_requests()) == 2
    assert (drafted.added, drafted.dropped) == (5, 0)
    assert sorted(item.statement for item in mine.drafts) == sorted(
        [*(item["statement"] for item in good), fixed["statement"]]
    )


def test_an_answer_with_enough_good_items_is_not_sent_back_for_a_paid_repair(api, committed_engine):
    """Five items asked for; the first answer brings six, five of them good. The five are
    what the teacher asked for, yet the one miss had sent the answer back for a second paid
    call whose items were then cut away. (Noticed on rereading the drills' fixes, 2026-12-07.)"""
    room, drill_set = _teacher_set_and_client(committed_engine)
    good = [_item(f"Work has been a lot, part {n}.", GOOD) for n in range(5)]
    api.tool_reply({"items": [*good, _item("I drink a bit in the evenings.", CLOSED)]})
    api.tool_reply({"items": good})  # a repair, if asked: it must not be
    drafted = generation.draft_items(
        Database(committed_engine),
        actor=room.teacher,
        set_id=drill_set.id,
        client_id=room.client.id,
        count=5,
    )
    assert len(api.messages_requests()) == 1, "a second, paid call for items nobody needed"
    assert (drafted.added, drafted.dropped) == (5, 0)
