"""Text a teacher typed into a rubric is checked at the service boundary like any other text."""

from __future__ import annotations

import copy

import pytest

from backend.errors import ValidationError
from backend.models.enums import Role
from backend.services import rubric_service
from tests.factories import make_user


@pytest.mark.parametrize(
    "path", [("name",), ("criteria", 0, "anchors", "3"), ("codes", 1, "example")]
)
def test_control_characters_in_a_rubric_edit_are_refused(db, path):
    teacher = make_user(db, role=Role.teacher)
    builtin = rubric_service.list_rubrics(db, actor=teacher)[0]
    own = rubric_service.copy_rubric(db, actor=teacher, rubric_id=builtin.id)
    edited = copy.deepcopy(own.definition)
    target = edited
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = "Pasted\x00 text"
    with pytest.raises(ValidationError, match="control character") as refused:
        rubric_service.update_rubric(db, actor=teacher, rubric_id=own.id, definition=edited)
    assert list(refused.value.field_errors) == [".".join(str(part) for part in path)]
    with pytest.raises(ValidationError, match="control character"):
        rubric_service.create_rubric(db, actor=teacher, definition=edited)
    assert rubric_service.get_rubric(db, actor=teacher, rubric_id=own.id).version == 1
