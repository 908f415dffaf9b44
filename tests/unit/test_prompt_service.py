"""The client prompt: every profile field, the safeguards, and a stable text for caching."""

from datetime import UTC, datetime

from backend.clients.prompt_service import generate_system_prompt
from backend.clients.read_models import ClientRead
from tests.factories import client_input


def _client(**overrides) -> ClientRead:
    data = client_input(**overrides).model_dump()
    now = datetime.now(UTC)
    return ClientRead(
        id=1, owner_id=1, archived=False, version=1, created_at=now, updated_at=now, **data
    )


def test_every_profile_field_reaches_the_prompt():
    prompt = generate_system_prompt(
        _client(cultural_background="Filipino-American", opening_line="I almost didn't come.")
    )
    for text in (
        "Alex Rivera",
        "34",
        "they/them",
        "Barista",
        "Filipino-American",
        "Grew up in a busy household.",
        "Feels stuck at work.",
        "Finds it hard to ask for help.",
        "anxious, guarded",
        "reserved",
        "intermediate",
        "Was recently passed over for promotion.",
        "I almost didn't come.",
    ):
        assert text in prompt, text


def test_safeguards_are_always_there():
    prompt = generate_system_prompt(_client())
    for rule in (
        "never the counselor",
        "Never say or hint that you are an AI",
        "1-5 sentences",
        "Change slowly",
        "only when the student has earned it",
        "appropriate for professional training",
    ):
        assert rule in prompt, rule


def test_prompt_is_stable_for_the_same_profile_and_changes_with_it():
    assert generate_system_prompt(_client()) == generate_system_prompt(_client())
    assert generate_system_prompt(_client()) != generate_system_prompt(
        _client(difficulty="advanced")
    )


def test_learning_goals_for_students_stay_out_of_the_prompt():
    assert "Practise open questions." not in generate_system_prompt(_client())


def test_principles_are_part_of_the_prompt_in_order():
    principles = ["When praised, you doubt that it matters.", "You never cry in front of others."]
    prompt = generate_system_prompt(_client(principles=principles))
    assert (
        "Principles for playing this client:\n- When praised, you doubt that it matters.\n"
        "- You never cry in front of others." in prompt
    )
    assert prompt.index("Principles for playing this client") < prompt.index("Rules for this")
    assert "Principles for playing" not in generate_system_prompt(_client())
