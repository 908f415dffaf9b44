"""Teacher: a section's assignments (their cards and publishing; the form for a new one is
`assignment_form`)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from backend.actor import UserRead
from backend.classes import assignment_service
from backend.classes.assignment_service import UncheckedClients
from backend.classes.read_models import AssignmentRead
from backend.reviews import rubric_service
from backend.reviews.read_models import RubricRead
from backend.utils.formatting import Named, format_time, told_apart
from mvp import auth, store, ui
from mvp.teacher.assignment_details import assignment_details
from mvp.teacher.rubric_picker import chosen_rubric, rubric_picker

safe = ui.safe_markdown  # every piece of text a person wrote goes through it


RELEASE_OPTIONS = {
    "immediately": "Students see reviews at once",
    "after_teacher_review": "Students see reviews after I release them",
}
CONTINUING_HELP = (
    "Each client remembers a student's earlier sessions with them (a short memory written when "
    "a session ends; read and edit it on History & metrics)."
)
RELEASE_SAVED = {
    "immediately": "students see reviews at once",
    "after_teacher_review": "students see reviews after you release them",
}


def _confirm_key(assignment_id: int) -> str:
    return f"confirm_publish_{assignment_id}"  # why publishing needs a confirmation


def _set_published(
    actor: UserRead, assignment_id: int, published: bool, confirm_unchecked: bool = False
) -> None:
    """Publish or unpublish; with clients not checked (or failing their check), ask first."""
    st.session_state.pop(_confirm_key(assignment_id), None)
    # As the card shows it: the clients chosen there, saved or not (unless another tab changed
    # them meanwhile: then nothing is published, and the card shows them).
    if published and _store_chosen_clients(actor, assignment_id) is None:
        return
    try:
        with store.transaction(write=True) as db:
            assignment = assignment_service.set_published(
                db,
                actor=actor,
                assignment_id=assignment_id,
                published=published,
                confirm_unchecked=confirm_unchecked,
            )
    except UncheckedClients as error:
        ui.remember_for_this_visit(_confirm_key(assignment_id), error.message)
        return
    ui.flash(
        f"Published “{safe(assignment.title)}”: students in the section can now practise."
        if published
        else f"“{safe(assignment.title)}” is a draft again, hidden from students."
    )


def _fill_clients(assignment: AssignmentRead, *, again: bool = False) -> None:
    """The card's clients as the assignment has them (`ui.follow_stored`)."""
    key = f"assignment_clients_{assignment.id}"
    stored = list(assignment.client_ids)
    ui.follow_stored({key: stored}, stored, f"{key}_from", again=again)


def _store_chosen_clients(actor: UserRead, assignment_id: int) -> AssignmentRead | None:
    """The clients the card shows chosen, stored (Save clients; Publish does it first); None
    when another tab changed them meanwhile (the card then shows them as stored)."""
    key = f"assignment_clients_{assignment_id}"
    chosen, started = st.session_state.get(key), ui.started_from(f"{key}_from")
    try:
        with store.transaction(write=True) as db:
            if chosen is None or started is None or sorted(chosen) == sorted(started):
                # Not changed here: nothing to store, unless another tab changed them (a stale
                # Publish had published clients its card never showed: a review, 2026-12-07).
                now = assignment_service.get_assignment(
                    db, actor=actor, assignment_id=assignment_id
                )
                if started is not None and sorted(started) != now.client_ids:
                    raise assignment_service.ClientsChanged(now)
                return now
            saved = assignment_service.update_clients(
                db,
                actor=actor,
                assignment_id=assignment_id,
                client_ids=list(chosen),
                started_from=list(started),
            )
    except assignment_service.ClientsChanged as changed:
        _fill_clients(changed.now, again=True)
        ui.flash(changed.message, "warning")
        return None
    _fill_clients(saved, again=True)
    return saved


def _save_assignment_clients(actor: UserRead, assignment_id: int) -> None:
    if saved := _store_chosen_clients(actor, assignment_id):
        ui.flash(f"Saved the clients of “{safe(saved.title)}”.")


def _set_release_reviews(actor: UserRead, assignment_id: int) -> None:
    release = st.session_state.get(f"assignment_release_{assignment_id}") or "immediately"
    with store.transaction(write=True) as db:
        assignment_service.set_release_reviews(
            db, actor=actor, assignment_id=assignment_id, release_reviews=release
        )
    ui.flash(f"Saved: {RELEASE_SAVED[release]}.")


def _set_continuing(actor: UserRead, assignment_id: int) -> None:
    continuing = bool(st.session_state.get(f"assignment_continuing_{assignment_id}"))
    with store.transaction(write=True) as db:
        assignment_service.set_continuing_client(
            db, actor=actor, assignment_id=assignment_id, continuing=continuing
        )
    ui.flash(
        "Saved: its clients remember each student's earlier sessions."
        if continuing
        else "Saved: each session starts afresh (memories already written are kept)."
    )


