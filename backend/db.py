"""Engine, sessions and the unit of work; Alembic migrations on demand.

One transaction per user action: `with unit_of_work(engine) as session: ...` commits on success and
rolls back on any exception. On SQLite, writing transactions start with BEGIN IMMEDIATE so two
writers queue up (busy timeout) instead of failing when one upgrades its read snapshot.
"""

from __future__ import annotations

import sqlite3
import sys
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from select import POLLIN, poll
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    Insert,
    Table,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import QueryableAttribute, Session, SessionTransaction
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection

from backend.config import PROJECT_ROOT, get_settings
from backend.errors import AppError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.dialects import postgresql, sqlite

    from backend.models.base import Base

_Made = TypeVar("_Made")
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: A PostgreSQL connection is replaced once it is this old (at its next checkout).
POOL_RECYCLE_SECONDS = 1800


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


#: Every engine this process made, so a shutdown closes their pools (`dispose_engines`).
_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def dispose_engines() -> int:
    """Close the pooled connections of every engine of this process (it is shutting down)."""
    engines = list(_engines)
    for engine in engines:
        engine.dispose()
    return len(engines)


def create_db_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine with the per-backend settings the app relies on (FKs, WAL, explicit BEGIN)."""
    engine = _create_db_engine(database_url, **kwargs)
    _engines.add(engine)
    return engine


def _create_db_engine(database_url: str, **kwargs: Any) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    # No pre-ping (a round trip before every transaction): a connection the server closed is
    # found at checkout without one (`_configure_postgresql`), and none is kept past
    # `POOL_RECYCLE_SECONDS`, so an idle timeout on the way cannot drop it silently.
    if kwargs.get("poolclass") is NullPool:  # a connection per use (a check, an alert)
        engine = create_engine(url, **kwargs)
        _configure_postgresql(engine)
        return engine
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    # A fixed pool by default (DATABASE_POOL_SIZE, 10; DATABASE_MAX_OVERFLOW, 0): when ten
    # transactions are running, the next one waits for a connection instead of opening one more
    # that is closed again on return. Under a burst of fifty turns, that churn (80 connections
    # opened per run) cost more than the waiting: benchmarks/bench_concurrency.py went from
    # 0.52/0.55 of ideal (1/2 processes) to 0.62/0.67.
    settings = get_settings()
    kwargs.setdefault("pool_size", settings.database_pool_size)
    kwargs.setdefault("max_overflow", settings.database_max_overflow)
    engine = create_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def _closed_by_server(
        dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        """A connection the server closed (a restart, `pg_terminate_backend`, an idle timeout)
        is replaced before it is used: the pool's own retry, on `DisconnectionError`. Found
        without a round trip (see `closed_by_server`). A connection lost silently still fails
        its first statement; SQLAlchemy then renews the whole pool (optimistic handling), and
        `pool_recycle` keeps that rare."""
        pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg 3; other drivers: no check
        if pgconn is not None and closed_by_server(pgconn):
            raise DisconnectionError("the server closed this connection")


def closed_by_server(pgconn: Any) -> bool:
    """Whether the server has spoken on this idle libpq connection: between transactions it only
    does to close it (its FATAL message, then the end), so anything waiting to be read means the
    connection is gone (a rare harmless message costs no more than a new connection)."""
    from psycopg import OperationalError

    try:
        socket = pgconn.socket
    except OperationalError:  # libpq knows it is lost already
        return True
    poller = poll()
    poller.register(socket, POLLIN)
    return bool(poller.poll(0))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself (pysqlite's own is unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("sqlite_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


def new_session(engine: Engine, *, write: bool = True) -> Session:
    """A session; `write=True` takes SQLite's write lock at BEGIN (nothing is cached per engine)."""
    bind = engine.execution_options(sqlite_write=True) if write else engine
    return Session(bind=bind, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises.

    An `AppError` carrying an event (a failed log-in, say) is still recorded, in its own
    transaction after the rollback, so the admin log sees what the action could not keep.
    """
    try:
        with new_session(engine, write=write) as db, db.begin():
            yield db
    except AppError as error:
        if error.event is not None and _event_recorder is not None:
            with new_session(engine) as db, db.begin():
                _event_recorder(db, **error.event)
        raise


#: Writes an error's event after its action rolled back; `event_log` registers itself here
#: (the database layer never imports a service).
_event_recorder: Callable[..., object] | None = None


def set_event_recorder(record: Callable[..., object]) -> None:
    global _event_recorder
    _event_recorder = record


class Database:
    """A unit-of-work factory: what pages and backend jobs hold instead of an engine.

    `database()` is a read-only unit of work, `database(write=True)` a writing one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, write: bool = False) -> AbstractContextManager[Session]:
        return unit_of_work(self.engine, write=write)


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    # Today's standard output: Config's default is the one of the moment alembic was imported.
    config = Config(str(ALEMBIC_INI), stdout=sys.stdout)
    config.set_main_option("script_location", str(PROJECT_ROOT / "backend" / "migrations"))
    config.attributes["database_url"] = database_url
    return config


