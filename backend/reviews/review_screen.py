"""The teacher's Reviews screen's one read: the reviews waiting for them (`review_queue`), the
chosen conversation's review with its numbered turns and its rubric, and how often the model's
first scores agree with the teachers' (`agreement`), all in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actor import UserRead
from backend.models import RubricVersion, SessionReview
from backend.reviews import (
    agreement_service,
    review_service,
    rubric_service,
    teacher_review_service,
)
from backend.reviews.agreement_service import CriterionAgreement
from backend.reviews.read_models import ReviewRead
from backend.reviews.rubric_schema import RubricDefinition
from backend.reviews.teacher_review_service import QueueItem
from backend.reviews.turns import Turn


@dataclass(frozen=True)
class ReviewScreen:
    """Everything the teacher's Reviews page draws (the last four: of the chosen conversation)."""

    queue: list[QueueItem]
    agreement: list[CriterionAgreement]
    chosen: int | None = None  # None: nothing waits
    review: ReviewRead | None = None
    turns: list[Turn] = field(default_factory=list)  # its transcript, as its review numbers it
    rubric: RubricDefinition | None = None


def read_review_screen(
    db: Session,
    *,
    actor: UserRead | None,
    include_unreviewed: bool = False,
    session_id: int | None = None,
) -> ReviewScreen:
    """The reviews waiting for the actor, newest first; the one asked for (else the newest) with
    its turns and rubric; and the agreement figures over the reviews the actor may edit."""
    queue = teacher_review_service.review_queue(
        db, actor=actor, include_unreviewed=include_unreviewed
    )
    # The account's row is in the session now: this asks the policy again without a query.
    agreement = agreement_service.agreement(db, actor=actor)
    waiting = [item.session_id for item in queue]
    chosen = session_id if session_id in waiting else next(iter(waiting), None)
    if chosen is None:
        return ReviewScreen(queue=queue, agreement=agreement)
    # The queue holds only reviews the actor may edit (`access.where(..., "review", "edit")`), and
    # whoever may edit a review sees all of it: read by id, without asking per read.
    row = db.scalar(select(SessionReview).where(SessionReview.session_id == chosen))
    review = ReviewRead.model_validate(row) if row is not None else None
    rubric = None
    if review is not None:
        version = db.get_one(RubricVersion, review.rubric_version_id)
        rubric = rubric_service.definition_of(version)
    return ReviewScreen(
        queue=queue,
        agreement=agreement,
        chosen=chosen,
        review=review,
        turns=review_service.session_turns(db, chosen),
        rubric=rubric,
    )
