"""A student doing drills: the sets assigned to their sections, one reply at a time coded at once
by the offline coder (no model call, nothing billed), every attempt stored, retries allowed; the
built-in bank to practise alone; and their hit rate per skill, day by day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.drills import skills
from backend.drills.bank import bank_item
from backend.drills.drill_service import DrillItemNotFound
from backend.drills.read_models import (
    AssignedSet,
    AttemptRead,
    DrillItemRead,
    DrillSetRead,
    SkillDay,
)
from backend.errors import ConflictError, NotFoundError
from backend.models import (
    DrillAssignment,
    DrillAttempt,
    DrillSet,
    DrillSetItem,
    Enrollment,
    Section,
)
from backend.models.enums import DrillItemStatus, DrillSkill
from backend.utils.text import clean_text

MAX_REPLY_CHARS = 500


def _your_reply(reply: str) -> str:
    return f" Your reply was: “{reply.strip()}”." if reply.strip() else ""


class SetNotAssigned(NotFoundError):
    """The set is not (or no longer) assigned to the student: taken back by its teacher, or the
    student left the section, while they had it open. The same words for a set that never was
    theirs, so that no student learns which sets exist (nor an id they never saw); a reply sent
    to it is quoted."""

    def __init__(self, reply: str | None = None) -> None:
        gone = "This drill set is no longer assigned to you (your teacher may have taken it back)"
        if reply is None:
            super().__init__(f"{gone}.")
        else:
            super().__init__(f"{gone}, so your reply was not saved.{_your_reply(reply)}")


class SameReplyAgain(ConflictError):
    """The reply is the one the student's latest attempt at this item already sent: a double
    click or "Try again" with nothing changed would count one answer twice."""

    def __init__(self) -> None:
        super().__init__(
            "You sent this reply already; its feedback is below. Change it to try again."
        )


class ItemTakenOut(ConflictError):
    """The item was taken out of the set (by its teacher) while the student was answering it."""

    def __init__(self, reply: str) -> None:
        super().__init__(
            "Your teacher took this item out of the set, so your reply was not saved."
            f"{_your_reply(reply)} The set now shows its other items."
        )


def assigned_sets(db: Session, *, actor: UserRead | None) -> list[AssignedSet]:
    """The drill sets of the student's sections, with how far they got in each."""
    actor = access.require(db, actor, "practice", "use")
    rows = db.execute(
        select(DrillSet, Section.name)
        .join(DrillAssignment, DrillAssignment.set_id == DrillSet.id)
        .join(Section, Section.id == DrillAssignment.section_id)
        .join(Enrollment, Enrollment.section_id == Section.id)
        .where(Enrollment.student_id == actor.id)
        .order_by(DrillAssignment.assigned_at.desc(), DrillSet.id)
    ).all()
    found: list[AssignedSet] = []
    seen: set[int] = set()
    for drill_set, section_name in rows:
        if drill_set.id in seen:  # assigned to two of the student's sections
            continue
        seen.add(drill_set.id)
        items = _accepted_items(db, drill_set.id)
        latest = _latest_hits(db, actor.id, drill_set.id)
        found.append(
            AssignedSet(
                id=drill_set.id,
                title=drill_set.title,
                skill=drill_set.skill,
                section_name=section_name,
                items=len(items),
                tried=sum(1 for item in items if item.id in latest),
                hit=sum(1 for item in items if latest.get(item.id)),
            )
        )
    return found


def read_set(db: Session, *, actor: UserRead | None, set_id: int) -> DrillSetRead:
    """A set as its students see it: the accepted items only, each with its model answer once
    the student has tried it (the answer comes after the try)."""
    actor, drill_set = _readable(db, actor, set_id)
    tried = set(
        db.scalars(
            select(DrillAttempt.set_item_id).where(
                DrillAttempt.student_id == actor.id, DrillAttempt.set_id == set_id
            )
        )
    )
    read = DrillSetRead.model_validate(drill_set)
    read.items = [
        DrillItemRead.model_validate(item).model_copy(
            update={} if item.id in tried or not actor.is_student else {"model_answer": ""}
        )
        for item in _accepted_items(db, set_id)
    ]
    return read


def answer_item(
    db: Session, *, actor: UserRead | None, set_id: int, item_id: int, reply: str
) -> AttemptRead:
    """Code a reply to one item of an assigned set at once and store the attempt."""
    drill_set = db.get(DrillSet, set_id)
    if drill_set is None:
        access.require(db, actor, "drill", "practise")
        raise SetNotAssigned(reply)
    actor = access.require(
        db, actor, "drill", "practise", drill_set, refuse=lambda: SetNotAssigned(reply)
    )
    # FOR KEY SHARE, the lock the attempt's foreign key takes anyway, taken before the item is
    # read: a removal under way is waited for, and what it did (deleted, hidden) is what is read.
    item = db.get(DrillSetItem, item_id, with_for_update={"read": True, "key_share": True})
    if item is None or item.status == DrillItemStatus.removed:
        raise ItemTakenOut(reply)
    if item.set_id != set_id or item.status != DrillItemStatus.accepted:
        raise DrillItemNotFound(item_id)
    return _attempt(
        db, actor, item.skill, item.statement, item.model_answer, reply, set_item=(set_id, item.id)
    )


def attempts_in_set(
    db: Session, *, actor: UserRead | None, set_id: int
) -> dict[int, list[AttemptRead]]:
    """The student's own attempts at each item of a set (item id -> oldest first)."""
    actor, _set = _readable(db, actor, set_id)
    rows = db.execute(
        select(DrillAttempt, DrillSetItem.model_answer)
        .join(DrillSetItem, DrillSetItem.id == DrillAttempt.set_item_id)
        .where(DrillAttempt.student_id == actor.id, DrillAttempt.set_id == set_id)
        .order_by(DrillAttempt.created_at, DrillAttempt.id)
    ).all()
    found: dict[int, list[AttemptRead]] = defaultdict(list)
    for attempt, model_answer in rows:
        assert attempt.set_item_id is not None
        found[attempt.set_item_id].append(_attempt_read(attempt, model_answer))
    return dict(found)


