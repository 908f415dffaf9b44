"""Closed hours: the dashboard keeps each closed hour's messages, tokens, cost and sorted reply
timings (`closed_hours`), so that no refresh reads a closed hour's messages again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('closed_hours',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('messages', sa.BigInteger(), nullable=False),
    sa.Column('tokens', sa.BigInteger(), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.Column('latency_ms', sa.LargeBinary(), nullable=False),
    sa.Column('first_token_ms', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('hour', name=op.f('pk_closed_hours'))
    )


def downgrade() -> None:
    op.drop_table('closed_hours')
