"""Text a teacher typed into a rubric is checked at the service boundary like any other text."""

from __future__ import annotations

import copy

import pytest

from backend.errors import ValidationError
from backend.models.enums import Role
from backend.reviews import rubric_service
from backend.reviews.rubric_schema import NAME_MAX, RubricDefinition
from tests.factories import make_user


def _refused_edit(db, path: tuple, text: str, match: str) -> None:
    """A teacher's copy of the first built-in rubric with `text` at `path`: refused, next to
    that field, by an edit and by a new rubric alike; nothing stored."""
    teacher = make_user(db, role=Role.teacher)
    builtin = rubric_service.list_rubrics(db, actor=teacher)[0]
    own = rubric_service.copy_rubric(db, actor=teacher, rubric_id=builtin.id)
    edited = copy.deepcopy(own.definition)
    target = edited
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = text
    with pytest.raises(ValidationError, match=match) as refused:
        rubric_service.update_rubric(db, actor=teacher, rubric_id=own.id, definition=edited)
    assert list(refused.value.field_errors) == [".".join(str(part) for part in path)]
    with pytest.raises(ValidationError, match=match):
        rubric_service.create_rubric(db, actor=teacher, definition=edited)
    assert rubric_service.get_rubric(db, actor=teacher, rubric_id=own.id).version == 1


@pytest.mark.both_backends  # PostgreSQL refuses NUL characters
@pytest.mark.parametrize(
    "path", [("name",), ("criteria", 0, "anchors", "3"), ("codes", 1, "example")]
)
def test_control_characters_in_a_rubric_edit_are_refused(db, path):
    _refused_edit(db, path, "Pasted\x00 text", "control character")


@pytest.mark.parametrize(
    "path", [("name",), ("criteria", 0, "name"), ("criteria", 0, "anchors", "3")]
)
def test_a_rubric_text_of_only_invisible_characters_is_refused(db, path):
    """A name or anchor of zero-width spaces looks empty on every page (a blank option in the
    pickers, "**3** · " for an anchor) and went to the reviewer as it was, while every other
    text a teacher types refuses it. (An attack, 2026-12-07.)"""
    _refused_edit(db, path, "\u200b\u200b", "invisible")


def _edit(db, change):
    """A teacher's copy of the first built-in rubric, edited by `change`, saved (or refused)."""
    teacher = make_user(db, role=Role.teacher)
    builtin = rubric_service.list_rubrics(db, actor=teacher)[0]
    own = rubric_service.copy_rubric(db, actor=teacher, rubric_id=builtin.id)
    edited = copy.deepcopy(own.definition)
    change(edited)
    return teacher, own, edited


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        # Issue 19, item 4: a million-character anchor made a $0.32 review request.
        (
            lambda d: d["criteria"][0]["anchors"].update({"3": "x" * 1_062_499}),
            "criteria.0.anchors.3",
            "at most 600 characters",
        ),
        (lambda d: d["codes"][0].update(example="y" * 5000), "codes.0.example", "at most 1000"),
        (
            lambda d: d.update(criteria=d["criteria"] * 5),
            "criteria",
            "at most 12 items",
        ),
        (lambda d: d["indicators"][0].update(fair=float("inf")), "indicators.0.fair", "finite"),
        (lambda d: d["indicators"][0].update(good=float("nan")), "indicators.0.good", "finite"),
    ],
)
def test_rubric_fields_are_bounded_and_thresholds_finite(db, change, where, message):
    teacher, own, edited = _edit(db, change)
    with pytest.raises(ValidationError, match=message) as refused:
        rubric_service.update_rubric(db, actor=teacher, rubric_id=own.id, definition=edited)
    assert where in str(refused.value)
    assert rubric_service.get_rubric(db, actor=teacher, rubric_id=own.id).version == 1


def test_a_copy_of_a_rubric_with_a_full_length_name_is_a_valid_rubric(db):
    """ "<name> (copy)" of a name as long as the form allows was stored past the limit, without
    a check, and the Rubrics page then failed on it ("Something went wrong"). (An attack,
    2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher)
    builtin = rubric_service.list_rubrics(db, actor=teacher)[0]
    own = rubric_service.copy_rubric(db, actor=teacher, rubric_id=builtin.id)
    long_name = ("Core skills for the autumn practicum " * 10)[:NAME_MAX]
    rubric_service.update_rubric(
        db, actor=teacher, rubric_id=own.id, definition=dict(own.definition, name=long_name)
    )

    copied = rubric_service.copy_rubric(db, actor=teacher, rubric_id=own.id)

    stored = RubricDefinition.model_validate(copied.definition)
    assert len(stored.name) <= NAME_MAX and stored.name.endswith(" (copy)")
    assert stored.name.startswith("Core skills for the autumn practicum")