#: Key of the PostgreSQL advisory lock held while one process migrates (any constant works, as long
#: as every process uses the same one).
MIGRATION_LOCK_KEY = 7_420_131_001


class SchemaAheadError(AppError):
    """The database was migrated by a newer release than this code (a rolling upgrade under way,
    or a rollback to the previous image)."""

    def __init__(self, revision: str) -> None:
        super().__init__(
            f"The database is at schema revision {revision}, which this release does not know: a "
            "newer release migrated it. This release runs on it (a release's migrations keep the "
            "previous release working), but cannot migrate it; to go back to the older schema, "
            "downgrade with the newer release (docs/operations/upgrades.md, Rollback)."
        )
        self.revision = revision


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the database to the latest schema (creates the SQLite file when missing).

    On PostgreSQL, exactly one process migrates: each holds a session-level advisory lock on its own
    connection around the upgrade, so concurrent starters wait, then find nothing left to do.
    SQLite stays single-process. A database already at a revision this code does not know raises
    `SchemaAheadError` and is left as it is.
    """
    from alembic import command

    config = alembic_config(database_url)
    if is_sqlite(database_url):
        database = make_url(database_url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        with create_engine(database_url, poolclass=NullPool).connect() as connection:
            at_target = _current_heads(connection) == _target(revision)
        if not at_target:
            command.upgrade(config, revision)
        return
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(select(func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
            connection.commit()
            try:
                if _current_heads(connection) != _target(revision):
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    connection.commit()
            finally:
                connection.rollback()
                connection.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
                connection.commit()
    finally:
        engine.dispose()


@cache
def _migration_scripts() -> ScriptDirectory:
    """The migration scripts, read once per process (each read runs every script file)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(""))


def _target(revision: str) -> set[str]:
    scripts = _migration_scripts()
    return (
        set(scripts.get_heads())
        if revision == "head"
        else {scripts.get_revision(revision).revision}
    )


def _current_heads(connection: Connection) -> set[str]:
    """The database's schema revisions; `SchemaAheadError` for one this code does not know. A
    database already at the target is left alone: no Alembic run (it would read every script
    again) at each start of an app process or a command."""
    from alembic.runtime.migration import MigrationContext

    known = {script.revision for script in _migration_scripts().walk_revisions()}
    current = set(MigrationContext.configure(connection).get_current_heads())
    connection.rollback()  # reading the version left a transaction open
    for head in current:
        if head not in known:
            raise SchemaAheadError(head)
    return current


#: `Session.info` keys of what a transaction writes at commit (`add_to_rollup`, `at_commit`).
_PENDING_ROLLUPS = "pending_rollups"
_AT_COMMIT = "at_commit"


