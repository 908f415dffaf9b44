"""(An attack, 2026-12-06.) Attack: client profiles as a teacher makes, copies and shares them (create, duplicate, JSON
export and import), with what a teacher (and then a student) would see."""

from __future__ import annotations

import json

import pytest

from backend.clients import client_service
from backend.errors import ValidationError
from backend.models.enums import Role
from tests.factories import client_input, make_client, make_user


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200b", "\u3164", "\u2800", "\ufeff"],
    ids=["zero-width-spaces", "hangul-filler", "braille-blank", "byte-order-mark"],
)
def test_a_client_whose_name_shows_nothing_is_refused(db, name):
    """A name of invisible characters only is "Name is required." like a blank one: the
    product's own `is_blank` (used for messages) calls it blank, but the profile takes it, so the
    teacher's card, the student's card ("#### ") and the prompt ("You are role-playing , a
    client") carry a client with no name."""
    teacher = make_user(db, role=Role.teacher)
    data = client_input().model_dump(mode="json") | {"name": name}
    with pytest.raises(ValidationError) as error:
        client_service.create_client(db, actor=teacher, data=data)
    assert "name" in error.value.field_errors
    assert client_service.list_clients(db, actor=teacher) == []


def test_a_copy_of_a_client_with_a_long_name_is_told_apart(db):
    """Copy on a card whose name is 100 characters (the form's limit): the " (copy)" is cut
    off again, so the copy has exactly the original's name and the teacher cannot tell which
    card is the one students use."""
    teacher = make_user(db, role=Role.teacher)
    name = ("Jordan Whitfield - second interview after the housing crisis - section B - " * 2)[:100]
    assert len(name) == 100
    original = make_client(db, teacher=teacher, name=name)
    copy = client_service.duplicate_client(db, actor=teacher, client_id=original.id)
    assert copy.name != original.name, f"both are named {copy.name!r}"


def test_import_refuses_a_true_for_a_number_of_turns(db):
    """A hand-edited or forged file with "hidden_reveal_after_turns": true imports as 1: the
    hidden information may then be said word for word from the student's first turn. A boolean
    is not a number of turns (age: true is refused, this one is not)."""
    teacher = make_user(db, role=Role.teacher)
    profile = client_input().model_dump(mode="json") | {"hidden_reveal_after_turns": True}
    with pytest.raises(ValidationError):
        client_service.import_clients_json(
            db, actor=teacher, raw=json.dumps({"clients": [profile]})
        )
    assert client_service.list_clients(db, actor=teacher) == []
