"""An account made or linked for institution sign-in keeps the identity it signs in with (its
provider's issuer and subject): an address given to another person later opens no one's account,
and the same person keeps theirs under a new address. Accounts from before it have none; their
next sign-in binds it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_issuer', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('identity_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            'uq_users_identity_issuer_identity_subject', ['identity_issuer', 'identity_subject']
        )


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_identity_issuer_identity_subject', type_='unique')
        batch_op.drop_column('identity_subject')
        batch_op.drop_column('identity_issuer')
