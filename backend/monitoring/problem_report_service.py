"""Problem reports: anyone signed in sends one from any page ("Report a problem"); admins read
them beside the event log."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import limits
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.config import get_settings
from backend.db import older_than
from backend.errors import RateLimitedError, ValidationError
from backend.models import ProblemReport, User
from backend.models.base import utcnow
from backend.utils.rate_limiter import describe_wait, describe_window
from backend.utils.text import bounded

#: The longest report accepted, in characters (a screenful; longer text is refused, not cut).
MAX_REPORT_CHARS = 4000
MAX_PAGE_CHARS = 200


class ProblemReportRead(BaseModel):
    id: int
    created_at: datetime
    page: str
    text: str
    reporter: str | None  # the username; None once the account is gone


def report_problem(
    db: Session, *, actor: UserRead | None, text: str, page: str
) -> ProblemReportRead:
    """Store what the caller wrote and the page they wrote it on."""
    actor = access.require(db, actor, "problem_report", "create")
    text = text.replace("\x00", "").strip()  # PostgreSQL stores no NUL character
    if not text:
        raise ValidationError(
            "Write what happened before sending.", {"text": "Describe the problem."}
        )
    if len(text) > MAX_REPORT_CHARS:
        raise ValidationError(
            f"The report is {len(text):,} characters long; at most {MAX_REPORT_CHARS:,} fit. "
            "Shorten it (your text is still in the box).",
            {"text": f"At most {MAX_REPORT_CHARS:,} characters."},
        )
    _admit(db, actor.id)
    report = ProblemReport(user_id=actor.id, page=bounded(page, MAX_PAGE_CHARS), text=text)
    db.add(report)
    db.flush()
    return ProblemReportRead(
        id=report.id,
        created_at=report.created_at,
        page=report.page,
        text=report.text,
        reporter=actor.username,
    )


def _admit(db: Session, user_id: int) -> None:
    """Refuse a report past PROBLEM_REPORT_RATE_LIMIT, counted from the reports stored: one
    account cannot bury the admins' list (an attack, 2026-12-07), a report the database could
    not save uses up nothing, and a report goes through while Redis is down (an attack on the
    first fix, which counted in the rate limiter)."""
    limit = limits.parse(get_settings().problem_report_rate_limit)
    window = timedelta(seconds=limit.get_expiry())
    since = utcnow() - window
    sent = db.scalars(
        select(ProblemReport.created_at)
        .where(ProblemReport.user_id == user_id, ProblemReport.created_at > since)
        .order_by(ProblemReport.created_at)
    ).all()
    if len(sent) < limit.amount:
        return
    oldest = sent[-limit.amount]
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    wait = max(1, math.ceil((oldest + window - utcnow()).total_seconds()))
    raise RateLimitedError(
        f"You have sent {limit.amount} reports in {describe_window(limit)}. Please wait "
        f"{describe_wait(wait)} before sending another (your text is still in the box).",
        wait,
    )


def list_reports(
    db: Session,
    *,
    actor: UserRead | None,
    limit: int = 100,
    before: tuple[datetime, int] | None = None,
) -> list[ProblemReportRead]:
    """Newest first, for the admin's error log; `before` (a report's time and id): the page of
    older ones."""
    access.require(db, actor, "problem_report", "read")
    query = (
        select(ProblemReport, User.username)
        .outerjoin(User, User.id == ProblemReport.user_id)
        .order_by(ProblemReport.created_at.desc(), ProblemReport.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(older_than(ProblemReport.created_at, ProblemReport.id, before))
    rows = db.execute(query)
    return [
        ProblemReportRead(
            id=report.id,
            created_at=report.created_at,
            page=report.page,
            text=report.text,
            reporter=username,
        )
        for report, username in rows
    ]
