"""The database as the pages see it: migrated once, then one unit of work per user action."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from backend.db import Database, SchemaAheadError, create_db_engine, upgrade_database

__all__ = ["Database", "Transaction", "open_database"]

logger = logging.getLogger(__name__)

#: One unit of work as a page holds it (`with store.transaction() as db:`).
Transaction = AbstractContextManager[Session]


def open_database(database_url: str) -> Database:
    """Bring the schema to the latest migration and return the unit-of-work factory.

    A database that a newer release already migrated is used as it is: during a rolling upgrade
    (or after a rollback to the previous image) an older process must still start, and every
    release's migrations keep the previous release working (docs/operations/upgrades.md)."""
    try:
        upgrade_database(database_url)
    except SchemaAheadError as ahead:
        logger.warning("%s", ahead.message)
    return Database(create_db_engine(database_url))
