"""What a student may practise with: published assignments in their sections, clients not archived.

Its own module so that clients, sessions and assignments can all ask it without importing each
other (this broke the one import cycle among services).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from backend.actor import UserRead
from backend.clients.read_models import ClientBrief
from backend.errors import PermissionDeniedError
from backend.models import Assignment, AssignmentClient, ClientProfile, Enrollment, Section
from backend.models.enums import AssignmentStatus
from backend.permissions import require_student


@dataclass(frozen=True)
class AssignedClient:
    """A client a student may practise with, and the assignment that offers it."""

    client: ClientBrief
    assignment_id: int
    assignment_title: str
    instructions: str
    due_at: datetime | None
    section_name: str


def _published_for_student(student_id: int) -> Select[ClientProfile, Assignment, str]:
    """(client, assignment) rows a student may practise with: published, in their sections."""
    return (
        select(ClientProfile, Assignment, Section.name)
        .join(AssignmentClient, AssignmentClient.client_id == ClientProfile.id)
        .join(Assignment, Assignment.id == AssignmentClient.assignment_id)
        .join(Section, Section.id == Assignment.section_id)
        .join(Enrollment, Enrollment.section_id == Assignment.section_id)
        .where(
            Enrollment.student_id == student_id,
            Assignment.status == AssignmentStatus.published,
            ClientProfile.archived.is_(False),
        )
    )


def list_available_clients(db: Session, *, actor: UserRead | None) -> list[AssignedClient]:
    """Every client of a published assignment in the student's sections, soonest due first."""
    student = require_student(actor)
    rows = db.execute(
        _published_for_student(student.id).order_by(
            Assignment.due_at, Assignment.id, ClientProfile.name
        )
    )
    return [
        AssignedClient(
            client=ClientBrief.model_validate(client),
            assignment_id=assignment.id,
            assignment_title=assignment.title,
            instructions=assignment.instructions,
            due_at=assignment.due_at,
            section_name=section_name,
        )
        for client, assignment, section_name in rows
    ]


def require_student_access(
    db: Session, *, student: UserRead, client_id: int, assignment_id: int | None = None
) -> int:
    """The id of a published assignment that gives this student this client, or refuse."""
    query = _published_for_student(student.id).where(ClientProfile.id == client_id)
    if assignment_id is not None:
        query = query.where(Assignment.id == assignment_id)
    row = db.execute(query.order_by(Assignment.id).limit(1)).first()
    if row is None:
        raise PermissionDeniedError(
            "This client is not assigned to you (or its assignment is no longer published)."
        )
    return row[1].id
