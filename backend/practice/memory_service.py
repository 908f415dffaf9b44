"""Continuing clients: the client's memory of a student, read and edited by their teacher, and
carried by the next session's prompt.

An assignment marked *continuing client* keeps one memory per student and client
(`ClientMemory`): a short summary of their sessions so far, written by the memory job when a
session ends (`memory_writer`), which the teacher may read and edit before the next session. The
next practice session with that client in that assignment gets it in its system prompt, after the
cached client part. Which hidden information was earned in a session so far is kept with it (a
fingerprint of its text): it stays earned while the client's hidden information is that text (the
output guard lets the client speak of it), a secret the teacher rewrites later is not earned by
the old one, and until then no summary may give it away. Students never read the summary (it is the client's memory); the
practice page only says that the client remembers. Branches ("Practise this moment") rehearse one
moment of a session: they neither read nor write the memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.clients.read_models import ClientRead
from backend.config import get_settings
from backend.db import insert_if_missing
from backend.errors import ConflictError
from backend.jobs import job_service
from backend.jobs.read_models import JobRead
from backend.models import (
    Assignment,
    ClientMemory,
    ClientProfile,
    Message,
    PracticeSession,
    Section,
    User,
)
from backend.models.base import utcnow
from backend.models.enums import JobStatus, MessageRole, SessionMode
from backend.practice import output_guard
from backend.practice.read_models import SessionRead
from backend.practice.session_service import SessionNotFound
from backend.utils.text import clean_text

MEMORY_KIND = "memory"
#: The longest summary kept (a teacher's edit included): a few short paragraphs.
MAX_SUMMARY_CHARS = 2000
NOT_YOURS = "Only the student's teacher can read or edit a client's memory."


class MemoryRead(BaseModel):
    """A continuing client's memory of one student, as their teacher sees it."""

    session_id: int  # the conversation it was opened from
    client_name: str
    summary: str  # "" until the first session ended
    hidden_earned: bool
    written_from_session_id: int | None
    written_at: datetime | None
    edited_by: str | None
    edited_at: datetime | None
    #: A memory job is writing it now (the page says so and shows it once written).
    writing: bool = False
    #: The student's latest ended session with this client here, when the memory was not
    #: written from it (its job was lost, or the assignment became continuing after it): the
    #: teacher may have it written (`memory_writer.request_memory`).
    unwritten_session_id: int | None = None
    #: The summary gives away hidden information the student has not earned (a teacher's edit
    #: can: the guard still keeps the client from saying it, and the next summary drops it).
    gives_away_hidden: bool = False

    @property
    def version(self) -> str:
        """Which writing of the memory this is: an edit saved against an older one is refused
        (`save_memory`'s `started_from`)."""
        return _version(self.edited_at, self.written_at)


def _version(edited_at: datetime | None, written_at: datetime | None) -> str:
    stamp = max((t for t in (edited_at, written_at) if t is not None), default=None)
    return stamp.isoformat() if stamp is not None else "none"


class MemoryChanged(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            "The memory changed while you were editing it (a session ended and its memory was "
            "written, or another teacher saved). Your text is still in the box: read the memory "
            "as it is now, above, then save yours again to replace it."
        )


@dataclass(frozen=True)
class PromptMemory:
    """What the next session's prompt and guard take from the memory."""

    summary: str
    hidden_earned: bool
    #: What the student said in their earlier sessions with this client (when the hidden
    #: information is not earned): no secret to them any more, as within one conversation.
    student_said: tuple[str, ...] = ()
    #: What the client said in those sessions (when it is not earned): a fact begun there and
    #: finished now is given away, as within one conversation (an attack, 2026-12-07).
    client_said: tuple[str, ...] = ()


def _ended_with_this_client(session: PracticeSession | SessionRead) -> ColumnElement[bool]:
    """The conversation student's ended practice sessions with its client under its assignment
    (not their branches): those a continuing client's memory is written from."""
    return and_(
        PracticeSession.user_id == session.user_id,
        PracticeSession.assignment_id == session.assignment_id,
        PracticeSession.client_id == session.client_id,
        PracticeSession.mode == SessionMode.practice,
        PracticeSession.branch_of_id.is_(None),
        PracticeSession.ended_at.is_not(None),
    )


def said_in_ended_sessions(
    db: Session, session: PracticeSession | SessionRead, *, before: int | None = None
) -> tuple[list[str], list[str]]:
    """(the student's messages, the client's replies) of the conversation's student's ended
    sessions with this client under this assignment (not its branches; with `before`, only
    sessions of a lower id: those that ended before it), oldest first, in one read."""
    rows = db.execute(
        select(Message.role, Message.content)
        .join(PracticeSession, PracticeSession.id == Message.session_id)
        .where(
            _ended_with_this_client(session),
            PracticeSession.id < before if before is not None else true(),
        )
        .order_by(Message.session_id, Message.sequence_number)
    ).all()
    return (
        [content for role, content in rows if role == MessageRole.user],
        [content for role, content in rows if role == MessageRole.assistant],
    )


