"""Rubrics as versioned data: built-ins seeded on first use, teachers' copies, edits as versions.

A review records the rubric version it used, so editing a rubric (which adds a version) never
changes a review already written.
"""

from __future__ import annotations

import secrets

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from backend.models import Assignment, PracticeSession, Rubric, RubricVersion, Section
from backend.models.enums import SessionMode
from backend.models.review import ReviewRelease
from backend.reviews.read_models import RubricRead
from backend.reviews.rubric_schema import NAME_MAX, RubricDefinition
from backend.reviews.rubrics import load_builtin_rubrics
from backend.utils.text import clean_text, is_blank, reads_as

DEFAULT_RUBRIC_KEY = "micro_skills"


class RubricNotFound(NotFoundError):
    def __init__(self, rubric_id: int) -> None:
        super().__init__(f"No rubric with id {rubric_id} is open to you.")


class RubricChanged(ConflictError):
    """Someone saved a version of the rubric after the form was filled from an older one."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"This rubric was changed by someone else since you opened it (they saved version "
            f"{version}). Yours was not saved: the form now shows their version; make your "
            "change again and save."
        )


# Seeding and reading ----------------------------------------------------------------------------
def seed_builtin_rubrics(db: Session) -> None:
    """Insert the built-in rubrics that are not stored yet, and store a built-in file that changed
    since as its next version (idempotent, safe when racing). Reviews already written keep the
    version they used."""
    stored = {
        rubric.key: rubric for rubric in db.scalars(select(Rubric).where(Rubric.owner_id.is_(None)))
    }
    for definition in load_builtin_rubrics():
        current = definition.model_dump(mode="json")
        try:
            with db.begin_nested():
                rubric = stored.get(definition.key)
                if rubric is None:
                    _insert(db, definition, owner_id=None, key=definition.key)
                    continue
                latest = latest_version(db, rubric.id)
                if latest.definition != current:
                    rubric.name = definition.name
                    db.add(
                        RubricVersion(
                            rubric_id=rubric.id, version=latest.version + 1, definition=current
                        )
                    )
                    db.flush()
        except IntegrityError:  # another process seeded or updated it first
            continue


def _builtin(db: Session, key: str) -> Rubric:
    rubric = db.scalar(select(Rubric).where(Rubric.owner_id.is_(None), Rubric.key == key))
    if rubric is None:
        seed_builtin_rubrics(db)
        rubric = db.scalar(select(Rubric).where(Rubric.owner_id.is_(None), Rubric.key == key))
    if rubric is None:
        raise RuntimeError(f"The built-in rubric {key!r} is missing from backend/reviews/rubrics/.")
    return rubric


def latest_version(db: Session, rubric_id: int) -> RubricVersion:
    version = db.scalar(
        select(RubricVersion)
        .where(RubricVersion.rubric_id == rubric_id)
        .order_by(RubricVersion.version.desc())
        .limit(1)
    )
    if version is None:
        raise RubricNotFound(rubric_id)
    return version


def definition_of(version: RubricVersion) -> RubricDefinition:
    return RubricDefinition.model_validate(version.definition)


def chosen_rubric_id(db: Session, session: PracticeSession) -> int | None:
    """The assignment's rubric, else the section's default; None for the built-in micro-skills
    (and always for teachers' test conversations). Internal: no permission check."""
    if session.mode == SessionMode.teacher_test or session.assignment_id is None:
        return None
    return db.scalar(
        select(func.coalesce(Assignment.rubric_id, Section.rubric_id))
        .join(Section, Section.id == Assignment.section_id)
        .where(Assignment.id == session.assignment_id)
    )


def rubric_for_session(db: Session, session: PracticeSession) -> RubricVersion:
    """The assignment's rubric, else the section's default, else the built-in micro-skills
    (teachers' test conversations always use micro-skills). Internal: no permission check."""
    rubric_id = chosen_rubric_id(db, session)
    seed_builtin_rubrics(db)  # a built-in rubric's file may be newer than its stored version
    if rubric_id is None:
        rubric_id = _builtin(db, DEFAULT_RUBRIC_KEY).id
    return latest_version(db, rubric_id)


def list_rubrics(db: Session, *, actor: UserRead | None) -> list[RubricRead]:
    """The built-in rubrics and the actor's own (an admin sees every rubric)."""
    actor = access.require(db, actor, "rubric", "read")
    seed_builtin_rubrics(db)
    query = (
        select(Rubric)
        .where(access.where(actor, "rubric", "read"))
        .order_by(Rubric.owner_id.is_not(None), Rubric.name, Rubric.id)
    )
    return [_read(db, rubric) for rubric in db.scalars(query)]


def get_rubric(db: Session, *, actor: UserRead | None, rubric_id: int) -> RubricRead:
    return _read(db, _usable(db, actor, rubric_id))


# Writing ----------------------------------------------------------------------------------------
def create_rubric(
    db: Session, *, actor: UserRead | None, definition: RubricDefinition | dict
) -> RubricRead:
    """A teacher's own rubric, written from scratch (version 1)."""
    teacher = access.require(db, actor, "rubric", "create")
    definition = _validated(definition)
    rubric = _insert(db, definition, owner_id=teacher.id, key=_own_key(definition.key))
    return _read(db, rubric)


def copy_rubric(
    db: Session, *, actor: UserRead | None, rubric_id: int, name: str | None = None
) -> RubricRead:
    """The actor's own copy of a rubric they may use (a built-in one, say), to edit."""
    teacher = access.require(db, actor, "rubric", "create")
    source = _usable(db, teacher, rubric_id)
    definition = definition_of(latest_version(db, source.id))
    new_name = (
        clean_text(name, field="name", label="Rubric name", max_chars=NAME_MAX) if name else ""
    )
    suffix = " (copy)"  # the source's name cut to leave it room: a copy is a valid rubric too
    copied = f"{definition.name[: NAME_MAX - len(suffix)].rstrip()}{suffix}"
    definition = _validated(definition.model_copy(update={"name": new_name or copied}).model_dump())
    rubric = _insert(db, definition, owner_id=teacher.id, key=_own_key(source.key))
    return _read(db, rubric)


def update_rubric(
    db: Session,
    *,
    actor: UserRead | None,
    rubric_id: int,
    definition: RubricDefinition | dict,
    edited_version: int | None = None,
) -> RubricRead:
    """Save an edit as a new version; reviews already written keep the version they used.
    `edited_version`: the version the form was filled from; a later one saved meanwhile (another
    tab, an admin) refuses the save (`RubricChanged`) instead of being undone without a word."""
    rubric, latest = _editable(db, actor, rubric_id, edited_version, lock=True)
    definition = _validated(definition)
    rubric.name = definition.name
    number = latest + 1
    db.add(
        RubricVersion(
            rubric_id=rubric.id, version=number, definition=definition.model_dump(mode="json")
        )
    )
    db.flush()
    return _read(db, rubric)


def require_current(db: Session, *, actor: UserRead | None, rubric_id: int, version: int) -> None:
    """`RubricChanged` unless `version` is the rubric's latest: a form filled from an older one
    is not checked field by field (its fields are gone from the page), nor saved."""
    _editable(db, actor, rubric_id, version, lock=False)


def _editable(
    db: Session, actor: UserRead | None, rubric_id: int, edited_version: int | None, *, lock: bool
) -> tuple[Rubric, int]:
    """The rubric `actor` may edit (never a built-in one) and its latest version number;
    `RubricChanged` when `edited_version` is given and is no longer the latest (checked before
    the form's fields: they are gone from the page)."""
    access.require(db, actor, "rubric", "edit")
    rubric = db.get(Rubric, rubric_id, with_for_update=lock)
    if rubric is None:
        raise RubricNotFound(rubric_id)
    if rubric.owner_id is None:
        raise PermissionDeniedError("Built-in rubrics cannot be edited. Make a copy and edit it.")
    access.require(db, actor, "rubric", "edit", rubric, refuse=lambda: RubricNotFound(rubric_id))
    latest = latest_version(db, rubric.id).version
    if edited_version is not None and edited_version != latest:
        raise RubricChanged(latest)
    return rubric, latest


def set_assignment_rubric(
    db: Session,
    *,
    actor: UserRead | None,
    assignment_id: int,
    rubric_id: int | None,
    release_reviews: ReviewRelease | str | None = None,
) -> None:
    """Choose an assignment's rubric (None: the section's default) and, when given, when students
    see reviews (None leaves that setting as it is)."""
    teacher = access.require(db, actor, "section", "manage")
    assignment = db.get(Assignment, assignment_id)
    section = db.get(Section, assignment.section_id) if assignment is not None else None
    if assignment is None or section is None:
        raise NotFoundError(f"No assignment with id {assignment_id}.")
    refuse = "Only the section's teacher can change this assignment."
    access.require(db, teacher, "section", "manage", section, refuse=refuse)
    if rubric_id is not None:
        _usable(db, teacher, rubric_id)
    try:
        release = None if release_reviews is None else ReviewRelease(release_reviews)
    except ValueError:
        raise ValidationError("Choose when students see their reviews.") from None
    assignment.rubric_id = rubric_id
    if release is not None:
        assignment.release_reviews = release.value
    db.flush()


def set_section_rubric(
    db: Session, *, actor: UserRead | None, section_id: int, rubric_id: int | None
) -> None:
    """The rubric a section's assignments use unless they name their own."""
    teacher = access.require(db, actor, "section", "manage")
    section = db.get(Section, section_id)
    if section is None:
        raise NotFoundError(f"No section with id {section_id}.")
    refuse = "Only the section's teacher can change this section."
    access.require(db, teacher, "section", "manage", section, refuse=refuse)
    if rubric_id is not None:
        _usable(db, teacher, rubric_id)
    section.rubric_id = rubric_id
    db.flush()


# Internals --------------------------------------------------------------------------------------
def _usable(db: Session, actor: UserRead | None, rubric_id: int) -> Rubric:
    """A built-in rubric or the actor's own (any for an admin); others' read as missing."""
    access.require(db, actor, "rubric", "read")
    rubric = db.get(Rubric, rubric_id)
    if rubric is None:
        raise RubricNotFound(rubric_id)
    access.require(db, actor, "rubric", "read", rubric, refuse=lambda: RubricNotFound(rubric_id))
    return rubric


def _validated(definition: RubricDefinition | dict) -> RubricDefinition:
    if not isinstance(definition, RubricDefinition):
        try:
            definition = RubricDefinition.model_validate(definition)
        except PydanticValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
                for item in error.errors()[:5]
            )
            raise ValidationError(f"This rubric cannot be saved: {problems}") from None
    _check_texts(definition.model_dump(mode="json"), ())
    _check_names(definition)
    return definition


