"""Rename the tables of conversations and ratings: sessions -> practice_sessions,
session_feedback -> session_ratings, feedback_tallies -> rating_tallies, with every key, check,
foreign key, index and (PostgreSQL) id sequence named after them, as the naming convention names
them (backend/models/base.py).

PostgreSQL renames each in place. SQLite cannot rename an index or a constraint: batch mode
rebuilds the renamed tables, and those whose foreign keys point at practice_sessions (messages,
events, session_reviews), under the new names. env.py turns SQLite's foreign keys off while it
migrates, so that dropping the old copy of a table cascades to nothing, and checks every reference
after each revision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from dataclasses import dataclass, field

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ONE_ACTIVE = sa.text("status = 'active' AND mode <> 'check'")


@dataclass(frozen=True)
class Fk:
    column: str
    referred: str
    ondelete: str


@dataclass(frozen=True)
class Ix:
    suffix: str
    columns: list[str]
    unique: bool = False
    where: sa.TextClause | None = None


@dataclass(frozen=True)
class TableSpec:
    """What a table's constraint and index names are built from (backend/models/base.py)."""

    key: str  # the same table under either name
    primary_key: list[str]
    checks: dict[str, str] = field(default_factory=dict)
    foreign_keys: list[Fk] = field(default_factory=list)
    unique: list[str] = field(default_factory=list)
    indexes: list[Ix] = field(default_factory=list)
    sequence: bool = True


OLD = {'sessions': 'sessions', 'ratings': 'session_feedback', 'tallies': 'feedback_tallies'}
NEW = {'sessions': 'practice_sessions', 'ratings': 'session_ratings', 'tallies': 'rating_tallies'}


def _tables() -> list[TableSpec]:
    """The renamed tables, then the tables whose foreign keys point at a renamed one (their keys
    stand for their table's name: 'sessions' is sessions or practice_sessions)."""
    return [
        TableSpec(
            'sessions',
            ['id'],
            checks={
                'mode_valid': "mode IN ('practice', 'teacher_test', 'check')",
                'status_valid': "status IN ('active', 'completed')",
                'ends_after_start': 'ended_at IS NULL OR ended_at >= started_at',
            },
            foreign_keys=[
                Fk('assignment_id', 'assignments', 'SET NULL'),
                Fk('client_id', 'client_profiles', 'RESTRICT'),
                Fk('user_id', 'users', 'RESTRICT'),
            ],
            indexes=[
                Ix('assignment_id', ['assignment_id']),
                Ix('client_id', ['client_id']),
                Ix('started_at_status', ['started_at', 'status']),
                Ix('reply_claimed_until', ['reply_claimed_until']),
                Ix('user_id', ['user_id']),
                Ix('one_active_per_client', ['user_id', 'client_id'], unique=True, where=ONE_ACTIVE),
            ],
        ),
        TableSpec(
            'ratings',
            ['id'],
            checks={
                'realism_range': 'realism BETWEEN 1 AND 5',
                'usefulness_range': 'usefulness BETWEEN 1 AND 5',
            },
            foreign_keys=[Fk('session_id', 'sessions', 'CASCADE'), Fk('user_id', 'users', 'CASCADE')],
            unique=['session_id'],
            indexes=[Ix('user_id', ['user_id'])],
        ),
        TableSpec(
            'tallies',
            ['client_id'],
            foreign_keys=[Fk('client_id', 'client_profiles', 'CASCADE')],
            sequence=False,
        ),
        TableSpec('messages', [], foreign_keys=[Fk('session_id', 'sessions', 'CASCADE')]),
        TableSpec('events', [], foreign_keys=[Fk('session_id', 'sessions', 'SET NULL')]),
        TableSpec('session_reviews', [], foreign_keys=[Fk('session_id', 'sessions', 'CASCADE')]),
    ]


def _names(table: TableSpec, names: dict[str, str]) -> dict[tuple[str, str], str]:
    """(kind, what) -> its name when the tables are called `names`: every name that changes with
    a renamed table (its own, or the one a foreign key points at)."""
    name = names.get(table.key, table.key)
    found: dict[tuple[str, str], str] = {}
    if table.key in names:
        found['table', ''] = name
        found['primary', ''] = f'pk_{name}'
        if table.sequence:
            found['sequence', ''] = f'{name}_id_seq'
        for check in table.checks:
            found['check', check] = f'ck_{name}_{check}'
        for column in table.unique:
            found['unique', column] = f'uq_{name}_{column}'
        for index in table.indexes:
            found['index', index.suffix] = f"{'uq' if index.unique else 'ix'}_{name}_{index.suffix}"
    for fk in table.foreign_keys:
        if table.key in names or fk.referred in names:
            referred = names.get(fk.referred, fk.referred)
            found['foreignkey', fk.column] = f'fk_{name}_{fk.column}_{referred}'
    return found


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)


def _rename(before: dict[str, str], after: dict[str, str]) -> None:
    in_place = op.get_bind().dialect.name == 'postgresql'
    for table in _tables():
        old, new = _names(table, before), _names(table, after)
        if in_place:
            _rename_in_place(table, old, new)
        else:
            _rebuild(table, old, new, after)


def _rename_in_place(table: TableSpec, old: dict[tuple[str, str], str], new: dict[tuple[str, str], str]) -> None:
    """PostgreSQL: ALTER ... RENAME for the table, its constraints (a key's or unique constraint's
    index follows), its indexes and its id sequence."""
    if ('table', '') in old:
        op.rename_table(old['table', ''], new['table', ''])
    name = new.get(('table', ''), table.key)
    for (kind, what), old_name in old.items():
        new_name = new[kind, what]
        if kind in ('primary', 'check', 'unique', 'foreignkey'):
            op.execute(f'ALTER TABLE {name} RENAME CONSTRAINT {old_name} TO {new_name}')
        elif kind == 'index':
            op.execute(f'ALTER INDEX {old_name} RENAME TO {new_name}')
        elif kind == 'sequence':
            op.execute(f'ALTER SEQUENCE {old_name} RENAME TO {new_name}')


def _rebuild(
    table: TableSpec, old: dict[tuple[str, str], str], new: dict[tuple[str, str], str], after: dict[str, str]
) -> None:
    """SQLite: rename the table (the foreign keys of other tables follow it), then rebuild it with
    its constraints and indexes under their new names."""
    if ('table', '') in old:
        op.rename_table(old['table', ''], new['table', ''])
    name = new.get(('table', ''), table.key)
    with op.batch_alter_table(name, recreate='always') as batch_op:
        for index in table.indexes:
            batch_op.drop_index(op.f(old['index', index.suffix]))
        for (kind, what), old_name in old.items():
            if kind in ('primary', 'check', 'unique', 'foreignkey'):
                batch_op.drop_constraint(op.f(old_name), type_=kind)
        if ('primary', '') in new:
            batch_op.create_primary_key(op.f(new['primary', '']), table.primary_key)
        for check, condition in table.checks.items():
            batch_op.create_check_constraint(op.f(new['check', check]), condition)
        for fk in table.foreign_keys:
            if ('foreignkey', fk.column) in new:
                batch_op.create_foreign_key(
                    op.f(new['foreignkey', fk.column]),
                    after.get(fk.referred, fk.referred),
                    [fk.column],
                    ['id'],
                    ondelete=fk.ondelete,
                )
        for column in table.unique:
            batch_op.create_unique_constraint(op.f(new['unique', column]), [column])
        for index in table.indexes:
            batch_op.create_index(
                op.f(new['index', index.suffix]),
                index.columns,
                unique=index.unique,
                sqlite_where=index.where,
            )
