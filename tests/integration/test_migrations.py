"""Migrations build the models' schema, name for name, and move a database's rows along when they
rename tables: up from the previous revision, and back down again."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from backend import cli
from backend.config import get_settings
from backend.db import alembic_config, create_db_engine, upgrade_database
from backend.models import (
    Base,
    Event,
    Message,
    PracticeSession,
    RatingTally,
    SessionRating,
    SessionReview,
)
from backend.ops.database_service import open_database

# Both backends: each dialect renames tables, constraints and indexes its own way.
pytestmark = pytest.mark.both_backends

#: The revision before the tables of conversations and ratings were renamed.
BEFORE_RENAMES = "0002"
OLD_NAMES = {"sessions", "session_feedback", "feedback_tallies"}
NEW_NAMES = {"practice_sessions", "session_ratings", "rating_tallies"}


def schema_of(engine: Engine) -> dict[str, Any]:
    """Everything a migration should get right, by name: tables, columns, keys, constraints,
    indexes (with their WHERE), and PostgreSQL's id sequences."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        primary = inspector.get_pk_constraint(table)
        schema[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in inspector.get_columns(table)
            ],
            "primary key": (primary.get("name"), tuple(primary["constrained_columns"])),
            "foreign keys": sorted(
                (
                    fk.get("name"),
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    str(fk.get("options")),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(
                (u.get("name"), tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(
                (c.get("name"), c["sqltext"]) for c in inspector.get_check_constraints(table)
            ),
            "indexes": sorted(
                (
                    i.get("name"),
                    tuple(i["column_names"]),
                    bool(i["unique"]),
                    str({k: str(v) for k, v in i.get("dialect_options", {}).items()}),
                )
                for i in inspector.get_indexes(table)
            ),
        }
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema["sequences"] = sorted(
                connection.scalars(text("SELECT sequencename FROM pg_sequences"))
            )
    return schema


def _differences(found: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    lines = []
    for table in sorted(set(found) | set(wanted)):
        if table not in found or table not in wanted:
            lines.append(f"{table}: only in the {'models' if table in wanted else 'migrations'}")
            continue
        if isinstance(wanted[table], list):  # the sequences
            if found[table] != wanted[table]:
                lines.append(f"{table}: {found[table]} != {wanted[table]}")
            continue
        for part, value in wanted[table].items():
            if found[table][part] != value:
                lines.append(f"{table} {part}: {found[table][part]} != {value}")
    return lines


def test_the_migrated_schema_is_the_models_schema_name_for_name(
    fresh_database, tmp_path, backend_name
):
    """`alembic check` does not compare the names of keys, checks and foreign keys (nor
    sequences): a database from the migrations and one from the models must match in those too."""
    migrated = create_db_engine(fresh_database(backend_name, tmp_path))
    modelled = create_db_engine(fresh_database(backend_name, tmp_path, migrated=False))
    try:
        Base.metadata.create_all(modelled)
        assert _differences(schema_of(migrated), schema_of(modelled)) == []
    finally:
        migrated.dispose()
        modelled.dispose()


def _fill_before_renames(engine: Engine) -> None:
    """A teacher's client, a student's rated, reviewed and logged conversation: rows in every
    table the renames touch, and in those that point at them (written as that revision's SQL)."""
    statements = [
        "INSERT INTO users (username, display_name, role, password_hash, is_active, created_at) "
        "VALUES ('t.one', 'T', 'teacher', 'h', true, CURRENT_TIMESTAMP), "
        "('s.one', 'S', 'student', 'h', true, CURRENT_TIMESTAMP)",
        "INSERT INTO client_profiles (owner_id, name, background, presenting_concern, "
        "challenges, personality_traits, communication_style, difficulty, learning_goals, "
        "hidden_information, principles, archived, created_at, updated_at) "
        "SELECT id, 'Alex', 'b', 'p', 'c', '[]', 'plain', 'beginner', 'l', 'h', '[]', false, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users WHERE username = 't.one'",
        "INSERT INTO sessions (user_id, client_id, mode, status, started_at, total_tokens) "
        "SELECT u.id, c.id, 'practice', 'completed', CURRENT_TIMESTAMP, 42 "
        "FROM users u, client_profiles c WHERE u.username = 's.one'",
        "INSERT INTO messages (session_id, sequence_number, role, content, created_at) "
        "SELECT id, 1, 'user', 'Hello there', CURRENT_TIMESTAMP FROM sessions",
        "INSERT INTO messages (session_id, sequence_number, role, content, created_at) "
        "SELECT id, 2, 'assistant', 'Hi.', CURRENT_TIMESTAMP FROM sessions",
        "INSERT INTO events (created_at, severity, category, message, session_id, details) "
        "SELECT CURRENT_TIMESTAMP, 'info', 'test', 'about the session', id, '{}' FROM sessions",
        "INSERT INTO session_feedback (session_id, user_id, realism, usefulness, comment, "
        "created_at, updated_at) SELECT id, user_id, 4, 5, 'Real!', CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP FROM sessions",
        "INSERT INTO feedback_tallies (client_id, positive, total) "
        "SELECT id, 2, 3 FROM client_profiles",
        "INSERT INTO rubrics (key, name, created_at) VALUES ('r', 'R', CURRENT_TIMESTAMP)",
        "INSERT INTO rubric_versions (rubric_id, version, definition, created_at) "
        "SELECT id, 1, '{}', CURRENT_TIMESTAMP FROM rubrics",
        "INSERT INTO session_reviews (session_id, rubric_version_id, status, source, indicators, "
        "created_at) SELECT s.id, v.id, 'ready', 'demo', '{}', CURRENT_TIMESTAMP "
        "FROM sessions s, rubric_versions v",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _old_rows(engine: Engine) -> dict[str, list[tuple]]:
    queries = {
        "sessions": "SELECT id, user_id, client_id, status, total_tokens FROM sessions",
        "session_feedback": "SELECT session_id, realism, usefulness, comment FROM session_feedback",
        "feedback_tallies": "SELECT client_id, positive, total FROM feedback_tallies",
        "messages": "SELECT session_id, sequence_number, content FROM messages",
        "events": "SELECT session_id, message FROM events",
        "session_reviews": "SELECT session_id, source FROM session_reviews",
    }
    with engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(text(q)))) for name, q in queries.items()
        }


def _table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_renaming_the_tables_keeps_their_rows_and_can_be_undone(
    fresh_database, tmp_path, backend_name
):
    url = fresh_database(backend_name, tmp_path, migrated=False)
    upgrade_database(url, BEFORE_RENAMES)
    engine = create_db_engine(url)
    try:
        _fill_before_renames(engine)
        before_schema, before_rows = schema_of(engine), _old_rows(engine)
        (session_id, student_id, client_id, *_), *_ = before_rows["sessions"]
        engine.dispose()

        upgrade_database(url)
        assert _table_names(engine) >= NEW_NAMES and not _table_names(engine) & OLD_NAMES
        with Session(engine) as db:
            session = db.get(PracticeSession, session_id)
            assert session is not None and (session.user_id, session.total_tokens) == (
                student_id,
                42,
            )
            rating = db.scalars(select(SessionRating)).one()
            assert (rating.session_id, rating.realism, rating.comment) == (session_id, 4, "Real!")
            tally = db.get(RatingTally, client_id)
            assert tally is not None and (tally.positive, tally.total) == (2, 3)
            assert [m.content for m in db.scalars(select(Message).order_by(Message.id))] == [
                "Hello there",
                "Hi.",
            ]
            # A new conversation gets the next id (PostgreSQL: the renamed sequence moves on).
            added = PracticeSession(user_id=student_id, client_id=client_id)
            db.add(added)
            db.flush()
            assert added.id > session_id
            # The foreign keys point at the renamed table: deleting cascades as before.
            db.delete(db.get(PracticeSession, session_id))
            db.flush()
            assert db.scalars(select(Message)).all() == []
            assert db.scalars(select(SessionRating)).all() == []
            assert db.scalars(select(SessionReview)).all() == []
            assert db.scalars(select(Event.session_id)).one() is None
            db.rollback()
        engine.dispose()

        command.downgrade(alembic_config(url), BEFORE_RENAMES)
        assert _table_names(engine) >= OLD_NAMES and not _table_names(engine) & NEW_NAMES
        assert _differences(schema_of(engine), before_schema) == []
        assert _old_rows(engine) == before_rows
        engine.dispose()

        upgrade_database(url)  # and up again
        assert _table_names(engine) >= NEW_NAMES
    finally:
        engine.dispose()


def test_a_database_a_newer_release_migrated_is_used_as_it_is_by_the_previous_one(
    fresh_database, tmp_path, backend_name, monkeypatch, capsys
):
    """During a rolling upgrade the old process that restarts, and after a rollback the old image,
    meet a schema revision they do not know: they start on it (expand-first migrations keep them
    working) and `migrate` says what it found instead of a traceback; nothing is changed."""
    url = fresh_database(backend_name, tmp_path)
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        database = open_database(url)  # what every app process does on start
        with database() as db:
            assert db.scalars(select(PracticeSession)).all() == []
        database.engine.dispose()

        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        assert cli.main(["migrate"]) == 0
        said = capsys.readouterr().out
        assert "Left as it is" in said and "revision 9999" in said and "Rollback" in said
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "9999"
    finally:
        get_settings.cache_clear()
        engine.dispose()


def test_going_back_before_branches_drops_them_and_keeps_the_conversations(
    fresh_database, tmp_path, backend_name
):
    """The documented rollback to the release before "Practise this moment" (`alembic downgrade
    0008`, docs/operations/upgrades.md) failed on SQLite once one student had said something in
    a practised moment: the branch was deleted with foreign keys off, so its messages pointed at
    nothing and the step was refused. (An attack, 2026-12-07.)"""
    from backend.practice import branch_service, session_service
    from tests.factories import add_message, add_reply, make_classroom

    url = fresh_database(backend_name, tmp_path)
    engine = create_db_engine(url)
    try:
        with Session(engine) as db, db.begin():
            room = make_classroom(db)
            original = session_service.create_session(
                db, actor=room.student, client_id=room.client.id, assignment_id=room.assignment.id
            ).id
            add_message(db, actor=room.student, session_id=original, content="How was your week?")
            add_reply(db, session_id=original, content="Long. Work again.")
            add_message(db, actor=room.student, session_id=original, content="Tell me more.")
            add_reply(db, session_id=original, content="My boss keeps adding tasks.")
            session_service.end_session(db, actor=room.student, session_id=original)
            branch = branch_service.start_branch(
                db, actor=room.student, session_id=original, turn=3
            ).id
            add_message(db, actor=room.student, session_id=branch, content="That sounds heavy.")
        engine.dispose()

        command.downgrade(alembic_config(url), "0008")

        with engine.connect() as connection:
            said = connection.execute(
                text("SELECT session_id, content FROM messages ORDER BY id")
            ).all()
            conversations = connection.execute(text("SELECT id FROM practice_sessions")).all()
        assert conversations == [(original,)]
        assert [content for _, content in said] == [
            "How was your week?",
            "Long. Work again.",
            "Tell me more.",
            "My boss keeps adding tasks.",
        ]
    finally:
        engine.dispose()
