"""The statements of a conversation turn, built once (building one costs as much as running it).

Core statements on the tables, not the ORM's unit of work: a turn reads what it needs of the row
it locks and writes each change as one statement (a total grows with `x = x + :n`, a claim is
checked in the UPDATE's own WHERE), which is most of what a turn costs the app. Used by
`session_service`, which keeps the rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from sqlalchemy import Integer, String, Table, bindparam, exists, func, insert, select, update

from backend import access
from backend.models import Assignment, ClientProfile, Message, PracticeSession
from backend.models.base import Money, UTCDateTime

SESSIONS = cast(Table, PracticeSession.__table__)
MESSAGES = cast(Table, Message.__table__)
CLIENTS = cast(Table, ClientProfile.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
_ID = SESSIONS.c.id == bindparam("session_id", type_=Integer)

#: The conversation's row, locked for the turn (FOR UPDATE; SQLite's write lock is taken at
#: BEGIN), with whether the actor's account is active, whether a published assignment still gives
#: the student the client, which version of the client it is (the prompt is cached by it), and
#: whether its assignment is a continuing client's (only then is the client's memory read).
LOCK = (
    select(
        access.active(bindparam("actor_id", type_=Integer)).label("actor_active"),
        SESSIONS.c.id,
        SESSIONS.c.user_id,
        SESSIONS.c.client_id,
        SESSIONS.c.assignment_id,
        SESSIONS.c.mode,
        SESSIONS.c.status,
        SESSIONS.c.message_count,
        SESSIONS.c.reply_claimed_until,
        access.assigned(SESSIONS.c.user_id, SESSIONS.c.client_id, SESSIONS.c.assignment_id).label(
            "assigned"
        ),
        CLIENTS.c.version.label("client_version"),
        CLIENTS.c.updated_at.label("client_updated_at"),
        exists()
        .where(
            ASSIGNMENTS.c.id == SESSIONS.c.assignment_id,
            ASSIGNMENTS.c.continuing_client.is_(True),
        )
        .label("continuing"),
    )
    .join(CLIENTS, CLIENTS.c.id == SESSIONS.c.client_id)
    .where(_ID)
    .with_for_update(of=SESSIONS)
)

INSERT_MESSAGE = insert(MESSAGES).returning(*MESSAGES.c)
COUNT_MESSAGE = update(SESSIONS).where(_ID).values(message_count=SESSIONS.c.message_count + 1)
CLAIM = (
    update(SESSIONS)
    .where(_ID)
    .values(
        reply_claim_id=bindparam("claim_id", type_=String),
        reply_claimed_until=bindparam("until", type_=UTCDateTime),
        reserved_tokens=bindparam("reserve_tokens", type_=Integer),
        reserved_cost=bindparam("reserve_cost", type_=Money),
        # The prompt the reply is played with (the client may have been edited since the start).
        prompt_version=func.coalesce(
            bindparam("prompt_version", type_=String), SESSIONS.c.prompt_version
        ),
    )
)
UNCLAIMED = {
    "reply_claim_id": None,
    "reply_claimed_until": None,
    "reserved_tokens": 0,
    "reserved_cost": Decimal(0),
}
_OURS = SESSIONS.c.reply_claim_id == bindparam("claim_id", type_=String)
RELEASE = update(SESSIONS).where(_ID, _OURS).values(UNCLAIMED)
#: Claims renewed (or let go of) together: those still held by these (session, claim) pairs (a
#: claim id is a random token, so the two lists need not be paired; the ids find the rows).
HOLD = (
    update(SESSIONS)
    .where(
        SESSIONS.c.id.in_(bindparam("session_ids", expanding=True)),
        SESSIONS.c.reply_claim_id.in_(bindparam("claim_ids", expanding=True)),
    )
    .values(reply_claimed_until=bindparam("until", type_=UTCDateTime))
)

#: Billed usage joining the session's totals (its parameters: `session_service._usage_params`).
_USAGE_ADDED = {
    "input_tokens": SESSIONS.c.input_tokens + bindparam("add_input", type_=Integer),
    "output_tokens": SESSIONS.c.output_tokens + bindparam("add_output", type_=Integer),
    "cache_write_tokens": SESSIONS.c.cache_write_tokens
    + bindparam("add_cache_write", type_=Integer),
    "cache_read_tokens": SESSIONS.c.cache_read_tokens + bindparam("add_cache_read", type_=Integer),
    "total_tokens": SESSIONS.c.total_tokens + bindparam("add_total", type_=Integer),
    "estimated_cost": SESSIONS.c.estimated_cost + bindparam("add_cost", type_=Money),
    "unpriced_replies": SESSIONS.c.unpriced_replies + bindparam("add_unpriced", type_=Integer),
    "model": func.coalesce(bindparam("new_model", type_=String), SESSIONS.c.model),
}
_KEYS = (SESSIONS.c.user_id, SESSIONS.c.client_id, SESSIONS.c.assignment_id, SESSIONS.c.mode)
#: Usage without a message (a reply that started, or was cut off); returns the rollups' keys.
ADD_USAGE = update(SESSIONS).where(_ID).values(_USAGE_ADDED).returning(*_KEYS)
#: The reply stored: its usage, one more message, the claim ended; only while the claim is ours.
#: Returns the whole row (the new totals).
STORE = (
    update(SESSIONS)
    .where(_ID, _OURS)
    .values({**_USAGE_ADDED, "message_count": SESSIONS.c.message_count + 1, **UNCLAIMED})
    .returning(*SESSIONS.c)
)