def student_words(
    db: Session, session: PracticeSession | SessionRead, *, before: int | None = None
) -> list[str]:
    """What the student said in those sessions (`said_in_ended_sessions`). A secret the student
    guessed and the client confirmed stays said in the next session: its words are no key words
    to the guard, nor to the check of the memory that tells of it, and the client's saying them
    again gives nothing away."""
    return said_in_ended_sessions(db, session, before=before)[0]


def secret_fingerprint(hidden_information: str | None) -> str | None:
    """What a memory keeps of the hidden information its student earned (None: there is none):
    a digest of its words, so that only that text counts as earned."""
    words = " ".join((hidden_information or "").split())
    return hashlib.sha256(words.encode()).hexdigest() if words else None


def earned(fingerprint: str | None, hidden_information: str | None) -> bool:
    """Whether the client's hidden information, as it reads now, is the one the memory says the
    student earned."""
    current = secret_fingerprint(hidden_information)
    return current is not None and fingerprint == current


# Which conversations have a memory ---------------------------------------------------------------
def _continuing(session: PracticeSession | SessionRead) -> bool:
    """A student's practice conversation in an assignment (not a branch): it may have a memory."""
    return (
        session.mode == SessionMode.practice
        and session.assignment_id is not None
        and session.branch_of_id is None
    )


def of_session(session: PracticeSession | SessionRead) -> ColumnElement[bool]:
    """The memory row of the conversation's student, assignment and client."""
    return and_(
        ClientMemory.user_id == session.user_id,
        ClientMemory.assignment_id == session.assignment_id,
        ClientMemory.client_id == session.client_id,
    )


def _is_continuing_assignment(db: Session, assignment_id: int | None) -> bool:
    if assignment_id is None:
        return False
    return bool(
        db.scalar(select(Assignment.continuing_client).where(Assignment.id == assignment_id))
    )


def continuing(db: Session, session: SessionRead) -> bool:
    """Whether this conversation is with a continuing client (internal: the caller read the
    session with its own check)."""
    return _continuing(session) and _is_continuing_assignment(db, session.assignment_id)


def remembers(db: Session, session: SessionRead) -> bool:
    """Whether a memory of earlier sessions exists for this conversation's student and client
    (internal, like `continuing`)."""
    return bool(
        db.scalar(
            select(func.count())
            .select_from(ClientMemory)
            .where(of_session(session), ClientMemory.summary != "")
        )
    )


def hidden_earned(db: Session, session: PracticeSession) -> bool:
    """Whether this conversation's student earned the client's hidden information in a session
    with this continuing client so far (internal: the caller checked access)."""
    if not (_continuing(session) and _is_continuing_assignment(db, session.assignment_id)):
        return False
    row = db.execute(
        select(ClientMemory.hidden_earned_for, ClientProfile.hidden_information)
        .join(ClientProfile, ClientProfile.id == ClientMemory.client_id)
        .where(of_session(session))
    ).first()
    return row is not None and earned(row.hidden_earned_for, row.hidden_information)


# The teacher's reading and edit ------------------------------------------------------------------
def session_for(
    db: Session, actor: UserRead | None, session_id: int, action: access.Action
) -> tuple[UserRead, PracticeSession]:
    """The conversation whose memory `actor` may read or edit (for this module and the memory
    job's `request_memory`)."""
    actor = access.signed_in(db, actor)
    session = db.get(PracticeSession, session_id)
    if session is None:
        raise SessionNotFound(session_id)
    # Someone who may not read the conversation is told it does not exist (ids cannot be
    # probed); its student is told why not.
    access.require(
        db, actor, "conversation", "read", session, refuse=lambda: SessionNotFound(session_id)
    )
    return access.require(db, actor, "memory", action, session, refuse=NOT_YOURS), session


def read_memory(db: Session, *, actor: UserRead | None, session_id: int) -> MemoryRead | None:
    """The client's memory of the student of this conversation (None: the conversation is not
    one of a continuing client's). The student's teacher and admins read it; the student does
    not (it is the client's memory, and may name what they have not uncovered yet)."""
    _actor, session = session_for(db, actor, session_id, "read")
    if not (_continuing(session) and _is_continuing_assignment(db, session.assignment_id)):
        return None
    return _read(db, session)


