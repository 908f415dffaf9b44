"""Teacher: the form that creates or edits a client (its principles one input each).

A save that is refused says why under each field concerned and next to the Save button.
"""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.clients import client_service
from backend.clients.read_models import ClientRead
from backend.errors import AppError
from backend.models.enums import CommunicationStyle, Difficulty
from mvp import auth, store, ui
from mvp.teacher.client_fields import manner_fields, story_fields, who_fields
from mvp.teacher.client_principles import (
    draft_principle,
    forget_waiting,
    principle_fields,
    principles_in_form,
    set_principles,
)
from mvp.teacher.shared import PRINCIPLE_DRAFT_KEY

safe = ui.safe_markdown  # every piece of text a person wrote goes through it

CLIENT_DEFAULTS: dict[str, object] = {
    "name": "", "age": None, "gender": "", "occupation": "", "cultural_background": "",
    "background": "", "presenting_concern": "", "challenges": "", "personality_traits": [],
    "communication_style": CommunicationStyle.plain.value,
    "difficulty": Difficulty.beginner.value, "learning_goals": "", "hidden_information": "",
    "opening_line": "", "hidden_reveal_after_turns": None,
}  # fmt: skip
NUMBER_FIELDS = {"age", "hidden_reveal_after_turns"}  # empty is None, not ""
FORM_TARGET = "client_form_target"  # None (closed), "new", or the id of the client being edited
FORM_ERRORS = "client_form_errors"  # field -> why the last save was refused
FORM_NOTICE = "client_form_notice"  # the refusal itself, shown next to the Save button
FORM_VERSION = "client_form_version"  # the version of the client the form was filled from
FORM_FILLED = "client_form_filled"  # the form's values as it was filled
FORM_SENT = "client_form_sent"  # its values as last sent where they differ, kept for when its
# widgets are forgotten (an untouched form is filled again from the stored client)


# Client form -----------------------------------------------------------------------------------
def _fill_form(client: ClientRead | None) -> None:
    """Put a client's values (or blanks) into the form's widgets."""
    st.session_state[FORM_VERSION] = client.version if client is not None else None
    for field, default in CLIENT_DEFAULTS.items():
        value = getattr(client, field) if client is not None else default
        if field in {"communication_style", "difficulty"}:
            value = str(getattr(value, "value", value))  # an enum's value, or the text
        elif value is None and field not in NUMBER_FIELDS:
            value = ""
        st.session_state[f"client_{field}"] = list(value) if isinstance(value, list) else value
    set_principles(client.principles if client is not None else [])
    st.session_state[FORM_FILLED] = _form_values()
    st.session_state.pop(FORM_SENT, None)


def keeps_unsaved() -> bool:
    """Typing not saved in the form stays, with a word on how to go on: Edit or Copy on another
    card had replaced it without one (an attack, 2026-12-07)."""
    # The form's typing reaches the server only with Save (`st.form`), so an open form is never
    # replaced: Edit on another card had dropped what was typed there unseen (two attacks).
    state = st.session_state
    if state.get(FORM_TARGET) is None:
        return False
    name = safe(form_name())
    ui.flash(
        f"The form is open for {name}, and anything typed there is not saved: press Save or "
        "Cancel first, then open another client.",
        "warning",
    )
    return True


def form_name() -> str:
    """The name of the client the open form holds, also while its widgets are forgotten (on
    another page: it had read "the new client" then)."""
    state = st.session_state
    kept = state.get(FORM_SENT) or state.get(FORM_FILLED) or {}
    return str(state.get("client_name") or kept.get("name") or "the new client")


def sent_typing() -> bool:
    """Whether the open form holds values the teacher sent and did not save (a refused Save, a
    principle added); typing never sent is lost once another page was open."""
    return FORM_SENT in st.session_state


def edit_client(actor: UserRead, client_id: int) -> None:
    """Edit on a card: the form holds that client (unless it holds typing not saved)."""
    if keeps_unsaved():
        return
    with store.transaction() as db:
        client = client_service.get_client(db, actor=actor, client_id=client_id)
    open_form(client_id, client)


def copy_client(actor: UserRead, client_id: int) -> None:
    """Copy on a card: a copy, open in the form (unless it holds typing not saved)."""
    if keeps_unsaved():
        return
    with store.transaction(write=True) as db:
        copy = client_service.duplicate_client(db, actor=actor, client_id=client_id)
    open_form(copy.id, copy)
    ui.flash(f"Created {safe(copy.name)}. Change what you like and save.")


def open_form(target: str | int, client: ClientRead | None = None) -> None:
    st.session_state[FORM_TARGET] = target
    _clear_refusal()
    forget_waiting()
    _fill_form(client)


def close_form() -> None:
    st.session_state[FORM_TARGET] = None
    _clear_refusal()
    forget_waiting()
    _fill_form(None)


def _clear_refusal() -> None:
    st.session_state[FORM_ERRORS] = {}
    st.session_state.pop(FORM_NOTICE, None)


