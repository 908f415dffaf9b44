"""Alembic environment: one metadata, batch mode (for SQLite), URL from the app's settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection, event
from sqlalchemy.pool import ConnectionPoolEntry

from backend.config import get_settings
from backend.db import create_db_engine, is_sqlite
from backend.models import Base

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(_database_url())
    if is_sqlite(engine):
        # Batch mode rebuilds a table (copy, drop, rename): with foreign keys enforced, dropping it
        # would delete or empty the rows that point at it. Each step is checked instead.
        event.listen(engine, "connect", _foreign_keys_off)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _foreign_keys_off(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, where it counts


def _references_hold(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """SQLite: a migration step that left a row pointing at nothing is rolled back."""
    assert ctx.connection is not None
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(
            f"Migration left rows pointing at nothing (table, rowid, parent): {broken}"
        )


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        on_version_apply=_references_hold if is_sqlite(connection.engine) else None,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
