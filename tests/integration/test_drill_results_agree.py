"""A section's drill results count what the student's own list counts, and keep the attempts at a
set taken back."""

from __future__ import annotations

import pytest

from backend.drills import attempt_service, drill_service, results_service
from backend.drills.bank import bank_items
from backend.models.enums import DrillSkill, Role
from tests.factories import make_classroom, make_user

OPEN = "What does a typical evening look like for you?"
CLOSED = "Do you drink every day?"


def _bank_set(db, actor, *, items=5, skill=DrillSkill.open_question, title="Open questions"):
    drill_set = drill_service.create_set(db, actor=actor, title=title, skill=skill)
    keys = [item.key for item in bank_items(skill)[:items]]
    return drill_service.add_bank_items(db, actor=actor, set_id=drill_set.id, keys=keys)


@pytest.mark.xfail(
    strict=True,
    reason="a known limit: a set's assignments keep no history, so once an admin's set is taken "
    "back nothing says its attempts were made for this section (it needs a migration)",
)
def test_a_set_an_admin_gave_and_took_back_keeps_its_attempts_in_the_sections_results(db):
    """An admin gives a section "Open questions, shared"; its student answers 3 items, and the
    teacher's Results show 3 attempts. The admin takes the set back (the remove refusal tells
    them to): the section's Results now say "No drill attempts in this section yet", although
    the student's 3 answers (and their hit rate on My progress) are still there. The README
    promises "a set taken back keeps its attempts there"; it held only for the teacher's own
    sets. (An attack, 2026-12-07.)"""
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    drill_set = _bank_set(db, admin, title="Open questions, shared")
    drill_service.assign_set(db, actor=admin, set_id=drill_set.id, section_id=room.section.id)
    for item in drill_set.items[:3]:
        attempt_service.answer_item(
            db, actor=room.student, set_id=drill_set.id, item_id=item.id, reply=OPEN
        )
    before = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert [(r.attempts, r.items_hit) for r in before] == [(3, 3)]

    drill_service.unassign_set(db, actor=admin, set_id=drill_set.id, section_id=room.section.id)

    after = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert [(r.student_id, r.attempts, r.items_hit) for r in after] == [(room.student.id, 3, 3)], (
        "the section's results lost the attempts at a set taken back"
    )


def test_an_item_taken_out_after_it_was_answered_counts_the_same_for_student_and_teacher(db):
    """A set of 6; the student answers all 6 (each a hit); the teacher removes item 1 (hidden,
    its attempts kept). The student's Drills list reads "5 items · tried 5 · hit 5"; the
    teacher's Results say Items tried 6, Items hit 6 for the same set: the README says Results
    count items tried and hit "as the student's own list counts them". (An attack, 2026-12-07.)"""
    room = make_classroom(db)
    drill_set = _bank_set(db, room.teacher, items=6)
    drill_service.assign_set(
        db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
    )
    for item in drill_set.items:
        attempt_service.answer_item(
            db, actor=room.student, set_id=drill_set.id, item_id=item.id, reply=OPEN
        )
    drill_service.remove_item(
        db, actor=room.teacher, set_id=drill_set.id, item_id=drill_set.items[0].id
    )
    (listed,) = attempt_service.assigned_sets(db, actor=room.student)
    (result,) = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert (listed.items, listed.tried, listed.hit) == (5, 5, 5)
    assert (result.items_tried, result.items_hit) == (listed.tried, listed.hit), (
        f"teacher reads items tried {result.items_tried}, hit {result.items_hit}; "
        f"student reads tried {listed.tried}, hit {listed.hit}"
    )