def add_to_rollup(
    db: Session,
    model: type[Base],
    keys: Mapping[str, object],
    increments: Mapping[str, int | Decimal],
) -> None:
    """Add `increments` to a rollup row as the transaction's last write: to the row `keys`
    identify (`upsert_add`), or, when `keys` do not cover `model`'s primary key, as a new row.

    A row lock is held from the write to the commit: written mid-transaction, a row that many
    transactions update stays locked while the rest of the transaction runs. So the increments
    wait in the session until commit, when they are written last (rows in key order, so two
    commits never wait on each other in a cycle; several increments to one row become one
    statement). A rollback drops them with everything else. Read a rollup in the same transaction
    only after `write_pending_rollups`."""
    pending = db.info.setdefault(_PENDING_ROLLUPS, {})
    row = (model.__tablename__, tuple(keys.values()))
    if row in pending:
        _model, _keys, added = pending[row]
        for name, value in increments.items():
            added[name] = added.get(name, 0) + value
    else:
        pending[row] = (model, keys, dict(increments))


def at_commit(db: Session, name: str, write: Callable[[Session], object]) -> None:
    """Run `write(db)` once at commit, after the pending rollups (a later call of one name wins)."""
    db.info.setdefault(_AT_COMMIT, {})[name] = write


def write_pending_rollups(db: Session, model: type[Base] | None = None) -> None:
    """Write the increments `add_to_rollup` holds (only `model`'s, when given), in key order."""
    pending = db.info.get(_PENDING_ROLLUPS)
    if not pending:
        return
    for row in sorted(pending):
        if model is None or row[0] == model.__tablename__:
            row_model, keys, increments = pending.pop(row)
            if set(keys) >= {column.name for column in row_model.__table__.primary_key}:
                upsert_add(db, row_model, keys, increments)
            else:
                db.execute(_insert_statement(row_model), {**keys, **increments})


@lru_cache(maxsize=16)
def _insert_statement(model: type[Base]) -> Insert:
    """On the table, not the ORM class: the ORM's bulk INSERT path costs more than the write."""
    return insert(cast(Table, model.__table__))


@event.listens_for(Session, "before_commit")
def _write_last(db: Session) -> None:
    # A savepoint's release: the transaction goes on. (A commit with a savepoint still open
    # looks the same from here, so `_nothing_left` refuses to let that drop the increments.)
    if db.in_nested_transaction():
        return
    if db.info.get(_PENDING_ROLLUPS) or db.info.get(_AT_COMMIT):
        db.flush()  # the transaction's own rows first: the rollup rows are locked last
        write_pending_rollups(db)
        for write in db.info.pop(_AT_COMMIT, {}).values():
            write(db)


@event.listens_for(Session, "after_commit")
def _nothing_left(db: Session) -> None:
    if db.in_nested_transaction():  # a savepoint's release
        return
    if db.info.pop(_PENDING_ROLLUPS, None) or db.info.pop(_AT_COMMIT, None):
        raise RuntimeError(
            "A transaction committed with a savepoint still open, so its rollup increments were "
            "not written: close every begin_nested() before the commit."
        )


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(db: Session, previous_transaction: SessionTransaction) -> None:
    """Pending rollups go only with the whole transaction: not with a savepoint, nor with the
    inner transaction of a flush that failed inside one (that usage was billed all the same)."""
    if previous_transaction.parent is None and not previous_transaction.nested:
        db.info.pop(_PENDING_ROLLUPS, None)
        db.info.pop(_AT_COMMIT, None)


def upsert_add(
    db: Session,
    model: type[Base],
    keys: Mapping[str, object],
    increments: Mapping[str, int | Decimal],
) -> None:
    """INSERT a row, or add `increments` to the existing row with the same primary key.

    One statement on both backends (ON CONFLICT DO UPDATE), so racing writers never lose a count.
    """
    statement = _upsert_statement(db.get_bind().dialect.name, model, tuple(keys), tuple(increments))
    db.execute(statement, {**keys, **increments})


