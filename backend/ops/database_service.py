"""The database as the pages see it: migrated once, then one unit of work per user action."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from backend.db import Database, create_db_engine, upgrade_database

__all__ = ["Database", "Transaction", "open_database"]

#: One unit of work as a page holds it (`with store.transaction() as db:`).
Transaction = AbstractContextManager[Session]


def open_database(database_url: str) -> Database:
    """Bring the schema to the latest migration and return the unit-of-work factory."""
    upgrade_database(database_url)
    return Database(create_db_engine(database_url))
