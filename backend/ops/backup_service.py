"""A course as JSON Lines: export one teacher's sections with everything a restore needs, and
import such a file into an empty database in one transaction.

The file: a header line `{"format", "version", "schema_revision", "exported_at"}`, then one
`{"table": ..., "row": {...}}` per row in dependency order (tables as the schema sorts them, rows
by primary key), then `{"end": true, "rows": N}` so a cut-off file is refused. Keys are sorted,
decimals are strings, datetimes ISO-8601 UTC: two exports of the same data differ only in
`exported_at`. Ids are kept as they are; PostgreSQL's sequences are moved past them on import.
Password hashes are kept so people can log in after a restore: the file is sensitive. A file of
an older schema revision is read when only table names changed since (`COURSE_TABLE_RENAMES`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from sqlalchemy import Column, Date, Table, false, func, inspect, or_, select, text, union
from sqlalchemy import Enum as SAEnum
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.accounts.account_service import USERNAME_PATTERN
from backend.classes.section_service import normalise_join_code
from backend.errors import ConflictError, NotFoundError, ValidationError
from backend.models import (
    Assignment,
    AssignmentClient,
    Base,
    ClientCheck,
    ClientMemory,
    ClientProfile,
    DrillAssignment,
    DrillAttempt,
    DrillSet,
    DrillSetItem,
    Enrollment,
    Job,
    Message,
    MessageRating,
    PracticeSession,
    Rubric,
    RubricVersion,
    Section,
    SessionRating,
    SessionReview,
    User,
)
from backend.models.base import Money, UTCDateTime, utcnow
from backend.models.enums import JobStatus, Role
from backend.practice import rating_service
from backend.practice.memory_service import MEMORY_KIND
from backend.usage import usage_service
from backend.utils.text import has_forbidden_characters

FORMAT = "counseling-practice-course"
VERSION = 1
BATCH = 500

#: Tables a course file holds (written in the schema's dependency order).
INCLUDED: frozenset[str] = frozenset(
    {
        "users",
        "client_profiles",
        "rubrics",
        "rubric_versions",
        "sections",
        "assignments",
        "assignment_clients",
        "enrollments",
        "client_checks",
        "practice_sessions",
        "messages",
        "message_ratings",
        "session_ratings",
        "session_reviews",
        # Drills: the teacher's sets, where they are assigned, and the students' attempts (part
        # of each student's record in the section, like their reviews).
        "drill_sets",
        "drill_set_items",
        "drill_assignments",
        "drill_attempts",
        "client_memories",  # a continuing client's memory of a student: part of their record
    }
)

#: Tables left out on purpose, and why (a test keeps every table in one of the two lists).
EXCLUDED: dict[str, str] = {
    "login_sessions": "log-in tokens: everyone logs in again after a restore",
    "events": "the operations log of the installation the course came from",
    "installations": "the target's own first-admin set-up (run create-admin after importing)",
    "daily_usage": "rebuilt from the imported messages and reviews (usage_service.rebuild); the "
    "course's cut-off replies, judge calls, memory summaries, drill drafts and connection tests "
    "are not in it",
    "client_daily_usage": "rebuilt from the imported messages (usage_service.rebuild)",
    "client_usage_increments": "folded into client_daily_usage, which is rebuilt",
    "closed_hours": "the dashboard's figures of closed hours, emptied by the rebuild",
    "rating_tallies": "recounted from the imported ratings and forms",
    "circuit_breakers": "the model API's health state, which belongs to the installation",
    "sign_in_domains": "an installation-wide admin setting, not part of a course",
    "jobs": "work under way in the installation's processes; what it wrote is in its own tables",
    "problem_reports": "testers' reports to the installation's admins, not part of a course",
    "review_batches": "requests waiting at the model API; a review not yet written is asked again",
    "unsent_messages": "words kept with a log-in, which a restore does not bring (log in again)",
}


#: Every schema revision in order, with the course tables it renamed (old name: new name). A
#: course file of a listed revision imports into a database at any later listed one (the renames
#: between are applied); a revision that changes a course table's columns ends the list, so files
#: from before it are refused. A new revision that leaves the course tables alone adds its line.
COURSE_TABLE_RENAMES: list[tuple[str, dict[str, str]]] = [
    ("0001", {}),
    ("0002", {}),  # the jobs table, which no course file carries
    ("0003", {"sessions": "practice_sessions", "session_feedback": "session_ratings"}),
    ("0004", {}),  # the dashboard's closed_hours, which no course file carries
    ("0005", {}),  # problem_reports, which no course file carries
    ("0006", {}),  # review_batches, which no course file carries
    ("0007", {}),  # cost by purpose in daily_usage, which no course file carries (rebuilt)
    ("0008", {}),  # daily_usage.check_tokens: rebuilt on import, in no course file
    ("0009", {}),  # practice_sessions' branch columns (`COURSE_COLUMNS_ADDED`)
    # New course tables (drill sets, items, assignments, attempts): a file from before has none of
    # their rows and imports as it is; later files carry them.
    ("0010", {}),
    ("0011", {}),  # client_memories (a new table) and assignments.continuing_client
    ("0012", {}),  # unsent_messages, which no course file carries
    ("0013", {}),  # daily_usage.connection_test_cost: rebuilt on import, in no course file
    ("0014", {}),  # messages.refused (`COURSE_COLUMNS_ADDED`)
    ("0015", {}),  # an index of session_reviews, no column
    ("0016", {}),  # client_checks.prompt_digest (`COURSE_COLUMNS_ADDED`)
    ("0017", {}),  # practice_sessions.remembered_at (`COURSE_COLUMNS_ADDED`)
    ("0018", {}),  # users' institution identity (`COURSE_COLUMNS_ADDED`)
]
#: Columns a revision added to a course table: a file from before it imports with them empty, or
#: at their default when they have a constant one (a revision that adds a column that can be
#: neither ends the list above instead).
COURSE_COLUMNS_ADDED: dict[str, dict[str, tuple[str, ...]]] = {
    "0009": {"practice_sessions": ("branch_of_id", "branch_turn")},
    "0011": {"assignments": ("continuing_client",)},
    "0014": {"messages": ("refused",)},
    "0016": {"client_checks": ("prompt_digest",)},
    "0017": {"practice_sessions": ("remembered_at",)},
    "0018": {"users": ("identity_issuer", "identity_subject")},
}


def renamed_since(exported: str, revision: str) -> dict[str, str] | None:
    """The course tables renamed after revision `exported` up to `revision` (None: a file of
    `exported` cannot be read at `revision`)."""
    order = [name for name, _ in COURSE_TABLE_RENAMES]
    if (
        exported not in order
        or revision not in order
        or order.index(exported) > order.index(revision)
    ):
        return None
    renamed: dict[str, str] = {}
    for _name, renames in COURSE_TABLE_RENAMES[
        order.index(exported) + 1 : order.index(revision) + 1
    ]:
        for old, new in renames.items():
            for earlier, later in renamed.items():  # a table renamed twice keeps its first name
                if later == old:
                    renamed[earlier] = new
            renamed.setdefault(old, new)
    return renamed


def added_since(exported: str, revision: str) -> dict[str, set[str]]:
    """The course tables' columns added after revision `exported` up to `revision` (both listed
    in `COURSE_TABLE_RENAMES`): a file of `exported` has none of them."""
    order = [name for name, _ in COURSE_TABLE_RENAMES]
    added: dict[str, set[str]] = {}
    for name in order[order.index(exported) + 1 : order.index(revision) + 1]:
        for table, columns in COURSE_COLUMNS_ADDED.get(name, {}).items():
            added.setdefault(table, set()).update(columns)
    return added


class CourseNotFound(NotFoundError):
    """No such teacher, or no such section of theirs."""


class ImportRefused(ConflictError):
    """The target database already holds data."""


class BadCourseFile(ValidationError):
    """The file is not a course export this version can read."""


@dataclass
class BackupSummary:
    """Rows written or read per table (in file order)."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        shown = (
            "sections",
            "users",
            "client_profiles",
            "practice_sessions",
            "messages",
            "session_reviews",
        )
        names = {
            "client_profiles": "clients",
            "practice_sessions": "conversations",
            "users": "accounts",
        }
        parts = [f"{names.get(t, t).replace('_', ' ')} {self.rows.get(t, 0)}" for t in shown]
        return f"{self.total} rows ({', '.join(parts)})"


