"""Conversation lists, their totals, transcripts and exports: a teacher's history (admins see
all) and a student's "My sessions".

A teacher's list, totals and filter options are limited by the access policy
(`access.where(actor, "conversation", "read")`: their own test conversations and those in their
sections; admins see all) and leave out client checks' probe conversations; a student's list is
their own conversations. A transcript is read through `session_service`, which checks the reader.
Figures are computed in the database; pages only format them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from backend import access
from backend.actor import UserRead
from backend.models import (
    Assignment,
    ClientProfile,
    Event,
    Message,
    PracticeSession,
    Section,
    User,
)
from backend.models.enums import MessageRole, Role, SessionMode, SessionStatus
from backend.practice import session_service
from backend.practice.branch_service import branch_label
from backend.practice.read_models import MessageRead, SessionRead
from backend.utils.formatting import (
    Named,
    cost_with_unpriced,
    format_duration,
    format_time,
    format_tokens,
    format_usd,
    plural,
    told_apart,
)
from backend.utils.markdown import as_typed, safe_markdown

MAX_ROWS = 500
CSV_COLUMNS = (
    "session_id",
    "started_at",
    "ended_at",
    "status",
    "mode",
    "client",
    "person",
    "username",
    "section",
    "assignment",
    "messages",
    "total_tokens",
    "cost_usd",
    "unpriced_replies",
    "branch_of",  # a try of "Practise this moment": the conversation it rewinds, and its turn
    "branch_turn",
)


@dataclass(frozen=True)
class ConversationRow:
    """One conversation as the history list shows it."""

    session_id: int
    client_id: int
    client_name: str
    user_id: int
    user_name: str
    username: str
    section_id: int | None
    section_name: str | None
    assignment_title: str | None
    mode: SessionMode
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    message_count: int
    total_tokens: int
    cost: Decimal
    unpriced_replies: int
    branch_of_id: int | None = None  # a branch ("Practise this moment") of that conversation
    branch_turn: int | None = None
    branch_of_started_at: datetime | None = None

    @property
    def branch_label(self) -> str | None:
        """ "branch of the session of <when> at turn N" (None: not a branch)."""
        if self.branch_turn is None or self.branch_of_started_at is None:
            return None
        return branch_label(self.branch_of_started_at, self.branch_turn)


@dataclass(frozen=True)
class HistoryMetrics:
    conversations: int
    messages: int
    total_tokens: int
    total_cost: Decimal
    completed: int
    avg_response_ms: float | None
    unpriced_replies: int

    @property
    def avg_cost_per_conversation(self) -> Decimal | None:
        return self.total_cost / self.conversations if self.conversations else None

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.conversations if self.conversations else None


@dataclass(frozen=True)
class FilterOptions:
    """(id, label) choices for the history filters, drawn from the readable conversations."""

    clients: list[tuple[int, str]]
    sections: list[tuple[int, str]]
    people: list[tuple[int, str]]


def _conditions(
    actor: UserRead,
    *,
    client_id: int | None,
    section_id: int | None,
    student_id: int | None,
    status: SessionStatus | str | None,
) -> list:
    # A client check's probe conversations are shown on its scorecard, not in conversation lists.
    conditions = [
        access.where(actor, "conversation", "read"),
        PracticeSession.mode != SessionMode.check,
    ]
    if client_id is not None:
        conditions.append(PracticeSession.client_id == client_id)
    if section_id is not None:
        conditions.append(
            PracticeSession.assignment_id.in_(
                select(Assignment.id).where(Assignment.section_id == section_id)
            )
        )
    if student_id is not None:
        conditions.append(PracticeSession.user_id == student_id)
    if status is not None:
        conditions.append(PracticeSession.status == SessionStatus(status))
    return conditions


def list_conversations(
    db: Session,
    *,
    actor: UserRead | None,
    client_id: int | None = None,
    section_id: int | None = None,
    student_id: int | None = None,
    status: SessionStatus | str | None = None,
    limit: int = MAX_ROWS,
) -> list[ConversationRow]:
    """Readable conversations matching the filters, newest first."""
    actor = access.require(db, actor, "teaching", "use")
    return _rows(
        db,
        _conditions(
            actor, client_id=client_id, section_id=section_id, student_id=student_id, status=status
        ),
        limit,
    )


def list_own_conversations(
    db: Session, *, actor: UserRead | None, limit: int = MAX_ROWS
) -> list[ConversationRow]:
    """The actor's own conversations (a student's "My sessions"), newest first."""
    actor = access.signed_in(db, actor)
    return _rows(db, [PracticeSession.user_id == actor.id], limit)


def _rows(db: Session, conditions: list, limit: int) -> list[ConversationRow]:
    original = aliased(PracticeSession)
    query = (
        select(
            PracticeSession.id,
            PracticeSession.client_id,
            ClientProfile.name,
            PracticeSession.user_id,
            User.display_name,
            User.username,
            Section.id,
            Section.name,
            Assignment.title,
            PracticeSession.mode,
            PracticeSession.status,
            PracticeSession.started_at,
            PracticeSession.ended_at,
            PracticeSession.message_count,
            PracticeSession.total_tokens,
            PracticeSession.estimated_cost,
            PracticeSession.unpriced_replies,
            PracticeSession.branch_of_id,
            PracticeSession.branch_turn,
            original.started_at,
        )
        .join(ClientProfile, ClientProfile.id == PracticeSession.client_id)
        .outerjoin(original, original.id == PracticeSession.branch_of_id)
        .join(User, User.id == PracticeSession.user_id)
        .outerjoin(Assignment, Assignment.id == PracticeSession.assignment_id)
        .outerjoin(Section, Section.id == Assignment.section_id)
        .where(*conditions)
        .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
        .limit(min(max(limit, 1), MAX_ROWS))
    )
    return [
        ConversationRow(
            session_id=row[0],
            client_id=row[1],
            client_name=row[2],
            user_id=row[3],
            user_name=row[4],
            username=row[5],
            section_id=row[6],
            section_name=row[7],
            assignment_title=row[8],
            mode=SessionMode(row[9]),
            status=SessionStatus(row[10]),
            started_at=row[11],
            ended_at=row[12],
            message_count=row[13],
            total_tokens=row[14],
            cost=row[15] or Decimal(0),
            unpriced_replies=row[16],
            branch_of_id=row[17],
            branch_turn=row[18],
            branch_of_started_at=row[19],
        )
        for row in db.execute(query)
    ]


def metrics_summary(
    db: Session,
    *,
    actor: UserRead | None,
    client_id: int | None = None,
    section_id: int | None = None,
    student_id: int | None = None,
    status: SessionStatus | str | None = None,
) -> HistoryMetrics:
    """Totals over every conversation matching the filters (not only the listed page)."""
    actor = access.require(db, actor, "teaching", "use")
    conditions = _conditions(
        actor, client_id=client_id, section_id=section_id, student_id=student_id, status=status
    )
    count, messages, tokens, cost, completed, unpriced = db.execute(
        select(
            func.count(PracticeSession.id),
            # A branch's copies of the messages before its moment were said once, in the original.
            func.sum(
                PracticeSession.message_count - func.coalesce(PracticeSession.branch_turn - 1, 0)
            ),
            func.sum(PracticeSession.total_tokens),
            func.sum(PracticeSession.estimated_cost),
            func.count(PracticeSession.id).filter(
                PracticeSession.status == SessionStatus.completed
            ),
            func.sum(PracticeSession.unpriced_replies),
        ).where(*conditions)
    ).one()
    avg_latency = db.scalar(
        select(func.avg(Message.latency_ms))
        .join(PracticeSession, PracticeSession.id == Message.session_id)
        .where(
            Message.role == MessageRole.assistant,
            Message.latency_ms.is_not(None),
            *conditions,
        )
    )
    return HistoryMetrics(
        conversations=int(count or 0),
        messages=int(messages or 0),
        total_tokens=int(tokens or 0),
        total_cost=Decimal(cost or 0),
        completed=int(completed or 0),
        avg_response_ms=None if avg_latency is None else round(float(avg_latency), 1),
        unpriced_replies=int(unpriced or 0),
    )


def students_named_apart(rows: list[ConversationRow]) -> dict[int, str]:
    """Each listed person's name, told apart by username from another person of that name
    (the table's two "Sam Lee" rows had said nothing more, while its filter told them apart:
    an attack, 2026-12-07); one person on many rows keeps their plain name."""
    people = {row.user_id: Named(row.user_id, row.user_name, row.username) for row in rows}
    return dict(zip(people, told_apart(list(people.values())), strict=True))


def filter_options(db: Session, *, actor: UserRead | None) -> FilterOptions:
    """The clients, sections and people that appear in the actor's readable conversations."""
    actor = access.require(db, actor, "teaching", "use")
    # Those the list shows (no client check's probes: their client and teacher had been choices
    # that listed nothing: an attack, 2026-12-07).
    listed = _conditions(actor, client_id=None, section_id=None, student_id=None, status=None)
    readable = select(PracticeSession.id).where(*listed)

    owner = aliased(User)

    def pairs(
        id_column: QueryableAttribute[int],
        label_column: QueryableAttribute[str],
        whose: QueryableAttribute[str],
        *joins: tuple[Any, ColumnElement[bool]],
    ) -> list[tuple[int, str]]:
        """(id, label) of each; two of one name told apart by whose they are (a student's own
        username, a section's or client's teacher's): two "Sam Lee"s had been two identical
        choices (an attack, 2026-12-07)."""
        query = select(id_column, label_column, whose).select_from(PracticeSession)
        for target, on in joins:
            query = query.join(target, on)
        query = query.where(PracticeSession.id.in_(readable)).distinct()
        rows = db.execute(query.order_by(label_column, id_column)).all()
        labels = told_apart([Named(row[0], row[1], row[2]) for row in rows])
        return [(row[0], label) for row, label in zip(rows, labels, strict=True)]

    return FilterOptions(
        clients=pairs(
            ClientProfile.id,
            ClientProfile.name,
            owner.username,
            (ClientProfile, ClientProfile.id == PracticeSession.client_id),
            (owner, owner.id == ClientProfile.owner_id),
        ),
        sections=pairs(
            Section.id,
            Section.name,
            owner.username,
            (Assignment, Assignment.id == PracticeSession.assignment_id),
            (Section, Section.id == Assignment.section_id),
            (owner, owner.id == Section.teacher_id),
        ),
        people=pairs(
            User.id, User.display_name, User.username, (User, User.id == PracticeSession.user_id)
        ),
    )


