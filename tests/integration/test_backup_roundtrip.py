"""Course export and import (issue 13): a course built through the services leaves one database
as JSON Lines and arrives in a fresh Alembic-built one (SQLite and PostgreSQL, and across them)
with the same rows, the same transcripts and reviews, working log-ins and usable id sequences."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend import cli
from backend.accounts import account_service
from backend.actor import UserRead
from backend.checks import check_service
from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput
from backend.clients import client_service
from backend.config import get_settings
from backend.db import Database, create_db_engine, unit_of_work, upgrade_database
from backend.drills import attempt_service, drill_service, results_service
from backend.drills.bank import bank_items
from backend.llm.usage import Usage
from backend.models import (
    Base,
    DailyUsage,
    DrillAttempt,
    DrillSet,
    DrillSetItem,
    Message,
    RatingTally,
    User,
)
from backend.models.enums import DrillSkill, MessageRole, Role
from backend.ops import backup_service
from backend.ops.backup_service import BadCourseFile, ImportRefused
from backend.practice import (
    branch_service,
    conversation_service,
    history_service,
    memory_service,
    rating_service,
    session_service,
)
from backend.reviews import review_service, rubric_service, teacher_review_service
from backend.reviews.teacher_review_service import TeacherEdits
from backend.usage import usage_service
from tests.factories import (
    PASSWORD,
    add_message,
    add_reply,
    builtin_criteria,
    client_input,
    enroll,
    make_assignment,
    make_classroom,
    make_client,
    make_section,
    make_user,
)

# Both backends: backups move data between the two backends.
pytestmark = pytest.mark.both_backends

LINES = [
    ("Hi, I'm Sam. What brings you in today?", "Work has been rough lately."),
    ("It sounds like work has been wearing you down.", "Yeah. I don't know what to do."),
    ("Have you tried talking to your boss? — «ça va»", "Not really. 😕"),
]


@dataclass(frozen=True)
class Course:
    teacher: UserRead
    students: list[UserRead]
    reviewed_session: int
    open_session: int
    test_session: int
    other_section_code: str


def _conversation(db, actor: UserRead, client_id: int, assignment_id: int | None = None) -> int:
    session = session_service.create_session(
        db, actor=actor, client_id=client_id, assignment_id=assignment_id
    )
    for number, (line, reply) in enumerate(LINES, start=1):
        add_message(db, actor=actor, session_id=session.id, content=line)
        add_reply(
            db,
            session_id=session.id,
            content=reply,
            usage=Usage(input_tokens=400 * number, output_tokens=30, cache_read_tokens=7),
            cost=Decimal("0.000437") * number,
            latency_ms=900,
            time_to_first_token_ms=300,
        )
    return session.id


def build_course(engine) -> Course:
    """A teacher's two sections with an edited client and rubric, a reviewed, rated and
    teacher-released conversation, an open one, a test chat and a client check; plus another
    teacher's class that must stay out of the export."""
    with unit_of_work(engine) as db:
        teacher = make_user(db, role=Role.teacher, display_name="Dr. Ana Peña")
        students = [make_user(db, role=Role.student) for _ in range(3)]
        client = make_client(db, teacher=teacher, principles=["When praised, you doubt it."])
        client = client_service.update_client(
            db, actor=teacher, client_id=client.id, data=client_input(age=35, name="Alex R.")
        )
        second = make_client(db, teacher=teacher, name="Jordan", communication_style="tangent")
        builtin = next(
            r for r in rubric_service.list_rubrics(db, actor=teacher) if r.key == "micro_skills"
        )
        rubric = rubric_service.copy_rubric(
            db, actor=teacher, rubric_id=builtin.id, name="Our micro-skills"
        )
        rubric_service.update_rubric(
            db,
            actor=teacher,
            rubric_id=rubric.id,
            definition={**rubric.definition, "name": "Our micro-skills, week 2"},
        )
        section = section_service.create_section(
            db,
            actor=teacher,
            name="Counseling 101 — Tuesday",
            seat_limit=30,
            join_code_expires_at=datetime(2027, 1, 31, 12, 0, tzinfo=UTC),
        )
        rubric_service.set_section_rubric(
            db, actor=teacher, section_id=section.id, rubric_id=rubric.id
        )
        other_section = make_section(db, teacher=teacher, name="Counseling 101 — Thursday")
        for student in students[:2]:
            enroll(db, section=section, student=student)
        enroll(db, section=other_section, student=students[2])
        assignment = make_assignment(db, teacher=teacher, section=section, clients=[client])
        assignment_service.update_assignment(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            data=AssignmentInput(
                title="Week 1 interview",
                instructions="Ten minutes; open questions first.",
                due_at=datetime.now(UTC) + timedelta(days=7),
                client_ids=[client.id, second.id],
                release_reviews="after_teacher_review",
            ),
        )
        make_assignment(db, teacher=teacher, section=other_section, clients=[second])

        reviewed = _conversation(db, students[0], client.id, assignment.id)
        session_service.end_session(db, actor=students[0], session_id=reviewed)
        replies = session_service.get_messages(db, actor=students[0], session_id=reviewed)
        rating_service.rate_reply(db, actor=students[0], message_id=replies[1].id, positive=False)
        rating_service.rate_reply(db, actor=students[0], message_id=replies[3].id, positive=True)
        rating_service.submit_session_rating(
            db, actor=students[0], session_id=reviewed, realism=4, usefulness=5, comment="Real!"
        )
        review_service.create_demo_review(db, actor=students[0], session_id=reviewed)
        review = review_service.get_review(db, actor=teacher, session_id=reviewed)
        edits = review.content.model_dump(exclude={"demo"})
        # Too short for automatic ratings: the teacher rates every criterion.
        edits["scores"] = [
            {"criterion": key, "turns": [1], "reasoning": "The teacher's rating.", "score": 5}
            for key in builtin_criteria()
        ]
        edits["goal"] = "Reflect before you ask."
        teacher_review_service.save_teacher_review(
            db, actor=teacher, session_id=reviewed, edits=TeacherEdits.model_validate(edits)
        )
        review_service.release_review(db, actor=teacher, session_id=reviewed)

        open_session = session_service.create_session(
            db, actor=students[1], client_id=client.id, assignment_id=assignment.id
        ).id
        add_message(
            db, actor=students[1], session_id=open_session, content="Hello, where to start?"
        )
        test_session = _conversation(db, teacher, second.id)

        # Someone else's class on the same installation: none of it may be exported.
        stranger = make_user(db, role=Role.teacher)
        stranger_student = make_user(db, role=Role.student)
        stranger_client = make_client(db, teacher=stranger, name="Not exported")
        stranger_section = make_section(db, teacher=stranger, name="Other school")
        enroll(db, section=stranger_section, student=stranger_student)
        enroll(db, section=stranger_section, student=students[0])  # shares a student
        stranger_assignment = make_assignment(
            db, teacher=stranger, section=stranger_section, clients=[stranger_client]
        )
        _conversation(db, students[0], stranger_client.id, stranger_assignment.id)
        other_code = section_service.list_sections(db, actor=teacher)
    check_service.run_check(Database(engine), actor=teacher, client_id=second.id)
    code = next(s.join_code for s in other_code if s.name.endswith("Thursday"))
    return Course(teacher, students, reviewed, open_session, test_session, code)


