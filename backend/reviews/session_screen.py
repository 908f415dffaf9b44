"""The student's session screen's one read: the conversation (`practice_screen`) and, once it has
ended, its feedback form, the thumbs on its replies, its review (or that the teacher holds it) and
the review's rubric, all in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actor import UserRead
from backend.jobs import job_service
from backend.jobs.read_models import JobRead
from backend.models import Message, MessageRating, RubricVersion, SessionRating
from backend.practice.practice_screen import (
    PracticeScreen,
    active_conversations,
    read_practice_screen,
)
from backend.practice.rating_service import RatingRead
from backend.reviews import review_service
from backend.reviews.read_models import ReviewRead
from backend.reviews.rubric_schema import RubricDefinition


@dataclass(frozen=True)
class SessionScreen:
    """Everything the student's session page draws (the last six are for an ended session)."""

    practice: PracticeScreen
    rating: RatingRead | None = None
    reply_ratings: dict[int, bool] = field(default_factory=dict)
    review: ReviewRead | None = None
    review_held: bool = False  # written, and waiting for the teacher to release it
    rubric: RubricDefinition | None = None
    review_job: JobRead | None = None  # the latest job writing its review (backend/jobs)
    #: The student has a conversation open with this client under this assignment: "start
    #: again" continues it (a practised moment's page had offered it as a new one: an attack,
    #: 2026-12-07).
    continues_open: bool = False


def read_session_screen(db: Session, *, actor: UserRead | None, session_id: int) -> SessionScreen:
    """One conversation the actor may read; once ended, with its ratings and its review."""
    practice = read_practice_screen(db, actor=actor, session_id=session_id)
    if practice.session.is_active:
        return SessionScreen(practice=practice)
    rating = db.scalar(select(SessionRating).where(SessionRating.session_id == session_id))
    thumbs = db.execute(
        select(MessageRating.message_id, MessageRating.positive)
        .join(Message, Message.id == MessageRating.message_id)
        .where(Message.session_id == session_id)
    )
    try:
        review = review_service.get_review(db, actor=actor, session_id=session_id)
    except review_service.ReviewNotReleased:
        review, held = None, True
    else:
        held = False
    rubric = None
    if review is not None and review.content is not None:
        version = db.get_one(RubricVersion, review.rubric_version_id)
        rubric = RubricDefinition.model_validate(version.definition)
    return SessionScreen(
        practice=practice,
        rating=RatingRead.model_validate(rating) if rating else None,
        reply_ratings={message_id: positive for message_id, positive in thumbs},
        review=review,
        review_held=held,
        rubric=rubric,
        review_job=job_service.latest(db, kind=review_service.REVIEW_KIND, subject=session_id),
        continues_open=(practice.session.client_id, practice.session.assignment_id)
        in active_conversations(db, actor=actor),
    )
