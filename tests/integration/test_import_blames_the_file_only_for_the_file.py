"""A database failing during a course import is not blamed on the course file (an attack on the
day's fixes, 2026-12-07)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from backend.db import create_db_engine
from backend.ops import backup_service
from tests.integration.test_backup_roundtrip import import_text, small_export  # noqa: F401


def test_a_database_failing_during_import_is_not_blamed_on_the_course_file(
    small_export,  # noqa: F811
    fresh_database,
    tmp_path,
    monkeypatch,
):
    """A fix had widened `_insert`'s `except DataError` to `StatementError`, the base of every
    DBAPI error: an OperationalError while inserting (a disk I/O error, a full disk, a PostgreSQL
    connection dropped or a statement timeout; simulated here on the INSERTs) now reads "A row of users holds a
    value the database cannot store: disk I/O error" (a BadCourseFile, which the CLI prints
    with "Nothing was imported."): the operator is told the FILE is bad and goes looking for a
    wrong value in a good export. Before, the OperationalError reached the CLI's
    `_database_unreachable`. (An attack on the day's fixes, 2026-12-07.)"""
    url = fresh_database("sqlite", tmp_path)
    target = create_db_engine(url)

    @event.listens_for(target, "before_cursor_execute")
    def disk_fails(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT"):  # the disk gives out mid-import
            raise sqlite3.OperationalError("disk I/O error")

    try:
        import_text(target, small_export[2])
    except backup_service.BadCourseFile as error:
        pytest.fail(f"a failing database is blamed on the course file: {error.message!r}")
    except OperationalError:
        pass  # the database's own error (the CLI's `_database_unreachable` looks at it)
    finally:
        target.dispose()
