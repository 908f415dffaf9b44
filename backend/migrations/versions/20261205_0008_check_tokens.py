"""Client checks' own allowance: the tokens of each user's day spent by client checks.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('check_tokens', sa.BigInteger(), server_default='0', nullable=False)
        )
    # The days so far: what check sessions' replies used, as `usage_service.rebuild` counts
    # (usage without a message, a cut-off reply or a judge call, stays counted as practice).
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "date(m.created_at)" if sqlite else "CAST(timezone('UTC', m.created_at) AS DATE)"
    op.execute(
        f"""
        UPDATE daily_usage SET check_tokens = COALESCE((
            SELECT SUM(m.input_tokens + m.output_tokens + m.cache_write_tokens
                       + m.cache_read_tokens)
            FROM messages m JOIN practice_sessions s ON s.id = m.session_id
            WHERE s.user_id = daily_usage.user_id AND s.mode = 'check'
              AND m.role = 'assistant' AND {day} = daily_usage.day
        ), 0)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.drop_column('check_tokens')
