"""feedback tallies

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 20:05:14.677869
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_tallies',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_feedback_tallies_client_id_client_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_feedback_tallies'))
    )
    # Existing feedback: forms count as positive when both scores are 4 or 5.
    op.execute(
        "INSERT INTO feedback_tallies (client_id, positive, total) "
        "SELECT client_id, SUM(positive), COUNT(*) FROM ("
        " SELECT s.client_id AS client_id, CASE WHEN f.realism >= 4 AND f.usefulness >= 4 "
        " THEN 1 ELSE 0 END AS positive FROM session_feedback f JOIN sessions s ON s.id = f.session_id"
        " UNION ALL"
        " SELECT s.client_id, CASE WHEN r.positive THEN 1 ELSE 0 END FROM message_ratings r"
        " JOIN messages m ON m.id = r.message_id JOIN sessions s ON s.id = m.session_id"
        ") AS every_feedback GROUP BY client_id")


def downgrade() -> None:
    op.drop_table('feedback_tallies')
