"""Who may see or do what: the one access policy, asked by every service.

`POLICY` below is the whole of it: for each (resource, action), who may. Everything else here is
derived from that table: `require` (one row, or only the caller's role), `allows` (a yes/no for
one row) and `where` (a WHERE clause for lists), and every check first refuses a caller whose
account is gone or deactivated in the database, whatever the page's copy of it says.

A student's conversation and its review belong to the student's record in a section: the student,
the teachers of that section and admins read them. The teacher who only wrote the client does not
(they see its anonymous aggregates: "client", "aggregates"); a teacher's own test conversations
stay readable by their owner.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Flag, auto
from typing import Literal, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    bindparam,
    exists,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from backend.actor import UserRead
from backend.errors import AppError, PermissionDeniedError
from backend.models import (
    Assignment,
    AssignmentClient,
    ClientProfile,
    DrillAssignment,
    DrillSet,
    Enrollment,
    Job,
    PracticeSession,
    Rubric,
    Section,
    User,
)
from backend.models.enums import AssignmentStatus, Role

Resource = Literal[
    "conversation",  # a practice, test or check conversation (rows: PracticeSession)
    "transcript",  # its messages, on screen or downloaded (PracticeSession)
    "review",  # its review and the teacher's version (PracticeSession)
    "rubric",  # (Rubric)
    "client",  # a client profile (ClientProfile)
    "check",  # a client check and its scorecards (ClientProfile)
    "section",  # a section, its roster and assignments (Section)
    "account",  # someone's account (User)
    "practice",  # the student pages: the clients assigned to them
    "teaching",  # the teacher pages; their lists are filtered by the rows above
    "administration",  # accounts, sign-in rules, the event log, the dashboard
    "job",  # long work under way: a reply, a review, a client check (Job)
    "problem_report",  # what someone sent with "Report a problem" (ProblemReport)
    "drill",  # a teacher's drill set, its items and where it is assigned (DrillSet)
    "memory",  # a continuing client's memory of a student, by one of their conversations
]
Action = Literal[
    "read",
    "write",
    "end",
    "rate",
    "request",
    "edit",
    "release",
    "create",
    "brief",
    "practise",
    "aggregates",
    "run",
    "manage",
    "join",
    "use",
    "cancel",
    "branch",
]


class Who(Flag):
    """A caller's relation to a row (or just their role)."""

    OWNER = auto()  # the person the conversation is with, or the account itself
    TESTING_TEACHER = auto()  # a teacher, in their own test (or check) conversation
    STUDENT = auto()  # a student of the section (for a client: a published assignment gives it)
    SECTION_TEACHER = auto()  # the teacher of the section (the conversation's, the row's)
    AUTHOR = auto()  # who wrote the client or the rubric
    BUILT_IN = auto()  # any teacher, for a rubric that ships with the app
    ANY_STUDENT = auto()
    ANY_TEACHER = auto()
    ADMIN = auto()
    ANYONE = auto()  # anyone signed in


OWNER, TESTING_TEACHER, STUDENT = Who.OWNER, Who.TESTING_TEACHER, Who.STUDENT
SECTION_TEACHER, AUTHOR, BUILT_IN = Who.SECTION_TEACHER, Who.AUTHOR, Who.BUILT_IN
ANY_STUDENT, ANY_TEACHER, ADMIN, ANYONE = Who.ANY_STUDENT, Who.ANY_TEACHER, Who.ADMIN, Who.ANYONE

