"""A client check records a digest of the system prompt it tested (`prompt_digest`), so a saved
change the model never reads (the learning goals) leaves the check current. Checks made before it
have none and still go stale with the client's version.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client_checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prompt_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('client_checks', schema=None) as batch_op:
        batch_op.drop_column('prompt_digest')
