"""Teacher: the form for a section's new assignment (a draft, published from its card)."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput, SectionRead
from backend.errors import ValidationError
from mvp import auth, store, ui
from mvp.teacher.section_assignments import CONTINUING_HELP, RELEASE_OPTIONS

safe = ui.safe_markdown  # every piece of text a person wrote goes through it


# The form's fields, each with its value in a blank form.
FIELDS: tuple[tuple[str, object], ...] = (
    ("assignment_title", ""),
    ("assignment_instructions", ""),
    ("assignment_due", None),
    ("assignment_clients", []),
    ("assignment_release", "immediately"),
    ("assignment_continuing", False),
)
FORM_SECTION_KEY = "assignment_form_section"  # the section whose draft the fields hold


def _keep_drafts_apart(section_id: int) -> None:
    """One section's draft and errors never show in another's form: switching sections puts
    away what was typed (for when that section comes back) and shows the new one's own
    (an attack, 2026-12-07: a refusal in one section's form showed in every other's). What the
    form holds is put away at every run, so a look at another page, which makes Streamlit forget
    the widgets, brings it back too: a refused draft had come back blank under its refusal (an
    attack, 2026-12-07)."""
    state = st.session_state
    shown = state.get(FORM_SECTION_KEY)
    drawn = all(key in state for key, _blank in FIELDS)
    if drawn and shown is not None:
        draft = {key: state[key] for key, _blank in FIELDS}
        state[_draft_key(shown)] = (draft, state.get("assignment_errors", {}))
    if drawn and shown == section_id:
        return
    draft, errors = state.get(_draft_key(section_id), ({}, {}))
    for key, blank in FIELDS:
        state[key] = draft.get(key, blank)
    state["assignment_errors"] = errors
    state[FORM_SECTION_KEY] = section_id


def _draft_key(section_id: int) -> str:
    return f"assignment_draft_{section_id}"


def _create_assignment(actor: UserRead, section_id: int) -> None:
    state = st.session_state
    title = (state.get("assignment_title") or "").strip()
    if not title:
        state["assignment_errors"] = {"title": "Give the assignment a title."}
        return
    due = state.get("assignment_due")
    data = AssignmentInput(
        title=title,
        instructions=state.get("assignment_instructions") or "",
        due_at=section_service.end_of_day(due),
        client_ids=list(state.get("assignment_clients") or []),
        release_reviews=state.get("assignment_release") or "immediately",
        continuing_client=bool(state.get("assignment_continuing")),
    )
    state["assignment_errors"] = {}  # a refusal of no field leaves none standing
    try:
        with store.transaction(write=True) as db:
            created = assignment_service.create_assignment(
                db, actor=actor, section_id=section_id, data=data, once=True
            )
    except ValidationError as error:
        if not error.field_errors:
            raise
        state["assignment_errors"] = error.field_errors  # under their fields; nothing typed lost
        return
    for key, blank in FIELDS:
        state[key] = blank
    state["assignment_errors"] = {}
    ui.flash(f"Created the draft “{safe(created.title)}”. Publish it when it is ready.")


def assignment_form(actor: UserRead, section: SectionRead, client_names: dict[int, str]) -> None:
    _keep_drafts_apart(section.id)
    errors = st.session_state.get("assignment_errors", {})
    with st.form(f"assignment_form_{section.id}"):
        st.markdown("**New assignment**")
        st.text_input("Title *", key="assignment_title", max_chars=200)
        ui.field_error(errors, "title")
        st.text_area(
            "Instructions for students", key="assignment_instructions", max_chars=4000, height=90
        )
        ui.field_error(errors, "instructions")
        st.date_input("Due date (optional, end of day UTC)", value=None, key="assignment_due")
        ui.field_error(errors, "due_at")
        st.multiselect(
            "Clients",
            list(client_names),
            key="assignment_clients",
            format_func=client_names.__getitem__,
            placeholder="Choose clients" if client_names else "Create a client first",
        )
        st.selectbox(
            "Session reviews",
            list(RELEASE_OPTIONS),
            key="assignment_release",
            format_func=RELEASE_OPTIONS.__getitem__,
            help="After your review: each review waits in Reviews until you release it.",
        )
        st.checkbox("Continuing client", key="assignment_continuing", help=CONTINUING_HELP)
        st.form_submit_button(
            "Create assignment",
            key="create_assignment",
            on_click=auth.guarded(_create_assignment),
            args=(actor, section.id),
        )
