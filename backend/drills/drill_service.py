"""A teacher's drill sets: a title, one skill or mixed, 5-10 items copied from the built-in bank
or written by the teacher (or drafted by the model and accepted by the teacher), and the
sections each set is assigned to. Items are copies, so editing the bank or a draft never changes
an item a student already answered.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.classes import section_service
from backend.db import made_moments_ago
from backend.drills.bank import bank_item, bank_items
from backend.drills.read_models import (
    MAX_ITEMS,
    MIN_ITEMS,
    BankItem,
    DrillItemInput,
    DrillItemRead,
    DrillSetRead,
)
from backend.drills.skills import skill_name
from backend.errors import ConflictError, NotFoundError, ValidationError
from backend.models import DrillAssignment, DrillAttempt, DrillSet, DrillSetItem, Section
from backend.models.base import utcnow
from backend.models.enums import DrillItemStatus, DrillSkill
from backend.utils.text import clean_text


class DrillSetNotFound(NotFoundError):
    def __init__(self, set_id: int) -> None:
        super().__init__(f"No drill set with id {set_id}.")


class DrillItemNotFound(NotFoundError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"No item with id {item_id} in this drill set.")


class SetFull(ConflictError):
    def __init__(self, room: int) -> None:
        super().__init__(
            f"A drill set holds at most {MAX_ITEMS} items; this one has room for {room} more. "
            "Remove an item first, or start another set."
        )


def list_bank(
    db: Session, *, actor: UserRead | None, skill: DrillSkill | None = None
) -> list[BankItem]:
    """The built-in bank's items a teacher may pick (one skill, or all)."""
    access.require(db, actor, "drill", "create")
    return bank_items(skill)


def create_set(
    db: Session,
    *,
    actor: UserRead | None,
    title: str,
    skill: DrillSkill | None = None,
    once: bool = False,
) -> DrillSetRead:
    """A new, empty set of the caller's (one skill, or None for a mixed set). `once`: a form's
    Create, which a double click presses twice (`db.made_moments_ago`)."""
    actor = access.require(db, actor, "drill", "create")
    title = clean_text(title, field="title", label="The title", max_chars=200, required=True)
    same = {"owner_id": actor.id, "title": title, "skill": skill}  # every field of the form
    if once and (twice := made_moments_ago(db, DrillSet, **same)):
        return _read(db, twice)  # a double click: the set just made
    drill_set = DrillSet(owner_id=actor.id, title=title, skill=skill)
    db.add(drill_set)
    db.flush()
    return _read(db, drill_set)


def list_sets(db: Session, *, actor: UserRead | None) -> list[DrillSetRead]:
    """The sets the caller may change (a teacher's own; every set for an admin), newest first."""
    actor = access.require(db, actor, "drill", "edit")
    sets = db.scalars(
        select(DrillSet)
        .where(access.where(actor, "drill", "edit"))
        .order_by(DrillSet.created_at.desc(), DrillSet.id.desc())
    ).all()
    return [_read(db, drill_set) for drill_set in sets]


def get_set(db: Session, *, actor: UserRead | None, set_id: int) -> DrillSetRead:
    """A set with every item (drafts too) and where it is assigned, for its author."""
    return _read(db, get_owned(db, actor, set_id, for_update=False))


def get_owned(
    db: Session, actor: UserRead | None, set_id: int, *, for_update: bool = True
) -> DrillSet:
    """The set, if the caller may change it (someone else's reads as missing). Locked until the
    transaction ends (`for_update`), so what a change checks (5-10 items, 5 while assigned)
    still holds when it commits: a second tab's change waits for the first."""
    # FOR NO KEY UPDATE: students' attempts (which point at the set) are not held up.
    lock = {"key_share": True} if for_update else None
    drill_set = db.get(DrillSet, set_id, with_for_update=lock)
    if drill_set is None:
        access.require(db, actor, "drill", "edit")
        raise DrillSetNotFound(set_id)
    access.require(db, actor, "drill", "edit", drill_set, refuse=lambda: DrillSetNotFound(set_id))
    return drill_set