# Helpers ------------------------------------------------------------------------------------------
def export_text(engine, teacher: str, sections: list[str] | None = None) -> str:
    out = io.StringIO()
    with unit_of_work(engine, write=False) as db:
        backup_service.export_course(db, out, teacher_username=teacher, section_codes=sections)
    return out.getvalue()


def import_text(engine, content: str) -> backup_service.BackupSummary:
    with unit_of_work(engine) as db:
        return backup_service.import_course(db, io.StringIO(content))


def without_time(content: str) -> list[str]:
    header, *rows = content.splitlines()
    data = json.loads(header)
    assert data.pop("exported_at")
    return [json.dumps(data), *rows]


def _rows(engine, model, **where) -> list[tuple]:
    with unit_of_work(engine, write=False) as db:
        statement = select(model).filter_by(**where) if where else select(model)
        columns = model.__table__.columns.keys()
        return sorted(
            tuple(getattr(row, name) for name in columns) for row in db.scalars(statement)
        )


def _client_usage(engine) -> dict[tuple, tuple]:
    """The per-client daily figures as the dashboard sums them (however the rows are split)."""
    table = usage_service.client_usage()  # the rollup and the increments not yet folded
    keys = [getattr(table, name) for name in ("day", "client_id", "assignment_id", "model")]
    figures = [
        func.sum(getattr(table, name))
        for name in ("sessions", "messages", "replies", "input_tokens", "output_tokens", "cost")
    ]
    with unit_of_work(engine, write=False) as db:
        rows = db.execute(select(*keys, *figures).group_by(*keys)).all()
    return {tuple(row[:4]): tuple(str(value) for value in row[4:]) for row in rows}


