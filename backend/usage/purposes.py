"""What a paid call was for: the one split of cost every figure breaks down by.

Each purpose has its column in `daily_usage` (`<purpose>_cost`); the columns add up to `cost`."""

from __future__ import annotations

from enum import StrEnum

from backend.models.enums import SessionMode


class Purpose(StrEnum):
    practice = "practice"  # students' conversations
    test_chat = "test_chat"  # teachers' (and admins') test chats with their clients
    check_turns = "check_turns"  # the probe conversations of a client check
    check_judge = "check_judge"  # a client check's judge calls
    review = "review"  # model-written session reviews
    drill_items = "drill_items"  # drill items a model drafted for a teacher
    memory = "memory"  # continuing clients' memory summaries, written when a session ends
    connection_test = "connection_test"  # admins' "Test connection" calls (Health page)


#: As the pages name them, in the order they show them.
LABELS = {
    Purpose.practice: "Practice",
    Purpose.test_chat: "Test chats",
    Purpose.check_turns: "Client checks: turns",
    Purpose.check_judge: "Client checks: judge calls",
    Purpose.review: "Reviews",
    Purpose.drill_items: "Drill items",
    Purpose.memory: "Client memory",
    Purpose.connection_test: "Connection tests",
}


def column(purpose: Purpose) -> str:
    """The purpose's cost column of `daily_usage`."""
    return f"{purpose.value}_cost"


def of_mode(mode: SessionMode | str) -> Purpose:
    """The purpose of a reply in a conversation of this mode."""
    return {
        SessionMode.practice: Purpose.practice,
        SessionMode.teacher_test: Purpose.test_chat,
        SessionMode.check: Purpose.check_turns,
    }[SessionMode(mode)]
