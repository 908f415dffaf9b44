"""Teachers have the last word: their version of a review, and the queue of reviews waiting.

The teacher's version is stored beside the model's first one (`teacher_content`; the model's
`content` is never overwritten), checked like the model's (codes and criteria from the review's
rubric version, scores in range, cited turns exist and are the student's, quotes word for word),
and read by the student once released (`review_service.release_review`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, and_, or_, select, true
from sqlalchemy.orm import Session, aliased

from backend import access
from backend.actor import UserRead
from backend.errors import ConflictError, ValidationError
from backend.models import (
    Assignment,
    ClientProfile,
    PracticeSession,
    ReviewBatch,
    RubricVersion,
    Section,
    SessionReview,
    User,
)
from backend.models.base import utcnow
from backend.models.review import BatchStatus, ReviewSource, ReviewStatus
from backend.practice import branch_service
from backend.reviews import offline_review, review_batches, review_rules, review_service
from backend.reviews.read_models import ReviewAnswer, ReviewContent, ReviewRead
from backend.reviews.rubric_schema import NOT_CODED, RubricDefinition
from backend.utils.formatting import format_time
from backend.utils.text import clean_text

TEXT_LIMIT = 600


class TeacherEdits(ReviewAnswer):
    """The teacher's whole version: every code, every score, and the comments (the page starts
    from the model's version and changes what the teacher changed)."""


class QueueItem(BaseModel):
    """One conversation whose review waits for its teacher."""

    session_id: int
    student: str
    client: str
    assignment: str
    section: str
    reviewed_at: datetime | None  # the teacher saved a version (not yet released)
    #: That version was saved by the one who reads the queue (not an admin, say).
    saved_by_reader: bool = False
    released: bool  # the student reads the model's version already
    teacher_released: bool = False  # the student reads the teacher's version (saves go live)
    demo: bool
    created_at: datetime
    #: Still being written in a Message Batch: the job's progress (see `review_batches`).
    writing: str | None = None
    #: A try of one moment of another session ("branch of the session of ... at turn N"), as
    #: My sessions and History mark it: it looked like a second whole session (an attack,
    #: 2026-12-07).
    branch: str | None = None


class ReviewChanged(ConflictError):
    """Someone else saved a version of the review after the editor's form was filled."""

    def __init__(self, saved_at: datetime | None) -> None:
        when = format_time(saved_at) if saved_at else "just now"
        super().__init__(
            f"This review was changed by someone else since you opened it (their version was "
            f"saved {when}). Yours was not saved, and your changes are still in the form: press "
            "Save again to replace theirs, or reload the page to read theirs first."
        )
        self.saved_at = saved_at


class _AnyVersion:
    """Save over whatever version is stored (a script, a test): no editor's form to compare."""


ANY_VERSION = _AnyVersion()


def save_teacher_review(
    db: Session,
    *,
    actor: UserRead | None,
    session_id: int,
    edits: TeacherEdits | dict,
    over: datetime | None | _AnyVersion = ANY_VERSION,
) -> ReviewRead:
    """Store the teacher's version (replacing their earlier one). Students read it once it is
    released; if it was released already, the saved changes are what they read at once. `over`
    is when the version the editor started from was saved (None: the model's): a version saved
    since by someone else is never overwritten unseen (`ReviewChanged`)."""
    session = review_service.teacher_session(db, actor=actor, session_id=session_id)
    review = db.scalar(
        select(SessionReview).where(SessionReview.session_id == session.id).with_for_update()
    )
    if review is None or review.status != ReviewStatus.ready:
        raise ConflictError("There is no finished review to change yet. Write the review first.")
    if not isinstance(over, _AnyVersion) and review.reviewed_at != over:
        raise ReviewChanged(review.reviewed_at)
    rubric = RubricDefinition.model_validate(
        db.get_one(RubricVersion, review.rubric_version_id).definition
    )
    turns = review_service.session_turns(db, session.id)
    data = edits.model_dump() if isinstance(edits, BaseModel) else dict(edits)
    data = _cleaned(data)
    answer, errors = review_rules.validate(
        data,
        turns,
        rubric,
        items=review_rules.TEACHER_ITEMS,
        wording=review_rules.TEACHER_WORDING,
    )
    if answer is None:
        raise ValidationError("This review cannot be saved: " + " ".join(errors[:6]))
    model = ReviewContent.model_validate(review.content)
    _no_risk_left_behind(model, answer)
    unread = _still_unread(model, answer)
    content = ReviewContent(**answer.model_dump(), demo=False, not_english=unread)
    review.teacher_content = content.model_dump(mode="json")
    review.teacher_indicators = review_rules.indicators(
        turns, [item.code for item in content.codes], rubric
    )
    review.reviewed_by_id = access.signed_in(db, actor).id
    review.reviewed_at = utcnow()
    db.flush()
    return ReviewRead.model_validate(review)


def _no_risk_left_behind(model: ReviewContent, answer: ReviewAnswer) -> None:
    """A teacher who takes out (or marks answered) every risk the student passed over must not
    keep what the automatic review wrote because of it: ratings held at 2, a goal and a "try
    instead" about harm would count, with the student reading no warning (an attack on the
    day's fixes, 2026-12-07)."""
    passed_over = [item for item in model.risk if not item.responded]
    if not passed_over or any(not item.responded for item in answer.risk):
        return
    texts = [
        answer.goal,
        *(s.reasoning for s in answer.scores),
        *(t.why for t in answer.try_instead),
    ]
    if offline_review.rests_on_risk(texts):
        raise ValidationError(
            "You took out the passed-over risk (or marked it answered), but the ratings, the goal "
            "or a suggestion still rest on it (“a risk the client voiced was passed over”). Rate "
            "and write those again without it, then save."
        )


