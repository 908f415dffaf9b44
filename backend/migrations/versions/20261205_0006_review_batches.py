"""Review batches: a held review's request in a Message Batch, with the batch's id.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_batches',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=120), nullable=False),
    sa.Column('custom_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'collected', 'fell_back')", name=op.f('ck_review_batches_status_valid')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_review_batches_requested_by_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['practice_sessions.id'], name=op.f('fk_review_batches_session_id_practice_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_batches'))
    )
    with op.batch_alter_table('review_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_batches_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_batches_session_id'), ['session_id'], unique=False)
        batch_op.create_index('ix_review_batches_status_session_id', ['status', 'session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_review_batches_status_session_id')
        batch_op.drop_index(batch_op.f('ix_review_batches_session_id'))
        batch_op.drop_index(batch_op.f('ix_review_batches_requested_by_id'))
    op.drop_table('review_batches')
