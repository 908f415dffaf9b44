"""Teacher: sections (join codes, seats, roster) and their assignments (section_assignments.py)."""

from __future__ import annotations

import streamlit as st

from backend.classes import assignment_service, section_service
from backend.classes.read_models import RosterEntry, SectionRead
from backend.clients.read_models import ClientRead, names_apart
from backend.errors import ValidationError
from backend.models.enums import Role
from backend.reviews import rubric_service
from backend.reviews.read_models import RubricRead
from backend.utils.formatting import format_time
from mvp import auth, store, ui
from mvp.teacher import shared
from mvp.teacher.assignment_form import assignment_form
from mvp.teacher.rubric_picker import chosen_rubric, rubric_picker
from mvp.teacher.section_assignments import assignment_list

actor = auth.require_role(Role.teacher, Role.admin)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def _create_section() -> None:
    state = st.session_state
    state["section_errors"] = {}
    try:
        with store.transaction(write=True) as db:
            section = section_service.create_section(
                db,
                actor=actor,
                name=state["section_name"],
                seat_limit=state.get("section_seat_limit"),
                join_code_expires_at=section_service.end_of_day(state.get("section_code_expires")),
                once=True,
            )
    except ValidationError as error:
        state["section_errors"] = error.field_errors
        raise
    state["section_name"], state["section_seat_limit"], state["section_code_expires"] = (
        "",
        None,
        None,
    )
    state["section_id"] = state["_kept_section_id"] = section.id
    ui.flash(f"Created {safe(section.name)}. Students join it with the code {section.join_code}.")


def _save_section(section_id: int) -> None:
    state = st.session_state
    errors_key = f"section_settings_errors_{section_id}"
    state[errors_key] = {}
    try:
        with store.transaction(write=True) as db:
            section = section_service.update_section(
                db,
                actor=actor,
                section_id=section_id,
                name=state[f"edit_section_name_{section_id}"],
                seat_limit=state.get(f"edit_seat_limit_{section_id}"),
                join_code_expires_at=section_service.end_of_day(
                    state.get(f"edit_code_expires_{section_id}")
                ),
                started_from=ui.started_from(f"section_settings_from_{section_id}"),
            )
    except section_service.SettingsChanged as changed:
        _fill_settings(changed.now, again=True)
        ui.flash(changed.message, "warning")
        return
    except ValidationError as error:
        state[errors_key] = error.field_errors
        raise
    _fill_settings(section, again=True)
    ui.flash(f"Saved the settings of {safe(section.name)}.")


def _regenerate_code(section_id: int) -> None:
    with store.transaction(write=True) as db:
        section = section_service.regenerate_join_code(db, actor=actor, section_id=section_id)
    ui.flash(
        f"New join code for {safe(section.name)}: {section.join_code}. The old one stops working."
    )
    _fill_settings(section, again=True)  # an expired date is cleared


def _remove_student(section_id: int, student_id: int, name: str) -> None:
    with store.transaction(write=True) as db:
        section_service.remove_student(
            db, actor=actor, section_id=section_id, student_id=student_id
        )
    ui.flash(f"Removed {safe(name)} from the section. Their past conversations are kept.")


def _set_section_rubric(section_id: int) -> None:
    rubric_id = chosen_rubric(f"section_rubric_{section_id}")
    with store.transaction(write=True) as db:
        rubric_service.set_section_rubric(
            db, actor=actor, section_id=section_id, rubric_id=rubric_id
        )
    ui.flash("Saved the section's rubric. Reviews already made keep the rubric they used.")


def _code_status(section: SectionRead) -> list[str]:
    """What the join code lets in: seats taken, and until when it works."""
    if section.seat_limit is None:
        seats = "No seat limit."
    else:
        plural = "s" if section.seat_limit != 1 else ""
        seats = f"{section.student_count} of {section.seat_limit} seat{plural} taken."
        if section.is_full:
            seats += " Full: raise the seat limit below to let more students in."
    expires = section.join_code_expires_at
    if expires is None:
        until = "The code does not expire."
    elif section.join_code_expired:
        until = f"Code expired on {expires:%Y-%m-%d}: make a new code, or set a later date below."
    else:
        until = f"Code works until {expires:%Y-%m-%d} (end of day UTC)."
    return [seats, until]


def _fill_settings(section: SectionRead, *, again: bool = False) -> None:
    """The settings form as the section has it (`ui.follow_stored`)."""
    fields = {
        f"edit_section_name_{section.id}": section.name,
        f"edit_seat_limit_{section.id}": section.seat_limit,
        f"edit_code_expires_{section.id}": section.join_code_expires_at.date()
        if section.join_code_expires_at
        else None,
    }
    key = f"section_settings_from_{section.id}"
    ui.follow_stored(fields, section_service.settings(section), key, again=again)


