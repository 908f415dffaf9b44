"""Reads the integration tests share: what is stored, as a service returns it, and the turns a
review request sent."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from backend.actor import UserRead
from backend.db import unit_of_work
from backend.practice import session_service
from backend.practice.read_models import MessageRead, SessionRead


def stored_messages(engine: Engine, actor: UserRead, session_id: int) -> list[MessageRead]:
    with unit_of_work(engine, write=False) as db:
        return session_service.get_messages(db, actor=actor, session_id=session_id)


def stored_session(engine: Engine, actor: UserRead, session_id: int) -> SessionRead:
    with unit_of_work(engine, write=False) as db:
        return session_service.get_session(db, actor=actor, session_id=session_id)


def transcript_turns(message: str) -> list[dict]:
    """The turns back out of a review's transcript message (what the reviewer reads)."""
    start, end = message.index("[\n"), message.rindex("\n]") + 2
    return json.loads(message[start:end])
