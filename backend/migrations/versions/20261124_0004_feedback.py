"""feedback

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:39:04.147985
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('session_feedback',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('realism', sa.Integer(), nullable=False),
    sa.Column('usefulness', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('realism BETWEEN 1 AND 5', name=op.f('ck_session_feedback_realism_range')),
    sa.CheckConstraint('usefulness BETWEEN 1 AND 5', name=op.f('ck_session_feedback_usefulness_range')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_session_feedback_session_id_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_feedback_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_feedback')),
    sa.UniqueConstraint('session_id', name=op.f('uq_session_feedback_session_id'))
    )
    with op.batch_alter_table('session_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_feedback_user_id'), ['user_id'], unique=False)

    op.create_table('message_ratings',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_ratings_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_ratings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_ratings')),
    sa.UniqueConstraint('message_id', name=op.f('uq_message_ratings_message_id'))
    )
    with op.batch_alter_table('message_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_ratings_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_ratings_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('message_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_ratings_user_id'))
        batch_op.drop_index(batch_op.f('ix_message_ratings_created_at'))

    op.drop_table('message_ratings')
    with op.batch_alter_table('session_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_feedback_user_id'))

    op.drop_table('session_feedback')