#: (resource, action) -> who may. The one place these rules are written.
POLICY: dict[tuple[Resource, Action], Who] = {
    ("conversation", "read"): OWNER | SECTION_TEACHER | ADMIN,
    ("conversation", "write"): OWNER,  # a student's: only while the client is still assigned
    ("conversation", "end"): OWNER | ADMIN,
    ("conversation", "rate"): OWNER,  # the end-of-session form, thumbs on replies
    # "Practise this moment": a new conversation from one of its student turns (a student's:
    # only while the client is still assigned, like any conversation).
    ("conversation", "branch"): OWNER,
    ("transcript", "read"): OWNER | SECTION_TEACHER | ADMIN,
    ("review", "read"): OWNER | SECTION_TEACHER | ADMIN,  # a student's: once released
    ("review", "request"): OWNER | SECTION_TEACHER | ADMIN,  # have it written
    ("review", "edit"): TESTING_TEACHER | SECTION_TEACHER | ADMIN,  # the teacher's version
    ("review", "release"): TESTING_TEACHER | SECTION_TEACHER | ADMIN,
    ("rubric", "read"): BUILT_IN | AUTHOR | ADMIN,  # also: use it for a section or assignment
    ("rubric", "create"): ANY_TEACHER | ADMIN,
    ("rubric", "edit"): AUTHOR | ADMIN,  # never a built-in one (copy it first)
    ("client", "create"): ANY_TEACHER | ADMIN,
    ("client", "read"): AUTHOR | ADMIN,  # the whole profile, hidden information too
    ("client", "brief"): STUDENT | AUTHOR | ADMIN,  # name, age, concern: what practice shows
    ("client", "practise"): STUDENT | AUTHOR | ADMIN,  # the author and admins: test conversations
    ("client", "edit"): AUTHOR | ADMIN,
    # Rating tallies and comments, no names: the author over every conversation with the
    # client; anyone else over the conversations they may read.
    ("client", "aggregates"): AUTHOR | ADMIN,
    ("check", "run"): AUTHOR | ADMIN,
    ("check", "read"): AUTHOR | ADMIN,
    ("section", "create"): ANY_TEACHER | ADMIN,
    ("section", "read"): STUDENT | SECTION_TEACHER | ADMIN,
    ("section", "manage"): SECTION_TEACHER | ADMIN,  # roster, code, assignments, class progress
    ("section", "join"): ANY_STUDENT,  # with its join code
    ("account", "read"): OWNER | ADMIN,
    ("account", "use"): ANYONE,  # one's own: password, log-ins, remembered devices
    ("practice", "use"): ANY_STUDENT,
    ("teaching", "use"): ANY_TEACHER | ADMIN,
    ("administration", "use"): ADMIN,
    # Following a job by its id (pages follow reviews and checks through their own rules).
    ("job", "read"): OWNER | ADMIN,
    ("job", "cancel"): OWNER | ADMIN,
    # "Report a problem", on every page: anyone signed in sends one; admins read them.
    ("problem_report", "create"): ANYONE,
    ("problem_report", "read"): ADMIN,
    # Drills: a teacher's sets of one-skill exercises. STUDENT: the set is assigned to one of
    # the student's sections. Assigning one also needs ("section", "manage"); its results are
    # the section's ("section", "manage"); practising the built-in bank alone is ("practice", "use").
    ("drill", "create"): ANY_TEACHER | ADMIN,  # a new set (and reading the built-in bank)
    ("drill", "read"): STUDENT | AUTHOR | ADMIN,
    ("drill", "edit"): AUTHOR | ADMIN,  # title, items, drafts, assigning, deleting
    ("drill", "practise"): STUDENT,  # answer its items
    # A continuing client's memory of a student (asked by one of their conversations): their
    # teacher reads and edits it before the next session; the student never reads it (it is the
    # client's memory, and may name what they have not uncovered yet).
    ("memory", "read"): SECTION_TEACHER | ADMIN,
    ("memory", "edit"): SECTION_TEACHER | ADMIN,
}

#: The roles that can hold each relation (a student never teaches, an admin is ADMIN anyway).
ROLES: dict[Who, frozenset[Role]] = {
    OWNER: frozenset(Role),
    TESTING_TEACHER: frozenset({Role.teacher}),
    STUDENT: frozenset({Role.student}),
    SECTION_TEACHER: frozenset({Role.teacher}),
    AUTHOR: frozenset({Role.teacher, Role.admin}),
    BUILT_IN: frozenset({Role.teacher}),
    ANY_STUDENT: frozenset({Role.student}),
    ANY_TEACHER: frozenset({Role.teacher}),
    ADMIN: frozenset({Role.admin}),
    ANYONE: frozenset(Role),
}


class ConversationIds(NamedTuple):
    """A conversation as the policy reads it, by ids: a caller that read them with its own query
    (the turn's) needs no row loaded."""

    id: int
    user_id: int
    assignment_id: int | None


Row = PracticeSession | ConversationIds | ClientProfile | Section | Rubric | User | Job | DrillSet

LOG_IN_FIRST = "Please log in first."
DEACTIVATED = "This account has been deactivated. Ask an admin for help."


