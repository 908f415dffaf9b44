"""The PostgreSQL backup of docs/operations/backups.md, run as written: `pg_dump` of a course in
custom format, `pg_restore` into a new database, and the app there sees the same course, its
log-ins work and new rows get new ids."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend.accounts import account_service
from backend.db import create_db_engine, unit_of_work
from backend.models import Base
from tests.conftest import require_service
from tests.factories import PASSWORD, make_user
from tests.integration.test_backup_roundtrip import build_course, export_text, without_time

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operations" / "backups.md"
BACKUP = "pg_dump --format=custom --no-owner --file=counseling.dump"
RESTORE = "pg_restore --no-owner --exit-on-error --single-transaction --dbname=counseling_restored"


def _run(command: str, url: str, cwd: Path) -> None:
    """One of the guide's commands, with libpq's PG* variables naming the server and database."""
    parts = make_url(url)
    env = {
        **os.environ,
        "PGHOST": parts.host or "",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "",
        "PGPASSWORD": parts.password or "",
        "PGDATABASE": parts.database or "",
    }
    args = [
        arg.replace("counseling_restored", parts.database or "") for arg in shlex.split(command)
    ]
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _counts(engine) -> dict[str, int]:
    with unit_of_work(engine, write=False) as db:
        return {
            t.name: db.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


@pytest.mark.postgresql  # its databases are made inside the test
def test_a_pg_dump_restored_into_a_new_database_is_the_same_course(fresh_database, tmp_path):
    require_service(
        shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None,
        "pg_dump and pg_restore are not installed (Debian: apt-get install postgresql-client)",
    )
    guide = GUIDE.read_text(encoding="utf-8")
    assert BACKUP.split(" --file")[0] in guide and RESTORE.split(" --dbname")[0] in guide

    source_url = fresh_database("postgresql", tmp_path)
    source = create_db_engine(source_url)
    target_url = fresh_database("postgresql", tmp_path, migrated=False)
    target = create_db_engine(target_url)
    try:
        course = build_course(source)
        _run(BACKUP, source_url, tmp_path)
        _run(f"{RESTORE} counseling.dump", target_url, tmp_path)

        assert _counts(target) == _counts(source)
        teacher = course.teacher.username
        assert without_time(export_text(target, teacher)) == without_time(
            export_text(source, teacher)
        )
        with unit_of_work(target) as db:
            student = account_service.authenticate(
                db, username=course.students[0].username, password=PASSWORD
            )
            newcomer = make_user(db)
        assert student.id == course.students[0].id
        assert newcomer.id > max(s.id for s in course.students)
    finally:
        source.dispose()
        target.dispose()