def _set_assignment_rubric(actor: UserRead, assignment_id: int) -> None:
    rubric_id = chosen_rubric(f"assignment_rubric_{assignment_id}")
    with store.transaction(write=True) as db:
        rubric_service.set_assignment_rubric(
            db, actor=actor, assignment_id=assignment_id, rubric_id=rubric_id
        )
    ui.flash("Saved the assignment's rubric. Reviews already made keep the rubric they used.")


def assignment_card(
    actor: UserRead,
    assignment: AssignmentRead,
    client_names: dict[int, str],
    rubrics: Sequence[RubricRead] = (),
) -> None:
    with st.container(border=True, key=f"assignment_{assignment.id}"):
        published = assignment.status.value == "published"
        badge = ":green-badge[published]" if published else ":gray-badge[draft]"
        due = f" · due {format_time(assignment.due_at)}" if assignment.due_at else ""
        st.markdown(f"**{safe(assignment.title)}** {badge}{due}")
        if assignment.instructions:
            st.caption(safe(assignment.instructions))
        assignment_details(actor, assignment)
        options = sorted(set(client_names) | set(assignment.client_ids))
        key = f"assignment_clients_{assignment.id}"
        _fill_clients(assignment)
        # A colleague's client (an admin added it) told from the teacher's own of its name.
        named = [
            Named(cid, client_names[cid], "yours")
            if cid in client_names
            else Named(cid, assignment.client_labels.get(cid, "client"), "another teacher's")
            for cid in options
        ]
        labels = dict(zip(options, told_apart(named), strict=True))
        st.multiselect("Clients", options, key=key, format_func=labels.__getitem__)
        release_key = f"assignment_release_{assignment.id}"
        st.session_state.setdefault(release_key, assignment.release_reviews.value)
        st.selectbox(
            "Session reviews",
            list(RELEASE_OPTIONS),
            key=release_key,
            format_func=RELEASE_OPTIONS.__getitem__,
            on_change=auth.guarded(_set_release_reviews),
            args=(actor, assignment.id),
            help="Saved as soon as you choose.",
        )
        continuing_key = f"assignment_continuing_{assignment.id}"
        st.session_state.setdefault(continuing_key, assignment.continuing_client)
        st.checkbox(
            "Continuing client",
            key=continuing_key,
            on_change=auth.guarded(_set_continuing),
            args=(actor, assignment.id),
            help=CONTINUING_HELP + " Saved as soon as you tick it.",
        )
        rubric_picker(
            "Rubric for reviews",
            rubrics,
            "Section default",
            key=f"assignment_rubric_{assignment.id}",
            current=assignment.rubric_id,
            on_change=_set_assignment_rubric,
            args=(actor, assignment.id),
        )
        save, publish = st.columns(2)
        save.button(
            "Save clients",
            key=f"save_assignment_clients_{assignment.id}",
            on_click=auth.guarded(_save_assignment_clients),
            args=(actor, assignment.id),
        )
        publish.button(
            "Unpublish" if published else "Publish",
            type="secondary" if published else "primary",
            key=f"publish_assignment_{assignment.id}",
            on_click=auth.guarded(_set_published),
            args=(actor, assignment.id, not published),
        )
        publish_confirmation(actor, assignment.id)


def publish_confirmation(actor: UserRead, assignment_id: int) -> None:
    """Publishing with unchecked (or failing) clients: the reason, then Publish anyway."""
    reason = st.session_state.get(_confirm_key(assignment_id))
    if not reason:
        return
    st.warning(safe(reason), icon=":material/warning:")
    st.caption("Each client card has **Check this client**; the **Client check** page shows why.")
    anyway, cancel = st.columns(2)
    anyway.button(
        "Publish anyway",
        key=f"publish_anyway_{assignment_id}",
        type="primary",
        on_click=auth.guarded(_set_published),
        args=(actor, assignment_id, True, True),
    )
    cancel.button(
        "Cancel",
        key=f"cancel_publish_{assignment_id}",
        on_click=st.session_state.pop,
        args=(_confirm_key(assignment_id), None),
    )


def assignment_list(
    actor: UserRead,
    assignments: list[AssignmentRead],
    client_names: dict[int, str],
    rubrics: Sequence[RubricRead] = (),
) -> None:
    st.markdown("##### Assignments")
    if not assignments:
        st.info(
            "No assignments yet. Create one below, attach clients and publish it: students "
            "then see those clients on their practice page."
        )
    for assignment in assignments:
        assignment_card(actor, assignment, client_names, rubrics)
