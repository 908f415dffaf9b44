"""What drills show beyond the drills themselves: a section's results per student and skill (for
its teacher), and the drill a review suggests (the skill of the review's weakest point).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from backend import access
from backend.actor import UserRead
from backend.classes import section_service
from backend.drills.read_models import SkillResult
from backend.drills.skills import SKILLS
from backend.models import (
    DrillAssignment,
    DrillAttempt,
    DrillSet,
    DrillSetItem,
    Enrollment,
    User,
)
from backend.models.enums import DrillItemStatus, DrillSkill
from backend.reviews.coding import confronts
from backend.reviews.phrases import TurnText
from backend.reviews.read_models import ReviewContent
from backend.reviews.rubric_schema import RubricDefinition
from backend.utils.formatting import Named, told_apart


def section_results(db: Session, *, actor: UserRead | None, section_id: int) -> list[SkillResult]:
    """Per enrolled student and skill: attempts, hits, items tried and items hit (at their latest
    attempt, as the student's Drills list counts them), over the drill sets assigned to this
    section and its teacher's others not given to another section the student is in (a set
    taken back keeps its attempts here), students without attempts listed with none."""
    section = section_service.get_owned_section(db, actor, section_id)
    enrolled = db.execute(
        select(User.id, User.display_name, User.username)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(Enrollment.section_id == section_id)
        .order_by(User.display_name, User.id)
    ).all()
    # Two students of one name told apart by username, as on Class progress (two "Sam Lee" rows,
    # one at 100% and one at 0%, had said nothing more: an attack, 2026-12-07).
    names = told_apart([Named(row.id, row.display_name, row.username) for row in enrolled])
    students = [(row.id, name) for row, name in zip(enrolled, names, strict=True)]
    # Sets given to this section, and its teacher's others (one taken back keeps its attempts
    # here) unless given to another section the student is in: that section's (a student in
    # both had brought its attempts here: an attack, 2026-12-07; and one in this section only
    # had lost them when the set was taken back from here but not from another: an attack on
    # the fix).
    other_section = aliased(Enrollment)
    counted_elsewhere = exists().where(
        DrillAssignment.set_id == DrillAttempt.set_id,
        DrillAssignment.section_id != section_id,
        other_section.section_id == DrillAssignment.section_id,
        other_section.student_id == DrillAttempt.student_id,
    )
    given_here = select(DrillAssignment.set_id).where(DrillAssignment.section_id == section_id)
    teachers = select(DrillSet.id).where(DrillSet.owner_id == section.teacher_id)
    counted = or_(
        DrillAttempt.set_id.in_(given_here),
        and_(DrillAttempt.set_id.in_(teachers), ~counted_elsewhere),
    )
    attempts = db.execute(
        select(
            DrillAttempt.student_id,
            DrillAttempt.skill,
            DrillAttempt.set_item_id,
            DrillAttempt.hit,
            DrillSetItem.status,
        )
        .join(Enrollment, Enrollment.student_id == DrillAttempt.student_id)
        .outerjoin(DrillSetItem, DrillSetItem.id == DrillAttempt.set_item_id)
        .where(Enrollment.section_id == section_id, counted)
        .order_by(DrillAttempt.created_at, DrillAttempt.id)
    ).all()
    cells: dict[tuple[int, DrillSkill], _Cell] = defaultdict(_Cell)
    for student_id, skill, item_id, hit, status in attempts:
        # An item taken out keeps its attempts but is no longer one of the set's items, as on
        # the student's own list (an attack, 2026-12-07).
        cells[student_id, DrillSkill(skill)].add(item_id, hit, status != DrillItemStatus.removed)
    skills = sorted({skill for _student, skill in cells}, key=list(SKILLS).index)
    results = []
    for student_id, name in students:
        for skill in skills:
            cell = cells.get((student_id, skill), _Cell())
            results.append(
                SkillResult(
                    student_id=student_id,
                    student_name=name,
                    skill=skill,
                    attempts=cell.attempts,
                    hits=cell.hits,
                    items_tried=len(cell.tried),
                    items_hit=len(cell.hit),
                )
            )
    return results


@dataclass
class _Cell:
    attempts: int = 0
    hits: int = 0
    tried: set[int | None] = field(default_factory=set)
    hit: set[int | None] = field(default_factory=set)

    def add(self, item_id: int | None, hit: bool, item_counts: bool = True) -> None:
        """One attempt, in the order they were made: an item counts as hit at its latest (and
        only while it is in its set: `item_counts`)."""
        self.attempts += 1
        self.hits += hit
        if not item_counts:
            return
        self.tried.add(item_id)
        if hit:
            self.hit.add(item_id)
        else:
            self.hit.discard(item_id)


@dataclass(frozen=True)
class DrillSuggestion:
    """The drill a review points to: its skill, why, and an assigned set of the student's that
    trains it (None: practise the built-in bank's items of that skill)."""

    skill: DrillSkill
    reason: str
    set_id: int | None


def weakest_skill(content: ReviewContent, rubric: RubricDefinition) -> tuple[DrillSkill, str]:
    """The skill of a review's weakest point, from its codes (first rule that applies):
    arguing -> sustain talk; advice nobody asked for -> asking permission; more closed than open
    questions -> open questions; else reflections (fewer reflections than questions, or none)."""
    kinds = {code.key: code for code in rubric.codes}
    # What the review quotes of each turn it corrects: arguing, in a rubric without a confront
    # code, is coded as unasked advice, and its quote holds the confrontation.
    quoted = {item.turn: TurnText(item.quote) for item in content.try_instead}
    counts: dict[str, int] = defaultdict(int)
    for coded in content.codes:
        code = kinds.get(coded.code)
        key = coded.code
        if key == "confront" or (
            code is not None
            and code.adherence == "non_adherent"
            and coded.turn in quoted
            and confronts(quoted[coded.turn])
        ):
            counts["confront"] += 1
        elif key in ("persuade", "advice") or (
            code is not None and code.adherence == "non_adherent"
        ):
            counts["advice"] += 1
        elif code is not None and code.kind == "question":
            counts["closed" if "closed" in key else "open"] += 1
        elif code is not None and code.kind == "reflection":
            counts["reflection"] += 1
    if counts["confront"]:
        return DrillSkill.sustain_talk, "The review found arguing with the client."
    if counts["advice"]:
        return DrillSkill.ask_permission, "The review found advice nobody asked for."
    if counts["closed"] > counts["open"]:
        return DrillSkill.open_question, "The review found more closed questions than open ones."
    return DrillSkill.reflect, "Reflections are the skill that most reviews ask more of."


def suggest_drill(
    db: Session, *, actor: UserRead | None, content: ReviewContent, rubric: RubricDefinition
) -> DrillSuggestion:
    """The drill a student's review suggests: their newest assigned set of that skill if they
    have one, else the built-in bank's items of that skill."""
    actor = access.require(db, actor, "practice", "use")
    skill, reason = weakest_skill(content, rubric)
    newest = db.scalar(  # as the Drills page lists them: the latest assigned first
        select(DrillSet.id)
        .join(DrillAssignment, DrillAssignment.set_id == DrillSet.id)
        .join(Enrollment, Enrollment.section_id == DrillAssignment.section_id)
        .where(Enrollment.student_id == actor.id, DrillSet.skill == skill)
        .order_by(DrillAssignment.assigned_at.desc(), DrillSet.id)
        .limit(1)
    )
    return DrillSuggestion(skill, reason, newest)