def _check_names(definition: RubricDefinition) -> None:
    """No two criteria of one name, as it reads: a criterion is its name wherever reviews are
    summed up (class progress, agreement), and two of one name had been one row, a rating lost
    (an attack, 2026-12-07). Checked when a rubric is saved, never when a stored version is
    read, so a version saved before stays readable."""
    seen: set[str] = set()
    for index, criterion in enumerate(definition.criteria):
        if (name := reads_as(criterion.name)) in seen:
            problem = f"Two criteria are both called “{criterion.name}”: give each its own name."
            raise ValidationError(problem, {f"criteria.{index}.name": problem})
        seen.add(name)


def _check_texts(value: object, path: tuple[str, ...]) -> None:
    """Every text a teacher typed into a rubric passes `clean_text` (no control characters),
    and none is only invisible characters: it would show as empty on every page (a blank option
    in the pickers, "**3** · " for an anchor) and reach the reviewer as it is."""
    if isinstance(value, str):
        label = " › ".join(path).capitalize() if path else "The rubric"
        field = ".".join(path)
        if clean_text(value, field=field, label=label) and is_blank(value):
            problem = (
                f"{label} holds only invisible characters (often from pasting): type it again."
            )
            raise ValidationError(problem, {field: problem})
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_texts(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_texts(item, (*path, str(index)))


def _own_key(key: str) -> str:
    """Teachers' rubrics get a unique key of their own (a copy keeps its source's as a prefix)."""
    return f"{key[:50]}_{secrets.token_hex(3)}"


def _insert(db: Session, definition: RubricDefinition, *, owner_id: int | None, key: str) -> Rubric:
    rubric = Rubric(key=key, name=definition.name, owner_id=owner_id)
    db.add(rubric)
    db.flush()
    db.add(
        RubricVersion(rubric_id=rubric.id, version=1, definition=definition.model_dump(mode="json"))
    )
    db.flush()
    return rubric


def _read(db: Session, rubric: Rubric) -> RubricRead:
    version = latest_version(db, rubric.id)
    return RubricRead(
        id=rubric.id,
        key=rubric.key,
        name=rubric.name,
        owner_id=rubric.owner_id,
        version_id=version.id,
        version=version.version,
        definition=version.definition,
    )
