"""Branches ("Practise this moment"): a practice session may try again one moment of another,
named by the session it branches from and that session's student turn it rewinds to. A branch
is not one of the person's conversations with the client, so the one-active-conversation index
leaves branches out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_WHERE = "status = 'active' AND mode <> 'check'"
NEW_WHERE = OLD_WHERE + " AND branch_of_id IS NULL"
CHECK = (
    "(branch_of_id IS NULL AND branch_turn IS NULL) "
    "OR (branch_of_id IS NOT NULL AND branch_turn >= 1)"
)


def _one_active(batch_op, where: str) -> None:
    batch_op.create_index(
        'uq_practice_sessions_one_active_per_client', ['user_id', 'client_id'], unique=True,
        sqlite_where=sa.text(where), postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branch_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('branch_turn', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_practice_sessions_branch_of_id_practice_sessions'),
            'practice_sessions', ['branch_of_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.create_index(batch_op.f('ix_practice_sessions_branch_of_id'), ['branch_of_id'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_practice_sessions_branch_has_turn'), CHECK)
        batch_op.drop_index('uq_practice_sessions_one_active_per_client')
        _one_active(batch_op, NEW_WHERE)


def downgrade() -> None:
    # Branches go with the columns that make them branches, and so does what hangs on them:
    # SQLite migrates with foreign keys off, so nothing cascades there (an attack, 2026-12-07).
    branches = "SELECT id FROM practice_sessions WHERE branch_of_id IS NOT NULL"
    op.execute(
        "DELETE FROM message_ratings WHERE message_id IN "
        f"(SELECT id FROM messages WHERE session_id IN ({branches}))"
    )
    for table in ("messages", "review_batches", "session_ratings", "session_reviews"):
        op.execute(f"DELETE FROM {table} WHERE session_id IN ({branches})")
    op.execute(f"UPDATE events SET session_id = NULL WHERE session_id IN ({branches})")
    op.execute("DELETE FROM practice_sessions WHERE branch_of_id IS NOT NULL")
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_practice_sessions_one_active_per_client')
        _one_active(batch_op, OLD_WHERE)
        batch_op.drop_constraint(batch_op.f('ck_practice_sessions_branch_has_turn'), type_='check')
        batch_op.drop_index(batch_op.f('ix_practice_sessions_branch_of_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_practice_sessions_branch_of_id_practice_sessions'), type_='foreignkey'
        )
        batch_op.drop_column('branch_turn')
        batch_op.drop_column('branch_of_id')