class NotAssigned(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__(
            "This client is not assigned to you (or its assignment is no longer published)."
        )


# Checks -----------------------------------------------------------------------------------------
_IS_ACTIVE = select(User.is_active).where(User.id == bindparam("user_id"))


def signed_in(db: Session, actor: UserRead | None) -> UserRead:
    """The caller, if logged in with an account that still exists and is active (one small query:
    the account's flag, not its row)."""
    if actor is None:
        raise PermissionDeniedError(LOG_IN_FIRST)
    if not db.scalar(_IS_ACTIVE, {"user_id": actor.id}):
        raise PermissionDeniedError(DEACTIVATED)
    return actor


def active(user_id: ColumnElement[int]) -> ColumnElement[bool | None]:
    """`signed_in`'s flag as a column of a caller's own query (its round trip saved): true for an
    active account, NULL for one that is gone. Where it is not true, call `signed_in`."""
    return select(User.is_active).where(User.id == user_id).scalar_subquery()


def require(
    db: Session,
    actor: UserRead | None,
    resource: Resource,
    action: Action,
    row: Row | None = None,
    *,
    refuse: str | Callable[[], AppError] | None = None,
) -> UserRead:
    """The caller, if the policy lets them do `action` to `row` (without a row: if their role
    could). `refuse` replaces the policy's refusal: a message, or the error to raise (e.g. "not
    found", so that ids cannot be probed); a caller of the wrong role is told which role may.

    `refuse` makes its error only when it is raised: an error made beforehand and kept by the
    caller's frame would hold itself (and the rows the frames hold) in a reference cycle."""
    actor = signed_in(db, actor)
    who = POLICY[resource, action]
    if not _fitting(actor, who):
        roles = [role.value for role in Role if any(role in ROLES[w] for w in who)]
        raise _refusal(refuse, f"Only a {' or '.join(roles)} can do this.")
    if row is not None and not _allowed(db, actor, who, row):
        raise _refusal(refuse, f"You may not {action} this {resource}.")
    return actor


def _refusal(refuse: str | Callable[[], AppError] | None, message: str) -> AppError:
    if callable(refuse):
        return refuse()
    return PermissionDeniedError(refuse or message)


def allows(db: Session, actor: UserRead, resource: Resource, action: Action, row: Row) -> bool:
    """Whether a caller (already checked by `require` or `signed_in`) may do this to `row`."""
    return _allowed(db, actor, POLICY[resource, action], row)


def where(actor: UserRead, resource: Resource, action: Action) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of the resource's table this (checked) caller may act
    on: the same rules as `allows`, for lists and totals."""
    model = _MODELS[resource]
    relations = _fitting(actor, POLICY[resource, action])
    return or_(false(), *(_clause(actor, who, model) for who in relations))


def require_assigned(
    db: Session, student: UserRead, client_id: int, assignment_id: int | None = None
) -> int:
    """The id of a published assignment that gives this student this client, or refuse."""
    query = assignments_giving(student.id, client_id)
    if assignment_id is not None:
        query = query.where(Assignment.id == assignment_id)
    found = db.scalar(query.order_by(Assignment.id).limit(1))
    if found is None:
        raise NotAssigned()
    return found


def assignments_giving(
    student_id: int | ColumnElement[int], client_id: int | ColumnElement[int]
) -> Select[int]:
    """Ids of the published assignments that give this student this client, not archived (ids
    only; the arguments may be columns of an enclosing query)."""
    return (
        select(Assignment.id)
        .join(AssignmentClient, AssignmentClient.assignment_id == Assignment.id)
        .join(Enrollment, Enrollment.section_id == Assignment.section_id)
        .join(ClientProfile, ClientProfile.id == AssignmentClient.client_id)
        .where(
            Enrollment.student_id == student_id,
            AssignmentClient.client_id == client_id,
            Assignment.status == AssignmentStatus.published,
            ClientProfile.archived.is_(False),
        )
    )


def assigned(
    student_id: ColumnElement[int],
    client_id: ColumnElement[int],
    assignment_id: ColumnElement[int | None],
) -> Exists:
    """`require_assigned` as an SQL condition over an enclosing query's columns (the turn reads it
    with the row it locks): that assignment, or any when it is NULL, still gives the client."""
    query = assignments_giving(student_id, client_id).where(
        or_(assignment_id.is_(None), Assignment.id == assignment_id)
    )
    return exists(query).correlate_except(Assignment, AssignmentClient, Enrollment, ClientProfile)


def assigned_clients(student_id: int) -> Select[ClientProfile, Assignment, str]:
    """(client, assignment, section name) rows a student may practise: published assignments in
    their sections, clients not archived."""
    return (
        select(ClientProfile, Assignment, Section.name)
        .join(AssignmentClient, AssignmentClient.client_id == ClientProfile.id)
        .join(Assignment, Assignment.id == AssignmentClient.assignment_id)
        .join(Section, Section.id == Assignment.section_id)
        .join(Enrollment, Enrollment.section_id == Assignment.section_id)
        .where(
            Enrollment.student_id == student_id,
            Assignment.status == AssignmentStatus.published,
            ClientProfile.archived.is_(False),
        )
    )


# The rules, row by row ----------------------------------------------------------------------------
_MODELS: dict[Resource, type[Row]] = {
    "conversation": PracticeSession,
    "transcript": PracticeSession,
    "review": PracticeSession,
    "rubric": Rubric,
    "client": ClientProfile,
    "check": ClientProfile,
    "section": Section,
    "account": User,
    "job": Job,
    "drill": DrillSet,
}


def _fitting(actor: UserRead, who: Who) -> Who:
    """The relations in `who` that the caller's role can hold."""
    fitting = Who(0)
    for relation in who:
        if actor.role in ROLES[relation]:
            fitting |= relation
    return fitting