def save_memory(
    db: Session,
    *,
    actor: UserRead | None,
    session_id: int,
    summary: str,
    started_from: str | None = None,
) -> MemoryRead:
    """The teacher's version of the memory: the next session uses it as written. With
    `started_from` (the `MemoryRead.version` the teacher began editing), `MemoryChanged` when
    the memory was written or saved since, so that neither text is lost unseen."""
    actor, session = session_for(db, actor, session_id, "edit")
    if not (_continuing(session) and _is_continuing_assignment(db, session.assignment_id)):
        raise SessionNotFound(session_id)  # nothing to edit: not a continuing client's
    text = clean_text(
        summary, field="summary", label="The client's memory", max_chars=MAX_SUMMARY_CHARS
    )
    memory = row_for_update(db, session)
    if started_from is not None and started_from != _version(memory.edited_at, memory.written_at):
        raise MemoryChanged()
    memory.summary = text
    memory.edited_by_id, memory.edited_at = actor.id, utcnow()
    db.flush()
    return _read(db, session)


def row_for_update(db: Session, session: PracticeSession) -> ClientMemory:
    """The memory row of the session's student and client, locked (made when there is none;
    two writers making it at once both get it). Internal: for this module and the memory job."""
    mine = select(ClientMemory).where(of_session(session)).with_for_update()
    memory = db.scalar(mine)
    if memory is None:
        keys = {
            "user_id": session.user_id,
            "assignment_id": session.assignment_id,
            "client_id": session.client_id,
        }
        insert_if_missing(db, ClientMemory, {**keys, "summary": ""}, *keys)
        memory = db.scalars(mine).one()
    return memory


def _read(db: Session, session: PracticeSession) -> MemoryRead:
    client = ClientRead.model_validate(db.get_one(ClientProfile, session.client_id))
    memory = db.scalar(select(ClientMemory).where(of_session(session)))
    writing = any(
        job.status in (JobStatus.queued, JobStatus.running)
        for job in _memory_jobs(db, session)
        if job is not None
    )
    if memory is None:
        latest = None if writing else latest_ended(db, session)
        return MemoryRead(
            session_id=session.id,
            client_name=client.name,
            summary="",
            hidden_earned=False,
            written_from_session_id=None,
            written_at=None,
            edited_by=None,
            edited_at=None,
            writing=writing,
            unwritten_session_id=latest.id if latest is not None else None,
        )
    latest = latest_ended(db, session)
    unwritten = (
        latest.id if latest is not None and latest.id != memory.session_id and not writing else None
    )
    editor = db.get(User, memory.edited_by_id) if memory.edited_by_id else None
    hidden_earned = earned(memory.hidden_earned_for, client.hidden_information)
    leaks = not hidden_earned and output_guard.hidden_leak(
        client,
        memory.summary,
        run_words=get_settings().output_guard_words,
        student_said=student_words(db, session),
    )
    return MemoryRead(
        session_id=session.id,
        client_name=client.name,
        summary=memory.summary,
        hidden_earned=hidden_earned,
        written_from_session_id=memory.session_id,
        written_at=memory.written_at,
        edited_by=editor.display_name if editor else None,
        edited_at=memory.edited_at,
        writing=writing,
        gives_away_hidden=bool(leaks),
        unwritten_session_id=unwritten,
    )


def ended_ids(db: Session, session: PracticeSession | SessionRead) -> list[int]:
    """The ended sessions of this student with this client in this assignment in which the
    student said something (the others have nothing to remember), oldest first."""
    spoke = (
        select(Message.id)
        .where(Message.session_id == PracticeSession.id, Message.role == MessageRole.user)
        .exists()
    )
    return list(
        db.scalars(
            select(PracticeSession.id)
            .where(
                _ended_with_this_client(session),
                spoke,
            )
            .order_by(PracticeSession.ended_at, PracticeSession.id)
        )
    )


def _memory_jobs(db: Session, session: PracticeSession) -> list[JobRead | None]:
    """The latest memory job of each ended session of this student and client (few)."""
    return [job_service.latest(db, kind=MEMORY_KIND, subject=sid) for sid in ended_ids(db, session)]


def last_session_missing(db: Session, session: SessionRead) -> str | None:
    """Whether the memory lacks the student's latest ended session with this client (the
    session itself, once ended): "writing" (its job is still at it) or "unwritten" (its job
    failed or was lost, or the assignment became continuing after it); None when it has it, or
    there is none (internal: the caller checked access). The practice page had said "remembers
    your earlier sessions" while the client's prompt lacked the last one (an attack,
    2026-12-07)."""
    latest = latest_ended(db, session)
    state = None if latest is None else taken_in(db, latest)
    if state in (None, "yes"):
        return None
    return "writing" if state == "writing" else "unwritten"