def _tables() -> list[Table]:
    return [table for table in Base.metadata.sorted_tables if table.name in INCLUDED]


def schema_revision(db: Session) -> str:
    """The Alembic revision the database is at ("" when it was never migrated). A database that
    does not answer raises: it is not an empty one."""
    if not inspect(db.connection()).has_table("alembic_version"):
        return ""
    return db.scalar(text("SELECT version_num FROM alembic_version")) or ""


# Export -----------------------------------------------------------------------------------------
def _course_filters(teacher_id: int, section_ids: list[int] | None) -> dict[str, ColumnElement]:
    """A WHERE clause per table choosing the course's rows (subqueries, nothing loaded first)."""
    whole = section_ids is None
    sections = Section.teacher_id == teacher_id
    if not whole:
        sections = sections & Section.id.in_(section_ids or [])
    section_q = select(Section.id).where(sections)
    assignments = Assignment.section_id.in_(section_q)
    assignment_q = select(Assignment.id).where(assignments)
    enrollments = Enrollment.section_id.in_(section_q)
    people_q = union(
        select(Enrollment.student_id).where(enrollments),
        select(User.id).where(User.id == teacher_id),
    )
    assignment_clients = AssignmentClient.assignment_id.in_(assignment_q)
    base_clients = or_(
        (ClientProfile.owner_id == teacher_id) if whole else false(),
        ClientProfile.id.in_(select(AssignmentClient.client_id).where(assignment_clients)),
    )
    sessions = or_(
        PracticeSession.assignment_id.in_(assignment_q),
        PracticeSession.assignment_id.is_(None)
        & PracticeSession.client_id.in_(select(ClientProfile.id).where(base_clients))
        & PracticeSession.user_id.in_(people_q),
    )
    session_q = select(PracticeSession.id).where(sessions)
    clients = or_(
        base_clients, ClientProfile.id.in_(select(PracticeSession.client_id).where(sessions))
    )
    reviews = SessionReview.session_id.in_(session_q)
    rubrics = or_(
        Rubric.owner_id == teacher_id,
        Rubric.id.in_(select(Section.rubric_id).where(sections)),
        Rubric.id.in_(select(Assignment.rubric_id).where(assignments)),
        Rubric.id.in_(
            select(RubricVersion.rubric_id).where(
                RubricVersion.id.in_(select(SessionReview.rubric_version_id).where(reviews))
            )
        ),
    )
    enrolled_q = select(Enrollment.student_id).where(enrollments)
    # The teacher's sets (of the chosen sections only, unless the whole course), and any set
    # assigned to a chosen section (an admin's, say: the teacher's in the file).
    assigned_sets = DrillSet.id.in_(
        select(DrillAssignment.set_id).where(DrillAssignment.section_id.in_(section_q))
    )
    owned_sets = (DrillSet.owner_id == teacher_id) if whole else false()
    drill_sets = or_(owned_sets, assigned_sets)
    drill_set_q = select(DrillSet.id).where(drill_sets)
    filters: dict[str, ColumnElement] = {
        "drill_sets": drill_sets,
        "drill_set_items": DrillSetItem.set_id.in_(drill_set_q),
        "drill_assignments": DrillAssignment.set_id.in_(drill_set_q)
        & DrillAssignment.section_id.in_(section_q),
        # A student's attempts at the course's sets, and at the built-in bank on their own.
        "drill_attempts": DrillAttempt.student_id.in_(enrolled_q)
        & or_(DrillAttempt.set_id.in_(drill_set_q), DrillAttempt.set_id.is_(None)),
        "sections": sections,
        "assignments": assignments,
        "enrollments": enrollments,
        "assignment_clients": assignment_clients,
        "client_profiles": clients,
        "client_checks": ClientCheck.client_id.in_(select(ClientProfile.id).where(clients)),
        "practice_sessions": sessions,
        "messages": Message.session_id.in_(session_q),
        "message_ratings": MessageRating.message_id.in_(
            select(Message.id).where(Message.session_id.in_(session_q))
        ),
        "session_ratings": SessionRating.session_id.in_(session_q),
        "session_reviews": reviews,
        "client_memories": ClientMemory.assignment_id.in_(assignment_q),
        "rubrics": rubrics,
        "rubric_versions": RubricVersion.rubric_id.in_(select(Rubric.id).where(rubrics)),
    }
    # Every account a kept row names: the teacher, students, client and rubric owners, reviewers.
    named = [
        select(key.parent).where(filters[table.name], key.parent.is_not(None))
        for table in _tables()
        if table.name != "users"
        for key in table.foreign_keys
        if key.column.table.name == "users"
    ]
    # Never an admin: a course file creates only teachers and students (`_without_admins`).
    filters["users"] = or_(
        User.id == teacher_id, User.id.in_(union(*named)) & (User.role != Role.admin)
    )
    return filters