# Exports ---------------------------------------------------------------------------------------
def _quote(text: str) -> str:
    """Message text as a Markdown block quote, so what people typed cannot restyle the file."""
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines() or [""])


def transcript_markdown(db: Session, *, actor: UserRead | None, session_id: int) -> str:
    """One conversation as Markdown: who, when, every message with its tokens and cost, totals.
    A student's own copy has no tokens, cost or model: a role-play shows none."""
    session = session_service.get_session(db, actor=actor, session_id=session_id)
    figures = actor is not None and actor.role != Role.student
    messages = session_service.get_messages(db, actor=actor, session_id=session_id)
    client_name = db.scalar(select(ClientProfile.name).where(ClientProfile.id == session.client_id))
    person = db.execute(
        select(User.display_name, User.username).where(User.id == session.user_id)
    ).one()
    placement = (
        db.execute(
            select(Section.name, Assignment.title)
            .join(Section, Section.id == Assignment.section_id)
            .where(Assignment.id == session.assignment_id)
        ).first()
        if session.assignment_id is not None
        else None
    )
    who = "Teacher test" if session.mode == SessionMode.teacher_test else "Student"
    # What people wrote cannot load an image or become a link where the file is opened.
    client_name = safe_markdown(client_name)
    person_name = safe_markdown(person.display_name)

    lines = [
        f"# Conversation with {client_name}",
        "",
        f"- **Client:** {client_name}",
        f"- **{who}:** {person_name} ({person.username})",
    ]
    if placement is not None:
        lines.append(
            f"- **Section:** {safe_markdown(placement.name)} — assignment "
            f"“{safe_markdown(placement.title)}”"
        )
    lines += [
        f"- **Status:** {session.status}",
        f"- **Started:** {format_time(session.started_at)}",
        f"- **Ended:** {format_time(session.ended_at)}",
    ]
    if session.ended_at is not None:
        lines.append(f"- **Duration:** {format_duration(session.ended_at - session.started_at)}")
    if figures:
        lines.append(f"- **Model:** {session.model or 'unknown'}")
    copied = _copied_turns(db, session)
    if session.branch_of_id is not None and session.branch_turn is not None:
        started = db.scalar(
            select(PracticeSession.started_at).where(PracticeSession.id == session.branch_of_id)
        )
        if started is not None:
            lines.append(
                f"- **Branch:** {branch_label(started, session.branch_turn)}; its turns before "
                "that are copied from it, with the time they were said"
            )
    lines += ["", "## Messages", ""]

    for index, message in enumerate(messages):
        speaker = (
            f"{person_name} ({who.lower()})"
            if message.role == MessageRole.user
            else f"{client_name} (client)"
        )
        said_at = copied.get(message.sequence_number)
        when = (
            format_time(message.created_at)
            if said_at is None
            else f"{format_time(said_at)} (copied from the session it was said in)"
        )
        lines += [
            f"### {message.sequence_number}. {speaker} — {when}",
            "",
            _quote(
                safe_markdown(message.content)
                if message.role == MessageRole.assistant
                else as_typed(message.content)  # as the chat shows it: every character, line
            ),
            "",
        ]
        if figures:
            lines.append(
                "*Tokens and cost counted in the session it was said in*"
                if said_at is not None and message.role == MessageRole.assistant
                else _usage_line(message)
            )
        if refused_unanswered(messages, index):  # it had read as a client who said nothing
            lines += ["", REFUSED_NOTE]
        lines.append("")

    replies = sum(1 for message in messages if message.role == MessageRole.assistant)
    cost = cost_with_unpriced(session.estimated_cost, session.unpriced_replies)
    lines += [
        "## Totals",
        "",
        f"- **Messages:** {len(messages)} ({len(messages) - replies} sent, "
        f"{plural(replies, 'reply', 'replies')})",
    ]
    if not figures:
        return "\n".join([*lines, ""])
    unkept = db.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.session_id == session.id, Event.category == "partial_reply")
    )
    if unkept:  # billed, not kept: refused, cut off, withheld (a memory summary is none)
        lines.append(f"- **Not shown:** {plural(unkept, 'reply', 'replies')} {UNKEPT_NOTE}")
    lines += [
        f"- **Input tokens:** {format_tokens(session.input_tokens)}",
        f"- **Output tokens:** {format_tokens(session.output_tokens)}",
        f"- **Cache write tokens:** {format_tokens(session.cache_write_tokens)}",
        f"- **Cache read tokens:** {format_tokens(session.cache_read_tokens)}",
        f"- **Total tokens:** {format_tokens(session.total_tokens)}",
        f"- **Cost:** {cost}",
        "",
    ]
    return "\n".join(lines)


