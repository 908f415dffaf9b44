"""Continuing clients: an assignment may keep its clients' memory of each student
(`assignments.continuing_client`); `client_memories` holds one summary per student, assignment
and client (whether the hidden information was earned in any session so far, the session it was
last written from, a teacher's edit); `daily_usage.memory_cost` is that summary's cost purpose.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('continuing_client', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('memory_cost', sa.BigInteger(), server_default='0', nullable=False))
    op.create_table('client_memories',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('hidden_earned_for', sa.String(length=64), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_client_memories_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_client_memories_client_id_client_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_client_memories_edited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['practice_sessions.id'], name=op.f('fk_client_memories_session_id_practice_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_client_memories_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_memories')),
    sa.UniqueConstraint('user_id', 'assignment_id', 'client_id', name=op.f('uq_client_memories_user_id_assignment_id_client_id'))
    )
    with op.batch_alter_table('client_memories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_memories_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_memories_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_memories_edited_by_id'), ['edited_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_memories_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_memories_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('client_memories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_memories_user_id'))
        batch_op.drop_index(batch_op.f('ix_client_memories_session_id'))
        batch_op.drop_index(batch_op.f('ix_client_memories_edited_by_id'))
        batch_op.drop_index(batch_op.f('ix_client_memories_client_id'))
        batch_op.drop_index(batch_op.f('ix_client_memories_assignment_id'))
    op.drop_table('client_memories')
    # The memories' cost goes back to practice, so the day's parts still add up to its cost.
    op.execute('UPDATE daily_usage SET practice_cost = practice_cost + memory_cost')
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.drop_column('memory_cost')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('continuing_client')
