"""Students' ratings: a form after each session and thumbs on single replies, and the share of it
that is positive (overall and by client) for teachers and the admin dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    case,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.db import upsert_add
from backend.errors import ConflictError, NotFoundError, ValidationError
from backend.models import (
    ClientProfile,
    Message,
    MessageRating,
    PracticeSession,
    RatingTally,
    SessionRating,
    User,
)
from backend.models.base import utcnow
from backend.models.enums import MessageRole, SessionStatus
from backend.practice import branch_service, session_service
from backend.utils.formatting import Named, format_share, told_apart, whose_client
from backend.utils.text import clean_text

#: A session form counts as positive when both scores are at least this.
POSITIVE_SCORE = 4
MAX_COMMENT = 2000


class RatingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: int
    realism: int = Field(ge=1, le=5)
    usefulness: int = Field(ge=1, le=5)
    comment: str
    updated_at: datetime


@dataclass(frozen=True)
class RatingShare:
    """How much feedback is positive: replies rated thumbs-up and session forms scored 4-5."""

    label: str
    positive: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.positive / self.total, 1) if self.total else None

    @property
    def shown(self) -> str:
        """As a page shows it: 199 of 200 is '>99%', never '100%' (an attack, 2026-12-07)."""
        return format_share(self.positive / self.total) if self.total else "—"


def submit_session_rating(
    db: Session,
    *,
    actor: UserRead | None,
    session_id: int,
    realism: int,
    usefulness: int,
    comment: str = "",
) -> RatingRead:
    """The student's view of a finished session (sending it again updates it)."""
    actor = access.signed_in(db, actor)
    session = session_service.get_session(db, actor=actor, session_id=session_id)
    _require_rater(db, actor, session.id)
    if session.status != SessionStatus.completed:
        raise ConflictError("End the session first, then tell us how it went.")
    errors = {
        name: "Choose 1 to 5."
        for name, value in (("realism", realism), ("usefulness", usefulness))
        if not 1 <= int(value) <= 5
    }
    try:
        comment = clean_text(comment, field="comment", label="The comment", max_chars=MAX_COMMENT)
    except ValidationError as error:
        errors |= error.field_errors
    if errors:
        raise ValidationError("Please correct the feedback form.", errors)
    feedback = db.scalar(select(SessionRating).where(SessionRating.session_id == session_id))
    before = None if feedback is None else _form_is_positive(feedback.realism, feedback.usefulness)
    if feedback is None:
        feedback = SessionRating(session_id=session_id, user_id=actor.id)
        db.add(feedback)
    feedback.realism, feedback.usefulness, feedback.comment = int(realism), int(usefulness), comment
    _tally(db, session.client_id, before, _form_is_positive(int(realism), int(usefulness)))
    feedback.updated_at = utcnow()
    db.flush()
    return RatingRead.model_validate(feedback)


def get_session_rating(
    db: Session, *, actor: UserRead | None, session_id: int
) -> RatingRead | None:
    session_service.get_session(db, actor=actor, session_id=session_id)  # access check
    feedback = db.scalar(select(SessionRating).where(SessionRating.session_id == session_id))
    return RatingRead.model_validate(feedback) if feedback else None


def rate_reply(
    db: Session, *, actor: UserRead | None, message_id: int, positive: bool | None
) -> None:
    """Thumbs up/down on one of the client's replies; None takes the rating back."""
    actor = access.signed_in(db, actor)
    message = db.get(Message, message_id)
    gone = NotFoundError("That reply no longer exists.")
    if message is None:
        raise gone
    try:
        session = session_service.get_session(db, actor=actor, session_id=message.session_id)
    except session_service.SessionNotFound:
        # Answered as a missing reply: naming its conversation had let ids be probed (an
        # attack, 2026-12-07).
        raise gone from None
    _require_rater(db, actor, session.id)
    if message.role != MessageRole.assistant:
        raise ValidationError("Only the client's replies can be rated.")
    if branch_service.is_copied(session, message.sequence_number):
        # Each try of a moment copies the replies before it: rated in every copy, one reply
        # counted again and again in the client's figures (an attack, 2026-12-07).
        raise ValidationError(
            "This reply was copied from your earlier session: rate it in that session."
        )
    rating = db.scalar(select(MessageRating).where(MessageRating.message_id == message_id))
    _tally(db, session.client_id, None if rating is None else rating.positive, positive)
    if positive is None:
        if rating is not None:
            db.delete(rating)
    elif rating is None:
        db.add(MessageRating(message_id=message_id, user_id=actor.id, positive=positive))
    else:
        rating.positive = positive
    db.flush()


