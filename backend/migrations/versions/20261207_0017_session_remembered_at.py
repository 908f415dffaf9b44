"""A practice session records when a continuing client's memory took it in (`remembered_at`): a
session whose memory job was lost is then written by the next session's job, once, rather than
left out for good. Sessions from before it have none; their jobs say how they went.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remembered_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.drop_column('remembered_at')