# The round trip ---------------------------------------------------------------------------------
@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_a_course_survives_export_and_import_unchanged(
    committed_engine, fresh_database, tmp_path, target_kind
):
    course = build_course(committed_engine)
    first = export_text(committed_engine, course.teacher.username)
    target = create_db_engine(fresh_database(target_kind, tmp_path))
    try:
        summary = import_text(target, first)
        again = export_text(target, course.teacher.username)
        assert without_time(again) == without_time(first)
        probes = len(check_service.load_probes())  # a check's probe conversations come along
        assert (
            summary.rows["practice_sessions"] == 3 + probes and summary.rows["client_checks"] == 1
        )
        assert summary.rows["users"] == 4  # the teacher and three students, no stranger
        assert "Not exported" not in first and "Other school" not in first
        _same_as_the_user_sees_it(committed_engine, target, course)
        _ids_continue_after_import(target, course)
    finally:
        target.dispose()


def _same_as_the_user_sees_it(source, target, course: Course) -> None:
    """Transcripts, the released review, feedback and the admin figures read the same."""
    student = course.students[0]
    seen = {}
    for name, engine in (("source", source), ("target", target)):
        with unit_of_work(engine, write=False) as db:
            seen[name] = (
                history_service.transcript_markdown(
                    db, actor=course.teacher, session_id=course.reviewed_session
                ),
                history_service.transcript_markdown(
                    db, actor=student, session_id=course.reviewed_session
                ),
                history_service.transcript_markdown(
                    db, actor=course.teacher, session_id=course.test_session
                ),
                review_service.get_review(db, actor=student, session_id=course.reviewed_session),
                rating_service.get_session_rating(
                    db, actor=student, session_id=course.reviewed_session
                ),
                rating_service.reply_ratings(db, actor=student, session_id=course.reviewed_session),
                [
                    m.content
                    for m in session_service.get_messages(
                        db, actor=course.students[1], session_id=course.open_session
                    )
                ],
            )
    assert seen["target"] == seen["source"]
    transcript, _, _, review, *_ = seen["target"]
    assert "wearing you down" in transcript and "😕" in transcript
    assert review.by_teacher and review.content.goal == "Reflect before you ask."
    users = [course.teacher.id, *(s.id for s in course.students[1:])]
    for user_id in users:  # students[0] also practised in the stranger's class
        assert _rows(target, DailyUsage, user_id=user_id) == _rows(
            source, DailyUsage, user_id=user_id
        )
    by_client = _client_usage(target)
    assert by_client and by_client.items() <= _client_usage(source).items()
    assert _rows(target, RatingTally) and all(
        row in _rows(source, RatingTally) for row in _rows(target, RatingTally)
    )


