"""Unsent messages: words a student sent that were refused, kept with their log-in
(`unsent_messages`) so that "Send again" survives a reload; they go with the log-in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unsent_messages',
    sa.Column('login_session_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['login_session_id'], ['login_sessions.id'], name=op.f('fk_unsent_messages_login_session_id_login_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['practice_sessions.id'], name=op.f('fk_unsent_messages_session_id_practice_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unsent_messages')),
    sa.UniqueConstraint('login_session_id', 'session_id', 'position', name=op.f('uq_unsent_messages_login_session_id_session_id_position'))
    )
    with op.batch_alter_table('unsent_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unsent_messages_session_id'), ['session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unsent_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unsent_messages_session_id'))
    op.drop_table('unsent_messages')
