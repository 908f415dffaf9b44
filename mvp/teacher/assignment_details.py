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


def _fill(assignment: AssignmentRead, *, again: bool = False) -> None:
    """The fields as the assignment has them (`ui.follow_stored`)."""
    title_key, instructions_key, due_key, from_key, _errors = _keys(assignment.id)
    fields = {
        title_key: assignment.title,
        instructions_key: assignment.instructions,
        due_key: assignment.due_at.date() if assignment.due_at else None,
    }
    ui.follow_stored(fields, assignment_service.details(assignment), from_key, again=again)


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
                started_from=ui.started_from(from_key),
            )
    except assignment_service.DetailsChanged as changed:
        _fill(changed.now, again=True)
        ui.flash(changed.message, "warning")
        return
    except ValidationError as error:
        if not error.field_errors:
            raise
        state[errors_key] = error.field_errors  # under their fields; nothing typed lost
        return
    state[errors_key] = {}
    _fill(saved, again=True)
    ui.flash(f"Saved “{safe(saved.title)}”.")


def assignment_details(actor: UserRead, assignment: AssignmentRead) -> None:
    """An expander on the card with the assignment's own text and due date, and a Save. Fields
    nothing was typed in follow what is stored (another tab's save, too)."""
    title_key, instructions_key, due_key, _from, errors_key = _keys(assignment.id)
    _fill(assignment)
    errors = st.session_state.get(errors_key, {})
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
