"""Teacher: the form that creates or edits a client (its principles one input each).

A save that is refused says why under each field concerned and next to the Save button.
"""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.clients import client_service, prompt_service
from backend.clients.read_models import ClientRead
from backend.errors import AppError
from backend.models.enums import PERSONALITY_TRAITS, CommunicationStyle, Difficulty
from mvp import auth, store, ui
from mvp.teacher.client_principles import (
    forget_waiting,
    principle_fields,
    principles_in_form,
    set_principles,
)

safe = ui.safe_markdown  # every piece of text a person wrote goes through it

STYLE_HINTS = {  # with how long the style's replies are (the cap sent with every reply)
    style: f"{hint} · {prompt_service.reply_length_hint(style)}"
    for style, hint in {
        CommunicationStyle.plain: "plain: answers directly",
        CommunicationStyle.upset: "upset: irritable, quick to feel judged",
        CommunicationStyle.verbose: "verbose: long, detailed answers",
        CommunicationStyle.reserved: "reserved: short answers, needs drawing out",
        CommunicationStyle.tangent: "tangent: drifts to other topics",
        CommunicationStyle.pleasing: "pleasing: says what you want to hear",
    }.items()
}
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
FORM_SENT = "client_form_sent"  # the form's values as last sent, for when its widgets are forgotten


# Client form -----------------------------------------------------------------------------------
def _fill_form(client: ClientRead | None) -> None:
    """Put a client's values (or blanks) into the form's widgets."""
    st.session_state.pop(FORM_SENT, None)
    st.session_state[FORM_VERSION] = client.version if client is not None else None
    for field, default in CLIENT_DEFAULTS.items():
        value = getattr(client, field) if client is not None else default
        if field in {"communication_style", "difficulty"}:
            value = str(getattr(value, "value", value))  # an enum's value, or the text
        elif value is None and field not in NUMBER_FIELDS:
            value = ""
        st.session_state[f"client_{field}"] = list(value) if isinstance(value, list) else value
    set_principles(client.principles if client is not None else [])


def _keeps_unsaved() -> bool:
    """Typing not saved in the form stays, with a word on how to go on: Edit or Copy on another
    card had replaced it without one (an attack, 2026-12-07)."""
    # The form's typing reaches the server only with Save (`st.form`), so an open form is never
    # replaced: Edit on another card had dropped what was typed there unseen (two attacks).
    state = st.session_state
    if state.get(FORM_TARGET) is None:
        return False
    name = safe(str(state.get("client_name") or "the new client"))
    ui.flash(
        f"The form is open for {name}, and anything typed there is not saved: press Save or "
        "Cancel first, then open another client.",
        "warning",
    )
    return True


def edit_client(actor: UserRead, client_id: int) -> None:
    """Edit on a card: the form holds that client (unless it holds typing not saved)."""
    if _keeps_unsaved():
        return
    with store.transaction() as db:
        client = client_service.get_client(db, actor=actor, client_id=client_id)
    open_form(client_id, client)


def copy_client(actor: UserRead, client_id: int) -> None:
    """Copy on a card: a copy, open in the form (unless it holds typing not saved)."""
    if _keeps_unsaved():
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


def client_form(actor: UserRead, target: str | int) -> None:
    """The form for a new client (`target` "new") or for the client with this id."""
    editing = target != "new"
    if "client_name" not in st.session_state:  # widgets forgotten after another page was open
        if (sent := st.session_state.get(FORM_SENT)) is not None:
            _refill(sent)
        else:
            existing = None
            if editing:
                with store.transaction() as db:
                    existing = client_service.get_client(db, actor=actor, client_id=int(target))
            _fill_form(existing)
    st.session_state[FORM_SENT] = _form_values()
    errors = st.session_state.get(FORM_ERRORS, {})
    title = f"Edit {st.session_state['client_name'] or 'client'}" if editing else "New client"
    with st.container(border=True, key="client_form_box"):
        st.markdown(f"#### {safe(title)}")
        # Enter would press the form's first button, which may be a principle's Remove.
        with st.form("client_form", border=False, enter_to_submit=False):
            _who_fields(errors)
            _manner_fields(errors)
            _story_fields(errors)
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