def _without_admins(
    table: Table, row: dict[str, Any], admins: set[int], teacher_id: int
) -> dict[str, Any]:
    """`row` naming no admin: a course file creates no admin account, and an admin may have
    edited a review or a memory, run a check, or made a client, rubric or drill set the course
    uses. What an admin did stays; who did it is left empty where it may be, and what an admin
    owns is the course teacher's in the file (an owner left empty would make a rubric built-in)."""
    named = [
        key.parent.name
        for key in table.foreign_keys
        if key.column.table.name == "users" and row[key.parent.name] in admins
    ]
    if not named:
        return row
    return row | {
        name: None if table.c[name].nullable and name != "owner_id" else teacher_id
        for name in named
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    return value


def _json(data: Any, *, sort: bool = True) -> str:
    return json.dumps(data, sort_keys=sort, ensure_ascii=False, separators=(",", ":"))


def _row_line(table: str, row: dict[str, Any]) -> str:
    """`{"table": ..., "row": {...}}` with the row's keys (and nested JSON keys) sorted."""
    return f'{{"table":{_json(table)},"row":{_json(row)}}}\n'


def _find_teacher(db: Session, username: str) -> User:
    teacher = db.scalar(select(User).where(User.username == username.strip().lower()))
    if teacher is None or teacher.role != Role.teacher:
        raise CourseNotFound(f"No teacher account with the username {username!r}.")
    return teacher


def _find_sections(db: Session, teacher: User, codes: list[str]) -> list[int]:
    owned = db.execute(
        select(Section.id, Section.join_code, Section.name)
        .where(Section.teacher_id == teacher.id)
        .order_by(Section.id)
    ).all()
    by_code = {row.join_code: row.id for row in owned}
    missing = [code for code in codes if normalise_join_code(code) not in by_code]
    if missing:
        listed = ", ".join(f"{row.name} ({row.join_code})" for row in owned) or "none"
        raise CourseNotFound(
            f"{teacher.username} has no section with the join code {', '.join(missing)}. "
            f"Their sections: {listed}."
        )
    return [by_code[normalise_join_code(code)] for code in codes]


def export_course(
    db: Session, out: TextIO, *, teacher_username: str, section_codes: list[str] | None = None
) -> BackupSummary:
    """Write one teacher's course (all sections, or those with the given join codes) to `out`."""
    revision = schema_revision(db)
    if not revision:
        raise CourseNotFound("This database was never migrated: it holds no course to export.")
    teacher = _find_teacher(db, teacher_username)
    section_ids = _find_sections(db, teacher, section_codes) if section_codes else None
    filters = _course_filters(teacher.id, section_ids)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": revision,
        "exported_at": _json_value(utcnow()),
        "teacher": teacher.username,
    }
    out.write(_json(header, sort=False) + "\n")
    summary = BackupSummary()
    written: dict[str, set[Any]] = {}
    admins = set(db.scalars(select(User.id).where(User.role == Role.admin)))
    taken_in = _remembered_by_jobs(db)
    for table in _tables():
        key = table.primary_key.columns.values()
        statement = select(table).where(filters[table.name]).order_by(*key)
        count = 0
        ids: set[Any] = set()
        for kept in db.execute(statement.execution_options(yield_per=BATCH)).mappings():
            row = _without_admins(table, dict(kept), admins, teacher.id)
            if table.name == "practice_sessions" and row.get("remembered_at") is None:
                row["remembered_at"] = taken_in.get(row["id"])
            _check_references(table, row, written)
            if len(key) == 1:
                ids.add(row[key[0].name])
            out.write(_row_line(table.name, {k: _json_value(v) for k, v in row.items()}))
            count += 1
        written[table.name] = ids
        summary.rows[table.name] = count
    out.write(_json({"end": True, "rows": summary.total}) + "\n")
    return summary


