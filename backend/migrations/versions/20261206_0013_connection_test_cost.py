"""Admins' "Test connection" calls are paid calls too: `daily_usage.connection_test_cost` is
their cost purpose (they were counted nowhere).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('connection_test_cost', sa.BigInteger(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    # The tests' cost goes to test chats (an admin's own check calls), so the day's parts still
    # add up to its cost.
    op.execute('UPDATE daily_usage SET test_chat_cost = test_chat_cost + connection_test_cost')
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.drop_column('connection_test_cost')
