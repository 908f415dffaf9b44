"""Teacher, on the Rubrics page: the form that edits every text and threshold of the teacher's own
rubric; each save is a new version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from pydantic import ValidationError as PydanticValidationError

from backend.actor import UserRead
from backend.errors import ValidationError
from backend.reviews import rubric_service
from backend.reviews.read_models import RubricRead
from backend.reviews.rubric_schema import (
    ANCHOR_MAX,
    DEFINITION_MAX,
    DESCRIPTION_MAX,
    EXAMPLE_MAX,
    MEANING_MAX,
    NAME_MAX,
    SCORE_MAX,
    SCORE_MIN,
    THRESHOLD_LIMIT,
    RubricDefinition,
)
from mvp import auth, store, ui

safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def _field(rubric: RubricRead, *path: object) -> str:
    """The widget key of one field of a rubric's edit form (the version resets it after a save)."""
    return "rubric_edit_" + "_".join(str(part) for part in (rubric.id, rubric.version, *path))


def _errors_key(rubric: RubricRead) -> str:
    return f"rubric_errors_{rubric.id}"


def _edited(rubric: RubricRead) -> dict:
    """The rubric as the form now holds it: the stored version with the form's fields written
    over it, so what the form does not show (keys, kinds, each code's MI adherence, each
    threshold's source) stays as it was (rebuilding it from the fields had dropped those)."""
    state = st.session_state
    edited = RubricDefinition.model_validate(rubric.definition).model_dump(mode="json")

    def value(*path: object) -> Any:  # whatever the field's widget holds
        return state.get(_field(rubric, *path))

    edited["name"] = value("name") or ""
    edited["description"] = value("description") or ""
    for i, criterion in enumerate(edited["criteria"]):
        criterion["name"] = value("criteria", i, "name") or ""
        criterion["meaning"] = value("criteria", i, "meaning") or ""
        criterion["anchors"] = {
            score: value("criteria", i, "anchors", score) or ""
            for score in range(SCORE_MIN, SCORE_MAX + 1)
        }
    for i, code in enumerate(edited["codes"]):
        for part in ("name", "definition", "example"):
            code[part] = value("codes", i, part) or ""
    for i, indicator in enumerate(edited["indicators"]):
        indicator["name"] = value("indicators", i, "name") or ""
        indicator["fair"] = value("indicators", i, "fair")
        indicator["good"] = value("indicators", i, "good")
    return edited


def _field_errors(error: PydanticValidationError) -> dict[str, str]:
    """Pydantic's errors by field path ("criteria.0.anchors"), worded for a teacher."""
    errors: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "string_too_short":
            message = "This cannot be empty."
        elif item["type"] in ("float_type", "float_parsing"):
            message = "Enter a number."
        errors.setdefault(path, message)
    return errors


def _save(actor: UserRead, rubric: RubricRead) -> None:
    state = st.session_state
    state[_errors_key(rubric)] = {}
    with store.transaction() as db:  # another tab's version first: this form's fields are gone
        rubric_service.require_current(db, actor=actor, rubric_id=rubric.id, version=rubric.version)
    try:
        definition = RubricDefinition.model_validate(_edited(rubric))
    except PydanticValidationError as error:
        state[_errors_key(rubric)] = _field_errors(error)
        ui.flash("Not saved: fix the fields marked in red below.", "error")
        return
    try:
        with store.transaction(write=True) as db:
            saved = rubric_service.update_rubric(
                db,
                actor=actor,
                rubric_id=rubric.id,
                definition=definition,
                edited_version=rubric.version,
            )
    except ValidationError as error:
        state[_errors_key(rubric)] = error.field_errors
        raise
    ui.flash(f"Saved as version {saved.version}; reviews already made keep the version they used.")


def rubric_form(actor: UserRead, rubric: RubricRead, definition: RubricDefinition) -> None:
    """Every text and threshold of the teacher's own rubric; saving adds a version."""
    errors = st.session_state.get(_errors_key(rubric), {})
    for path, message in errors.items():
        if not path:  # about the whole rubric
            st.error(safe(message))
    state = st.session_state

    def text(
        widget: Callable[..., object], label: str, default: str, *path: object, **options: object
    ) -> None:
        key = _field(rubric, *path)
        state.setdefault(key, default)
        widget(label, key=key, **options)
        ui.field_error(errors, ".".join(str(part) for part in path))

    with st.form(f"rubric_form_{rubric.id}"):
        text(st.text_input, "Name", definition.name, "name", max_chars=NAME_MAX)
        text(
            st.text_area,
            "Description",
            definition.description,
            "description",
            height=80,
            max_chars=DESCRIPTION_MAX,
        )
        st.markdown("##### Criteria (scored 1-5)")
        for i, criterion in enumerate(definition.criteria):
            with st.expander(safe(criterion.name), expanded=_has_error(errors, "criteria", i)):
                text(
                    st.text_input, "Name", criterion.name, "criteria", i, "name", max_chars=NAME_MAX
                )
                text(
                    st.text_area,
                    "What it means",
                    criterion.meaning,
                    "criteria",
                    i,
                    "meaning",
                    max_chars=MEANING_MAX,
                )
                for score in range(SCORE_MIN, SCORE_MAX + 1):
                    text(
                        st.text_input,
                        f"Score {score} looks like",
                        criterion.anchors.get(score, ""),
                        "criteria",
                        i,
                        "anchors",
                        score,
                        max_chars=ANCHOR_MAX,
                    )
                ui.field_error(errors, f"criteria.{i}.anchors")
                ui.field_error(errors, f"criteria.{i}")
        st.markdown("##### Codes for each student utterance")
        for i, code in enumerate(definition.codes):
            with st.expander(safe(code.name), expanded=_has_error(errors, "codes", i)):
                text(st.text_input, "Name", code.name, "codes", i, "name", max_chars=NAME_MAX)
                text(
                    st.text_area,
                    "Definition",
                    code.definition,
                    "codes",
                    i,
                    "definition",
                    max_chars=DEFINITION_MAX,
                )
                text(
                    st.text_input,
                    "Example",
                    code.example,
                    "codes",
                    i,
                    "example",
                    max_chars=EXAMPLE_MAX,
                )
                ui.field_error(errors, f"codes.{i}")
        st.markdown("##### Indicators (fair and good thresholds)")
        for i, indicator in enumerate(definition.indicators):
            with st.container(border=True):
                text(
                    st.text_input,
                    "Name",
                    indicator.name,
                    "indicators",
                    i,
                    "name",
                    max_chars=NAME_MAX,
                )
                fair, good = st.columns(2)
                for column, label, field, default in (
                    (fair, "Fair from", "fair", indicator.fair),
                    (good, "Good from", "good", indicator.good),
                ):
                    key = _field(rubric, "indicators", i, field)
                    state.setdefault(key, float(default))
                    column.number_input(
                        label,
                        key=key,
                        step=0.1,
                        format="%.2f",
                        min_value=-THRESHOLD_LIMIT,
                        max_value=THRESHOLD_LIMIT,
                    )
                st.caption(
                    "Higher is better." if indicator.higher_is_better else "Lower is better."
                )
                ui.field_error(errors, f"indicators.{i}")
        st.form_submit_button(
            "Save as a new version",
            key=f"save_rubric_{rubric.id}",
            type="primary",
            on_click=auth.guarded(_save),
            args=(actor, rubric),
        )


def _has_error(errors: dict[str, str], *prefix: object) -> bool:
    start = ".".join(str(part) for part in prefix)
    return any(path == start or path.startswith(start + ".") for path in errors)