def _ids_continue_after_import(target, course: Course) -> None:
    """Log-ins work with the old passwords, and new rows get new ids (PostgreSQL's sequences)."""
    with unit_of_work(target) as db:
        student = account_service.authenticate(
            db, username=course.students[0].username, password=PASSWORD
        )
        assert student.id == course.students[0].id
        newcomer = make_user(db, role=Role.student)
        section = make_section(db, teacher=course.teacher, name="Spring term")
        client = make_client(db, teacher=course.teacher, name="Brand new")
        enroll(db, section=section, student=newcomer)
        assignment = make_assignment(db, teacher=course.teacher, section=section, clients=[client])
        session_id = _conversation(db, newcomer, client.id, assignment.id)
    assert newcomer.id > max(s.id for s in course.students)
    assert session_id > max(course.reviewed_session, course.open_session, course.test_session)


@pytest.mark.postgresql  # its target database is made inside the test
def test_the_cli_exports_one_section_of_sqlite_into_an_unmigrated_postgres(
    fresh_database, tmp_path, run_cli
):
    source_url = fresh_database("sqlite", tmp_path)
    source = create_db_engine(source_url)
    try:
        course = build_course(source)
    finally:
        source.dispose()
    path = tmp_path / "course.jsonl"
    done = run_cli(
        source_url,
        "export",
        "--teacher",
        course.teacher.username.upper(),
        "--section",
        course.other_section_code.lower(),
        "--out",
        str(path),
    )
    assert done.returncode == 0, done.stderr
    assert "password hashes" in done.stderr
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    content = path.read_text(encoding="utf-8")
    assert "Thursday" in content and "Tuesday" not in content
    usernames = {
        json.loads(line)["row"]["username"] for line in content.splitlines() if '"users"' in line
    }
    assert usernames == {course.teacher.username, course.students[2].username}

    target_url = fresh_database("postgresql", tmp_path, migrated=False)
    done = run_cli(target_url, "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "Imported" in done.stdout
    target = create_db_engine(target_url)
    try:
        assert without_time(export_text(target, course.teacher.username)) == without_time(content)
        refused = run_cli(target_url, "import", str(path))
        assert refused.returncode == 1
        assert "already holds data" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        target.dispose()


@pytest.fixture(scope="module")
def small_export(tmp_path_factory) -> tuple[str, UserRead, str]:
    """(database URL, teacher, exported text) of a class with one ended and rated conversation,
    in its own SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('backup') / 'small.db'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    try:
        with unit_of_work(engine) as db:
            room = make_classroom(db)
            session_id = _conversation(db, room.student, room.client.id, room.assignment.id)
            session_service.end_session(db, actor=room.student, session_id=session_id)
            rating_service.submit_session_rating(
                db, actor=room.student, session_id=session_id, realism=4, usefulness=3
            )
        return url, room.teacher, export_text(engine, room.teacher.username)
    finally:
        engine.dispose()


def _main(monkeypatch, capsys, database_url: str, *args: str) -> tuple[int, str, str]:
    """The CLI's own entry point in this process (quicker than a subprocess)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_to_standard_output_and_unknown_names(small_export, monkeypatch, capsys):
    url, teacher, content = small_export
    code, out, err = _main(
        monkeypatch, capsys, url, "export", "--teacher", teacher.username, "--out", "-"
    )
    assert code == 0, err
    assert without_time(out) == without_time(content)
    code, _, err = _main(
        monkeypatch, capsys, url, "export", "--teacher", "nobody.here", "--out", "-"
    )
    assert code == 1
    assert "No teacher account with the username 'nobody.here'" in err
    code, _, err = _main(
        monkeypatch,
        capsys,
        url,
        "export",
        "--teacher",
        teacher.username,
        "--section",
        "NOPE1234",
        "--out",
        "-",
    )
    assert code == 1 and "NOPE1234" in err


def _as_a_version_before_the_renames_wrote_it(content: str, revision: str) -> str:
    """The same course in a file of schema revision 0001 (the first released) or 0002, whose
    tables of conversations and of their ratings were still called `sessions` and
    `session_feedback` (same columns; 0002 added only the jobs table, which no file carries)."""
    header, *items = (json.loads(line) for line in content.splitlines())
    old_names = {"practice_sessions": "sessions", "session_ratings": "session_feedback"}
    lines = [{**header, "schema_revision": revision}]
    for item in items:
        if "table" in item:
            item = {**item, "table": old_names.get(item["table"], item["table"])}
        lines.append(item)
    return "".join(json.dumps(line) + "\n" for line in lines)


@pytest.mark.parametrize("revision", ["0001", "0002"])
def test_a_file_exported_before_the_tables_were_renamed_still_imports(
    small_export, fresh_database, tmp_path, backend_name, revision
):
    _url, teacher, content = small_export
    old_file = _as_a_version_before_the_renames_wrote_it(content, revision)
    assert '"table": "sessions"' in old_file and '"table": "session_feedback"' in old_file
    target = create_db_engine(fresh_database(backend_name, tmp_path))
    try:
        summary = import_text(target, old_file)
        assert summary.rows["practice_sessions"] == 1 and summary.rows["session_ratings"] == 1
        assert without_time(export_text(target, teacher.username)) == without_time(content)
    finally:
        target.dispose()


@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_a_branch_comes_along_and_a_file_from_before_branches_still_imports(
    tmp_path, fresh_database, target_kind
):
    """A branch ("Practise this moment") keeps its original and turn through a round trip; a
    file of revision 0008 (no branch columns yet) imports with none."""
    source = create_db_engine(fresh_database("sqlite", tmp_path))
    target = create_db_engine(fresh_database(target_kind, tmp_path))
    older = create_db_engine(fresh_database(target_kind, tmp_path))
    try:
        with unit_of_work(source) as db:
            room = make_classroom(db)
            original = _conversation(db, room.student, room.client.id, room.assignment.id)
            session_service.end_session(db, actor=room.student, session_id=original)
            branch = branch_service.start_branch(
                db, actor=room.student, session_id=original, turn=1
            )
        content = export_text(source, room.teacher.username)
        import_text(target, content)
        assert without_time(export_text(target, room.teacher.username)) == without_time(content)
        with unit_of_work(target, write=False) as db:
            again = session_service.get_session(db, actor=room.student, session_id=branch.id)
        assert (again.branch_of_id, again.branch_turn) == (original, 1)

        header, *items = (json.loads(line) for line in content.splitlines())
        lines = [{**header, "schema_revision": "0008"}]
        for item in items:
            if item.get("table") == "practice_sessions":
                row = {k: v for k, v in item["row"].items() if not k.startswith("branch_")}
                item = {**item, "row": row}
            lines.append(item)
        summary = import_text(older, "".join(json.dumps(line) + "\n" for line in lines))
        assert summary.rows["practice_sessions"] == 2
        with unit_of_work(older, write=False) as db:
            plain = session_service.get_session(db, actor=room.student, session_id=branch.id)
        assert plain.branch_of_id is None and plain.branch_turn is None
    finally:
        for engine in (source, target, older):
            engine.dispose()


@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_drills_come_along_with_their_section_and_a_file_from_before_drills_imports(
    tmp_path, fresh_database, target_kind
):
    """A teacher's drill set, its items, its section and the students' attempts (at the set and
    at the bank alone) survive a round trip; another teacher's set stays behind; a file of
    revision 0009 (no drill tables yet) still imports."""
    source = create_db_engine(fresh_database("sqlite", tmp_path))
    target = create_db_engine(fresh_database(target_kind, tmp_path))
    older = create_db_engine(fresh_database(target_kind, tmp_path))
    try:
        with unit_of_work(source) as db:
            room = make_classroom(db)
            drill_set = drill_service.create_set(db, actor=room.teacher, title="Reflections")
            keys = [item.key for item in bank_items(DrillSkill.reflect)[:5]]
            drill_set = drill_service.add_bank_items(
                db, actor=room.teacher, set_id=drill_set.id, keys=keys
            )
            drill_service.assign_set(
                db, actor=room.teacher, set_id=drill_set.id, section_id=room.section.id
            )
            item = drill_set.items[0]
            for reply in ("Do you feel tired?", item.model_answer):
                attempt_service.answer_item(
                    db, actor=room.student, set_id=drill_set.id, item_id=item.id, reply=reply
                )
            attempt_service.practise_bank_item(
                db, actor=room.student, key="open-01", reply="What is an evening like?"
            )
            other = make_user(db, role=Role.teacher, username="other.teacher")
            drill_service.create_set(db, actor=other, title="Not in the course")
        content = export_text(source, room.teacher.username)
        summary = import_text(target, content)
        assert (summary.rows["drill_sets"], summary.rows["drill_set_items"]) == (1, 5)
        assert (summary.rows["drill_assignments"], summary.rows["drill_attempts"]) == (1, 3)
        assert without_time(export_text(target, room.teacher.username)) == without_time(content)
        mine = {"owner_id": room.teacher.id}
        assert _rows(target, DrillSet) == _rows(source, DrillSet, **mine)
        assert _rows(target, DrillSetItem) == _rows(source, DrillSetItem)
        assert _rows(target, DrillAttempt, bank_key=None) == _rows(
            source, DrillAttempt, bank_key=None
        )
        with unit_of_work(target, write=False) as db:
            results = results_service.section_results(
                db, actor=room.teacher, section_id=room.section.id
            )
        assert [(r.attempts, r.hits) for r in results] == [(2, 1)]

        header, *items = (json.loads(line) for line in content.splitlines())
        lines = [{**header, "schema_revision": "0009"}]
        lines += [item for item in items if not str(item.get("table", "")).startswith("drill_")]
        lines[-1] = {"end": True, "rows": len(lines) - 2}
        summary = import_text(older, "".join(json.dumps(line) + "\n" for line in lines))
        assert "drill_sets" not in summary.rows and summary.rows["enrollments"] == 1
    finally:
        for engine in (source, target, older):
            engine.dispose()


@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_a_client_memory_comes_along_and_a_file_from_before_memories_still_imports(
    tmp_path, fresh_database, target_kind
):
    """A continuing client's memory of a student is part of their record: it arrives with its
    teacher's edit; a file of revision 0009 (no continuing clients yet) imports with none."""
    source = create_db_engine(fresh_database("sqlite", tmp_path))
    target = create_db_engine(fresh_database(target_kind, tmp_path))
    older = create_db_engine(fresh_database(target_kind, tmp_path))
    summary_text = "Discussed: your sleep. Agreed: a sleep diary."
    try:
        with unit_of_work(source) as db:
            room = make_classroom(db)
            assignment_service.set_continuing_client(
                db, actor=room.teacher, assignment_id=room.assignment.id, continuing=True
            )
            first = _conversation(db, room.student, room.client.id, room.assignment.id)
            session_service.end_session(db, actor=room.student, session_id=first)
            memory_service.save_memory(
                db, actor=room.teacher, session_id=first, summary=summary_text
            )
        content = export_text(source, room.teacher.username)
        assert '"table":"client_memories"' in content
        import_text(target, content)
        assert without_time(export_text(target, room.teacher.username)) == without_time(content)
        with unit_of_work(target, write=False) as db:
            memory = memory_service.read_memory(db, actor=room.teacher, session_id=first)
        assert memory is not None and memory.summary == summary_text
        assert memory.edited_by == room.teacher.display_name

        header, *items = (json.loads(line) for line in content.splitlines())
        lines = [{**header, "schema_revision": "0009"}]
        for item in items:
            if item.get("table") == "client_memories":
                continue
            if item.get("table") == "assignments":
                row = {k: v for k, v in item["row"].items() if k != "continuing_client"}
                item = {**item, "row": row}
            if item.get("end"):
                item = {**item, "rows": item["rows"] - 1}
            lines.append(item)
        import_text(older, "".join(json.dumps(line) + "\n" for line in lines))
        with unit_of_work(older, write=False) as db:
            assignment = assignment_service.get_assignment(
                db, actor=room.teacher, assignment_id=room.assignment.id
            )
            assert memory_service.read_memory(db, actor=room.teacher, session_id=first) is None
        assert not assignment.continuing_client
    finally:
        for engine in (source, target, older):
            engine.dispose()


# Refusals ---------------------------------------------------------------------------------------
def _counts(engine) -> dict[str, int]:
    with unit_of_work(engine, write=False) as db:
        return {
            table.name: db.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def test_a_restore_goes_into_a_database_whose_admin_exists_already(
    small_export, fresh_database, tmp_path, backend_name
):
    """Issue 19, item 13: the operator creates the admin first (so no web setup is ever offered)
    and then restores; the course's accounts get ids after the admin's, references follow."""
    _url, teacher, content = small_export
    target = create_db_engine(fresh_database(backend_name, tmp_path))
    try:
        with unit_of_work(target) as db:
            admin = account_service.create_admin_by_operator(
                db, username="head.admin", display_name="Head Admin", password=PASSWORD
            )
        summary = import_text(target, content)
        assert summary.rows["users"] >= 2
        with unit_of_work(target) as db:
            assert account_service.has_admin(db) and not account_service.needs_setup(db)
            restored = db.scalar(select(User).where(User.username == teacher.username))
            assert restored is not None and restored.id != admin.id
            mine = client_service.list_clients(db, actor=UserRead.model_validate(restored))
            assert mine  # the teacher's clients came with the teacher
            assert db.get(User, admin.id).username == "head.admin"
    finally:
        target.dispose()


def test_a_database_that_holds_data_is_refused_and_left_unchanged(
    small_export, fresh_database, tmp_path, backend_name
):
    target = create_db_engine(fresh_database(backend_name, tmp_path))
    try:
        with unit_of_work(target) as db:
            make_user(db, role=Role.teacher, username="already.here")
        before = _counts(target)
        with pytest.raises(ImportRefused, match="already holds data"):
            import_text(target, small_export[2])
        assert _counts(target) == before
    finally:
        target.dispose()


def _drop_the_teacher(header: dict, rows: list[dict]) -> list[dict]:
    """The teacher's account is missing, so the clients and the section point at nobody."""
    kept = [row for row in rows[:-1] if row["row"].get("role") != "teacher"]
    return [header, *kept, {"end": True, "rows": len(kept)}]


def _edit_student(**changes):
    """One student's account row edited by hand (what an attacker would do to a course file)."""

    def spoil(header: dict, rows: list[dict]) -> list[dict]:
        done = False
        edited = []
        for item in rows:
            if not done and item.get("table") == "users" and item["row"]["role"] == "student":
                item = {**item, "row": {**item["row"], **changes}}
                done = True
            edited.append(item)
        return [header, *edited]

    return spoil


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda h, rows: [{**h, "format": "something-else"}, *rows], "not a course export"),
        # Issue 19, item 12: every field is untrusted input (an edited role made an admin).
        (_edit_student(role="admin"), "only teachers and students"),
        (_edit_student(is_active="yes"), "is_active must be true or false"),
        (_edit_student(username="Robert'); DROP"), "username"),
        (_edit_student(display_name="Sam\x00"), "control character"),
        (_edit_student(created_at="yesterday"), "a value is not valid"),
        (lambda h, rows: [{**h, "version": 2}, *rows], "format version 2"),
        (lambda h, rows: [{**h, "schema_revision": "0000"}, *rows], "schema revision '0000'"),
        (lambda h, rows: [h, *rows[:-1]], "cut off"),
        (lambda h, rows: [h, {"table": "events", "row": {}}, *rows], "unknown table 'events'"),
        (_drop_the_teacher, "do not fit together"),
    ],
    ids=[
        "format",
        "admin-role",
        "is-active",
        "username",
        "display-name",
        "bad-date",
        "version",
        "schema",
        "cut-off",
        "excluded-table",
        "broken-reference",
    ],
)
def test_a_wrong_file_gives_a_clear_error_and_imports_nothing(
    small_export, fresh_database, tmp_path, spoil, message
):
    header, *rows = (json.loads(line) for line in small_export[2].splitlines())
    spoiled = spoil(header, rows)
    target = create_db_engine(fresh_database("sqlite", tmp_path))
    try:
        with pytest.raises(BadCourseFile, match=message):
            import_text(target, "\n".join(json.dumps(item) for item in spoiled) + "\n")
        assert not any(_counts(target).values())
    finally:
        target.dispose()


