"""Branches ("Practise this moment"): a new conversation that rewinds another to one of its
student turns, so the student can answer that moment again.

A branch keeps the original's client, prompt version, assignment and mode, and starts with a copy
of the original's messages before that turn (up to the client's turn the student answers). Hidden
information follows by itself: what the client may disclose depends on the student turns of the
conversation, and the copied ones count, so facts earned before the moment stay earned and facts
not yet earned stay hidden. The original is never changed. A branch is practice like any other
conversation (budgets, costs, reviews); each try is its own branch, linked to the original
conversation and turn. Coding a try's reply is the reviews' part (`backend.reviews.try_coding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.clients import prompt_service
from backend.errors import ConflictError, NotFoundError
from backend.models import ClientProfile, Message, PracticeSession
from backend.models.base import utcnow
from backend.models.enums import MessageRole, SessionMode, SessionStatus
from backend.practice import session_service
from backend.practice.read_models import SessionRead
from backend.utils.formatting import format_time


class NotAStudentTurn(NotFoundError):
    def __init__(self, turn: int) -> None:
        super().__init__(f"Turn {turn} is not one of your turns in this conversation.")


@dataclass(frozen=True)
class BranchOrigin:
    """Where a branch comes from: the conversation it tries again and that conversation's student
    turn (its number as reviews cite it), with what the student said there."""

    session_id: int  # the branch
    original_id: int
    turn: int
    original_started_at: datetime
    original_reply: str


def start_branch(db: Session, *, actor: UserRead | None, session_id: int, turn: int) -> SessionRead:
    """A new conversation that rewinds conversation `session_id` to student turn `turn`: the
    messages before that turn copied, the same client, prompt version and assignment.

    `session_id` may itself be a branch (its copied turns are its own, so any of them can be
    tried again); the original conversation is unchanged."""
    actor = access.signed_in(db, actor)
    original = db.get(PracticeSession, session_id)
    if original is None:
        raise session_service.SessionNotFound(session_id)
    access.require(  # someone else's reads as missing: ids cannot be probed
        db,
        actor,
        "conversation",
        "branch",
        original,
        refuse=lambda: session_service.SessionNotFound(session_id),
    )
    if original.mode == SessionMode.check:
        raise session_service.SessionNotFound(session_id)  # a check's probe is no practice
    role = db.scalar(
        select(Message.role).where(
            Message.session_id == session_id, Message.sequence_number == turn
        )
    )
    if role != MessageRole.user:
        raise NotAStudentTurn(turn)
    assignment_id = original.assignment_id
    if original.mode == SessionMode.practice:  # still assigned, as for any new conversation
        assignment_id = access.require_assigned(db, actor, original.client_id, assignment_id)
    branch = PracticeSession(
        user_id=actor.id,
        client_id=original.client_id,
        assignment_id=assignment_id,
        mode=original.mode,
        status=SessionStatus.active,
        model=original.model,
        # The client as it is now: the branch is played with it (the original recorded its own).
        prompt_version=prompt_service.prompt_version(
            db.get_one(ClientProfile, original.client_id).version
        ),
        branch_of_id=original.id,
        branch_turn=turn,
        message_count=turn - 1,
    )
    try:
        with db.begin_nested():
            db.add(branch)
            db.flush()
    except IntegrityError:
        raise ConflictError("This moment could not be opened. Try again.") from None
    # Copies of what was said, not new replies: no tokens, cost or timings of their own (the
    # original's replies were billed once, to the original).
    now = utcnow()
    copied = db.execute(
        select(
            Message.sequence_number,
            Message.role,
            Message.content,
            Message.token_count,
            Message.refused,  # words the model refused stay left out of what it is sent
        )
        .where(Message.session_id == original.id, Message.sequence_number < turn)
        .order_by(Message.sequence_number)
    ).all()
    if copied:
        db.execute(
            insert(Message),
            [
                {
                    "session_id": branch.id,
                    "sequence_number": number,
                    "role": role,
                    "content": content,
                    "created_at": now,
                    "token_count": tokens,
                    "refused": refused,
                }
                for number, role, content, tokens, refused in copied
            ],
        )
    return SessionRead.model_validate(branch)


def is_copied(session: SessionRead, sequence_number: int) -> bool:
    """Whether that message of the conversation is a copy of the one it branches from (said
    there: its tokens, cost, review and ratings are the original's)."""
    return session.branch_turn is not None and sequence_number < session.branch_turn


def branch_origin(db: Session, *, actor: UserRead | None, session_id: int) -> BranchOrigin | None:
    """Where this conversation branches from (None: it is no branch), for whoever may read it."""
    session = session_service.get_session(db, actor=actor, session_id=session_id)
    if session.branch_of_id is None or session.branch_turn is None:
        return None
    started_at, reply = db.execute(
        select(PracticeSession.started_at, Message.content)
        .join(Message, Message.session_id == PracticeSession.id)
        .where(
            PracticeSession.id == session.branch_of_id,
            Message.sequence_number == session.branch_turn,
        )
    ).one()
    return BranchOrigin(session.id, session.branch_of_id, session.branch_turn, started_at, reply)


def branch_label(original_started_at: datetime, turn: int) -> str:
    """How lists mark a branch: "branch of <the original> at turn N"."""
    return f"branch of the session of {format_time(original_started_at)} at turn {turn}"