def practise_bank_item(db: Session, *, actor: UserRead | None, key: str, reply: str) -> AttemptRead:
    """A student practising an item of the built-in bank on their own (coded and kept alike)."""
    actor = access.require(db, actor, "practice", "use")
    item = bank_item(key)
    if item is None:
        raise NotFoundError(f"No built-in drill item {key!r}.")
    return _attempt(db, actor, item.skill, item.statement, item.model_answer, reply, bank_key=key)


def _attempt(
    db: Session,
    actor: UserRead,
    skill: DrillSkill,
    statement: str,
    model_answer: str,
    reply: str,
    *,
    set_item: tuple[int, int] | None = None,
    bank_key: str | None = None,
) -> AttemptRead:
    """The reply coded at once and stored as an attempt at a set's item or the bank's."""
    text = _reply(reply)
    set_id, item_id = set_item if set_item is not None else (None, None)
    latest = db.scalar(
        select(DrillAttempt.reply)
        .where(
            DrillAttempt.student_id == actor.id,
            DrillAttempt.set_item_id == item_id
            if item_id is not None
            else DrillAttempt.bank_key == bank_key,
        )
        .order_by(DrillAttempt.created_at.desc(), DrillAttempt.id.desc())
        .limit(1)
    )
    if latest == text:
        raise SameReplyAgain()
    coded = skills.code_reply(skill, text, statement)
    attempt = DrillAttempt(
        student_id=actor.id,
        set_id=set_id,
        set_item_id=item_id,
        bank_key=bank_key,
        skill=skill,
        reply=text,
        codes=coded.codes,
        hit=coded.hit,
    )
    db.add(attempt)
    db.flush()
    return _attempt_read(attempt, model_answer, coded.message)


def bank_attempts(
    db: Session, *, actor: UserRead | None, skill: DrillSkill
) -> dict[str, list[AttemptRead]]:
    """The student's own attempts at the bank's items of one skill (key -> oldest first)."""
    actor = access.require(db, actor, "practice", "use")
    rows = db.scalars(
        select(DrillAttempt)
        .where(
            DrillAttempt.student_id == actor.id,
            DrillAttempt.bank_key.is_not(None),
            DrillAttempt.skill == skill,
        )
        .order_by(DrillAttempt.created_at, DrillAttempt.id)
    ).all()
    found: dict[str, list[AttemptRead]] = defaultdict(list)
    for attempt in rows:
        item = bank_item(attempt.bank_key or "")
        if item is not None:
            found[item.key].append(_attempt_read(attempt, item.model_answer))
    return dict(found)


def skill_progress(db: Session, *, actor: UserRead | None) -> list[SkillDay]:
    """The student's hit rate per skill per UTC day, every attempt counted (sets and bank)."""
    actor = access.require(db, actor, "practice", "use")
    rows = db.execute(
        select(DrillAttempt.created_at, DrillAttempt.skill, DrillAttempt.hit).where(
            DrillAttempt.student_id == actor.id
        )
    ).all()
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for created_at, skill, hit in rows:
        cell = counts[created_at.astimezone(UTC).date(), DrillSkill(skill)]
        cell[0] += 1
        cell[1] += int(hit)
    return [
        SkillDay(day=day, skill=skill, attempts=attempts, hits=hits)
        for (day, skill), (attempts, hits) in sorted(counts.items())
    ]


# Internals --------------------------------------------------------------------------------------
def _readable(db: Session, actor: UserRead | None, set_id: int) -> tuple[UserRead, DrillSet]:
    """The checked caller and the set, if they may read it (someone else's reads as missing)."""
    drill_set = db.get(DrillSet, set_id)
    if drill_set is None:
        access.require(db, actor, "drill", "read")
        raise SetNotAssigned()
    checked = access.require(db, actor, "drill", "read", drill_set, refuse=SetNotAssigned)
    return checked, drill_set


def _accepted_items(db: Session, set_id: int) -> list[DrillSetItem]:
    return list(
        db.scalars(
            select(DrillSetItem)
            .where(DrillSetItem.set_id == set_id, DrillSetItem.status == DrillItemStatus.accepted)
            .order_by(DrillSetItem.position, DrillSetItem.id)
        )
    )


def _latest_hits(db: Session, student_id: int, set_id: int) -> dict[int, bool]:
    """Item id -> whether the student's latest attempt at it hit."""
    latest: dict[int, bool] = {}
    for item_id, hit in db.execute(
        select(DrillAttempt.set_item_id, DrillAttempt.hit)
        .where(DrillAttempt.student_id == student_id, DrillAttempt.set_id == set_id)
        .order_by(DrillAttempt.created_at, DrillAttempt.id)
    ):
        if item_id is not None:
            latest[item_id] = hit
    return latest


def _reply(reply: str) -> str:
    return clean_text(
        reply, field="reply", label="Your reply", max_chars=MAX_REPLY_CHARS, required=True
    )


def _attempt_read(
    attempt: DrillAttempt, model_answer: str, message: str | None = None
) -> AttemptRead:
    if message is None:  # an earlier attempt: its message from its stored codes
        message = skills.feedback(DrillSkill(attempt.skill), attempt.codes, attempt.hit)
    return AttemptRead(
        id=attempt.id,
        reply=attempt.reply,
        codes=attempt.codes,
        hit=attempt.hit,
        message=message,
        model_answer=model_answer,
        created_at=attempt.created_at,
    )
