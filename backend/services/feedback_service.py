"""Student feedback: a form after each session and thumbs on single replies, and the share of it
that is positive (overall and by client) for teachers and the admin dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from backend.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from backend.models import ChatSession, ClientProfile, Message, MessageRating, SessionFeedback
from backend.models.base import utcnow
from backend.models.enums import MessageRole, SessionStatus
from backend.schemas.accounts import UserRead
from backend.services import session_service
from backend.services.permissions import require_teacher, require_user

#: A session form counts as positive when both scores are at least this.
POSITIVE_SCORE = 4
MAX_COMMENT = 2000


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: int
    realism: int = Field(ge=1, le=5)
    usefulness: int = Field(ge=1, le=5)
    comment: str
    updated_at: datetime


@dataclass(frozen=True)
class FeedbackShare:
    """How much feedback is positive: replies rated thumbs-up and session forms scored 4-5."""

    label: str
    positive: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.positive / self.total, 1) if self.total else None


def submit_session_feedback(
    session: Session, *, actor: UserRead | None, session_id: int, realism: int, usefulness: int,
    comment: str = "",
) -> FeedbackRead:
    """The student's view of a finished session (sending it again updates it)."""
    actor = require_user(actor)
    chat = session_service.get_session(session, actor=actor, session_id=session_id)
    if chat.user_id != actor.id:
        raise PermissionDeniedError("Only the person who had this conversation can rate it.")
    if chat.status != SessionStatus.completed:
        raise ConflictError("End the session first, then tell us how it went.")
    errors = {name: "Choose 1 to 5." for name, value in
              (("realism", realism), ("usefulness", usefulness)) if not 1 <= int(value) <= 5}
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = f"Keep the comment under {MAX_COMMENT:,} characters."
    if errors:
        raise ValidationError("Please correct the feedback form.", errors)
    feedback = session.scalar(select(SessionFeedback).where(SessionFeedback.session_id == session_id))
    if feedback is None:
        feedback = SessionFeedback(session_id=session_id, user_id=actor.id)
        session.add(feedback)
    feedback.realism, feedback.usefulness, feedback.comment = int(realism), int(usefulness), comment
    feedback.updated_at = utcnow()
    session.flush()
    return FeedbackRead.model_validate(feedback)


def get_session_feedback(
    session: Session, *, actor: UserRead | None, session_id: int
) -> FeedbackRead | None:
    session_service.get_session(session, actor=actor, session_id=session_id)  # access check
    feedback = session.scalar(select(SessionFeedback).where(SessionFeedback.session_id == session_id))
    return FeedbackRead.model_validate(feedback) if feedback else None


def rate_reply(
    session: Session, *, actor: UserRead | None, message_id: int, positive: bool | None
) -> None:
    """Thumbs up/down on one of the client's replies; None takes the rating back."""
    actor = require_user(actor)
    message = session.get(Message, message_id)
    if message is None:
        raise NotFoundError("That reply no longer exists.")
    chat = session_service.get_session(session, actor=actor, session_id=message.session_id)
    if chat.user_id != actor.id:
        raise PermissionDeniedError("Only the person who had this conversation can rate it.")
    if message.role != MessageRole.assistant.value:
        raise ValidationError("Only the client's replies can be rated.")
    rating = session.scalar(select(MessageRating).where(MessageRating.message_id == message_id))
    if positive is None:
        if rating is not None:
            session.delete(rating)
    elif rating is None:
        session.add(MessageRating(message_id=message_id, user_id=actor.id, positive=positive))
    else:
        rating.positive = positive
    session.flush()


def reply_ratings(session: Session, *, actor: UserRead | None, session_id: int) -> dict[int, bool]:
    """message id -> thumbs up (True) or down (False) for one session."""
    session_service.get_session(session, actor=actor, session_id=session_id)
    rows = session.execute(
        select(MessageRating.message_id, MessageRating.positive)
        .join(Message, Message.id == MessageRating.message_id)
        .where(Message.session_id == session_id)
    )
    return dict(rows.all())


def feedback_shares(
    session: Session, *, actor: UserRead | None, since: datetime | None = None
) -> tuple[FeedbackShare, list[FeedbackShare]]:
    """(overall, by client) share of positive feedback over the sessions the actor may read."""
    actor = require_teacher(actor)
    readable = session_service.readable_sessions_filter(actor)
    form_positive = case((and_(SessionFeedback.realism >= POSITIVE_SCORE,
                               SessionFeedback.usefulness >= POSITIVE_SCORE), 1), else_=0)
    forms = (
        select(ChatSession.client_id.label("client_id"), form_positive.label("positive"))
        .select_from(SessionFeedback)
        # "+ 0": from the (few) forms to their sessions, not from every session (SQLite's planner).
        .join(ChatSession, ChatSession.id == SessionFeedback.session_id + literal_column("0"))
        .where(readable)
    )
    thumbs = (  # from the (few) ratings to their messages, not from every message
        select(ChatSession.client_id.label("client_id"),
               case((MessageRating.positive, 1), else_=0).label("positive"))
        .select_from(MessageRating)
        .join(Message, Message.id == MessageRating.message_id + literal_column("0"))
        # "+ 0" keeps SQLite from walking every message to find the (few) ratings.
        .join(ChatSession, ChatSession.id == Message.session_id + literal_column("0")).where(readable)
    )
    if since is not None:
        forms = forms.where(SessionFeedback.updated_at >= since)
        thumbs = thumbs.where(MessageRating.created_at >= since)
    every = forms.union_all(thumbs).subquery()
    rows = session.execute(
        select(ClientProfile.name, func.sum(every.c.positive), func.count())
        .join(ClientProfile, ClientProfile.id == every.c.client_id)
        .group_by(ClientProfile.id, ClientProfile.name).order_by(ClientProfile.name)
    ).all()
    by_client = [FeedbackShare(name, int(positive or 0), int(total)) for name, positive, total in rows]
    overall = FeedbackShare("All clients", sum(s.positive for s in by_client),
                            sum(s.total for s in by_client))
    return overall, by_client