def add_bank_items(
    db: Session, *, actor: UserRead | None, set_id: int, keys: list[str]
) -> DrillSetRead:
    """Copy items of the built-in bank into the set, each once: a key named twice, or already
    in the set (a second tab offered it too), is not copied again."""
    drill_set = get_owned(db, actor, set_id)
    present = set(
        db.scalars(
            select(DrillSetItem.source).where(
                DrillSetItem.set_id == drill_set.id, DrillSetItem.status != DrillItemStatus.removed
            )
        )
    )
    found = [bank_item(key) for key in dict.fromkeys(keys) if f"bank:{key}" not in present]
    if any(item is None for item in found):
        raise ValidationError("Some of those items are not in the built-in bank.")
    inputs = [
        (DrillItemInput.model_validate(item.model_dump(exclude={"key"})), f"bank:{item.key}")
        for item in found
        if item is not None
    ]
    _add(db, drill_set, inputs, DrillItemStatus.accepted)
    return _read(db, drill_set)


def bank_items_added(*, picked: int, added: int) -> str:
    """What the teacher is told after adding `picked` bank items, of which `added` were not in
    the set already (a second tab may have added the others)."""
    if not picked:
        return "Pick the bank items to add first."
    if not added:
        return (
            f"{'That item was' if picked == 1 else 'Those items were'} in the set already: "
            "nothing was added."
        )
    told = f"Added {added} item{'s' if added != 1 else ''} from the bank"
    if added == picked:
        return f"{told}."
    already = picked - added
    return f"{told} ({already} {'was' if already == 1 else 'were'} in the set already)."


def add_own_item(
    db: Session, *, actor: UserRead | None, set_id: int, data: DrillItemInput
) -> DrillSetRead:
    """An item the teacher wrote: context, client statement, model answer."""
    drill_set = get_owned(db, actor, set_id)
    _add(db, drill_set, [(cleaned(data), "own")], DrillItemStatus.accepted)
    return _read(db, drill_set)


def add_drafts(db: Session, drill_set: DrillSet, drafts: list[DrillItemInput], source: str) -> int:
    """Store a model's items as drafts (its caller checked the set is the actor's); how many fit."""
    room = MAX_ITEMS - _count(db, drill_set.id)
    kept = [(cleaned(item), source) for item in drafts[:room]]
    _add(db, drill_set, kept, DrillItemStatus.draft)
    return len(kept)


def accept_item(
    db: Session,
    *,
    actor: UserRead | None,
    set_id: int,
    item_id: int,
    data: DrillItemInput | None = None,
) -> DrillSetRead:
    """A draft becomes an item students see (with the teacher's edits, if any)."""
    drill_set = get_owned(db, actor, set_id)
    item = _item(db, drill_set, item_id)
    if data is not None and item.status != DrillItemStatus.draft:
        raise ConflictError(
            "Only a draft can be edited: students may have answered this item as it is. Add "
            "a new item instead."
        )
    if data is not None:
        data = cleaned(data)
        _check_skill(drill_set, data.skill)
        item.skill, item.context = data.skill, data.context
        item.statement, item.model_answer = data.statement, data.model_answer
    item.status = DrillItemStatus.accepted
    drill_set.updated_at = utcnow()
    db.flush()
    return _read(db, drill_set)


def remove_item(db: Session, *, actor: UserRead | None, set_id: int, item_id: int) -> DrillSetRead:
    """Take an item out of the set. One that students answered is only hidden: their attempts
    (and their hit rate on My progress) stay."""
    drill_set = get_owned(db, actor, set_id)
    item = _item(db, drill_set, item_id)
    if item.status == DrillItemStatus.accepted:
        _keep_assigned_set_whole(db, drill_set)
    answered = db.scalar(
        select(DrillAttempt.id).where(DrillAttempt.set_item_id == item.id).limit(1)
    )
    if answered is None:
        db.delete(item)
    else:
        item.status = DrillItemStatus.removed
    drill_set.updated_at = utcnow()
    db.flush()
    return _read(db, drill_set)