def _require_rater(db: Session, actor: UserRead, session_id: int) -> None:
    """Only the person who had the conversation rates it (its readers may only read that)."""
    refuse = "Only the person who had this conversation can rate it."
    session = db.get_one(PracticeSession, session_id)  # loaded already by the read check
    access.require(db, actor, "conversation", "rate", session, refuse=refuse)


def _form_is_positive(realism: int, usefulness: int) -> bool:
    return realism >= POSITIVE_SCORE and usefulness >= POSITIVE_SCORE


def _tally(db: Session, client_id: int, before: bool | None, after: bool | None) -> None:
    """Move the client's tally from one judgement (None: none) to another."""
    positive = int(bool(after)) - int(bool(before))
    total = int(after is not None) - int(before is not None)
    if positive or total:
        upsert_add(
            db, RatingTally, {"client_id": client_id}, {"positive": positive, "total": total}
        )


def reply_ratings(db: Session, *, actor: UserRead | None, session_id: int) -> dict[int, bool]:
    """message id -> thumbs up (True) or down (False) for one session."""
    session_service.get_session(db, actor=actor, session_id=session_id)
    rows = db.execute(
        select(MessageRating.message_id, MessageRating.positive)
        .join(Message, Message.id == MessageRating.message_id)
        .where(Message.session_id == session_id)
    )
    return dict(rows.all())


def rating_shares(
    db: Session, *, actor: UserRead | None, since: datetime | None = None
) -> tuple[RatingShare, list[RatingShare]]:
    """(overall, by client) share of positive feedback over the sessions the actor may read.

    An admin's all-time view reads the per-client tallies; other views count the feedback rows.
    """
    actor = access.require(db, actor, "teaching", "use")
    client = (ClientProfile.id, ClientProfile.name, User.username, ClientProfile.archived)
    if actor.is_admin and since is None:
        rows = db.execute(
            select(*client, RatingTally.positive, RatingTally.total)
            .join(ClientProfile, ClientProfile.id == RatingTally.client_id)
            .join(User, User.id == ClientProfile.owner_id)
            .where(RatingTally.total > 0)
            .order_by(ClientProfile.name, ClientProfile.id)
        ).all()
    else:
        counted = _count_ratings(_aggregated(actor), since)
        rows = db.execute(
            select(*client, counted.c.positive, counted.c.total)
            .join(ClientProfile, ClientProfile.id == counted.c.client_id)
            .join(User, User.id == ClientProfile.owner_id)
            .order_by(ClientProfile.name, ClientProfile.id)
        ).all()
    # Two clients of one name are two rows, told apart by their teacher (and being archived).
    labels = told_apart(
        [Named(key, name, whose_client(owner, archived)) for key, name, owner, archived, *_ in rows]
    )
    by_client = [
        RatingShare(label, int(positive or 0), int(total))
        for label, (*_client, positive, total) in zip(labels, rows, strict=True)
    ]
    overall = RatingShare(
        "All clients", sum(s.positive for s in by_client), sum(s.total for s in by_client)
    )
    return overall, by_client


def _aggregated(actor: UserRead) -> ColumnElement[bool]:
    """The sessions whose feedback counts in the actor's anonymous figures: those they may read,
    and every session with a client whose aggregates they may see (its author's)."""
    authored = select(ClientProfile.id).where(access.where(actor, "client", "aggregates"))
    return or_(access.where(actor, "conversation", "read"), PracticeSession.client_id.in_(authored))


def rebuild_tallies(db: Session) -> None:
    """Recount every client's tally from the feedback rows (after a bulk import)."""
    db.execute(delete(RatingTally))
    counted = _count_ratings(true(), None)
    db.execute(
        insert(RatingTally).from_select(
            ["client_id", "positive", "total"],
            select(counted.c.client_id, counted.c.positive, counted.c.total),
        )
    )


def _count_ratings(readable: ColumnElement[bool], since: datetime | None) -> Subquery:
    """(client_id, positive, total) over forms and reply ratings of the readable sessions."""
    form_positive = case(
        (
            and_(
                SessionRating.realism >= POSITIVE_SCORE,
                SessionRating.usefulness >= POSITIVE_SCORE,
            ),
            1,
        ),
        else_=0,
    )
    forms = (
        select(PracticeSession.client_id.label("client_id"), form_positive.label("positive"))
        .select_from(SessionRating)
        # "+ 0": from the (few) forms to their sessions, not from every session (SQLite's planner).
        .join(PracticeSession, PracticeSession.id == SessionRating.session_id + literal_column("0"))
        .where(readable)
    )
    thumbs = (
        select(
            PracticeSession.client_id.label("client_id"),
            case((MessageRating.positive, 1), else_=0).label("positive"),
        )
        .select_from(MessageRating)
        # "+ 0" keeps SQLite from walking every message to find the (few) ratings.
        .join(Message, Message.id == MessageRating.message_id + literal_column("0"))
        .join(PracticeSession, PracticeSession.id == Message.session_id + literal_column("0"))
        .where(readable)
    )
    if since is not None:
        forms = forms.where(SessionRating.updated_at >= since)
        thumbs = thumbs.where(MessageRating.created_at >= since)
    every = forms.union_all(thumbs).subquery()
    return (
        select(
            every.c.client_id,
            func.sum(every.c.positive).label("positive"),
            func.count().label("total"),
        )
        .group_by(every.c.client_id)
        .subquery()
    )


