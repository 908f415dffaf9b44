"""The practice screen's one read: a conversation with its header and messages, and (while it is
open) what the conversation panel draws, checked once and read in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.clients import client_service
from backend.errors import AppError
from backend.models import Assignment, ClientProfile, Message, PracticeSession, Section
from backend.models.enums import SessionMode, SessionStatus
from backend.practice import memory_service, session_service
from backend.practice.conversation_service import ConversationView
from backend.practice.read_models import MessageRead, SessionRead


@dataclass(frozen=True)
class PracticeScreen:
    """Everything the practice page draws of one conversation."""

    session: SessionRead
    client_name: str
    assignment_title: str | None
    section_name: str | None
    messages: list[MessageRead]
    # While it is open: the conversation panel's view (None when the client may no longer be
    # shown to this person: the panel then says why).
    conversation: ConversationView | None
    #: A continuing client's conversation: that the client remembers (never what).
    memory_notice: str | None = None


def read_practice_screen(db: Session, *, actor: UserRead | None, session_id: int) -> PracticeScreen:
    """One conversation the actor may read, with its client, assignment and section names."""
    session = session_service.get_session(db, actor=actor, session_id=session_id)
    client_name, assignment_title, section_name = db.execute(
        select(ClientProfile.name, Assignment.title, Section.name)
        .select_from(ClientProfile)
        .outerjoin(Assignment, Assignment.id == session.assignment_id)
        .outerjoin(Section, Section.id == Assignment.section_id)
        .where(ClientProfile.id == session.client_id)
    ).one()
    messages = [
        MessageRead.model_validate(message)
        for message in db.scalars(
            select(Message)
            .where(Message.session_id == session.id)
            .order_by(Message.sequence_number)
        )
    ]
    conversation = None
    if session.is_active:
        try:
            client = client_service.get_client_brief(db, actor=actor, client_id=session.client_id)
        except AppError:
            pass  # the panel reads it again and shows the refusal
        else:
            conversation = ConversationView(
                session, messages, client, reply_pending=session.reply_pending
            )
    return PracticeScreen(
        session=session,
        client_name=client_name,
        assignment_title=assignment_title,
        section_name=section_name,
        messages=messages,
        conversation=conversation,
        memory_notice=_memory_notice(db, session, client_name),
    )


def _memory_notice(db: Session, session: SessionRead, client_name: str) -> str | None:
    if not memory_service.continuing(db, session):
        return None
    if not session.is_active:  # an ended session's page: what of this session is remembered
        return {
            "yes": f"Continuing client: {client_name} remembers this session.",
            "writing": f"Continuing client: {client_name} is taking in this session now.",
            "lost": f"Continuing client: {client_name} has not taken in this session: its "
            "memory could not be written yet (the end of your next session with "
            f"{client_name} writes it first, or your teacher can now).",
            "no": f"Continuing client: {client_name} has not taken in this session (your "
            "teacher can have its memory written).",
            "never": f"Continuing client: {client_name} does not remember this session (held "
            "before the client remembered sessions, or its memory could not be written).",
        }.get(memory_service.taken_in(db, session) or "")
    remembers = memory_service.remembers(db, session)
    before = " It remembers the sessions before it." if remembers else ""
    missing = memory_service.last_session_missing(db, session)
    if missing == "writing":
        return (
            f"Continuing client: {client_name} is still taking in your last session and may not "
            f"remember it yet.{before}"
        )
    if missing == "unwritten":
        return (
            f"Continuing client: {client_name} does not remember your last session (your "
            f"teacher can have its memory written).{before} It will remember this one next time."
        )
    if remembers:
        return f"Continuing client: {client_name} remembers your earlier sessions."
    return f"Continuing client: {client_name} will remember this session next time."


def active_conversations(db: Session, *, actor: UserRead | None) -> set[tuple[int, int | None]]:
    """(client, assignment) of each open practice conversation of the actor (that card says
    "Continue"), in one query whatever the number of cards."""
    actor = access.signed_in(db, actor)
    rows = db.execute(
        select(PracticeSession.client_id, PracticeSession.assignment_id).where(
            PracticeSession.user_id == actor.id,
            PracticeSession.status == SessionStatus.active,
            PracticeSession.mode != SessionMode.check,
            PracticeSession.branch_of_id.is_(None),  # a try of one moment continues nowhere
        )
    )
    return {(row.client_id, row.assignment_id) for row in rows}