def _allowed(db: Session, actor: UserRead, who: Who, row: Row) -> bool:
    # Cheap relations first: most checks end before any query.
    relations = sorted(_fitting(actor, who), key=lambda relation: relation in _QUERIED)
    return any(_holds(db, actor, relation, row) for relation in relations)


_QUERIED = STUDENT | SECTION_TEACHER


def _holds(db: Session, actor: UserRead, who: Who, row: Row) -> bool:
    """Whether the caller (whose role fits `who`) stands in this relation to the row."""
    if who in ANY_STUDENT | ANY_TEACHER | ADMIN | ANYONE:
        return True
    if who == BUILT_IN:
        return isinstance(row, Rubric) and row.owner_id is None
    if isinstance(row, PracticeSession | ConversationIds):
        if who in OWNER | TESTING_TEACHER:
            return row.user_id == actor.id
        if who == SECTION_TEACHER and row.assignment_id is not None:
            teacher_id = db.scalar(
                select(Section.teacher_id)
                .join(Assignment, Assignment.section_id == Section.id)
                .where(Assignment.id == row.assignment_id)
            )
            return teacher_id == actor.id
        return False
    if isinstance(row, ClientProfile | Rubric):
        if who == AUTHOR:
            return row.owner_id == actor.id
        if who == STUDENT and isinstance(row, ClientProfile):
            return db.scalar(assignments_giving(actor.id, row.id).limit(1)) is not None
        return False
    if isinstance(row, Section):
        if who == SECTION_TEACHER:
            return row.teacher_id == actor.id
        if who == STUDENT:
            enrolled = select(Enrollment.id).where(
                Enrollment.section_id == row.id, Enrollment.student_id == actor.id
            )
            return db.scalar(enrolled) is not None
        return False
    if isinstance(row, Job):
        return who == OWNER and row.owner_id == actor.id
    if isinstance(row, DrillSet):
        if who == AUTHOR:
            return row.owner_id == actor.id
        if who == STUDENT:
            return (
                db.scalar(drill_sets_of_student(actor.id).where(DrillSet.id == row.id)) is not None
            )
        return False
    return who == OWNER and row.id == actor.id  # an account


def _clause(actor: UserRead, who: Who, model: type[Row]) -> ColumnElement[bool]:
    """`_holds` as SQL over `model`'s rows."""
    if who in ANY_STUDENT | ANY_TEACHER | ADMIN | ANYONE:
        return true()
    if model is PracticeSession:
        if who in OWNER | TESTING_TEACHER:
            return PracticeSession.user_id == actor.id
        if who == SECTION_TEACHER:
            taught = (
                select(Assignment.id)
                .join(Section, Section.id == Assignment.section_id)
                .where(Section.teacher_id == actor.id)
            )
            return PracticeSession.assignment_id.in_(taught)
    elif model is ClientProfile:
        if who == AUTHOR:
            return ClientProfile.owner_id == actor.id
        if who == STUDENT:
            return ClientProfile.id.in_(
                assigned_clients(actor.id).with_only_columns(AssignmentClient.client_id)
            )
    elif model is Rubric:
        if who == AUTHOR:
            return Rubric.owner_id == actor.id
        if who == BUILT_IN:
            return Rubric.owner_id.is_(None)
    elif model is Section:
        if who == SECTION_TEACHER:
            return Section.teacher_id == actor.id
        if who == STUDENT:
            enrolled = select(Enrollment.section_id).where(Enrollment.student_id == actor.id)
            return Section.id.in_(enrolled)
    elif model is User and who == OWNER:
        return User.id == actor.id
    elif model is Job and who == OWNER:
        return Job.owner_id == actor.id
    elif model is DrillSet:
        if who == AUTHOR:
            return DrillSet.owner_id == actor.id
        if who == STUDENT:
            return DrillSet.id.in_(drill_sets_of_student(actor.id))
    return false()


def drill_sets_of_student(student_id: int) -> Select[int]:
    """Ids of the drill sets assigned to a section the student is enrolled in."""
    return (
        select(DrillSet.id)
        .join(DrillAssignment, DrillAssignment.set_id == DrillSet.id)
        .join(Enrollment, Enrollment.section_id == DrillAssignment.section_id)
        .where(Enrollment.student_id == student_id)
    )
