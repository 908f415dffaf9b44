"""client daily usage

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 19:48:04.569815
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('client_daily_usage',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=80), nullable=False),
    sa.Column('sessions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('messages', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('replies', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('input_tokens', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('output_tokens', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cache_write_tokens', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cache_read_tokens', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cost', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_client_daily_usage_client_id_client_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'client_id', 'assignment_id', 'model', name=op.f('pk_client_daily_usage'))
    )
    with op.batch_alter_table('client_daily_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_daily_usage_client_id'), ['client_id'], unique=False)
    _backfill()



def _backfill() -> None:
    """Existing conversations: rebuild both daily tables from the messages (UTC days)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        day = "CAST(timezone('UTC', {}) AS DATE)"
    else:
        day = "date({})"
    message_day, started_day = day.format("m.created_at"), day.format("s.started_at")
    tokens = "m.input_tokens + m.output_tokens + m.cache_write_tokens + m.cache_read_tokens"
    op.execute("DELETE FROM daily_usage")
    op.execute(
        f"INSERT INTO daily_usage (day, user_id, tokens, cost, replies) "
        f"SELECT {message_day}, s.user_id, SUM({tokens}), COALESCE(SUM(m.cost), 0), COUNT(*) "
        f"FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.role = 'assistant' "
        f"GROUP BY {message_day}, s.user_id")
    op.execute(
        f"INSERT INTO client_daily_usage (day, client_id, assignment_id, model, sessions, "
        f"messages, replies, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, "
        f"cost) SELECT {message_day}, s.client_id, COALESCE(s.assignment_id, 0), "
        f"COALESCE(m.model, ''), 0, COUNT(*), "
        f"SUM(CASE WHEN m.role = 'assistant' THEN 1 ELSE 0 END), SUM(m.input_tokens), "
        f"SUM(m.output_tokens), SUM(m.cache_write_tokens), SUM(m.cache_read_tokens), "
        f"COALESCE(SUM(m.cost), 0) FROM messages m JOIN sessions s ON s.id = m.session_id "
        f"GROUP BY {message_day}, s.client_id, COALESCE(s.assignment_id, 0), COALESCE(m.model, '')")
    op.execute(
        f"INSERT INTO client_daily_usage (day, client_id, assignment_id, model, sessions) "
        f"SELECT {started_day}, s.client_id, COALESCE(s.assignment_id, 0), '', COUNT(*) "
        f"FROM sessions s GROUP BY {started_day}, s.client_id, COALESCE(s.assignment_id, 0) "
        f"ON CONFLICT (day, client_id, assignment_id, model) "
        f"DO UPDATE SET sessions = excluded.sessions")


def downgrade() -> None:
    with op.batch_alter_table('client_daily_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_daily_usage_client_id'))

    op.drop_table('client_daily_usage')
