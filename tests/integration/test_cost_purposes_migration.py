"""The cost of each day by purpose (migration 0007): the daily usage rows that exist already are
split from what is stored - replies by their conversation's mode, judge calls and cut-off replies
from their events, reviews from their rows - and the split can be undone, the totals untouched."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import inspect, text

from backend.db import alembic_config, create_db_engine, upgrade_database

pytestmark = pytest.mark.both_backends

BEFORE = "0006"
PARTS = ("practice_cost", "test_chat_cost", "check_turns_cost", "check_judge_cost", "review_cost")
NANO = Decimal("0.000000001")


def _fill(connection, backend_name: str) -> None:
    """A student's practice reply and its review; a teacher's test chat (a stored reply and a
    cut-off one) and a client check (a probe's reply and the judge call): one day, $0.0076."""
    postgres = backend_name == "postgresql"
    at = "'2026-12-01 10:00:00" + ("+00'" if postgres else "'")
    json = "::json" if postgres else ""
    statements = [
        "INSERT INTO users (username, display_name, role, password_hash, is_active, created_at) "
        f"VALUES ('t.one', 'T', 'teacher', 'h', true, {at}), "
        f"('s.one', 'S', 'student', 'h', true, {at})",
        "INSERT INTO client_profiles (owner_id, name, background, presenting_concern, "
        "challenges, personality_traits, communication_style, difficulty, learning_goals, "
        "hidden_information, principles, archived, created_at, updated_at) "
        "SELECT id, 'Alex', 'b', 'p', 'c', '[]', 'plain', 'beginner', 'l', 'h', '[]', false, "
        f"{at}, {at} FROM users WHERE username = 't.one'",
        "INSERT INTO practice_sessions (user_id, client_id, mode, status, started_at) "
        f"SELECT u.id, c.id, m.mode, 'completed', {at} FROM users u, client_profiles c, "
        "(SELECT 'practice' AS mode, 's.one' AS who UNION ALL SELECT 'teacher_test', 't.one' "
        "UNION ALL SELECT 'check', 't.one') m WHERE u.username = m.who",
        "INSERT INTO messages (session_id, sequence_number, role, content, created_at, cost) "
        f"SELECT id, 1, 'assistant', 'Hi.', {at}, CASE mode WHEN 'practice' THEN 3000000 "
        "WHEN 'teacher_test' THEN 2000000 ELSE 1000000 END FROM practice_sessions",
        "INSERT INTO events (created_at, severity, category, message, session_id, details) "
        f"SELECT {at}, 'info', CASE mode WHEN 'check' THEN 'judge_call' ELSE 'partial_reply' "
        "END, 'billed', id, CASE mode WHEN 'check' THEN '{\"cost\": \"0.0007\"}'"
        f'{json} ELSE \'{{"cost": "0.0004"}}\'{json} END FROM practice_sessions '
        "WHERE mode != 'practice'",
        "INSERT INTO rubrics (key, name, created_at) VALUES ('r', 'R', CURRENT_TIMESTAMP)",
        "INSERT INTO rubric_versions (rubric_id, version, definition, created_at) "
        "SELECT id, 1, '{}', CURRENT_TIMESTAMP FROM rubrics",
        "INSERT INTO session_reviews (session_id, rubric_version_id, status, source, indicators, "
        f"created_at, cost) SELECT s.id, v.id, 'ready', 'model', '{{}}', {at}, 500000 "
        "FROM practice_sessions s, rubric_versions v WHERE s.mode = 'practice'",
        "INSERT INTO daily_usage (day, user_id, tokens, cost, replies) "
        "SELECT '2026-12-01', id, 10, CASE username WHEN 's.one' THEN 3500000 ELSE 4100000 END, "
        "1 FROM users",
    ]
    for statement in statements:
        connection.execute(text(statement))


def _rows(connection, columns: tuple[str, ...]) -> dict[str, tuple]:
    names = ", ".join(f"d.{column}" for column in columns)
    return {
        who: tuple(Decimal(value) * NANO for value in values)
        for who, *values in connection.execute(
            text(f"SELECT u.username, {names} FROM daily_usage d JOIN users u ON u.id = d.user_id")
        )
    }


def test_the_days_costs_are_split_by_purpose_and_the_split_can_be_undone(
    fresh_database, tmp_path, backend_name
):
    url = fresh_database(backend_name, tmp_path, migrated=False)
    upgrade_database(url, BEFORE)
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            _fill(connection, backend_name)
        engine.dispose()

        upgrade_database(url)
        with engine.connect() as connection:
            split = _rows(connection, ("cost", *PARTS))
        assert split == {
            "s.one": tuple(map(Decimal, ("0.0035", "0.003", "0", "0", "0", "0.0005"))),
            "t.one": tuple(map(Decimal, ("0.0041", "0", "0.0024", "0.001", "0.0007", "0"))),
        }
        engine.dispose()

        command.downgrade(alembic_config(url), BEFORE)
        columns = {column["name"] for column in inspect(engine).get_columns("daily_usage")}
        assert not columns & set(PARTS)
        with engine.connect() as connection:
            assert _rows(connection, ("cost",)) == {
                "s.one": (Decimal("0.0035"),),
                "t.one": (Decimal("0.0041"),),
            }
        engine.dispose()
        upgrade_database(url)  # and up again
    finally:
        engine.dispose()