def _remembered_by_jobs(db: Session) -> dict[int, datetime]:
    """When a memory job wrote each session it did, for sessions taken in before they recorded
    it (`remembered_at`, migration 0017): jobs travel in no course file, and a moved course's
    old sessions had read "not taken in" (a review, 2026-12-07)."""
    rows = db.execute(
        select(Job.subject, Job.finished_at, Job.result).where(
            Job.kind == MEMORY_KIND, Job.status == JobStatus.done
        )
    )
    return {
        int(subject): finished
        for subject, finished, result in rows
        if finished is not None and (result or {}).get("written")
    }


def _check_references(table: Table, row: Any, written: dict[str, set[Any]]) -> None:
    """Every row a kept row points at is in the file too (else the import would fail later)."""
    for key in table.foreign_keys:
        target = key.column.table.name
        value = row[key.parent.name]
        if target in written and value is not None and value not in written[target]:
            raise RuntimeError(
                f"Export incomplete: {table.name}.{key.parent.name}={value} is not exported."
            )


# Import -----------------------------------------------------------------------------------------
def _python_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat(value).astimezone(UTC)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Money):
        return Decimal(value)
    if isinstance(kind, SAEnum) and kind.enum_class is not None:
        return kind.enum_class(value)
    return value


# An export holds the teacher's and the students' accounts only: nothing else may come back in.
IMPORTED_ROLES = {Role.teacher.value, Role.student.value}