def _still_unread(model: ReviewContent, answer: ReviewAnswer) -> bool:
    """Whether the teacher's version is of a session the automatic review could not read (not in
    English) and still codes none of it: it then says only what the teacher wrote. Either way the
    goal must be the teacher's own. Released unchanged, it had told the student "no turn was an
    open question" under "Reviewed by your teacher" (an attack, 2026-12-07)."""
    if not model.not_english:
        return False
    # The automatic goal ("Ask your teacher to go through it") is never released as the
    # teacher's, coded or not (a coded version had been: an attack on the day's fixes).
    if answer.goal.strip() == model.goal.strip():
        raise ValidationError(
            "This session is not in English, so the automatic review read nothing: write a goal "
            "for the student (and any strengths, better replies or ratings) before you save or "
            "release it."
        )
    return all(item.code == NOT_CODED for item in answer.codes)


def _cleaned(data: dict) -> dict:
    """Every text the teacher typed, checked like any typed text (control characters, length).
    A strength whose comment, or a "try instead" whose better reply and why, the teacher emptied
    is dropped: emptying is how the form takes an item out."""

    def text(value: object, label: str) -> str:
        return clean_text(
            value if isinstance(value, str) else "",
            field=label,
            label=label,
            max_chars=TEXT_LIMIT,
        )

    data = dict(data)
    data["goal"] = text(data.get("goal"), "Goal")
    data["scores"] = [
        {**item, "reasoning": text(item.get("reasoning"), "Reasoning")}
        for item in data.get("scores") or []
    ]
    strengths = [
        {**item, "comment": text(item.get("comment"), "Strength comment")}
        for item in data.get("strengths") or []
    ]
    data["strengths"] = [item for item in strengths if item["comment"]]
    tips = [
        {
            **item,
            "better_reply": text(item.get("better_reply"), "Better reply"),
            "why": text(item.get("why"), "Why"),
        }
        for item in data.get("try_instead") or []
    ]
    data["try_instead"] = [tip for tip in tips if tip["better_reply"] or tip["why"]]
    return data


def review_queue(
    db: Session, *, actor: UserRead | None, include_unreviewed: bool = False
) -> list[QueueItem]:
    """Reviews of the teacher's sections waiting for them, newest first: not released yet, or
    with a saved version not released yet; with `include_unreviewed` also those the student
    already reads without the teacher's review. Admins see every section's."""
    teacher = access.require(db, actor, "teaching", "use")
    waiting = or_(
        SessionReview.released_at.is_(None),
        and_(SessionReview.reviewed_at.is_not(None), SessionReview.teacher_released_at.is_(None)),
    )
    if include_unreviewed:  # every finished review: a released version can be corrected too
        waiting = true()
    query = (
        _with_names(SessionReview.session_id, SessionReview)
        .where(
            SessionReview.status == ReviewStatus.ready,
            waiting,
            access.where(teacher, "review", "edit"),
        )
        .order_by(SessionReview.created_at.desc(), SessionReview.id.desc())
    )
    items = [
        QueueItem(
            session_id=review.session_id,
            reviewed_at=review.reviewed_at,
            saved_by_reader=review.reviewed_by_id == teacher.id,
            released=review.released_at is not None,
            teacher_released=review.teacher_released_at is not None,
            demo=review.source == ReviewSource.demo,
            created_at=review.created_at,
            **_names(names),
        )
        for review, *names in db.execute(query).all()
    ]
    return _being_written(db, teacher) + items


_ORIGINAL = aliased(PracticeSession)  # the session a branch tries a moment of


def _with_names(session_id: Any, *columns: Any) -> Select:
    """`columns`, then the names a queue item shows for the practice session `session_id`
    points at: its student, client, assignment and section, and for a branch its turn and when
    the session it branches from started (else None, None)."""
    return (
        select(
            *columns,
            User.display_name,
            ClientProfile.name,
            Assignment.title,
            Section.name,
            PracticeSession.branch_turn,
            _ORIGINAL.started_at,
        )
        .join(PracticeSession, PracticeSession.id == session_id)
        .join(User, User.id == PracticeSession.user_id)
        .join(ClientProfile, ClientProfile.id == PracticeSession.client_id)
        .join(Assignment, Assignment.id == PracticeSession.assignment_id)
        .join(Section, Section.id == Assignment.section_id)
        .outerjoin(_ORIGINAL, _ORIGINAL.id == PracticeSession.branch_of_id)
    )


def _names(names: list[Any]) -> dict[str, Any]:
    """The names `_with_names` adds to a row, as a queue item's fields."""
    student, client, assignment, section, branch_turn, original_started_at = names
    branch = (
        None
        if branch_turn is None or original_started_at is None
        else branch_service.branch_label(original_started_at, branch_turn)
    )
    return {
        "student": student,
        "client": client,
        "assignment": assignment,
        "section": section,
        "branch": branch,
    }


def _being_written(db: Session, teacher: UserRead) -> list[QueueItem]:
    """Held reviews of the teacher's sections still being written in a Message Batch."""
    query = (
        _with_names(ReviewBatch.session_id, ReviewBatch.session_id, ReviewBatch.created_at)
        .where(ReviewBatch.status == BatchStatus.pending, access.where(teacher, "review", "edit"))
        .order_by(ReviewBatch.created_at.desc(), ReviewBatch.id.desc())
    )
    rows = db.execute(query).all()
    progress = review_batches.batch_progress(
        db, [row.session_id for row in rows], kind=review_service.REVIEW_KIND
    )
    return [
        QueueItem(
            session_id=session_id,
            reviewed_at=None,
            released=False,
            demo=False,
            created_at=created_at,
            writing=progress.get(session_id, review_batches.BATCH_STEP),
            **_names(names),
        )
        for session_id, created_at, *names in rows
    ]
