"""The database handle of the app: one migrated unit-of-work factory per process and database.

Pages never build a query: they open one unit of work per user action and call services in it.
"""

from __future__ import annotations

import gc
from functools import cache

import streamlit as st

from backend.config import get_settings
from backend.ops import database_service


@st.cache_resource(show_spinner="Preparing the database…")
def _database(database_url: str) -> database_service.Database:
    """Migrated once per process and database; shared by every user of the process."""
    return database_service.open_database(database_url)


def database() -> database_service.Database:
    """The process-wide unit-of-work factory (pages hand it to the conversation service)."""
    return _database(get_settings().database_url)


def transaction(*, write: bool = False) -> database_service.Transaction:
    """One unit of work for one user action (read-only unless `write`)."""
    return database()(write=write)


@cache
def freeze_imported_objects() -> None:
    """Once per process, after the entry point's imports (later runs find it done).

    Modules, classes, SQLAlchemy's mappers and pydantic's validators live as long as the process,
    yet every full collection of the oldest generation walked them all again. `gc.freeze()` moves
    every object tracked now to a permanent generation that the collector never scans, so a
    collection only looks at what script runs made since. What pages import later (pandas,
    altair) stays collectable, as does anything made after this call.
    """
    gc.freeze()
