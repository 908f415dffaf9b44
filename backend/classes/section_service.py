"""Sections (classes): join codes (with an optional seat limit and expiry), rosters, enrollment."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.classes.read_models import RosterEntry, SectionRead
from backend.db import count_by, made_moments_ago
from backend.errors import ConflictError, NotFoundError, ValidationError
from backend.models import Enrollment, Section, User
from backend.models.base import utcnow
from backend.utils.text import clean_text

# No 0/O or 1/I/L, so a code read aloud or from a slide is typed right.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
MAX_SEAT_LIMIT = 10_000


class SectionNotFound(NotFoundError):
    def __init__(self, section_id: int) -> None:
        super().__init__(f"No section with id {section_id}.")


class UnknownJoinCode(ValidationError):
    def __init__(self) -> None:
        super().__init__(
            "That join code does not match any section. Check it for typos; if your teacher made "
            "a new code, the old one no longer works, so ask your teacher for the current code.",
            {"join_code": "Unknown join code. Check it, or ask your teacher for the current code."},
        )


class JoinCodeExpired(ValidationError):
    def __init__(self, expired_at: datetime) -> None:
        super().__init__(
            f"This join code expired on {expired_at:%Y-%m-%d %H:%M} UTC. Ask your teacher for a "
            "new code.",
            {"join_code": "This code has expired: ask your teacher for a new code."},
        )


class SectionFull(ConflictError):
    def __init__(self, section: Section) -> None:
        super().__init__(
            f"{section.name} is full: "
            + (
                "its one seat is"
                if section.seat_limit == 1
                else f"all {section.seat_limit} seats are"
            )
            + " taken. Ask your teacher to add seats (or to check the roster)."
        )


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _student_counts(db: Session, section_ids: list[int]) -> dict[int, int]:
    return count_by(db, Enrollment.section_id, section_ids)


def _read(db: Session, section: Section) -> SectionRead:
    read = SectionRead.model_validate(section)
    read.student_count = _student_counts(db, [section.id]).get(section.id, 0)
    return read


def get_owned_section(db: Session, actor: UserRead | None, section_id: int) -> Section:
    """The section if the actor teaches it (or is an admin)."""
    access.require(db, actor, "section", "manage")
    section = db.get(Section, section_id)
    if section is None:
        raise SectionNotFound(section_id)
    refuse = "This section belongs to another teacher."
    access.require(db, actor, "section", "manage", section, refuse=refuse)
    return section


def end_of_day(day: date | None) -> datetime | None:
    """A day a teacher picked (a code's last day, a due date) as the last instant of that day,
    UTC: a code that "works until" a day still works in its last minute (23:59 had refused a
    sign-up at 23:59:30). None stays None."""
    return datetime.combine(day, time.max, tzinfo=UTC) if day else None


def _checked_settings(
    name: str,
    seat_limit: int | None,
    expires_at: datetime | None,
    enrolled: int = 0,
    kept_expiry: datetime | None = None,
) -> tuple[str, int | None, datetime | None]:
    """The section's name and sign-up settings, or a `ValidationError` naming each bad field.
    An expiry on the day of `kept_expiry` (the stored one, sent back by the settings form) keeps
    it, passed or not: renaming a section whose sign-ups closed must not reopen them."""
    errors: dict[str, str] = {}
    try:
        name = clean_text(
            name, field="name", label="The section name", max_chars=120, required=True
        )
    except ValidationError as error:
        errors.update(error.field_errors)
    if seat_limit is not None:
        if not 1 <= seat_limit <= MAX_SEAT_LIMIT:
            errors["seat_limit"] = (
                f"Use a seat limit from 1 to {MAX_SEAT_LIMIT:,}, or leave it empty for no limit."
            )
        elif seat_limit < enrolled:
            errors["seat_limit"] = (
                f"{enrolled} {'student is' if enrolled == 1 else 'students are'} already enrolled. Set at least "
                f"{enrolled} seats, or remove students first."
            )
    if expires_at is not None:
        expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
        if kept_expiry is not None and expires_at.date() == kept_expiry.date():
            expires_at = kept_expiry
        elif expires_at <= utcnow():
            errors["join_code_expires_at"] = (
                "Choose a date in the future, or leave it empty so the code does not expire."
            )
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    return name, seat_limit, expires_at


def _give_new_code(db: Session, section: Section) -> None:
    """Store a fresh unique join code on the section (a clash among 31^8 codes is rare)."""
    for _ in range(5):
        section.join_code = new_join_code()
        try:
            with db.begin_nested():
                db.add(section)
                db.flush()
            return
        except IntegrityError:
            continue
    raise ConflictError("Could not create a unique join code; please try again.")


def create_section(
    db: Session,
    *,
    actor: UserRead | None,
    name: str,
    seat_limit: int | None = None,
    join_code_expires_at: datetime | None = None,
    once: bool = False,
) -> SectionRead:
    """A new section with its own join code; the seat limit and the code's expiry are optional.
    `once`: a form's Create, which a double click presses twice (`db.made_moments_ago`)."""
    teacher = access.require(db, actor, "section", "create")
    name, seat_limit, expires_at = _checked_settings(name, seat_limit, join_code_expires_at)
    same = {"teacher_id": teacher.id, "name": name, "seat_limit": seat_limit}
    if once and (twice := made_moments_ago(db, Section, **same, join_code_expires_at=expires_at)):
        return _read(db, twice)  # a double click: the section just made
    section = Section(
        teacher_id=teacher.id, name=name, seat_limit=seat_limit, join_code_expires_at=expires_at
    )
    _give_new_code(db, section)
    return _read(db, section)


def update_section(
    db: Session,
    *,
    actor: UserRead | None,
    section_id: int,
    name: str,
    seat_limit: int | None = None,
    join_code_expires_at: datetime | None = None,
    started_from: tuple[str, int | None, datetime | None] | None = None,
) -> SectionRead:
    """Rename a section and set (or clear, with None) its seat limit and its code's expiry.
    `started_from`: the three as the form showed them; changed since (another tab), the save is
    refused rather than undoing that change unseen (a seat limit had gone: an attack,
    2026-12-07)."""
    section = get_owned_section(db, actor, section_id)
    if started_from is not None and started_from != settings(section):
        raise SettingsChanged(_read(db, section))
    enrolled = _student_counts(db, [section.id]).get(section.id, 0)
    section.name, section.seat_limit, section.join_code_expires_at = _checked_settings(
        name, seat_limit, join_code_expires_at, enrolled, kept_expiry=section.join_code_expires_at
    )
    db.flush()
    return _read(db, section)


class SettingsChanged(ConflictError):
    """`now`: the section as it is, for the form to show."""

    def __init__(self, now: SectionRead) -> None:
        self.now = now
        super().__init__(
            "This section's settings were changed elsewhere since you opened them: the form now "
            "shows them as saved. Make your change again."
        )


def settings(section: Section | SectionRead) -> tuple[str, int | None, datetime | None]:
    """What `update_section` changes, as a form started from it."""
    return section.name, section.seat_limit, section.join_code_expires_at


def regenerate_join_code(db: Session, *, actor: UserRead | None, section_id: int) -> SectionRead:
    """A new code (the old one stops working at once); enrolled students stay.

    An expiry that has already passed is cleared, so the new code works; a future one is kept.
    """
    section = get_owned_section(db, actor, section_id)
    if section.join_code_expires_at is not None and section.join_code_expires_at <= utcnow():
        section.join_code_expires_at = None
    _give_new_code(db, section)
    return _read(db, section)


def list_sections(db: Session, *, actor: UserRead | None) -> list[SectionRead]:
    """A teacher's sections, a student's enrolled sections, or every section for an admin."""
    actor = access.require(db, actor, "section", "read")
    query = (
        select(Section)
        .where(access.where(actor, "section", "read"))
        .order_by(Section.name, Section.id)
    )
    sections = list(db.scalars(query))
    counts = _student_counts(db, [section.id for section in sections])
    reads = [SectionRead.model_validate(section) for section in sections]
    for read in reads:
        read.student_count = counts.get(read.id, 0)
        if actor.is_student:
            read.join_code = ""  # a student has no use for it and should not pass it on
    return reads


def get_roster(db: Session, *, actor: UserRead | None, section_id: int) -> list[RosterEntry]:
    get_owned_section(db, actor, section_id)
    rows = db.execute(
        select(User.id, User.username, User.display_name, Enrollment.enrolled_at)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(Enrollment.section_id == section_id)
        .order_by(User.display_name)
    )
    return [
        RosterEntry(student_id=sid, username=username, display_name=name, enrolled_at=enrolled)
        for sid, username, name, enrolled in rows
    ]


def _seats_taken(db: Session, section_id: int) -> int:
    return (
        db.scalar(select(func.count(Enrollment.id)).where(Enrollment.section_id == section_id)) or 0
    )


def _section_with_code(db: Session, join_code: str | None) -> Section:
    code = normalise_join_code(join_code or "")
    if not code or len(code) > 16 or not set(code) <= set(JOIN_CODE_ALPHABET):
        raise UnknownJoinCode()  # also keeps NUL and other odd input away from the database
    section = db.scalar(select(Section).where(Section.join_code == code))
    if section is None:
        raise UnknownJoinCode()
    return section


def _check_open(db: Session, section: Section) -> None:
    if section.join_code_expires_at is not None and section.join_code_expires_at <= utcnow():
        raise JoinCodeExpired(section.join_code_expires_at)
    if section.seat_limit is not None and _seats_taken(db, section.id) >= section.seat_limit:
        raise SectionFull(section)


def find_section_by_code(db: Session, join_code: str | None) -> Section:
    """The section a join code lets students into: refuses an unknown or replaced code, an
    expired one, and a full section, each saying what to do."""
    section = _section_with_code(db, join_code)
    _check_open(db, section)
    return section


def enroll(db: Session, *, section_id: int, student_id: int) -> None:
    """Add a student to a section (no-op when already enrolled). Callers check permission.

    The section's row stays locked until the transaction ends (FOR NO KEY UPDATE on PostgreSQL,
    which leaves rows that merely reference the section free; SQLite writers already queue at
    BEGIN IMMEDIATE), so concurrent sign-ups never overfill the seats.
    """
    section = db.scalar(
        select(Section)
        .where(Section.id == section_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if section is None:
        raise SectionNotFound(section_id)
    exists = db.scalar(
        select(Enrollment.id).where(
            Enrollment.section_id == section_id, Enrollment.student_id == student_id
        )
    )
    if exists is not None:
        return
    if section.seat_limit is not None and _seats_taken(db, section_id) >= section.seat_limit:
        raise SectionFull(section)
    db.add(Enrollment(section_id=section_id, student_id=student_id))
    db.flush()


def join_section(db: Session, *, actor: UserRead | None, join_code: str) -> SectionRead:
    """A student joins another section with its code."""
    student = access.require(db, actor, "section", "join")
    section = _section_with_code(db, join_code)
    already = db.scalar(
        select(Enrollment.id).where(
            Enrollment.section_id == section.id, Enrollment.student_id == student.id
        )
    )
    if already is not None:
        raise ConflictError(f"You are already in {section.name}.")
    _check_open(db, section)
    enroll(db, section_id=section.id, student_id=student.id)
    read = _read(db, section)
    read.join_code = ""
    return read


def remove_student(
    db: Session, *, actor: UserRead | None, section_id: int, student_id: int
) -> None:
    """Take a student off the roster; their past conversations stay."""
    get_owned_section(db, actor, section_id)
    enrollment = db.scalar(
        select(Enrollment).where(
            Enrollment.section_id == section_id, Enrollment.student_id == student_id
        )
    )
    if enrollment is None:
        raise NotFoundError("That student is not in this section.")
    db.delete(enrollment)
    db.flush()
