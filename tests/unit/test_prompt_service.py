"""The client prompt: every profile field, the safeguards, and a stable text for caching."""

from datetime import UTC, datetime

import pytest

from backend.clients import prompt_service
from backend.clients.prompt_service import generate_system_prompt
from backend.clients.read_models import ClientInput, ClientRead
from backend.llm.tokens import estimate_tokens
from backend.models.enums import CommunicationStyle
from tests.factories import client_input

# Claude Haiku 4.5's minimum cacheable prefix (the default model): a shorter one is not cached.
HAIKU_45_MIN_CACHEABLE_TOKENS = 4096


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
        "as many sentences as your style",
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


def test_the_guide_comes_first_the_same_for_every_client_and_long_enough_to_cache_alone():
    one, other = _client(), _client(name="Jo Park", communication_style="verbose")
    guide, own = prompt_service.system_parts(one)
    assert prompt_service.system_parts(other)[0] == guide  # one cached prefix for every client
    assert "Alex Rivera" not in guide and "Alex Rivera" in own
    assert generate_system_prompt(one) == f"{guide}\n\n{own}"
    # Alone it clears the minimum (every conversation reads it), by a margin for real tokens.
    assert estimate_tokens(guide) > HAIKU_45_MIN_CACHEABLE_TOKENS * 1.05


def test_the_smallest_profile_still_makes_a_prompt_well_past_the_minimum():
    """The client's breakpoint (guide and profile) is the one a class shares: it must reach the
    minimum with room to spare whatever the teacher wrote."""
    now = datetime.now(UTC)
    bare = ClientInput(name="A", personality_traits=["anxious", "guarded"])
    client = ClientRead(
        id=1,
        owner_id=1,
        archived=False,
        version=1,
        created_at=now,
        updated_at=now,
        **bare.model_dump(),
    )
    assert estimate_tokens(generate_system_prompt(client)) > HAIKU_45_MIN_CACHEABLE_TOKENS * 1.15


@pytest.mark.parametrize("style", list(CommunicationStyle))
def test_each_style_says_how_many_sentences_and_has_a_reply_cap(style):
    length = prompt_service.reply_length(style)
    own = prompt_service.client_prompt(_client(communication_style=style))
    assert f"Keep each reply to {length.sentences}." in own
    assert length.most <= 6 and 100 <= length.max_tokens <= 300
    hint = prompt_service.reply_length_hint(style)
    assert length.sentences in hint and str(length.words) in hint


def test_the_guides_worked_examples_are_not_instructions_to_protect():
    """A client may sound like the guide's example lines; only its rules are protected from
    being repeated (see output_guard)."""
    rules = prompt_service.instruction_text(_client())
    examples = [line for line in prompt_service.guide().splitlines() if line.startswith("Client:")]
    assert len(examples) >= 20
    assert not any(example in rules for example in examples)
    assert "PART 1. HOW REAL CLIENTS TALK" in rules and "never the counselor" in rules