def _save_client(actor: UserRead) -> None:
    """Save the form; a refusal says why under each field concerned and next to the button
    (the last refusal's messages go first: none of them may outlive the problem)."""
    _clear_refusal()
    target: str | int = st.session_state[FORM_TARGET]  # the form is open: "new" or an id
    data = _form_values()
    data["principles"] = [text for text in principles_in_form() if text.strip()]
    version = st.session_state.get(FORM_VERSION)  # the client's, as the form was filled
    try:
        with store.transaction(write=True) as db:
            if target == "new":
                saved = client_service.create_client(db, actor=actor, data=data)
            else:
                saved = client_service.update_client(
                    db, actor=actor, client_id=int(target), data=data, over_version=version
                )
    except AppError as error:
        st.session_state[FORM_ERRORS] = getattr(error, "field_errors", {})
        st.session_state[FORM_NOTICE] = error.message
        if isinstance(error, client_service.ClientChanged):
            st.session_state[FORM_VERSION] = error.version  # a second Save replaces theirs
        return
    close_form()
    ui.flash(f"Saved {safe(saved.name)}. Press **Test conversation** on its card to try it.")


def _form_values() -> dict[str, object]:
    """What the form holds: its widgets' values as last sent (Save, Add or Remove)."""
    values = {field: st.session_state.get(f"client_{field}") for field in CLIENT_DEFAULTS}
    return {**values, "principles": principles_in_form()}


def _refill(values: dict[str, object]) -> None:
    """The widgets as sent, once another page made Streamlit forget them: a refused save's
    typing had come back blank, its refusal still standing (an attack, 2026-12-07)."""
    st.session_state.update({f"client_{field}": values[field] for field in CLIENT_DEFAULTS})
    set_principles(list(values["principles"]))  # type: ignore[call-overload]


def keep_form_filled(actor: UserRead, target: str | int) -> None:
    """The form's widgets, also after another page made Streamlit forget them: as last sent
    where the teacher changed something (a refused save, a principle added), else as the
    client is stored now (an untouched form had come back with values another tab had saved
    over since: an attack on the day's fixes, 2026-12-07)."""
    state = st.session_state
    if "client_name" in state:
        values = _form_values()
        if values != state.get(FORM_FILLED):
            state[FORM_SENT] = values
        else:  # changed back: the stored client again, should another tab change it
            state.pop(FORM_SENT, None)
        return
    if (sent := state.get(FORM_SENT)) is not None:
        _refill(sent)
        return
    existing = None
    if target != "new":
        with store.transaction() as db:
            existing = client_service.get_client(db, actor=actor, client_id=int(target))
    _fill_form(existing)


def principle_from_check(actor: UserRead) -> bool:
    """The finding's client in the form, its draft principle added to what the form holds (a
    refused edit had been replaced unsaid: an attack, 2026-12-07)."""
    draft = st.session_state.get(PRINCIPLE_DRAFT_KEY)
    if draft is None:
        return False
    client_id, text = draft
    if (target := st.session_state.get(FORM_TARGET)) == client_id:
        keep_form_filled(actor, client_id)
    elif target is not None and sent_typing():  # waits (an attack on the fix, 2026-12-07)
        st.warning(
            f"The form holds changes to {safe(form_name())} that are not saved: press Save or "
            "Cancel, and the check's principle goes into its own client's form.",
            icon=":material/warning:",
        )
        return False
    else:
        with store.transaction() as db:
            client = client_service.get_client(db, actor=actor, client_id=client_id)
        open_form(client_id, client)
    st.session_state.pop(PRINCIPLE_DRAFT_KEY)
    return draft_principle(text)


def client_form(actor: UserRead, target: str | int) -> None:
    """The form for a new client (`target` "new") or for the client with this id."""
    editing = target != "new"
    keep_form_filled(actor, target)
    errors = st.session_state.get(FORM_ERRORS, {})
    title = f"Edit {st.session_state['client_name'] or 'client'}" if editing else "New client"
    with st.container(border=True, key="client_form_box"):
        st.markdown(f"#### {safe(title)}")
        # Enter would press the form's first button, which may be a principle's Remove.
        with st.form("client_form", border=False, enter_to_submit=False):
            who_fields(errors)
            manner_fields(errors)
            story_fields(errors)
            principle_fields(errors)
            _form_refusal(errors)
            st.form_submit_button(
                "Save client",
                key="save_client",
                type="primary",
                icon=":material/save:",
                on_click=auth.guarded(_save_client),
                args=(actor,),
            )
        st.button("Cancel", key="cancel_client", on_click=close_form)


def _form_refusal(errors: dict[str, str]) -> None:
    """Why the last save was refused, next to the Save button (with any field message that has
    no field of its own in the form)."""
    notice = st.session_state.get(FORM_NOTICE)
    if not notice:
        return
    shown = {f"client_{field}" for field in [*CLIENT_DEFAULTS, "principles"]}
    elsewhere = [message for field, message in errors.items() if f"client_{field}" not in shown]
    st.warning(safe(" ".join([notice, *elsewhere])), icon=":material/warning:")