def taken_in(db: Session, session: SessionRead) -> str | None:
    """Whether the memory took this ended session in: "yes"; "writing" (its job is at it);
    "lost" (its job failed or died: the end of the student's next session with the client
    writes it first); "no" (no job wrote it: held before the assignment was continuing, or
    its writing gave up; the latest, its teacher can have written); "never" (such a session
    before the latest: nothing writes it now); None when the student said nothing
    in it (internal: the caller checked access). The page after End had asked about the latest
    session instead, and promised the next session's end would write one it never does (an
    attack on the day's fixes, 2026-12-07)."""
    ended = ended_ids(db, session)
    if session.id not in ended:
        return None
    remembered_at = db.scalar(
        select(PracticeSession.remembered_at).where(PracticeSession.id == session.id)
    )
    written_from = db.scalar(select(ClientMemory.session_id).where(of_session(session)))
    job = job_service.latest(db, kind=MEMORY_KIND, subject=session.id)
    if remembered_at is not None or written_from == session.id:
        return "yes"
    if job is not None and job.active:
        return "writing"
    if job is not None and job.status in (JobStatus.failed, JobStatus.cancelled):
        return "lost"
    if job is not None and (job.result or {}).get("written"):
        return "yes"  # written before sessions recorded it (`remembered_at`)
    # Only the latest can still be written (`memory_writer.request_memory`): an earlier one's
    # page had promised the teacher could (a review, 2026-12-07).
    return "no" if ended[-1] == session.id else "never"


def latest_ended(db: Session, session: PracticeSession | SessionRead) -> SessionRead | None:
    """The student's latest ended session with this client in this assignment (internal: the
    caller checked access)."""
    ended = ended_ids(db, session)
    return SessionRead.model_validate(db.get_one(PracticeSession, ended[-1])) if ended else None


# The next session's prompt -----------------------------------------------------------------------
def prompt_memory(db: Session, session_id: int) -> PromptMemory | None:
    """The memory the conversation's prompt carries (None: none, or not a continuing client's).
    Internal: the turn has checked access. One query, and one more for the student's earlier
    words while the hidden information is not earned."""
    conversation = PracticeSession
    row = db.execute(
        select(
            ClientMemory.summary, ClientMemory.hidden_earned_for, ClientProfile.hidden_information
        )
        .join(
            conversation,
            and_(
                conversation.user_id == ClientMemory.user_id,
                conversation.assignment_id == ClientMemory.assignment_id,
                conversation.client_id == ClientMemory.client_id,
            ),
        )
        .join(Assignment, Assignment.id == ClientMemory.assignment_id)
        .join(ClientProfile, ClientProfile.id == ClientMemory.client_id)
        .where(
            conversation.id == session_id,
            conversation.mode == SessionMode.practice,
            conversation.branch_of_id.is_(None),
            Assignment.continuing_client.is_(True),
        )
    ).first()
    if row is None:
        return None
    hidden_earned = earned(row.hidden_earned_for, row.hidden_information)
    if not (row.summary.strip() or hidden_earned):
        return None
    if hidden_earned:
        return PromptMemory(row.summary.strip(), hidden_earned)
    said, replied = said_in_ended_sessions(db, db.get_one(PracticeSession, session_id))
    return PromptMemory(row.summary.strip(), hidden_earned, tuple(said), tuple(replied))


# After a session ends ----------------------------------------------------------------------------
def queue_memory(
    db: Session, session: SessionRead, *, asked_by: int | None = None
) -> JobRead | None:
    """The memory job for a conversation that just ended (None: none is needed: not a
    continuing client's, not the student's latest ended session with the client, nothing the
    student said, or written from it already). Internal: the caller ended the conversation with
    its own check; it submits the job once committed. The job is the one who `asked_by` for it,
    or else the section teacher's: never the student's, who may not touch the memory."""
    if not continuing(db, session) or session.ended_at is None:
        return None
    newest = latest_ended(db, session)  # of the sessions the student said something in
    if newest is None or newest.id != session.id:
        return None  # written only from the latest: an older one would undo a later memory
    written_from = db.scalar(select(ClientMemory.session_id).where(of_session(session)))
    job = job_service.latest(db, kind=MEMORY_KIND, subject=session.id)
    # A job that ended without writing (the memory kept changing under it) may run again.
    written_by_job = (
        job is not None
        and job.status == JobStatus.done
        and (job.result or {}).get("written") is not False
    )
    if written_from == session.id or written_by_job:
        return None
    if asked_by is None:
        asked_by = db.scalar(
            select(Section.teacher_id)
            .join(Assignment, Assignment.section_id == Section.id)
            .where(Assignment.id == session.assignment_id)
        )
    assert asked_by is not None  # a continuing client's conversation has its assignment
    job, created = job_service.create(db, kind=MEMORY_KIND, subject=session.id, owner_id=asked_by)
    return job if created else None