@lru_cache(maxsize=64)
def _upsert_statement(
    dialect: str, model: type[Base], key_names: tuple[str, ...], increment_names: tuple[str, ...]
) -> Insert:
    """Built once per shape, on the table (constructing it, or the ORM's bulk path, costs more
    than running it)."""
    table, statement = _dialect_insert(dialect, model, key_names + increment_names)
    keys = [table.c[name] for name in key_names]
    added = {name: table.c[name] + statement.excluded[name] for name in increment_names}
    return statement.on_conflict_do_update(index_elements=keys, set_=added)


def _dialect_insert(
    dialect: str, model: type[Base], names: tuple[str, ...]
) -> tuple[Table, postgresql.Insert | sqlite.Insert]:
    """The model's table and an INSERT of `names` (bound by name) in the dialect's own form,
    which has ON CONFLICT."""
    from sqlalchemy.dialects import postgresql, sqlite

    table = cast(Table, model.__table__)
    values = {name: bindparam(name, type_=table.c[name].type) for name in names}
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return table, dialect_insert(table).values(values)


def insert_if_missing(
    db: Session, model: type[Base], rows: Mapping[str, object] | list[dict[str, Any]], *keys: str
) -> None:
    """INSERT the row(s) unless one with the same `keys` (a unique index) is there already. One
    statement on both backends (ON CONFLICT DO NOTHING): a racing writer waits for the other's
    commit and then does nothing, instead of failing on the index. Every row has the same
    columns (one statement serves them all)."""
    names = tuple(rows if isinstance(rows, Mapping) else rows[0])
    if not isinstance(rows, Mapping) and any(tuple(row) != names for row in rows):
        raise ValueError("insert_if_missing: every row needs the same columns, in one order")
    db.execute(_insert_if_missing_statement(db.get_bind().dialect.name, model, names, keys), rows)


@lru_cache(maxsize=16)
def _insert_if_missing_statement(
    dialect: str, model: type[Base], names: tuple[str, ...], keys: tuple[str, ...]
) -> Insert:
    table, statement = _dialect_insert(dialect, model, names)
    return statement.on_conflict_do_nothing(index_elements=[table.c[name] for name in keys])


def utc_date(db: Session, column: QueryableAttribute[datetime]) -> ColumnElement[date | str]:
    """The UTC calendar day of a timestamp column, as SQL (SQLite stores UTC text already)."""
    if db.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return func.cast(func.timezone("UTC", column), Date)


def count_by(
    db: Session, key_column: QueryableAttribute[int], ids: list[int], *where: ColumnElement[bool]
) -> dict[int, int]:
    """{id: number of rows whose `key_column` is that id (and that meet `where`)}, one grouped
    query."""
    if not ids:
        return {}
    rows = db.execute(
        select(key_column, func.count()).where(key_column.in_(ids), *where).group_by(key_column)
    )
    return dict(rows.all())


def older_than(
    created: QueryableAttribute[datetime],
    row_id: QueryableAttribute[int],
    before: tuple[datetime, int],
) -> ColumnElement[bool]:
    """The rows after (time, id) in a newest-first list (by `created`, then `row_id`): the next
    page of a list paged from the last row shown, which a new row cannot shift."""
    at, key = before
    return or_(created < at, and_(created == at, row_id < key))


#: How soon after a create the same create is a double click, not a second thing.
DOUBLE_CLICK = timedelta(seconds=10)


def made_moments_ago(db: Session, model: type[_Made], **same: object) -> _Made | None:
    """The row of `model` with these values created within `DOUBLE_CLICK`, if any: a double click
    on Create (the form pressed twice before its fields cleared) had made two sections,
    assignments or drill sets, which nothing deletes (an attack, 2026-12-07)."""
    since = datetime.now(UTC) - DOUBLE_CLICK
    query = select(model).filter_by(**same).where(model.created_at >= since)  # type: ignore[attr-defined]
    return db.scalars(query.order_by(model.id.desc()).limit(1)).first()  # type: ignore[attr-defined]
