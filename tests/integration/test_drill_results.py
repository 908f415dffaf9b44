"""Drill figures a teacher and a student read agree, and survive a set taken back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from backend.drills import attempt_service, drill_service, results_service
from backend.drills.bank import bank_items
from backend.models import DrillAssignment
from backend.models.base import utcnow
from backend.models.enums import DrillSkill
from backend.reviews.read_models import ReviewContent
from backend.reviews.rubrics import load_builtin_rubrics
from tests.factories import make_classroom

OPEN = "What does a typical evening look like for you?"
CLOSED = "Do you drink every day?"


def _assigned_set(db, room, *, title="Open questions", skill=DrillSkill.open_question):
    drill_set = drill_service.create_set(db, actor=room.teacher, title=title, skill=skill)
    keys = [item.key for item in bank_items(skill)[:5]]
    drill_set = drill_service.add_bank_items(db, actor=room.teacher, set_id=drill_set.id, keys=keys)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    return drill_set


def test_taking_a_set_back_from_a_section_keeps_its_attempts_in_the_sections_results(db):
    """`unassign_set` promises "its students' attempts stay in their results", and the remove
    refusal tells the teacher to take the set back first; the Results tab then loses them."""
    room = make_classroom(db)
    drill_set = _assigned_set(db, room)
    for item in drill_set.items[:3]:
        attempt_service.answer_item(
            db, actor=room.student, set_id=drill_set.id, item_id=item.id, reply=OPEN
        )
    before = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert [(r.attempts, r.items_hit) for r in before] == [(3, 3)]

    drill_service.unassign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    after = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert [(r.student_id, r.attempts, r.items_hit) for r in after] == [(room.student.id, 3, 3)]


def test_an_item_hit_then_missed_counts_the_same_for_the_student_and_the_teacher(db):
    """One set, one skill: the student's Drills list and the teacher's Results count the same
    items as hit (student: "hit 0"; teacher: "Items hit 1")."""
    room = make_classroom(db)
    drill_set = _assigned_set(db, room)
    first = drill_set.items[0].id
    for reply in (OPEN, CLOSED):  # a hit, then a retry that misses
        attempt_service.answer_item(
            db, actor=room.student, set_id=drill_set.id, item_id=first, reply=reply
        )
    (listed,) = attempt_service.assigned_sets(db, actor=room.student)
    (result,) = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert (listed.tried, listed.hit) == (result.items_tried, result.items_hit)


def test_drill_next_opens_the_newest_assigned_set_of_the_skill(db):
    """README: Drill next "opens the student's newest assigned set of that skill"; the Drills
    page lists sets newest assigned first. A set created earlier but assigned later is not
    the one it opens."""
    room = make_classroom(db)
    older_set = _assigned_set(db, room, title="Created first, assigned today")
    newer_set = _assigned_set(db, room, title="Created second, assigned last week")
    db.execute(
        update(DrillAssignment)
        .where(DrillAssignment.set_id == newer_set.id)
        .values(assigned_at=utcnow() - timedelta(days=7))
    )
    listed = attempt_service.assigned_sets(db, actor=room.student)
    assert listed[0].id == older_set.id  # the page's newest assigned set
    rubric = next(r for r in load_builtin_rubrics() if r.key == "micro_skills")
    closed = next(c.key for c in rubric.codes if c.kind == "question" and "closed" in c.key)
    content = ReviewContent.model_validate(
        {
            "scores": [],
            "codes": [{"turn": 1, "code": closed}, {"turn": 2, "code": closed}],
            "strengths": [],
            "try_instead": [],
            "goal": "Ask open questions.",
        }
    )
    suggestion = results_service.suggest_drill(
        db, actor=room.student, content=content, rubric=rubric
    )
    assert suggestion.skill == DrillSkill.open_question
    assert suggestion.set_id == older_set.id