def section_settings(section: SectionRead) -> None:
    """Rename the section; set or clear its seat limit and its code's expiry."""
    state = st.session_state
    _fill_settings(section)
    errors = state.get(f"section_settings_errors_{section.id}", {})
    with st.expander("Section settings", expanded=bool(errors)):
        with st.form(f"section_settings_{section.id}", border=False):
            st.text_input("Name", key=f"edit_section_name_{section.id}", max_chars=120)
            ui.field_error(errors, "name")
            # value=None keeps both fields clearable (empty: no limit, no expiry).
            st.number_input(
                "Seat limit (empty: no limit)",
                min_value=1,
                step=1,
                value=None,
                key=f"edit_seat_limit_{section.id}",
                help="Sign-ups and joins stop once this many students are enrolled.",
            )
            ui.field_error(errors, "seat_limit")
            st.date_input(
                "Join code works until (empty: no expiry; end of day UTC)",
                value=None,
                key=f"edit_code_expires_{section.id}",
            )
            ui.field_error(errors, "join_code_expires_at")
            st.form_submit_button(
                "Save settings",
                key=f"save_section_{section.id}",
                on_click=auth.guarded(_save_section),
                args=(section.id,),
            )


def section_detail(section: SectionRead, clients: list[ClientRead]) -> None:
    with store.transaction() as db:
        roster = section_service.get_roster(db, actor=actor, section_id=section.id)
        assignments = assignment_service.list_assignments(db, actor=actor, section_id=section.id)
        rubrics = rubric_service.list_rubrics(db, actor=actor)
    join_code(section, len(roster))
    section_settings(section)
    section_rubric(section, rubrics)
    roster_list(section, roster)
    client_names = names_apart(clients)
    assignment_list(actor, assignments, client_names, rubrics)
    assignment_form(actor, section, client_names)


def join_code(section: SectionRead, students: int) -> None:
    code, count = st.columns(2)
    with code:
        st.markdown("Join code")
        st.code(section.join_code, language=None)
        for line in _code_status(section):
            st.caption(line)
        st.button(
            "New join code",
            key=f"regenerate_code_{section.id}",
            on_click=auth.guarded(_regenerate_code),
            args=(section.id,),
            help="The old code stops working at once; enrolled students stay.",
        )
    count.metric("Students", students)


def roster_list(section: SectionRead, roster: list[RosterEntry]) -> None:
    st.markdown("##### Roster")
    if not roster:
        st.info(
            f"No students yet. Give them the join code **{section.join_code}**: they sign up "
            "on the log-in page under **Student sign-up**."
        )
    for entry in roster:
        name, remove = st.columns([4, 1], vertical_alignment="center")
        name.markdown(
            f"{safe(entry.display_name)} · `{safe(entry.username)}` · joined "
            f"{format_time(entry.enrolled_at)}"
        )
        remove.button(
            "Remove",
            key=f"remove_student_{section.id}_{entry.student_id}",
            on_click=auth.guarded(_remove_student),
            args=(section.id, entry.student_id, entry.display_name),
        )


def section_rubric(section: SectionRead, rubrics: list[RubricRead]) -> None:
    """The rubric reviews in this section use unless an assignment names its own."""
    rubric_picker(
        "Default rubric for this section's assignments",
        rubrics,
        "Core counseling micro-skills (built-in default)",
        key=f"section_rubric_{section.id}",
        current=section.rubric_id,
        on_change=_set_section_rubric,
        args=(section.id,),
    )


def sections_page() -> None:
    errors = st.session_state.get("section_errors", {})
    with st.form("section_form", border=False):
        name, seats, expires, create = st.columns([3, 1, 1.4, 1], vertical_alignment="bottom")
        name.text_input(
            "New section name",
            key="section_name",
            max_chars=120,
            placeholder="e.g. Counseling Skills 101, spring",
        )
        seats.number_input(
            "Seat limit",
            min_value=1,
            step=1,
            value=None,
            key="section_seat_limit",
            placeholder="none",
        )
        expires.date_input(
            "Code works until",
            value=None,
            key="section_code_expires",
            help="Optional: the join code stops working after this day (UTC).",
        )
        create.form_submit_button(
            "Create section",
            key="create_section",
            width="stretch",
            on_click=auth.guarded(_create_section),
        )
    for field in ("name", "seat_limit", "join_code_expires_at"):
        ui.field_error(errors, field)
    with store.transaction() as db:
        sections = section_service.list_sections(db, actor=actor)
    if not sections:
        st.info("No sections yet. Create one above; students join it with its join code.")
        return
    names = {
        section.id: f"{section.name} ({section.student_count} "
        f"student{'' if section.student_count == 1 else 's'})"
        for section in sections
    }
    if st.session_state.get("_kept_section_id") not in names:
        st.session_state["_kept_section_id"] = sections[0].id
        st.session_state.pop("section_id", None)
    selected = ui.sticky(
        st.selectbox, "Section", list(names), format_func=names.get, key="section_id"
    )
    section_detail(next(s for s in sections if s.id == selected), shared.clients(actor))


# The page ------------------------------------------------------------------------------------
st.title("Sections & assignments")
sections_page()