def _check_row(table: Table, row: dict[str, Any], number: int) -> None:
    """Every field of a course file is untrusted input: each value has its column's type, text
    has no control characters, and accounts are checked as the sign-up form checks them."""
    where = f"Line {number} ({table.name})"
    for name, value in row.items():
        column = table.columns[name]
        if value is None:
            continue
        python_type = _python_type(column)
        if python_type is bool and not isinstance(value, bool):
            raise BadCourseFile(f"{where}: {name} must be true or false.")
        if python_type is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise BadCourseFile(f"{where}: {name} must be a whole number.")
        limit = 2**63 if "BIGINT" in str(column.type).upper() else 2**31  # PostgreSQL's sizes
        if python_type is int and not -limit <= value < limit:
            raise BadCourseFile(f"{where}: {name} is too large a number to be the app's.")
        if isinstance(value, str) and has_forbidden_characters(value):
            raise BadCourseFile(f"{where}: {name} holds a control character.")
        # Longer than its column (SQLite stores it, PostgreSQL refuses it with a traceback: an
        # attack, 2026-12-07): the app never writes such a value.
        length = getattr(column.type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            raise BadCourseFile(f"{where}: {name} is longer than the app allows ({length}).")
    if table.name == "users":
        if row.get("role") not in IMPORTED_ROLES:
            raise BadCourseFile(
                f"{where}: a course file holds only teachers and students, not "
                f"{str(row.get('role'))[:20]!r}. Create admins with backend.cli create-admin."
            )
        if not isinstance(row.get("username"), str) or not USERNAME_PATTERN.match(row["username"]):
            raise BadCourseFile(f"{where}: the username is not one the app would accept.")


def _default_of(column: Column[Any]) -> Any:
    """What a column added since a file was written holds for that file's rows."""
    default = column.default
    return getattr(default, "arg", None) if default is not None and default.is_scalar else None


def _python_type(column: Column[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _holding_data(db: Session) -> list[str]:
    """The course tables that have rows. Installation state (events, the API's health, sign-in
    domains) and admin accounts (the operator makes the admin first, so no web setup is ever
    offered) may be there already: a restore neither reads nor replaces them."""
    held = []
    for table in _tables():
        query = select(func.count()).select_from(table)
        if table.name == User.__tablename__:
            query = query.where(User.role != Role.admin)
        if db.scalar(query):
            held.append(table.name)
    return held


def _user_columns() -> dict[str, list[str]]:
    """Per table, the columns that hold a user id (the id itself, and every reference to it)."""
    found: dict[str, list[str]] = {}
    for table in _tables():
        for column in table.columns:
            points_at_users = any(
                fk.column.table.name == User.__tablename__ for fk in column.foreign_keys
            )
            if points_at_users or (table.name == User.__tablename__ and column.primary_key):
                found.setdefault(table.name, []).append(column.name)
    return found


def _shift_users(row: dict[str, Any], columns: list[str], offset: int) -> dict[str, Any]:
    """The row with its user ids moved past the accounts already here (the admins)."""
    if not offset:
        return row
    return {
        name: value + offset if name in columns and isinstance(value, int) else value
        for name, value in row.items()
    }


def _parsed(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    numbered = enumerate(lines, start=1)
    while True:
        try:  # a file read as text decodes as it is read: a compressed copy fails here
            number, line = next(numbered)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise BadCourseFile(
                "This is not a course export: it is not text (a compressed copy? unpack it first)."
            ) from None
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadCourseFile(f"Line {number} is not JSON ({error.msg}).") from None
        if not isinstance(data, dict):
            raise BadCourseFile(f"Line {number} is not a JSON object.")
        yield number, data


def _check_header(
    header: dict[str, Any], revision: str
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Refuse a file this version cannot read; return the tables renamed and the columns added
    since it was written."""
    if header.get("format") != FORMAT:
        raise BadCourseFile(
            f"This is not a course export: its first line should name the format {FORMAT!r}."
        )
    if header.get("version") != VERSION:
        raise BadCourseFile(
            f"This course file has format version {header.get('version')!r}; this version of "
            f"the app reads version {VERSION}."
        )
    exported = header.get("schema_revision")
    if exported == revision:
        return {}, {}
    renamed = renamed_since(exported, revision) if isinstance(exported, str) else None
    if renamed is None:
        raise BadCourseFile(
            f"This course file was exported from schema revision "
            f"{header.get('schema_revision')!r}, this database is at {revision!r}. Import it with "
            "the app version that exported it."
        )
    return renamed, added_since(str(exported), revision)


def import_course(db: Session, lines: Iterable[str]) -> BackupSummary:
    """Load a course file into this empty, migrated database (the caller's one transaction)."""
    occupied = _holding_data(db)
    if occupied:
        raise ImportRefused(
            "The database already holds data (" + ", ".join(occupied[:5]) + "); a course is "
            "imported only into an empty database. Point DATABASE_URL at a new database and "
            "run the import again."
        )
    rows = _parsed(lines)
    first = next(rows, None)
    if first is None:
        raise BadCourseFile("The file is empty.")
    renamed, added = _check_header(first[1], schema_revision(db))
    tables = {table.name: table for table in _tables()}
    user_columns = _user_columns()
    offset = db.scalar(select(func.max(User.id))) or 0  # the admins already here
    summary = BackupSummary()
    pending: list[dict[str, Any]] = []
    current: Table | None = None
    ended = False
    for number, data in rows:
        if ended:
            raise BadCourseFile(f"Line {number} comes after the end line.")
        if data.get("end") is True:
            ended = True
            if data.get("rows") != summary.total + len(pending):
                raise BadCourseFile("The file's row count does not match its end line.")
            continue
        name = data.get("table")
        table = tables.get(renamed.get(name, name)) if isinstance(name, str) else None
        row = data.get("row")
        if table is None or not isinstance(row, dict):
            raise BadCourseFile(f"Line {number}: unknown table {data.get('table')!r}.")
        missing = set(table.columns.keys()) - set(row)
        if set(row) - set(table.columns.keys()) or missing - added.get(table.name, set()):
            raise BadCourseFile(f"Line {number}: the columns of {table.name} do not match.")
        # Added since the file was written: left empty, or at the column's constant default.
        row = row | {name: _default_of(table.columns[name]) for name in missing}
        _check_row(table, row, number)
        row = _shift_users(row, user_columns.get(table.name, []), offset)
        if table is not current or len(pending) >= BATCH:
            _insert(db, current, pending, summary)
            current, pending = table, []
        try:
            pending.append({name: _python_value(table.columns[name], v) for name, v in row.items()})
        except (ValueError, TypeError, ArithmeticError) as error:  # a date, amount or enum
            raise BadCourseFile(
                f"Line {number} ({table.name}): a value is not valid ({error})."
            ) from None
    if not ended:
        raise BadCourseFile("The file is cut off: its end line is missing.")
    _insert(db, current, pending, summary)
    _reset_sequences(db)
    usage_service.rebuild(db)
    rating_service.rebuild_tallies(db)
    return summary


def _insert(
    db: Session, table: Table | None, rows: list[dict[str, Any]], summary: BackupSummary
) -> None:
    if table is None or not rows:
        return
    try:
        with db.begin_nested():
            db.execute(table.insert(), rows)
    except IntegrityError as error:
        raise BadCourseFile(
            f"The rows of {table.name} do not fit together (a missing or repeated row): "
            f"{str(error.orig).splitlines()[0]}"
        ) from None
    except (DataError, OverflowError, StatementError) as error:  # a value its column cannot hold
        if isinstance(error, DBAPIError) and not isinstance(error, DataError):
            raise  # the database failing (a full disk, a dropped connection), not the file
        error = getattr(error, "orig", None) or error
        raise BadCourseFile(
            f"A row of {table.name} holds a value the database cannot store: "
            f"{str(error).splitlines()[0]}"
        ) from None
    summary.rows[table.name] = summary.rows.get(table.name, 0) + len(rows)


def _reset_sequences(db: Session) -> None:
    """PostgreSQL: move each id sequence past the imported ids, so the next insert gets a new one."""
    if db.get_bind().dialect.name != "postgresql":
        return  # SQLite picks max(id) + 1 by itself
    for table in _tables():
        key = table.primary_key.columns.values()
        if len(key) != 1:
            continue
        sequence = db.scalar(select(func.pg_get_serial_sequence(table.name, key[0].name)))
        if sequence is None:
            continue
        db.execute(
            select(
                func.setval(
                    sequence,
                    select(func.coalesce(func.max(key[0]), 0) + 1).scalar_subquery(),
                    False,
                )
            )
        )
