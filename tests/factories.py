"""Typed factories with sensible defaults; each returns the read model a service would."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from backend.accounts import account_service
from backend.actor import UserRead
from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput, AssignmentRead, SectionRead
from backend.clients import client_service
from backend.clients.read_models import ClientInput, ClientRead
from backend.llm.usage import Usage
from backend.models.enums import Role
from backend.practice import session_service
from backend.practice.read_models import MessageRead, SessionRead

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(
    db: Session,
    *,
    role: Role = Role.student,
    username: str | None = None,
    display_name: str | None = None,
    password: str = PASSWORD,
) -> UserRead:
    number = next(_counter)
    username = username or f"{role.value}{number}"
    user = account_service._insert_user(
        db,
        username=username,
        display_name=display_name or f"{role.value.title()} {number}",
        password=password,
        role=role,
    )
    return UserRead.model_validate(user)


def add_message(
    db: Session, *, actor: UserRead | None, session_id: int, content: str
) -> MessageRead:
    """The person's message stored as `conversation_service.submit_message` stores it (the turn
    locked, no reply in flight), without asking for a reply."""
    session = session_service.lock_for_turn(db, actor=actor, session_id=session_id)
    if session_service.reply_in_flight(session):
        raise session_service.ReplyInFlight()
    return session_service.append_message(db, session, content)


def add_reply(
    db: Session,
    *,
    session_id: int,
    content: str = "Okay.",
    usage: Usage | None = None,
    model: str | None = "claude-haiku-4-5",
    cost: Decimal | None = None,
    latency_ms: int | None = None,
    time_to_first_token_ms: int | None = None,
) -> MessageRead:
    """A client reply stored the only way the product stores one: claimed, then stored."""
    claim_id = session_service.claim_reply(
        db, session_id=session_id, seconds=60, reserve_tokens=0, reserve_cost=Decimal(0)
    )
    stored = session_service.store_reply(
        db,
        session_id=session_id,
        claim_id=claim_id,
        content=content,
        usage=usage or Usage(),
        cost=cost,
        model=model,
        counted=Usage(),
        counted_cost=Decimal(0),
        latency_ms=latency_ms,
        time_to_first_token_ms=time_to_first_token_ms,
    )
    assert stored is not None
    return stored[0]


def identity_claims(email: str, **claims: object) -> dict:
    """What `st.user` holds after a real institution sign-in just now: a verified address, and
    the provider's issuer and subject (here one per address unless a test gives its own)."""
    return {
        "email": email,
        "email_verified": True,
        "name": "Ada Lovelace",
        "iss": "https://login.example.test/tenant-1/v2.0",
        "sub": f"subject-of-{email.strip().lower()}",
        "iat": int(time.time()),
        **claims,
    }


def client_input(**overrides) -> ClientInput:
    fields = dict(
        name="Alex Rivera",
        age=34,
        gender="they/them",
        occupation="Barista",
        background="Grew up in a busy household.",
        presenting_concern="Feels stuck at work.",
        challenges="Finds it hard to ask for help.",
        personality_traits=["anxious", "guarded"],
        communication_style="reserved",
        difficulty="intermediate",
        learning_goals="Practise open questions.",
        hidden_information="Was recently passed over for promotion.",
    )
    fields.update(overrides)
    return ClientInput.model_validate(fields)


def make_client(db: Session, *, teacher: UserRead, **overrides) -> ClientRead:
    return client_service.create_client(db, actor=teacher, data=client_input(**overrides))


def make_section(db: Session, *, teacher: UserRead, name: str = "Section A") -> SectionRead:
    return section_service.create_section(db, actor=teacher, name=name)


def enroll(db: Session, *, section: SectionRead, student: UserRead) -> None:
    section_service.enroll(db, section_id=section.id, student_id=student.id)


def make_assignment(
    db: Session,
    *,
    teacher: UserRead,
    section: SectionRead,
    clients: list[ClientRead],
    published: bool = True,
    title: str = "Week 1 interview",
    continuing: bool = False,
) -> AssignmentRead:
    assignment = assignment_service.create_assignment(
        db,
        actor=teacher,
        section_id=section.id,
        data=AssignmentInput(
            title=title,
            client_ids=[client.id for client in clients],
            continuing_client=continuing,
        ),
    )
    if published:
        assignment = assignment_service.set_published(
            db, actor=teacher, assignment_id=assignment.id, published=True, confirm_unchecked=True
        )
    return assignment


@dataclass(frozen=True)
class Classroom:
    """A teacher with a client assigned (published) to an enrolled student."""

    teacher: UserRead
    student: UserRead
    client: ClientRead
    section: SectionRead
    assignment: AssignmentRead


def make_classroom(db: Session) -> Classroom:
    """A teacher with a client assigned (published) to an enrolled student."""
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db, role=Role.student)
    client = make_client(db, teacher=teacher)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    assignment = make_assignment(db, teacher=teacher, section=section, clients=[client])
    return Classroom(teacher, student, client, section, assignment)


def start_session(db: Session, *, user: UserRead, client: ClientRead) -> SessionRead:
    return session_service.create_session(db, actor=user, client_id=client.id)


def builtin_criteria(rubric_key: str = "micro_skills") -> list[str]:
    """The criterion keys of a built-in rubric, in order (what a scripted review must score)."""
    from backend.reviews.rubrics import load_builtin_rubrics

    rubric = next(r for r in load_builtin_rubrics() if r.key == rubric_key)
    return [criterion.key for criterion in rubric.criteria]


def hold_reviews(db: Session, room: Classroom) -> None:
    """The room's assignment keeps its reviews for the teacher to release."""
    from backend.reviews import rubric_service

    rubric_service.set_assignment_rubric(
        db,
        actor=room.teacher,
        assignment_id=room.assignment.id,
        rubric_id=None,
        release_reviews="after_teacher_review",
    )