# What teachers see -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionRatingSummary:
    """One conversation's feedback: the end-of-session form (if sent) and the reply thumbs."""

    session_id: int
    realism: int | None
    usefulness: int | None
    comment: str
    thumbs_up: int
    thumbs_down: int

    @property
    def label(self) -> str:
        """'realism 2/5 · useful 5/5 · thumbs 1 up, 0 down' (for a table cell)."""
        parts = (
            []
            if self.realism is None
            else [f"realism {self.realism}/5", f"useful {self.usefulness}/5"]
        )
        if self.thumbs_up or self.thumbs_down:
            parts.append(f"thumbs {self.thumbs_up} up, {self.thumbs_down} down")
        return " · ".join(parts)


@dataclass(frozen=True)
class ClientRatings:
    """A client's feedback over the sessions the reader may see: the positive share and the
    newest comments."""

    client_id: int
    share: RatingShare
    comments: list[str]


def session_ratings(
    db: Session, *, actor: UserRead | None, session_ids: list[int]
) -> dict[int, SessionRatingSummary]:
    """session id -> its feedback, for the sessions among `session_ids` that the actor may read
    and that have any (a teacher's History)."""
    actor = access.require(db, actor, "teaching", "use")
    ids = list(set(session_ids))
    if not ids:
        return {}
    readable = select(PracticeSession.id).where(
        PracticeSession.id.in_(ids), access.where(actor, "conversation", "read")
    )
    forms = {
        row.session_id: row
        for row in db.execute(
            select(
                SessionRating.session_id,
                SessionRating.realism,
                SessionRating.usefulness,
                SessionRating.comment,
            ).where(SessionRating.session_id.in_(readable))
        )
    }
    thumbs = {
        session_id: (int(up or 0), int(down or 0))
        for session_id, up, down in db.execute(
            select(
                Message.session_id,
                func.count().filter(MessageRating.positive.is_(True)),
                func.count().filter(MessageRating.positive.is_(False)),
            )
            .join(Message, Message.id == MessageRating.message_id)
            .where(Message.session_id.in_(readable))
            .group_by(Message.session_id)
        )
    }
    summaries = {}
    for session_id in forms.keys() | thumbs.keys():
        form = forms.get(session_id)
        up, down = thumbs.get(session_id, (0, 0))
        summaries[session_id] = SessionRatingSummary(
            session_id,
            form.realism if form else None,
            form.usefulness if form else None,
            form.comment if form else "",
            up,
            down,
        )
    return summaries


def client_ratings(
    db: Session, *, actor: UserRead | None, client_ids: list[int], comments: int = 3
) -> dict[int, ClientRatings]:
    """client id -> its feedback, anonymous, over the sessions the actor may read or with the
    clients they wrote (the teacher's cards)."""
    actor = access.require(db, actor, "teaching", "use")
    if not client_ids:
        return {}
    readable = _aggregated(actor)
    counted = _count_ratings(readable, None)
    shares = {
        client_id: RatingShare("", int(positive or 0), int(total))
        for client_id, positive, total in db.execute(
            select(counted.c.client_id, counted.c.positive, counted.c.total).where(
                counted.c.client_id.in_(client_ids)
            )
        )
    }
    newest = (
        select(
            PracticeSession.client_id,
            SessionRating.comment,
            func.row_number()
            .over(
                partition_by=PracticeSession.client_id,
                order_by=(SessionRating.updated_at.desc(), SessionRating.id.desc()),
            )
            .label("rank"),
        )
        .join(PracticeSession, PracticeSession.id == SessionRating.session_id)
        .where(PracticeSession.client_id.in_(client_ids), SessionRating.comment != "", readable)
        .subquery()
    )
    said: dict[int, list[str]] = {}
    for client_id, comment, _rank in db.execute(
        select(newest).where(newest.c.rank <= comments).order_by(newest.c.client_id, newest.c.rank)
    ):
        said.setdefault(client_id, []).append(comment)
    return {
        client_id: ClientRatings(client_id, share, said.get(client_id, []))
        for client_id, share in shares.items()
    }
