"""The cost of each user's day by purpose: practice, test chats, client checks' turns and judge
calls, reviews (columns of `daily_usage` that add up to its `cost`).

Existing rows are split from what is stored: replies by their conversation's mode, cut-off
replies and judge calls from their info events, reviews from `session_reviews`; what none of
those explains (a cut-off reply whose event was deleted) stays with practice, so the parts
always add up to the day's cost as it was.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PARTS = ('practice_cost', 'test_chat_cost', 'check_turns_cost', 'check_judge_cost', 'review_cost')
OF_MODE = {'practice': 'practice_cost', 'teacher_test': 'test_chat_cost', 'check': 'check_turns_cost'}
NANO = Decimal('0.000000001')

sessions = sa.table('practice_sessions', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer), sa.column('mode', sa.String))
messages = sa.table('messages', sa.column('session_id', sa.Integer), sa.column('role', sa.String), sa.column('created_at', sa.DateTime(timezone=True)), sa.column('cost', sa.BigInteger))
events = sa.table('events', sa.column('session_id', sa.Integer), sa.column('category', sa.String), sa.column('created_at', sa.DateTime(timezone=True)), sa.column('details', sa.JSON))
reviews = sa.table('session_reviews', sa.column('session_id', sa.Integer), sa.column('created_at', sa.DateTime(timezone=True)), sa.column('cost', sa.BigInteger))
daily = sa.table('daily_usage', sa.column('day', sa.Date), sa.column('user_id', sa.Integer), sa.column('cost', sa.BigInteger), *(sa.column(name, sa.BigInteger) for name in PARTS))


def upgrade() -> None:
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        for name in PARTS:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), server_default='0', nullable=False))
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        for name in reversed(PARTS):
            batch_op.drop_column(name)


def _day(moment: datetime | str) -> date:
    """The UTC day of a stored time (SQLite keeps naive UTC text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _nano(value: object) -> int:
    try:
        cost = Decimal(str(value))
    except InvalidOperation:
        return 0
    return int(cost / NANO) if cost.is_finite() else 0


def _backfill(connection: sa.Connection) -> None:
    """Split each existing row's cost; the rest of it (and rows nothing explains) is practice."""
    parts: dict[tuple[date, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_session = {row.id: (row.user_id, row.mode) for row in connection.execute(sa.select(sessions))}
    if connection.dialect.name == 'sqlite':
        day = sa.func.date(messages.c.created_at)
    else:
        day = sa.cast(sa.func.timezone('UTC', messages.c.created_at), sa.Date)
    for day_value, user_id, mode, cost in connection.execute(  # grouped: messages are many
        sa.select(day, sessions.c.user_id, sessions.c.mode, sa.func.sum(messages.c.cost))
        .join(sessions, sessions.c.id == messages.c.session_id)
        .where(messages.c.role == 'assistant', messages.c.cost.is_not(None))
        .group_by(day, sessions.c.user_id, sessions.c.mode)
    ):
        if isinstance(day_value, str):
            day_value = date.fromisoformat(day_value)
        parts[day_value, user_id][OF_MODE[mode]] += int(cost or 0)
    for session_id, category, at, details in connection.execute(
        sa.select(events.c.session_id, events.c.category, events.c.created_at, events.c.details).where(
            events.c.category.in_(('partial_reply', 'judge_call')), events.c.session_id.is_not(None)
        )
    ):
        if session_id not in by_session:
            continue
        user_id, mode = by_session[session_id]
        name = 'check_judge_cost' if category == 'judge_call' else OF_MODE[mode]
        parts[_day(at), user_id][name] += _nano((details or {}).get('cost'))
    for session_id, at, cost in connection.execute(
        sa.select(reviews.c.session_id, reviews.c.created_at, reviews.c.cost).where(reviews.c.cost.is_not(None))
    ):
        user_id, _mode = by_session[session_id]
        parts[_day(at), user_id]['review_cost'] += cost
    connection.execute(daily.update().values(practice_cost=daily.c.cost))
    for (day, user_id), found in parts.items():
        explained = {name: value for name, value in found.items() if name != 'practice_cost'}
        if not explained:
            continue
        connection.execute(
            daily.update()
            .where(daily.c.day == day, daily.c.user_id == user_id)
            .values(practice_cost=daily.c.cost - sum(explained.values()), **explained)
        )
