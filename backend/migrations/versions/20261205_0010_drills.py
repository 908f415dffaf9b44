"""Drills: teachers' sets of short one-skill exercises (`drill_sets`, their items), the sections
they are assigned to, and every attempt a student makes (`drill_attempts`: the reply, the offline
coder's codes, whether it hit the item's skill). An attempt names a set's item, or an item of the
built-in bank for practice on one's own. `daily_usage.drill_items_cost`: what drafting drill
items with a model cost (a purpose of its own; its columns still add up to `cost`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SKILLS = "('reflect', 'open_question', 'sustain_talk', 'ask_permission')"


def _skill(table: str, *, nullable: bool) -> list:
    """The skill column and its check (NULL passes a CHECK: a mixed set)."""
    return [
        sa.Column('skill', sa.String(length=32), nullable=nullable),
        sa.CheckConstraint(f"skill IN {SKILLS}", name=op.f(f'ck_{table}_skill_valid')),
    ]


def upgrade() -> None:
    op.create_table('drill_sets',
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    *_skill('drill_sets', nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_drill_sets_title_present')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_drill_sets_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_sets'))
    )
    with op.batch_alter_table('drill_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_sets_owner_id'), ['owner_id'], unique=False)

    op.create_table('drill_set_items',
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    *_skill('drill_set_items', nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('model_answer', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'accepted', 'removed')", name=op.f('ck_drill_set_items_status_valid')),
    sa.CheckConstraint('length(statement) > 0', name=op.f('ck_drill_set_items_statement_present')),
    sa.ForeignKeyConstraint(['set_id'], ['drill_sets.id'], name=op.f('fk_drill_set_items_set_id_drill_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_set_items'))
    )
    with op.batch_alter_table('drill_set_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_set_items_set_id'), ['set_id'], unique=False)

    op.create_table('drill_assignments',
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['sections.id'], name=op.f('fk_drill_assignments_section_id_sections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_id'], ['drill_sets.id'], name=op.f('fk_drill_assignments_set_id_drill_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_assignments')),
    sa.UniqueConstraint('set_id', 'section_id', name=op.f('uq_drill_assignments_set_id_section_id'))
    )
    with op.batch_alter_table('drill_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_assignments_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drill_assignments_set_id'), ['set_id'], unique=False)

    op.create_table('drill_attempts',
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=True),
    sa.Column('set_item_id', sa.Integer(), nullable=True),
    sa.Column('bank_key', sa.String(length=40), nullable=True),
    *_skill('drill_attempts', nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('codes', sa.JSON(), nullable=False),
    sa.Column('hit', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint(
        '(set_item_id IS NOT NULL AND set_id IS NOT NULL AND bank_key IS NULL) '
        'OR (set_item_id IS NULL AND set_id IS NULL AND bank_key IS NOT NULL)',
        name=op.f('ck_drill_attempts_item_or_bank'),
    ),
    sa.ForeignKeyConstraint(['set_id'], ['drill_sets.id'], name=op.f('fk_drill_attempts_set_id_drill_sets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_item_id'], ['drill_set_items.id'], name=op.f('fk_drill_attempts_set_item_id_drill_set_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_drill_attempts_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_attempts'))
    )
    with op.batch_alter_table('drill_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_attempts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_drill_attempts_set_id'), ['set_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drill_attempts_set_item_id'), ['set_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drill_attempts_student_id'), ['student_id'], unique=False)


    # The cost of drill items a model drafted for a teacher: a purpose of its own.
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drill_items_cost', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    # The drills go with their tables (a course export keeps them: backup_service); what drafting
    # items cost stays in the day's total `cost`, counted under no purpose.
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.drop_column('drill_items_cost')
    op.drop_table('drill_attempts')
    op.drop_table('drill_assignments')
    op.drop_table('drill_set_items')
    op.drop_table('drill_sets')