def _copied_turns(db: Session, session: SessionRead) -> dict[int, datetime]:
    """A branch's copied messages (by number) and when each was said: in the session it
    branches or, where that is a branch too, further back (copies are stored at the time of
    their try, without tokens or cost of their own)."""
    said: dict[int, datetime] = {}
    below, origin = session.branch_turn, session.branch_of_id
    while origin is not None and below is not None and below > 1:
        parent = db.execute(
            select(PracticeSession.branch_of_id, PracticeSession.branch_turn).where(
                PracticeSession.id == origin
            )
        ).one_or_none()
        if parent is None:
            break
        own_from = parent.branch_turn or 1  # the parent's own turns (an original's are all)
        rows = db.execute(
            select(Message.sequence_number, Message.created_at).where(
                Message.session_id == origin,
                Message.sequence_number >= own_from,
                Message.sequence_number < below,
            )
        )
        said.update({number: said_at for number, said_at in rows})
        below, origin = min(below, own_from), parent.branch_of_id
    return said


#: Under a student's message the model refused to answer (`messages.refused`), for its teacher.
REFUSED_NOTE = (
    "*The client did not answer: the model refused this message, and it was left out of what "
    "the client was sent next.*"
)
#: Beside totals that include replies billed but not kept (`partial_reply` events: an attack,
#: 2026-12-07; their count, not the tokens: a memory summary's are in the totals too).
UNKEPT_NOTE = (
    "billed but not kept (refused, cut off, or stopped for giving away the role-play), in the "
    "totals below and not among the messages above"
)


