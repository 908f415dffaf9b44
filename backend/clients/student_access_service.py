"""What a student may practise with: published assignments in their sections, clients not archived.

Who may practise which client is the access policy's (`backend.access.assigned_clients`); this
module lists them for the student's Practice page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.clients.read_models import ClientBrief
from backend.models import Assignment, ClientProfile


@dataclass(frozen=True)
class AssignedClient:
    """A client a student may practise with, and the assignment that offers it."""

    client: ClientBrief
    assignment_id: int
    assignment_title: str
    instructions: str
    due_at: datetime | None
    section_name: str
    continuing: bool = False  # a continuing client: it remembers the student's earlier sessions


def list_available_clients(db: Session, *, actor: UserRead | None) -> list[AssignedClient]:
    """Every client of a published assignment in the student's sections, soonest due first."""
    student = access.require(db, actor, "practice", "use")
    rows = db.execute(
        access.assigned_clients(student.id).order_by(
            Assignment.due_at.asc().nulls_last(),  # no due date last on every dialect
            Assignment.id,
            ClientProfile.name,
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
            continuing=assignment.continuing_client,
        )
        for client, assignment, section_name in rows
    ]
