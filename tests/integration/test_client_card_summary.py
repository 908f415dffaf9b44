"""What students and teachers read of a client on its card is what the teacher wrote: the
concern's first sentence whole, not cut at an abbreviation's or a number's full stop. (An attack
on the teacher's client profiles, 2026-12-07.)"""

from __future__ import annotations

import pytest

from backend.clients import client_service
from backend.errors import ValidationError
from backend.models.enums import Role
from tests.factories import client_input, make_client, make_user


@pytest.mark.parametrize(
    ("concern", "first_sentence"),
    [
        (
            "Referred by Dr. Patel after a panic attack at work. Sleeps badly.",
            "Referred by Dr. Patel after a panic attack at work",
        ),
        (
            "Drinks 2.5 bottles of wine a night since the divorce. Wants to cut down.",
            "Drinks 2.5 bottles of wine a night since the divorce",
        ),
        (
            "Moved from the U.S. last year and feels alone. Misses her sister.",
            "Moved from the U.S. last year and feels alone",
        ),
    ],
    ids=["title", "decimal", "initials"],
)
def test_a_clients_card_summary_keeps_the_first_sentence_whole(db, concern, first_sentence):
    """The card line students pick a client by (Practice) and the teacher's card had read
    "34, they/them, Barista. Referred by Dr." - the concern cut at its first full stop."""
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher, presenting_concern=concern)
    assert first_sentence in client.summary, (
        f"the card says {client.summary!r} for the concern {concern!r}"
    )


def test_a_principle_of_only_invisible_characters_is_refused(db):
    """A principle of zero-width characters had been stored and put into the client's prompt
    as an empty rule. (An attack, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher)
    data = client_input().model_dump() | {"principles": ["\u200b\u200b"]}  # as the form sends
    with pytest.raises(ValidationError) as refused:
        client_service.create_client(db, actor=teacher, data=data)
    assert "principle" in str(refused.value.field_errors)
