"""Client profiles: validation a teacher can act on, teacher isolation, archive, copy, JSON."""

import json

import pytest

from backend.clients import client_service
from backend.errors import PermissionDeniedError, ValidationError
from backend.models.enums import Role
from tests.factories import client_input, make_client, make_user


def test_create_and_read_back_every_field(db):
    teacher = make_user(db, role=Role.teacher)
    created = make_client(db, teacher=teacher, name="  Jordan  ", opening_line="Hey.")
    read = client_service.get_client(db, actor=teacher, client_id=created.id)
    assert read.name == "Jordan" and read.opening_line == "Hey."
    assert read.personality_traits == ["anxious", "guarded"]
    assert read.hidden_information == "Was recently passed over for promotion."
    assert read.version == 1 and read.conversation_count == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Name is required."),
        ({"personality_traits": ["anxious"]}, "personality_traits", "between 2 and 5"),
        (
            {
                "personality_traits": [
                    "anxious",
                    "guarded",
                    "tearful",
                    "angry",
                    "humorous",
                    "avoidant",
                ]
            },
            "personality_traits",
            "between 2 and 5",
        ),
        ({"personality_traits": ["anxious", "sparkly"]}, "personality_traits", "unknown trait"),
        ({"age": 3}, "age", "between 5 and 110"),
        # Each number its own range: the reveal turns had been told the age's (an attack,
        # 2026-12-07: 105 looked allowed, 0 to 4 refused).
        ({"hidden_reveal_after_turns": 105}, "hidden_reveal_after_turns", "between 0 and 100"),
        ({"hidden_reveal_after_turns": -1}, "hidden_reveal_after_turns", "between 0 and 100"),
        ({"background": "x" * 4001}, "background", "at most 4000 characters"),
        ({"difficulty": "impossible"}, "difficulty", "Difficulty"),
    ],
)
def test_invalid_profile_is_refused_with_a_field_message(db, changes, field, message):
    teacher = make_user(db, role=Role.teacher)
    data = client_input().model_dump(mode="json") | changes
    with pytest.raises(ValidationError) as error:
        client_service.create_client(db, actor=teacher, data=data)
    assert message in error.value.field_errors[field]
    assert client_service.list_clients(db, actor=teacher) == []


def test_update_bumps_version_and_failed_update_changes_nothing(db):
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    updated = client_service.update_client(
        db, actor=teacher, client_id=client.id, data=client_input(name="Alex R.", age=35)
    )
    assert (updated.name, updated.age, updated.version) == ("Alex R.", 35, 2)
    with pytest.raises(ValidationError):
        client_service.update_client(
            db, actor=teacher, client_id=client.id, data={**client_input().model_dump(), "name": ""}
        )
    assert client_service.get_client(db, actor=teacher, client_id=client.id).name == "Alex R."


def test_teachers_see_only_their_own_clients_and_admins_see_all(db):
    alice, bob = make_user(db, role=Role.teacher), make_user(db, role=Role.teacher)
    admin = make_user(db, role=Role.admin)
    alices = make_client(db, teacher=alice, name="Alice's client")
    make_client(db, teacher=bob, name="Bob's client")
    assert [c.name for c in client_service.list_clients(db, actor=alice)] == ["Alice's client"]
    assert len(client_service.list_clients(db, actor=admin)) == 2
    with pytest.raises(PermissionDeniedError, match="another teacher"):
        client_service.get_client(db, actor=bob, client_id=alices.id)
    with pytest.raises(PermissionDeniedError):
        client_service.update_client(db, actor=bob, client_id=alices.id, data=client_input())


def test_archive_hides_from_list_and_can_be_restored(db):
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    client_service.set_archived(db, actor=teacher, client_id=client.id, archived=True)
    assert client_service.list_clients(db, actor=teacher) == []
    assert client_service.list_clients(db, actor=teacher, include_archived=True)[0].archived
    client_service.set_archived(db, actor=teacher, client_id=client.id, archived=False)
    assert len(client_service.list_clients(db, actor=teacher)) == 1


def test_duplicate_is_an_independent_copy(db):
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    copy = client_service.duplicate_client(db, actor=teacher, client_id=client.id)
    assert copy.id != client.id and copy.name == "Alex Rivera (copy)"
    assert copy.hidden_information == client.hidden_information


def test_export_then_import_for_a_colleague(db):
    alice, bob = make_user(db, role=Role.teacher), make_user(db, role=Role.teacher)
    client = make_client(db, teacher=alice, name="Shared Sam")
    exported = client_service.export_clients_json(db, actor=alice, client_ids=[client.id])
    assert "owner_id" not in exported
    imported = client_service.import_clients_json(db, actor=bob, raw=exported)
    assert [(c.name, c.owner_id) for c in imported] == [("Shared Sam", bob.id)]


def test_import_of_a_bad_file_creates_nothing(db):
    teacher = make_user(db, role=Role.teacher)
    with pytest.raises(ValidationError, match="not valid JSON"):
        client_service.import_clients_json(db, actor=teacher, raw="{nope")
    good = client_input().model_dump(mode="json")
    bad = good | {"personality_traits": ["anxious"]}
    with pytest.raises(ValidationError, match="Profile 2 in the file is not valid"):
        client_service.import_clients_json(
            db, actor=teacher, raw=json.dumps({"clients": [good, bad]})
        )
    assert client_service.list_clients(db, actor=teacher) == []


# Input a database cannot store, or a parser cannot read -------------------------------------------
@pytest.mark.both_backends  # PostgreSQL refuses NUL characters
@pytest.mark.parametrize(
    "field", ["name", "background", "occupation", "hidden_information", "opening_line"]
)
def test_control_characters_in_a_client_field_get_a_field_message(db, field):
    """PostgreSQL refuses NUL in text (DataError deep in a flush): the teacher reads which field."""
    teacher = make_user(db, role=Role.teacher)
    data = client_input().model_dump(mode="json") | {field: "Alex\x00 Rivera"}
    with pytest.raises(ValidationError) as error:
        client_service.create_client(db, actor=teacher, data=data)
    assert "invisible control character" in error.value.field_errors[field]
    client = make_client(db, teacher=teacher)
    with pytest.raises(ValidationError) as error:
        client_service.update_client(db, actor=teacher, client_id=client.id, data=data)
    assert field in error.value.field_errors
    with pytest.raises(ValidationError, match="Profile 1 in the file is not valid"):
        client_service.import_clients_json(db, actor=teacher, raw=json.dumps({"clients": [data]}))
    assert [c.name for c in client_service.list_clients(db, actor=teacher)] == ["Alex Rivera"]


def test_a_deeply_nested_import_file_is_refused_with_a_clear_message(db):
    teacher = make_user(db, role=Role.teacher)
    for raw in (
        "[" * 100_000 + "]" * 100_000,
        '{"clients": ' + "[" * 50_000 + "]" * 50_000 + "}",
        json.dumps(
            {
                "clients": [
                    client_input().model_dump(mode="json")
                    | {"background": {"a": {"b": {"c": [[[[1]]]]}}}}
                ]
            }
        ),
    ):
        with pytest.raises(ValidationError, match="not a client export|not valid"):
            client_service.import_clients_json(db, actor=teacher, raw=raw)
    assert client_service.list_clients(db, actor=teacher) == []
