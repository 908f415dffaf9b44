"""The admin's review figures count written reviews apart from failed ones: the index they read
(`ix_session_reviews_created_at`) carries `status` too, so they still read the index alone.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('session_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_session_reviews_created_at')
        batch_op.create_index(
            'ix_session_reviews_created_at', ['created_at', 'source', 'status', 'cost'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('session_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_session_reviews_created_at')
        batch_op.create_index(
            'ix_session_reviews_created_at', ['created_at', 'source', 'cost'], unique=False
        )