def _keep_assigned_set_whole(db: Session, drill_set: DrillSet) -> None:
    """An assigned set keeps the 5 accepted items it needed to be assigned."""
    accepted = _count(db, drill_set.id, DrillItemStatus.accepted)
    if accepted > MIN_ITEMS:
        return
    sections = db.scalars(
        select(Section.name)
        .join(DrillAssignment, DrillAssignment.section_id == Section.id)
        .where(DrillAssignment.set_id == drill_set.id)
        .order_by(Section.name)
    ).all()
    if sections:
        more = MIN_ITEMS + 1 - accepted
        raise ValidationError(
            f"An assigned drill set keeps at least {MIN_ITEMS} items, and this one has "
            f"{accepted}: add or accept {'one more item' if more == 1 else f'{more} more items'} "
            f"first, or take the set back from {', '.join(sections)} before removing this one."
        )


def assign_set(
    db: Session, *, actor: UserRead | None, set_id: int, section_id: int
) -> DrillSetRead:
    """Give the set to a section the caller teaches (it needs 5 accepted items first)."""
    drill_set = get_owned(db, actor, set_id)
    section_service.get_owned_section(db, actor, section_id)
    accepted = _count(db, set_id, DrillItemStatus.accepted)
    if accepted < MIN_ITEMS:
        raise ValidationError(
            f"A drill set needs at least {MIN_ITEMS} accepted items before students get it; "
            f"this one has {accepted}."
        )
    exists = db.scalar(
        select(DrillAssignment.id).where(
            DrillAssignment.set_id == set_id, DrillAssignment.section_id == section_id
        )
    )
    if exists is None:
        db.add(DrillAssignment(set_id=set_id, section_id=section_id))
        db.flush()
    return _read(db, drill_set)


def unassign_set(
    db: Session, *, actor: UserRead | None, set_id: int, section_id: int
) -> DrillSetRead:
    """Take the set back from a section (its students' attempts stay in their results)."""
    drill_set = get_owned(db, actor, set_id)
    section_service.get_owned_section(db, actor, section_id)
    db.execute(
        delete(DrillAssignment).where(
            DrillAssignment.set_id == set_id, DrillAssignment.section_id == section_id
        )
    )
    return _read(db, drill_set)


def sets_of_section(db: Session, *, actor: UserRead | None, section_id: int) -> list[DrillSetRead]:
    """The drill sets assigned to a section, for its teacher: whole where the teacher may read
    the set (its author; an admin), else as the section's students see it (its accepted items;
    assigned here), never a colleague's drafts or other sections."""
    section_service.get_owned_section(db, actor, section_id)
    reader = access.signed_in(db, actor)
    sets = db.scalars(
        select(DrillSet)
        .join(DrillAssignment, DrillAssignment.set_id == DrillSet.id)
        .where(DrillAssignment.section_id == section_id)
        .order_by(DrillSet.title, DrillSet.id)
    ).all()
    reads = []
    for drill_set in sets:
        read = _read(db, drill_set)
        if not access.allows(db, reader, "drill", "read", drill_set):
            read.items, read.section_ids = read.accepted, [section_id]
        reads.append(read)
    return reads


def sets_others_gave(db: Session, *, actor: UserRead | None) -> list[tuple[str, DrillSetRead]]:
    """(section name, set) for each set someone else (an admin, a colleague) assigned to one of
    the actor's sections, as `sets_of_section` reads it: what their students were given."""
    teacher = access.require(db, actor, "teaching", "use")
    given = []
    for section in section_service.list_sections(db, actor=teacher):
        if section.teacher_id != teacher.id:  # an admin lists every section
            continue
        for drill_set in sets_of_section(db, actor=teacher, section_id=section.id):
            if drill_set.owner_id != teacher.id:
                given.append((section.name, drill_set))
    return given


