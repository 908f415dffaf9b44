"""Typed factories with sensible defaults; each returns the read model a service would."""

from __future__ import annotations

import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from backend.models import ChatSession
from backend.models.enums import Role
from backend.schemas.accounts import UserRead
from backend.schemas.clients import ClientInput, ClientRead
from backend.schemas.conversations import MessageRead, SessionRead, Usage
from backend.schemas.sections import AssignmentInput, AssignmentRead, SectionRead
from backend.services import (
    account_service,
    assignment_service,
    client_service,
    section_service,
    session_service,
)

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(
    session: Session,
    *,
    role: Role = Role.student,
    username: str | None = None,
    display_name: str | None = None,
    password: str = PASSWORD,
) -> UserRead:
    number = next(_counter)
    username = username or f"{role.value}{number}"
    user = account_service._insert_user(
        session,
        username=username,
        display_name=display_name or f"{role.value.title()} {number}",
        password=password,
        role=role,
    )
    return UserRead.model_validate(user)


def add_reply(
    session: Session,
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
    chat = session.get(ChatSession, session_id, with_for_update=True)
    claim_id = session_service.claim_reply(
        chat, seconds=60, reserve_tokens=0, reserve_cost=Decimal(0)
    )
    stored = session_service.store_reply(
        session,
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


def make_client(session: Session, *, teacher: UserRead, **overrides) -> ClientRead:
    return client_service.create_client(session, actor=teacher, data=client_input(**overrides))


def make_section(session: Session, *, teacher: UserRead, name: str = "Section A") -> SectionRead:
    return section_service.create_section(session, actor=teacher, name=name)


def enroll(session: Session, *, section: SectionRead, student: UserRead) -> None:
    section_service.enroll(session, section_id=section.id, student_id=student.id)


def make_assignment(
    session: Session,
    *,
    teacher: UserRead,
    section: SectionRead,
    clients: list[ClientRead],
    published: bool = True,
    title: str = "Week 1 interview",
) -> AssignmentRead:
    assignment = assignment_service.create_assignment(
        session,
        actor=teacher,
        section_id=section.id,
        data=AssignmentInput(title=title, client_ids=[client.id for client in clients]),
    )
    if published:
        assignment = assignment_service.set_published(
            session, actor=teacher, assignment_id=assignment.id, published=True
        )
    return assignment


def make_classroom(session: Session):
    """A teacher with a client assigned (published) to an enrolled student."""
    teacher = make_user(session, role=Role.teacher)
    student = make_user(session, role=Role.student)
    client = make_client(session, teacher=teacher)
    section = make_section(session, teacher=teacher)
    enroll(session, section=section, student=student)
    assignment = make_assignment(session, teacher=teacher, section=section, clients=[client])
    return teacher, student, client, section, assignment


def start_session(session: Session, *, user: UserRead, client: ClientRead) -> SessionRead:
    return session_service.create_session(session, actor=user, client_id=client.id)
