"""Demo data: a teacher, a section, three varied clients, a published assignment and a student.

Idempotent: running it again finds what exists and creates only what is missing. Passwords are
random unless the caller gives one, and are returned once so they can be shown to the operator.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts import account_service
from backend.actor import UserRead
from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput
from backend.clients import client_service
from backend.clients.read_models import ClientInput
from backend.models import Assignment, ClientProfile, Enrollment, Section, User
from backend.models.enums import AssignmentStatus, Role

DEMO_TEACHER = "demo.teacher"
DEMO_STUDENT = "demo.student"
DEMO_SECTION = "Demo section: Counseling Skills 101"
DEMO_ASSIGNMENT = "Demo assignment: first interviews"

DEMO_CLIENTS: list[ClientInput] = [
    ClientInput(
        name="Maya Thompson",
        age=19,
        gender="she/her",
        occupation="First-year nursing student",
        cultural_background="Grew up in a small town; first in her family at university",
        background="Moved three hours from home for university. Was a top student in high "
        "school. Her parents run a hardware store and call every Sunday.",
        presenting_concern="Panic before exams and trouble sleeping since midterms started. "
        "She is thinking about dropping out.",
        challenges="Feels she must not worry her parents; minimises her distress.",
        personality_traits=["anxious", "people-pleasing", "self-critical"],
        communication_style="pleasing",
        difficulty="beginner",
        learning_goals="Open questions, reflecting feelings, and exploring the exam anxiety.",
        hidden_information="She failed her first anatomy exam and has not told anyone, "
        "including her parents.",
        opening_line="Hi... thanks for seeing me. I'm sure other people need this more than I do.",
    ),
    ClientInput(
        name="Daniel Reyes",
        age=42,
        gender="he/him",
        occupation="Warehouse supervisor",
        cultural_background="Mexican-American, Catholic upbringing",
        background="Married 15 years, two teenage children. Was referred by his employer after "
        "an argument with a coworker.",
        presenting_concern="Sent by work after losing his temper. Says he does not need to be here.",
        challenges="Distrusts counseling; feels judged; drinks more than he admits.",
        personality_traits=["defensive", "irritable", "skeptical"],
        communication_style="reserved",
        difficulty="advanced",
        learning_goals="Building rapport with an involuntary client; rolling with resistance.",
        hidden_information="His father died six months ago and he has not grieved; he drinks "
        "most nights since.",
        opening_line="Look, HR said I have to be here. So let's just get this over with.",
    ),
    ClientInput(
        name="Ruth Okafor",
        age=67,
        gender="she/her",
        occupation="Retired schoolteacher",
        cultural_background="Nigerian-born, has lived in the city for forty years",
        background="Widowed two years ago. Her daughter lives abroad. Volunteers at the library.",
        presenting_concern="Feeling lonely and 'not herself' since her best friend moved into "
        "assisted living.",
        challenges="Tends to drift into long stories; avoids talking about her own feelings.",
        personality_traits=["talkative", "ambivalent", "tearful"],
        communication_style="tangent",
        difficulty="intermediate",
        learning_goals="Gently focusing a talkative client; summarising; exploring grief.",
        hidden_information="She has stopped taking her blood-pressure medication because she "
        "'doesn't see the point anymore'.",
        opening_line=None,
    ),
]


@dataclass
class _Changes:
    """What this run created, and the passwords of the accounts it created (shown once)."""

    new_passwords: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)


@dataclass
class DemoResult:
    teacher: UserRead
    student: UserRead
    join_code: str
    new_passwords: dict[str, str]
    created: list[str]


def _ensure_user(
    db: Session,
    result: _Changes,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str | None,
) -> UserRead:
    user = db.scalar(select(User).where(User.username == username))
    if user is not None:
        return UserRead.model_validate(user)
    password = password or secrets.token_urlsafe(12)
    created = account_service._insert_user(
        db, username=username, display_name=display_name, password=password, role=role
    )
    result.new_passwords[username] = password
    result.created.append(f"{role} {username}")
    return UserRead.model_validate(created)


def seed_demo(db: Session, *, password: str | None = None) -> DemoResult:
    """Create whatever part of the demo data is missing; return what to log in with."""
    changes = _Changes()
    teacher = _ensure_user(
        db,
        changes,
        username=DEMO_TEACHER,
        display_name="Demo Teacher",
        role=Role.teacher,
        password=password,
    )
    student = _ensure_user(
        db,
        changes,
        username=DEMO_STUDENT,
        display_name="Demo Student",
        role=Role.student,
        password=password,
    )
    section = db.scalar(
        select(Section).where(Section.teacher_id == teacher.id, Section.name == DEMO_SECTION)
    )
    if section is None:
        section_id = section_service.create_section(db, actor=teacher, name=DEMO_SECTION).id
        section = db.get_one(Section, section_id)
        changes.created.append("section")
    if (
        db.scalar(
            select(Enrollment.id).where(
                Enrollment.section_id == section.id, Enrollment.student_id == student.id
            )
        )
        is None
    ):
        section_service.enroll(db, section_id=section.id, student_id=student.id)

    client_ids = []
    for profile in DEMO_CLIENTS:
        existing = db.scalar(
            select(ClientProfile.id).where(
                ClientProfile.owner_id == teacher.id, ClientProfile.name == profile.name
            )
        )
        if existing is None:
            existing = client_service.create_client(db, actor=teacher, data=profile).id
            changes.created.append(f"client {profile.name}")
        client_ids.append(existing)

    assignment = db.scalar(
        select(Assignment).where(
            Assignment.section_id == section.id, Assignment.title == DEMO_ASSIGNMENT
        )
    )
    if assignment is None:
        created = assignment_service.create_assignment(
            db,
            actor=teacher,
            section_id=section.id,
            data=AssignmentInput(
                title=DEMO_ASSIGNMENT,
                client_ids=client_ids,
                instructions="Hold a 10-15 minute first interview with each client. Focus on "
                "open questions and reflections; do not rush to advice.",
            ),
        )
        assignment_id = created.id
        changes.created.append("assignment")
    else:
        assignment_id = assignment.id
    if db.get_one(Assignment, assignment_id).status != AssignmentStatus.published:
        assignment_service.set_published(
            db, actor=teacher, assignment_id=assignment_id, published=True, confirm_unchecked=True
        )
    return DemoResult(
        teacher=teacher,
        student=student,
        join_code=section.join_code,
        new_passwords=changes.new_passwords,
        created=changes.created,
    )