def describe(drill_set: DrillSetRead) -> str:
    """ "Open question · 6 items (2 drafts)"."""
    text = f"{skill_name(drill_set.skill)} · {len(drill_set.accepted)} items"
    if drill_set.drafts:
        text += f" ({len(drill_set.drafts)} drafts to review)"
    return text


# Internals --------------------------------------------------------------------------------------
def _read(db: Session, drill_set: DrillSet) -> DrillSetRead:
    items = db.scalars(
        select(DrillSetItem)
        .where(DrillSetItem.set_id == drill_set.id, DrillSetItem.status != DrillItemStatus.removed)
        .order_by(DrillSetItem.position, DrillSetItem.id)
    ).all()
    sections = db.scalars(
        select(DrillAssignment.section_id)
        .where(DrillAssignment.set_id == drill_set.id)
        .order_by(DrillAssignment.section_id)
    ).all()
    read = DrillSetRead.model_validate(drill_set)
    read.items = [DrillItemRead.model_validate(item) for item in items]
    read.section_ids = list(sections)
    return read


def _count(db: Session, set_id: int, status: DrillItemStatus | None = None) -> int:
    query = (
        select(func.count())
        .select_from(DrillSetItem)
        .where(DrillSetItem.set_id == set_id, DrillSetItem.status != DrillItemStatus.removed)
    )
    if status is not None:
        query = query.where(DrillSetItem.status == status)
    return db.scalar(query) or 0


def _item(db: Session, drill_set: DrillSet, item_id: int) -> DrillSetItem:
    """The set's item, locked: a student's answer to it still being saved is waited for (its
    foreign key holds the row), so `remove_item` sees it and hides the item instead."""
    item = db.get(DrillSetItem, item_id, with_for_update=True)
    if item is None or item.set_id != drill_set.id or item.status == DrillItemStatus.removed:
        raise DrillItemNotFound(item_id)
    return item


def _check_skill(drill_set: DrillSet, skill: DrillSkill) -> None:
    if drill_set.skill is not None and skill != drill_set.skill:
        raise ValidationError(
            f"This set trains {skill_name(drill_set.skill).lower()}; that item trains "
            f"{skill_name(skill).lower()}. Choose a mixed set for items of several skills."
        )


def cleaned(data: DrillItemInput) -> DrillItemInput:
    """An item's text as stored (trimmed; blank or control characters refused)."""
    return DrillItemInput(
        skill=data.skill,
        context=clean_text(
            data.context, field="context", label="The context", max_chars=300, required=True
        ),
        statement=clean_text(
            data.statement,
            field="statement",
            label="The client's statement",
            max_chars=500,
            required=True,
        ),
        model_answer=clean_text(
            data.model_answer,
            field="model_answer",
            label="The model answer",
            max_chars=500,
            required=True,
        ),
    )


def _add(
    db: Session,
    drill_set: DrillSet,
    items: list[tuple[DrillItemInput, str]],
    status: DrillItemStatus,
) -> None:
    room = MAX_ITEMS - _count(db, drill_set.id)
    if len(items) > room:
        raise SetFull(room)
    for data, _source in items:
        _check_skill(drill_set, data.skill)
    last = db.scalar(
        select(func.max(DrillSetItem.position)).where(DrillSetItem.set_id == drill_set.id)
    )
    for offset, (data, source) in enumerate(items, start=1):
        db.add(
            DrillSetItem(
                set_id=drill_set.id,
                position=(last or 0) + offset,
                source=source,
                status=status,
                **data.model_dump(),
            )
        )
    drill_set.updated_at = utcnow()
    db.flush()
