"""Sections (classes): join codes, rosters and enrollment."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import count_by
from backend.errors import ConflictError, NotFoundError, ValidationError
from backend.models import Enrollment, Section, User
from backend.schemas.accounts import UserRead
from backend.schemas.sections import RosterEntry, SectionRead
from backend.services.permissions import (
    load_owned, require_student, require_teacher, require_user,
)

# No 0/O or 1/I/L, so a code read aloud or from a slide is typed right.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


class SectionNotFound(NotFoundError):
    def __init__(self, section_id: int) -> None:
        super().__init__(f"No section with id {section_id}.")


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _student_counts(session: Session, section_ids: list[int]) -> dict[int, int]:
    return count_by(session, Enrollment.section_id, section_ids)


def _read(session: Session, section: Section) -> SectionRead:
    read = SectionRead.model_validate(section)
    read.student_count = _student_counts(session, [section.id]).get(section.id, 0)
    return read


def get_owned_section(session: Session, actor: UserRead | None, section_id: int) -> Section:
    """The section if the actor teaches it (or is an admin)."""
    return load_owned(session, actor, Section, section_id, owner="teacher_id",
                      missing=SectionNotFound(section_id),
                      foreign="This section belongs to another teacher.")


def create_section(session: Session, *, actor: UserRead | None, name: str) -> SectionRead:
    teacher = require_teacher(actor)
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError("Give the section a name of 1-120 characters.", {"name": "Required."})
    for _ in range(5):  # a clash among 31^8 codes is rare; retry a few times all the same
        section = Section(teacher_id=teacher.id, name=name, join_code=new_join_code())
        try:
            with session.begin_nested():
                session.add(section)
                session.flush()
            return _read(session, section)
        except IntegrityError:
            continue
    raise ConflictError("Could not create a unique join code; please try again.")


def regenerate_join_code(session: Session, *, actor: UserRead | None, section_id: int) -> SectionRead:
    """A new code (the old one stops working); enrolled students stay."""
    section = get_owned_section(session, actor, section_id)
    section.join_code = new_join_code()
    session.flush()
    return _read(session, section)


def list_sections(session: Session, *, actor: UserRead | None) -> list[SectionRead]:
    """A teacher's sections, a student's enrolled sections, or every section for an admin."""
    actor = require_user(actor)
    query = select(Section).order_by(Section.name, Section.id)
    if actor.is_teacher:
        query = query.where(Section.teacher_id == actor.id)
    elif actor.is_student:
        query = query.join(Enrollment, Enrollment.section_id == Section.id).where(
            Enrollment.student_id == actor.id
        )
    sections = list(session.scalars(query))
    counts = _student_counts(session, [section.id for section in sections])
    reads = [SectionRead.model_validate(section) for section in sections]
    for read in reads:
        read.student_count = counts.get(read.id, 0)
        if actor.is_student:
            read.join_code = ""  # a student has no use for it and should not pass it on
    return reads


def get_roster(session: Session, *, actor: UserRead | None, section_id: int) -> list[RosterEntry]:
    get_owned_section(session, actor, section_id)
    rows = session.execute(
        select(User.id, User.username, User.display_name, Enrollment.enrolled_at)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(Enrollment.section_id == section_id).order_by(User.display_name)
    )
    return [
        RosterEntry(student_id=sid, username=username, display_name=name, enrolled_at=enrolled)
        for sid, username, name, enrolled in rows
    ]


def find_section_by_code(session: Session, join_code: str) -> Section:
    section = session.scalar(select(Section).where(Section.join_code == normalise_join_code(join_code)))
    if section is None:
        raise ValidationError(
            "That join code does not match any section. Check it with your teacher.",
            {"join_code": "Unknown join code."},
        )
    return section


def enroll(session: Session, *, section_id: int, student_id: int) -> None:
    """Add a student to a section (no-op when already enrolled). Callers check permission."""
    exists = session.scalar(select(Enrollment.id).where(
        Enrollment.section_id == section_id, Enrollment.student_id == student_id
    ))
    if exists is None:
        session.add(Enrollment(section_id=section_id, student_id=student_id))
        session.flush()


def join_section(session: Session, *, actor: UserRead | None, join_code: str) -> SectionRead:
    """A student joins another section with its code."""
    student = require_student(actor)
    section = find_section_by_code(session, join_code)
    already = session.scalar(select(Enrollment.id).where(
        Enrollment.section_id == section.id, Enrollment.student_id == student.id
    ))
    if already is not None:
        raise ConflictError(f"You are already in {section.name}.")
    enroll(session, section_id=section.id, student_id=student.id)
    read = _read(session, section)
    read.join_code = ""
    return read


def remove_student(
    session: Session, *, actor: UserRead | None, section_id: int, student_id: int
) -> None:
    """Take a student off the roster; their past conversations stay."""
    get_owned_section(session, actor, section_id)
    enrollment = session.scalar(select(Enrollment).where(
        Enrollment.section_id == section_id, Enrollment.student_id == student_id
    ))
    if enrollment is None:
        raise NotFoundError("That student is not in this section.")
    session.delete(enrollment)
    session.flush()
