"""Problem reports: anyone signed in sends one from any page ("Report a problem"); admins read
them beside the event log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.db import older_than
from backend.errors import ValidationError
from backend.models import ProblemReport, User
from backend.utils.rate_limiter import get_rate_limiter
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
    get_rate_limiter().hit_problem_report(actor.id)
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
