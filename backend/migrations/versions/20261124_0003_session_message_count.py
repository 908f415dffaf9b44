"""sessions.message_count: a counter kept under the session's row lock

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:45:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_count', sa.Integer(), server_default='0',
                                      nullable=False))
    # Existing conversations: count what is there.
    op.execute("UPDATE sessions SET message_count = (SELECT count(*) FROM messages "
               "WHERE messages.session_id = sessions.id)")


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('message_count')
