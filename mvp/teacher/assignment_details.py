"""Teacher: an assignment's title, instructions and due date, corrected on its card."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentRead
from backend.errors import ValidationError
from mvp import auth, store, ui

safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def _keys(assignment_id: int) -> tuple[str, str, str, str, str]:
    """The title's, the instructions' and the due date's keys; the three as the form was filled
    from them; their errors."""
    return (
        f"assignment_title_{assignment_id}",
        f"assignment_instructions_{assignment_id}",
        f"assignment_due_{assignment_id}",
        f"assignment_details_from_{assignment_id}",
        f"assignment_details_errors_{assignment_id}",
    )


def _fill(assignment: AssignmentRead) -> None:
    """The fields as the assignment has them, and that it is what they started from."""
    title_key, instructions_key, due_key, from_key, _errors = _keys(assignment.id)
    state = st.session_state
    state[title_key], state[instructions_key] = assignment.title, assignment.instructions
    state[due_key] = assignment.due_at.date() if assignment.due_at else None
    state[from_key] = assignment_service.details(assignment)


def _untouched(assignment_id: int) -> bool:
    title_key, instructions_key, due_key, from_key, _errors = _keys(assignment_id)
    state = st.session_state
    title, instructions, due_at = state[from_key]
    shown = (state.get(title_key), state.get(instructions_key), state.get(due_key))
    return shown == (title, instructions, due_at.date() if due_at else None)


def _save_details(actor: UserRead, assignment_id: int) -> None:
    title_key, instructions_key, due_key, from_key, errors_key = _keys(assignment_id)
    state = st.session_state
    title = (state.get(title_key) or "").strip()
    if not title:
        state[errors_key] = {"title": "Give the assignment a title."}
        return
    try:
        with store.transaction(write=True) as db:
            saved = assignment_service.update_details(
                db,
                actor=actor,
                assignment_id=assignment_id,
                title=title,
                instructions=state.get(instructions_key) or "",
                due_at=section_service.end_of_day(state.get(due_key)),
                started_from=state.get(from_key),
            )
    except assignment_service.DetailsChanged as changed:
        with store.transaction() as db:
            _fill(assignment_service.get_assignment(db, actor=actor, assignment_id=assignment_id))
        ui.flash(changed.message, "warning")
        return
    except ValidationError as error:
        if not error.field_errors:
            raise
        state[errors_key] = error.field_errors  # under their fields; nothing typed lost
        return
    state[errors_key] = {}
    _fill(saved)
    ui.flash(f"Saved “{safe(saved.title)}”.")


def assignment_details(actor: UserRead, assignment: AssignmentRead) -> None:
    """An expander on the card with the assignment's own text and due date, and a Save. Fields
    nothing was typed in follow what is stored (another tab's save, too)."""
    title_key, instructions_key, due_key, from_key, errors_key = _keys(assignment.id)
    state = st.session_state
    if from_key not in state or (
        state[from_key] != assignment_service.details(assignment) and _untouched(assignment.id)
    ):
        _fill(assignment)
    errors = state.get(errors_key, {})
    with st.expander("Title, instructions and due date", expanded=bool(errors)):
        st.text_input("Title *", key=title_key, max_chars=200)
        ui.field_error(errors, "title")
        st.text_area("Instructions for students", key=instructions_key, max_chars=4000, height=90)
        ui.field_error(errors, "instructions")
        st.date_input("Due date (optional, end of day UTC)", key=due_key)
        ui.field_error(errors, "due_at")
        st.button(
            "Save",
            key=f"save_assignment_details_{assignment.id}",
            on_click=auth.guarded(_save_details),
            args=(actor, assignment.id),
        )