def test_the_cli_explains_a_file_that_is_not_a_course(tmp_path, monkeypatch, capsys):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": "world"}\n')
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, _, err = _main(monkeypatch, capsys, url, "import", str(path))
    assert code == 1
    assert "This is not a course export" in err and "Nothing was imported" in err
    code, _, err = _main(monkeypatch, capsys, url, "import", str(tmp_path / "nope.jsonl"))
    assert code == 1 and "Cannot read" in err


def test_the_cli_explains_a_file_that_is_not_text(tmp_path, monkeypatch, capsys):
    """The compressed copy of an export handed to `import`: a sentence, not a UnicodeDecodeError."""
    path = tmp_path / "course.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xfe binary")
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, _, err = _main(monkeypatch, capsys, url, "import", str(path))
    assert code == 1
    assert "not a course export" in err and "Nothing was imported" in err


def test_every_table_is_exported_or_deliberately_left_out():
    tables = {table.name for table in Base.metadata.sorted_tables}
    assert tables >= backup_service.INCLUDED
    unclassified = tables - backup_service.INCLUDED - set(backup_service.EXCLUDED)
    assert not unclassified, f"decide whether a course export holds {sorted(unclassified)}"


def test_a_control_character_a_model_wrote_never_makes_a_course_unimportable(
    api, classroom, committed_engine, fresh_database, tmp_path
):
    """A reply streamed with a stray form feed was stored as it came; the course export then
    held it, and its own import refused the whole file ("content holds a control character").
    Model text is stored without such characters, as what people type is refused with them.
    (An attack, 2026-12-07.)"""
    database = Database(committed_engine)
    session = conversation_service.start_conversation(
        database, actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("I don't know.\x0cMaybe it's the job.\x00 Maybe it's me.")
    outcome = conversation_service.send_message(
        database, actor=classroom.student, session_id=session.id, content="What brings you in?"
    )
    assert outcome.ok
    with unit_of_work(committed_engine, write=False) as db:
        stored = db.scalars(
            select(Message.content).where(
                Message.session_id == session.id, Message.role == MessageRole.assistant
            )
        ).all()
    assert stored == ["I don't know.Maybe it's the job. Maybe it's me."]

    out = io.StringIO()
    with unit_of_work(committed_engine, write=False) as db:
        backup_service.export_course(db, out, teacher_username=classroom.teacher.username)
    target = create_db_engine(fresh_database("sqlite", tmp_path))
    try:
        with unit_of_work(target) as db:
            backup_service.import_course(db, io.StringIO(out.getvalue()))
        with unit_of_work(target, write=False) as db:
            assert db.scalar(select(func.count()).select_from(Message)) == 2
    finally:
        target.dispose()
