"""Initial schema: accounts, clients, sections, assignments, sessions, messages, events, usage
rollups, feedback, rubrics and session reviews (the pre-release migrations squashed into one).

Revision ID: 0001
Create Date: 2026-11-25
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('circuit_breakers',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('opened_at', sa.Float(), nullable=True),
    sa.Column('trial_until', sa.Float(), nullable=True),
    sa.Column('trial_token', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_circuit_breakers'))
    )
    op.create_table('users',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('teacher', 'student', 'admin')", name=op.f('ck_users_role_valid')),
    sa.CheckConstraint('username = lower(username)', name=op.f('ck_users_username_lowercase')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('client_profiles',
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('gender', sa.String(length=60), nullable=True),
    sa.Column('occupation', sa.String(length=120), nullable=True),
    sa.Column('cultural_background', sa.String(length=200), nullable=True),
    sa.Column('background', sa.Text(), nullable=False),
    sa.Column('presenting_concern', sa.Text(), nullable=False),
    sa.Column('challenges', sa.Text(), nullable=False),
    sa.Column('personality_traits', sa.JSON(), nullable=False),
    sa.Column('communication_style', sa.String(length=16), nullable=False),
    sa.Column('difficulty', sa.String(length=16), nullable=False),
    sa.Column('learning_goals', sa.Text(), nullable=False),
    sa.Column('hidden_information', sa.Text(), nullable=False),
    sa.Column('opening_line', sa.Text(), nullable=True),
    sa.Column('hidden_reveal_after_turns', sa.Integer(), nullable=True),
    sa.Column('principles', sa.JSON(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("communication_style IN ('plain', 'upset', 'verbose', 'reserved', 'tangent', 'pleasing')", name=op.f('ck_client_profiles_style_valid')),
    sa.CheckConstraint("difficulty IN ('beginner', 'intermediate', 'advanced')", name=op.f('ck_client_profiles_difficulty_valid')),
    sa.CheckConstraint('age IS NULL OR (age >= 5 AND age <= 110)', name=op.f('ck_client_profiles_age_range')),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_client_profiles_name_present')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_client_profiles_owner_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_profiles'))
    )
    with op.batch_alter_table('client_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_profiles_owner_id'), ['owner_id'], unique=False)

    op.create_table('daily_usage',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tokens', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cost', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('replies', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_daily_usage_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'user_id', name=op.f('pk_daily_usage'))
    )
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_usage_user_id'), ['user_id'], unique=False)

    op.create_table('login_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=24), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("end_reason IN ('logged_out', 'password_changed', 'password_reset', 'deactivated')", name=op.f('ck_login_sessions_end_reason_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('installations',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('first_admin_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_installations_single_row')),
    sa.ForeignKeyConstraint(['first_admin_id'], ['users.id'], name=op.f('fk_installations_first_admin_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installations'))
    )
    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_installations_first_admin_id'), ['first_admin_id'], unique=False)

    op.create_table('sign_in_domains',
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('teacher', 'student', 'admin')", name=op.f('ck_sign_in_domains_role_valid')),
    sa.CheckConstraint("role IN ('student', 'teacher')", name=op.f('ck_sign_in_domains_role_not_admin')),
    sa.CheckConstraint('domain = lower(domain)', name=op.f('ck_sign_in_domains_domain_lowercase')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sign_in_domains_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_domains')),
    sa.UniqueConstraint('domain', name=op.f('uq_sign_in_domains_domain'))
    )
    with op.batch_alter_table('sign_in_domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_domains_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('rubrics',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_rubrics_name_present')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_rubrics_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubrics')),
    sa.UniqueConstraint('owner_id', 'key', name=op.f('uq_rubrics_owner_id_key'))
    )
    with op.batch_alter_table('rubrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rubrics_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('uq_rubrics_builtin_key', ['key'], unique=True, sqlite_where=sa.text('owner_id IS NULL'), postgresql_where=sa.text('owner_id IS NULL'))

    op.create_table('rubric_versions',
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_rubric_versions_version_positive')),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubrics.id'], name=op.f('fk_rubric_versions_rubric_id_rubrics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_versions')),
    sa.UniqueConstraint('rubric_id', 'version', name=op.f('uq_rubric_versions_rubric_id_version'))
    )
    with op.batch_alter_table('rubric_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rubric_versions_rubric_id'), ['rubric_id'], unique=False)

    op.create_table('sections',
    sa.Column('teacher_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('join_code', sa.String(length=16), nullable=False),
    sa.Column('seat_limit', sa.Integer(), nullable=True),
    sa.Column('join_code_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rubric_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_sections_name_present')),
    sa.CheckConstraint('seat_limit IS NULL OR seat_limit > 0', name=op.f('ck_sections_seat_limit_positive')),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubrics.id'], name=op.f('fk_sections_rubric_id_rubrics'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['teacher_id'], ['users.id'], name=op.f('fk_sections_teacher_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sections')),
    sa.UniqueConstraint('join_code', name=op.f('uq_sections_join_code'))
    )
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sections_rubric_id'), ['rubric_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sections_teacher_id'), ['teacher_id'], unique=False)

    op.create_table('assignments',
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rubric_id', sa.Integer(), nullable=True),
    sa.Column('release_reviews', sa.String(length=24), server_default='immediately', nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_assignments_status_valid')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_assignments_title_present')),
    sa.CheckConstraint("release_reviews IN ('immediately', 'after_teacher_review')", name=op.f('ck_assignments_release_reviews_valid')),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubrics.id'], name=op.f('fk_assignments_rubric_id_rubrics'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['section_id'], ['sections.id'], name=op.f('fk_assignments_section_id_sections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_rubric_id'), ['rubric_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_section_id'), ['section_id'], unique=False)

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

    op.create_table('client_usage_increments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
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
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_client_usage_increments_client_id_client_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_usage_increments'))
    )

    op.create_table('enrollments',
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['sections.id'], name=op.f('fk_enrollments_section_id_sections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_enrollments_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollments')),
    sa.UniqueConstraint('section_id', 'student_id', name=op.f('uq_enrollments_section_id_student_id'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollments_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrollments_student_id'), ['student_id'], unique=False)

    op.create_table('feedback_tallies',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_feedback_tallies_client_id_client_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_feedback_tallies'))
    )
    op.create_table('assignment_clients',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_clients_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_assignment_clients_client_id_client_profiles'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('assignment_id', 'client_id', name=op.f('pk_assignment_clients'))
    )
    with op.batch_alter_table('assignment_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_clients_client_id'), ['client_id'], unique=False)

    op.create_table('client_checks',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('client_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('overall', sa.String(length=8), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('probes', sa.JSON(), nullable=False),
    sa.Column('estimated_cost', sa.BigInteger(), nullable=True),
    sa.Column('cost', sa.BigInteger(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("overall IN ('pass', 'warn', 'fail')", name=op.f('ck_client_checks_overall_valid')),
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_client_checks_client_id_client_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_client_checks_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_checks'))
    )
    with op.batch_alter_table('client_checks', schema=None) as batch_op:
        batch_op.create_index('ix_client_checks_client_id_created_at', ['client_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_checks_created_by'), ['created_by'], unique=False)

    op.create_table('sessions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('model', sa.String(length=80), nullable=True),
    sa.Column('prompt_version', sa.String(length=40), nullable=True),
    sa.Column('total_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('estimated_cost', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('message_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('unpriced_replies', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reply_claim_id', sa.String(length=32), nullable=True),
    sa.Column('reply_claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reserved_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reserved_cost', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('input_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('output_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cache_write_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cache_read_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("mode IN ('practice', 'teacher_test', 'check')", name=op.f('ck_sessions_mode_valid')),
    sa.CheckConstraint("status IN ('active', 'completed')", name=op.f('ck_sessions_status_valid')),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_sessions_assignment_id_assignments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['client_profiles.id'], name=op.f('fk_sessions_client_id_client_profiles'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sessions_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sessions_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_sessions_started_at_status', ['started_at', 'status'], unique=False)
        batch_op.create_index('ix_sessions_reply_claimed_until', ['reply_claimed_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_sessions_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_sessions_one_active_per_client', ['user_id', 'client_id'], unique=True, sqlite_where=sa.text("status = 'active' AND mode <> 'check'"), postgresql_where=sa.text("status = 'active' AND mode <> 'check'"))

    op.create_table('events',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("severity IN ('info', 'warning', 'error', 'critical')", name=op.f('ck_events_severity_valid')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_events_session_id_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_user_id'), ['user_id'], unique=False)

    op.create_table('messages',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sequence_number', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('token_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('model', sa.String(length=80), nullable=True),
    sa.Column('cost', sa.BigInteger(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.Column('time_to_first_token_ms', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('input_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('output_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cache_write_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cache_read_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f('ck_messages_role_valid')),
    sa.CheckConstraint('sequence_number >= 1', name=op.f('ck_messages_sequence_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_messages_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('session_id', 'sequence_number', name=op.f('uq_messages_session_id_sequence_number'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_role_created_at', ['role', 'created_at', 'latency_ms', 'time_to_first_token_ms', 'input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_read_tokens', 'cost'], unique=False)
        batch_op.create_index('ix_messages_session_id_created_at', ['session_id', 'created_at'], unique=False)

    op.create_table('session_feedback',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('realism', sa.Integer(), nullable=False),
    sa.Column('usefulness', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('realism BETWEEN 1 AND 5', name=op.f('ck_session_feedback_realism_range')),
    sa.CheckConstraint('usefulness BETWEEN 1 AND 5', name=op.f('ck_session_feedback_usefulness_range')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_session_feedback_session_id_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_feedback_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_feedback')),
    sa.UniqueConstraint('session_id', name=op.f('uq_session_feedback_session_id'))
    )
    with op.batch_alter_table('session_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_feedback_user_id'), ['user_id'], unique=False)

    op.create_table('session_reviews',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('rubric_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('content', sa.JSON(), nullable=True),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('hidden_information_turn', sa.Integer(), nullable=True),
    sa.Column('teacher_content', sa.JSON(), nullable=True),
    sa.Column('teacher_indicators', sa.JSON(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('teacher_released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('model', sa.String(length=80), nullable=True),
    sa.Column('cost', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('input_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('output_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cache_write_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cache_read_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("status IN ('ready', 'failed')", name=op.f('ck_session_reviews_status_valid')),
    sa.CheckConstraint("source IN ('model', 'demo')", name=op.f('ck_session_reviews_source_valid')),
    sa.CheckConstraint('hidden_information_turn IS NULL OR hidden_information_turn >= 1', name=op.f('ck_session_reviews_hidden_turn_positive')),
    sa.CheckConstraint('teacher_released_at IS NULL OR teacher_content IS NOT NULL', name=op.f('ck_session_reviews_teacher_release_has_content')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_session_reviews_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rubric_version_id'], ['rubric_versions.id'], name=op.f('fk_session_reviews_rubric_version_id_rubric_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_session_reviews_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_reviews')),
    sa.UniqueConstraint('session_id', name=op.f('uq_session_reviews_session_id'))
    )
    with op.batch_alter_table('session_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_session_reviews_created_at', ['created_at', 'source', 'cost'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_reviews_rubric_version_id'), ['rubric_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_reviews_reviewed_by_id'), ['reviewed_by_id'], unique=False)

    op.create_table('message_ratings',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_ratings_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_ratings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_ratings')),
    sa.UniqueConstraint('message_id', name=op.f('uq_message_ratings_message_id'))
    )
    with op.batch_alter_table('message_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_ratings_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_ratings_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('session_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_reviews_reviewed_by_id'))
        batch_op.drop_index(batch_op.f('ix_session_reviews_rubric_version_id'))
        batch_op.drop_index('ix_session_reviews_created_at')

    op.drop_table('session_reviews')
    with op.batch_alter_table('message_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_ratings_user_id'))
        batch_op.drop_index(batch_op.f('ix_message_ratings_created_at'))

    op.drop_table('message_ratings')
    with op.batch_alter_table('session_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_feedback_user_id'))

    op.drop_table('session_feedback')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_session_id_created_at')
        batch_op.drop_index('ix_messages_role_created_at')

    op.drop_table('messages')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_events_severity'))
        batch_op.drop_index(batch_op.f('ix_events_session_id'))
        batch_op.drop_index(batch_op.f('ix_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_events_category'))

    op.drop_table('events')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_sessions_one_active_per_client', sqlite_where=sa.text("status = 'active' AND mode <> 'check'"), postgresql_where=sa.text("status = 'active' AND mode <> 'check'"))
        batch_op.drop_index(batch_op.f('ix_sessions_user_id'))
        batch_op.drop_index('ix_sessions_started_at_status')
        batch_op.drop_index('ix_sessions_reply_claimed_until')
        batch_op.drop_index(batch_op.f('ix_sessions_client_id'))
        batch_op.drop_index(batch_op.f('ix_sessions_assignment_id'))

    op.drop_table('sessions')
    with op.batch_alter_table('client_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_checks_created_by'))
        batch_op.drop_index('ix_client_checks_client_id_created_at')

    op.drop_table('client_checks')
    with op.batch_alter_table('assignment_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_clients_client_id'))

    op.drop_table('assignment_clients')
    op.drop_table('feedback_tallies')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollments_student_id'))
        batch_op.drop_index(batch_op.f('ix_enrollments_section_id'))

    op.drop_table('enrollments')
    with op.batch_alter_table('client_daily_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_daily_usage_client_id'))

    op.drop_table('client_daily_usage')
    op.drop_table('client_usage_increments')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_section_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_rubric_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sections_teacher_id'))
        batch_op.drop_index(batch_op.f('ix_sections_rubric_id'))

    op.drop_table('sections')
    with op.batch_alter_table('rubric_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rubric_versions_rubric_id'))

    op.drop_table('rubric_versions')
    with op.batch_alter_table('rubrics', schema=None) as batch_op:
        batch_op.drop_index('uq_rubrics_builtin_key', sqlite_where=sa.text('owner_id IS NULL'), postgresql_where=sa.text('owner_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_rubrics_owner_id'))

    op.drop_table('rubrics')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))

    op.drop_table('login_sessions')
    with op.batch_alter_table('sign_in_domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_domains_created_by_id'))

    op.drop_table('sign_in_domains')
    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_installations_first_admin_id'))

    op.drop_table('installations')
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_usage_user_id'))

    op.drop_table('daily_usage')
    with op.batch_alter_table('client_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_profiles_owner_id'))

    op.drop_table('client_profiles')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))

    op.drop_table('users')
    op.drop_table('circuit_breakers')
