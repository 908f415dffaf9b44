"""Pydantic read and input models: what services accept and return (never ORM objects)."""

from backend.schemas.accounts import UserRead
from backend.schemas.clients import ClientBrief, ClientInput, ClientRead
from backend.schemas.conversations import EventRead, MessageRead, SessionRead, Usage
from backend.schemas.sections import AssignmentInput, AssignmentRead, RosterEntry, SectionRead

__all__ = [
    "AssignmentInput",
    "AssignmentRead",
    "ClientBrief",
    "ClientInput",
    "ClientRead",
    "EventRead",
    "MessageRead",
    "RosterEntry",
    "SectionRead",
    "SessionRead",
    "Usage",
    "UserRead",
]