def _who_fields(errors: dict[str, str]) -> None:
    """Name, age, pronouns, occupation, background and traits, in two columns."""
    left, right = st.columns(2)
    with left:
        st.text_input("Name *", key="client_name", max_chars=100)
        ui.field_error(errors, "name")
        # No min/max on the widget: the browser would refuse out-of-range ages silently
        # (a hint on hover); the service says why under the field instead.
        st.number_input(
            "Age",
            key="client_age",
            step=1,
            placeholder="optional",
            help="Between 5 and 110 (optional).",
        )
        ui.field_error(errors, "age")
        st.text_input("Gender / pronouns", key="client_gender", max_chars=60)
        ui.field_error(errors, "gender")
    with right:
        st.text_input("Occupation", key="client_occupation", max_chars=120)
        ui.field_error(errors, "occupation")
        st.text_input("Cultural background", key="client_cultural_background", max_chars=200)
        ui.field_error(errors, "cultural_background")
        st.multiselect(
            "Personality traits * (choose 2 to 5)",
            PERSONALITY_TRAITS,
            key="client_personality_traits",
            max_selections=5,
        )
        ui.field_error(errors, "personality_traits")


def _manner_fields(errors: dict[str, str]) -> None:
    style, difficulty = st.columns(2)
    with style:
        st.selectbox(
            "Communication style",
            [s.value for s in CommunicationStyle],
            key="client_communication_style",
            format_func=lambda value: STYLE_HINTS[CommunicationStyle(value)],
        )
        ui.field_error(errors, "communication_style")
    with difficulty:
        st.selectbox(
            "Difficulty",
            [d.value for d in Difficulty],
            key="client_difficulty",
            format_func=str.capitalize,
        )
        ui.field_error(errors, "difficulty")


STORY_FIELDS = (
    (
        "presenting_concern",
        "Presenting concern",
        "Why the client comes in, in their words or yours. Its first sentence is on the card "
        "students see.",
    ),
    ("background", "Background", "History, family, work: what shaped them."),
    ("challenges", "Challenges in the conversation", "What makes this client hard to help."),
    (
        "learning_goals",
        "Learning goals",
        "What students should practise. Shown to students on the client's card.",
    ),
    (
        "hidden_information",
        "Hidden information",
        "Revealed only when a student earns trust. Never shown to students.",
    ),
)


def _story_fields(errors: dict[str, str]) -> None:
    """The client's story, the opening line and when the hidden information may come out."""
    for field, label, help_text in STORY_FIELDS:
        st.text_area(label, key=f"client_{field}", help=help_text, max_chars=4000, height=90)
        ui.field_error(errors, field)
    st.text_input(
        "Opening line (optional)",
        key="client_opening_line",
        max_chars=1000,
        help="The client's first words when a student says hello.",
    )
    ui.field_error(errors, "opening_line")
    st.number_input(
        "Hidden information may be said word for word after this many student turns (empty: never)",
        key="client_hidden_reveal_after_turns",
        step=1,
        placeholder="never",
        help="Until then (or never), a reply that repeats the hidden "
        "information is held back and the client stays in character.",
    )
    ui.field_error(errors, "hidden_reveal_after_turns")


def _form_refusal(errors: dict[str, str]) -> None:
    """Why the last save was refused, next to the Save button (with any field message that has
    no field of its own in the form)."""
    notice = st.session_state.get(FORM_NOTICE)
    if not notice:
        return
    shown = {f"client_{field}" for field in [*CLIENT_DEFAULTS, "principles"]}
    elsewhere = [message for field, message in errors.items() if f"client_{field}" not in shown]
    st.warning(safe(" ".join([notice, *elsewhere])), icon=":material/warning:")