def refused_unanswered(messages: list[MessageRead], index: int) -> bool:
    """Whether that message is one the model refused and no reply answered since (a Retry that
    was answered leaves none: an attack on the fix, 2026-12-07)."""
    answered = index + 1 < len(messages) and messages[index + 1].role == MessageRole.assistant
    return messages[index].refused and not answered


def _usage_line(message: MessageRead) -> str:
    if message.role != MessageRole.assistant:
        return (
            f"*Tokens: about {format_tokens(message.token_count)} (sent with the next request; "
            "its cost is part of the reply's)*"
        )
    usage = (
        f"{format_tokens(message.input_tokens)} input, "
        f"{format_tokens(message.output_tokens)} output, "
        f"{format_tokens(message.cache_write_tokens)} cache write, "
        f"{format_tokens(message.cache_read_tokens)} cache read"
    )
    latency = f" · {message.latency_ms} ms" if message.latency_ms is not None else ""
    return f"*Tokens: {usage} · cost {format_usd(message.cost)}{latency}*"


def transcript_filename(row: ConversationRow) -> str:
    """A file name a teacher recognises: client, person and date."""

    def slug(text: str) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")[:40]

    return (
        f"conversation-{row.session_id}-{slug(row.client_name)}-{slug(row.user_name)}-"
        f"{row.started_at:%Y%m%d}.md"
    )


#: What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Keep spreadsheets from reading a name like `=SUM(...)` as a formula (a leading
    apostrophe: shown as typed, never run). Every table a person can download goes through it."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def sessions_csv(rows: list[ConversationRow]) -> str:
    """The listed conversations as CSV (UTC ISO times, cost in dollars)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.session_id,
                row.started_at.isoformat(),
                row.ended_at.isoformat() if row.ended_at else "",
                row.status,
                row.mode,
                spreadsheet_safe(row.client_name),
                spreadsheet_safe(row.user_name),
                row.username,
                spreadsheet_safe(row.section_name or ""),
                spreadsheet_safe(row.assignment_title or ""),
                row.message_count,
                row.total_tokens,
                str(row.cost),
                row.unpriced_replies,
                row.branch_of_id or "",
                row.branch_turn or "",
            ]
        )
    return buffer.getvalue()
