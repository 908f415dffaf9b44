"""Teacher: author simulated clients, share them as JSON, and open one to try it.

Widgets that change data use callbacks, so the page that follows already shows the change (and
any refusal arrives as a message at the top).
"""

from __future__ import annotations

import streamlit as st

from backend.clients import client_service
from backend.clients.read_models import ClientRead
from backend.errors import AppError
from backend.models.enums import PERSONALITY_TRAITS, CommunicationStyle, Difficulty, Role
from backend.practice import rating_service
from backend.utils.formatting import format_time
from mvp import auth, store, ui
from mvp.teacher import shared

actor = auth.require_role(Role.teacher, Role.admin)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it

STYLE_HINTS = {
    CommunicationStyle.plain: "plain: answers directly",
    CommunicationStyle.upset: "upset: irritable, quick to feel judged",
    CommunicationStyle.verbose: "verbose: long, detailed answers",
    CommunicationStyle.reserved: "reserved: short answers, needs drawing out",
    CommunicationStyle.tangent: "tangent: drifts to other topics",
    CommunicationStyle.pleasing: "pleasing: says what you want to hear",
}
CLIENT_DEFAULTS: dict[str, object] = {
    "name": "",
    "age": None,
    "gender": "",
    "occupation": "",
    "cultural_background": "",
    "background": "",
    "presenting_concern": "",
    "challenges": "",
    "personality_traits": [],
    "communication_style": CommunicationStyle.plain.value,
    "difficulty": Difficulty.beginner.value,
    "learning_goals": "",
    "hidden_information": "",
    "opening_line": "",
    "hidden_reveal_after_turns": None,
}
NUMBER_FIELDS = {"age", "hidden_reveal_after_turns"}  # empty is None, not ""
FORM_TARGET = "client_form_target"  # None (closed), "new", or the id of the client being edited
FORM_ERRORS = "client_form_errors"  # field -> why the last save was refused
FORM_NOTICE = "client_form_notice"  # the refusal itself, shown next to the Save button
PRINCIPLES = "client_principles"  # the principles in the form (their inputs: client_principle_<n>)
MAX_PRINCIPLES = 10


# Client form -----------------------------------------------------------------------------------
def _fill_form(client: ClientRead | None) -> None:
    """Put a client's values (or blanks) into the form's widgets."""
    for field, default in CLIENT_DEFAULTS.items():
        value = getattr(client, field) if client is not None else default
        if field in {"communication_style", "difficulty"}:
            value = str(getattr(value, "value", value))  # an enum's value, or the text
        elif value is None and field not in NUMBER_FIELDS:
            value = ""
        st.session_state[f"client_{field}"] = list(value) if isinstance(value, list) else value
    _set_principles(client.principles if client is not None else [])


# Principles: short rules for playing the client, edited in the form one input each ----------------
def _principle_key(index: int) -> str:
    return f"client_principle_{index}"


def _principles_in_form() -> list[str]:
    count = len(st.session_state.get(PRINCIPLES, []))
    return [str(st.session_state.get(_principle_key(index)) or "") for index in range(count)]


def _set_principles(principles: list[str]) -> None:
    for index in range(len(st.session_state.get(PRINCIPLES, []))):
        st.session_state.pop(_principle_key(index), None)
    st.session_state[PRINCIPLES] = list(principles)
    for index, principle in enumerate(principles):
        st.session_state[_principle_key(index)] = principle


def _add_principle(text: str = "") -> None:
    _set_principles([*_principles_in_form(), text])


def _remove_principle(index: int) -> None:
    principles = _principles_in_form()
    del principles[index]
    _set_principles(principles)


def _open_form(target: str | int, client: ClientRead | None = None) -> None:
    st.session_state[FORM_TARGET] = target
    _clear_refusal()
    _fill_form(client)


def _close_form() -> None:
    st.session_state[FORM_TARGET] = None
    _clear_refusal()
    _fill_form(None)


def _clear_refusal() -> None:
    st.session_state[FORM_ERRORS] = {}
    st.session_state.pop(FORM_NOTICE, None)


def _save_client() -> None:
    """Save the form; a refusal says why under each field concerned and next to the button
    (the last refusal's messages go first: none of them may outlive the problem)."""
    _clear_refusal()
    target: str | int = st.session_state[FORM_TARGET]  # the form is open: "new" or an id
    data = {field: st.session_state.get(f"client_{field}") for field in CLIENT_DEFAULTS}
    data["principles"] = [text for text in _principles_in_form() if text.strip()]
    try:
        with store.transaction(write=True) as db:
            if target == "new":
                saved = client_service.create_client(db, actor=actor, data=data)
            else:
                saved = client_service.update_client(
                    db, actor=actor, client_id=int(target), data=data
                )
    except AppError as error:
        st.session_state[FORM_ERRORS] = getattr(error, "field_errors", {})
        st.session_state[FORM_NOTICE] = error.message
        return
    _close_form()
    ui.flash(f"Saved {safe(saved.name)}. Press **Test conversation** on its card to try it.")


def client_form(target: str | int) -> None:
    editing = target != "new"
    if "client_name" not in st.session_state:  # widgets forgotten after another page was open
        existing = None
        if editing:
            with store.transaction() as db:
                existing = client_service.get_client(db, actor=actor, client_id=int(target))
        _fill_form(existing)
    errors = st.session_state.get(FORM_ERRORS, {})
    title = f"Edit {st.session_state['client_name'] or 'client'}" if editing else "New client"
    with st.container(border=True, key="client_form_box"):
        st.markdown(f"#### {safe(title)}")
        # Enter would press the form's first button, which may be a principle's Remove.
        with st.form("client_form", border=False, enter_to_submit=False):
            _who_fields(errors)
            _manner_fields(errors)
            _story_fields(errors)
            _principle_fields(errors)
            _form_refusal(errors)
            st.form_submit_button(
                "Save client",
                key="save_client",
                type="primary",
                icon=":material/save:",
                on_click=auth.guarded(_save_client),
            )
        st.button("Cancel", key="cancel_client", on_click=_close_form)


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
        "Why the client comes in, in their words or yours.",
    ),
    ("background", "Background", "History, family, work: what shaped them."),
    ("challenges", "Challenges in the conversation", "What makes this client hard to help."),
    ("learning_goals", "Learning goals", "What students should practise."),
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


def _principle_fields(errors: dict[str, str]) -> None:
    """Principles: one input each, with Remove beside it and Add below (they keep what was typed
    in the form and save nothing: Save client does)."""
    st.markdown("**Principles for playing this client**")
    st.caption(
        "Short rules the model follows, such as “When praised, you doubt that it matters”. "
        "Turn a finding of the client check into one, or write your own (up to 10)."
    )
    for index in range(len(st.session_state.get(PRINCIPLES, []))):
        text, remove = st.columns([6, 1], vertical_alignment="bottom")
        text.text_input(
            f"Principle {index + 1}",
            key=_principle_key(index),
            max_chars=300,
            label_visibility="collapsed",
        )
        remove.form_submit_button(
            "Remove",
            key=f"remove_principle_{index}",
            on_click=_remove_principle,
            args=(index,),
        )
    ui.field_error(errors, "principles")
    st.form_submit_button(
        "Add a principle",
        key="add_principle",
        icon=":material/add:",
        disabled=len(st.session_state.get(PRINCIPLES, [])) >= MAX_PRINCIPLES,
        on_click=_add_principle,
    )


def _form_refusal(errors: dict[str, str]) -> None:
    """Why the last save was refused, next to the Save button (with any field message that has
    no field of its own in the form)."""
    notice = st.session_state.get(FORM_NOTICE)
    if not notice:
        return
    shown = {f"client_{field}" for field in [*CLIENT_DEFAULTS, "principles"]}
    elsewhere = [message for field, message in errors.items() if f"client_{field}" not in shown]
    st.warning(safe(" ".join([notice, *elsewhere])), icon=":material/warning:")


# Client cards ----------------------------------------------------------------------------------
def _start_test(client_id: int) -> None:
    shared.start_test(actor, client_id)
    ui.go_to(shared.TRY_PAGE)


def _check(client_id: int) -> None:
    shared.open_check(client_id)
    ui.go_to(shared.CHECK_PAGE)


def _edit(client_id: int) -> None:
    with store.transaction() as db:
        client = client_service.get_client(db, actor=actor, client_id=client_id)
    _open_form(client_id, client)


def _duplicate(client_id: int) -> None:
    with store.transaction(write=True) as db:
        copy = client_service.duplicate_client(db, actor=actor, client_id=client_id)
    _open_form(copy.id, copy)
    ui.flash(f"Created {safe(copy.name)}. Change what you like and save.")


def _set_archived(client_id: int, archived: bool) -> None:
    with store.transaction(write=True) as db:
        client = client_service.set_archived(
            db, actor=actor, client_id=client_id, archived=archived
        )
    if st.session_state.get(FORM_TARGET) == client_id:
        _close_form()
    ui.flash(
        f"{safe(client.name)} is archived: hidden from new conversations, history kept."
        if archived
        else f"{safe(client.name)} is back in your active clients."
    )


def client_card(client: ClientRead, feedback: rating_service.ClientRatings | None) -> None:
    with st.container(border=True, key=f"client_card_{client.id}"):
        age = f" · {client.age}" if client.age else ""
        archived = "  :gray-badge[archived]" if client.archived else ""
        st.markdown(f"**{safe(client.name)}**{age}{archived}")
        if client.summary:
            st.caption(safe(client.summary))
        st.markdown(
            " ".join(f":blue-badge[{trait}]" for trait in client.personality_traits)
            + f" :orange-badge[{client.difficulty.value}]"
        )
        count = client.conversation_count
        st.caption(
            f"{count} conversation{'s' if count != 1 else ''} · "
            f"{client.communication_style.value} style"
        )
        _card_feedback(feedback)
        _card_details(client)
        _card_buttons(client)


def _card_feedback(feedback: rating_service.ClientRatings | None) -> None:
    if feedback is None:
        return
    share = feedback.share
    st.caption(
        f"Feedback: {share.positive} of {share.total} positive ({share.percent:.0f}%)",
        help="Students' thumbs on this client's replies and their end-of-session "
        "forms (positive: realism and usefulness both 4 or 5 out of 5).",
    )
    if feedback.comments:
        with st.expander("What students said"):
            for comment in feedback.comments:
                st.markdown(f"“{safe(comment)}”")


def _card_details(client: ClientRead) -> None:
    with st.expander("Details"):
        for label, value in (
            ("Gender", client.gender),
            ("Occupation", client.occupation),
            ("Cultural background", client.cultural_background),
            ("Presenting concern", client.presenting_concern),
            ("Background", client.background),
            ("Challenges", client.challenges),
            ("Learning goals", client.learning_goals),
            ("Hidden information (never shown to students)", client.hidden_information),
            ("Opening line", client.opening_line),
        ):
            if value:
                st.markdown(f"**{label}:** {safe(value)}")
        st.caption(f"Version {client.version} · updated {format_time(client.updated_at)}")


def _card_buttons(client: ClientRead) -> None:
    st.button(
        "Test conversation",
        key=f"test_client_{client.id}",
        type="primary",
        icon=":material/chat:",
        width="stretch",
        disabled=client.archived,
        on_click=auth.guarded(_start_test),
        args=(client.id,),
    )
    st.button(
        "Check this client",
        key=f"check_client_{client.id}",
        icon=":material/fact_check:",
        width="stretch",
        disabled=client.archived,
        help="Scripted probe conversations and a scorecard: is the client ready for students?",
        on_click=auth.guarded(_check),
        args=(client.id,),
    )
    edit, duplicate, archive = st.columns(3)
    edit.button(
        "Edit",
        key=f"edit_client_{client.id}",
        width="stretch",
        on_click=auth.guarded(_edit),
        args=(client.id,),
    )
    duplicate.button(
        "Copy",
        key=f"duplicate_client_{client.id}",
        width="stretch",
        help="Duplicate this client as a starting point for a new one.",
        on_click=auth.guarded(_duplicate),
        args=(client.id,),
    )
    archive.button(
        "Restore" if client.archived else "Archive",
        key=f"archive_client_{client.id}",
        width="stretch",
        on_click=auth.guarded(_set_archived),
        args=(client.id, not client.archived),
    )


def share_clients(clients: list[ClientRead]) -> None:
    with st.expander("Share clients as JSON (export / import)", icon=":material/swap_horiz:"):
        exportable = {client.id: client.name for client in clients if not client.archived}
        chosen = st.multiselect(
            "Clients to export",
            list(exportable),
            default=list(exportable),
            format_func=exportable.__getitem__,
            key="export_client_ids",
        )
        if chosen:
            with store.transaction() as db:
                document = client_service.export_clients_json(db, actor=actor, client_ids=chosen)
            st.download_button(
                "Download JSON",
                document,
                file_name="clients.json",
                mime="application/json",
                key="export_clients",
                icon=":material/download:",
            )
        else:
            st.caption("Create a client (or pick some above) to export it.")
        upload = st.file_uploader(
            "Import a JSON file from a colleague", type=["json"], key="import_file"
        )
        if (
            st.button("Import", key="import_clients", disabled=upload is None)
            and upload is not None
        ):
            try:
                with store.transaction(write=True) as db:
                    imported = client_service.import_clients_json(
                        db, actor=actor, raw=upload.getvalue().decode("utf-8", "replace")
                    )
            except AppError as error:
                ui.show_error(error)
            else:
                st.success(
                    f"Imported {len(imported)} client(s): "
                    f"{safe(', '.join(client.name for client in imported))}."
                )


def _principle_from_check() -> bool:
    """Open the form of the client a finding came from, with its draft principle added."""
    draft = st.session_state.pop(shared.PRINCIPLE_DRAFT_KEY, None)
    if draft is None:
        return False
    client_id, text = draft
    with store.transaction() as db:
        client = client_service.get_client(db, actor=actor, client_id=client_id)
    _open_form(client_id, client)
    _add_principle(text)
    return True


def clients_page() -> None:
    drafted = _principle_from_check()
    show_archived = ui.sticky(st.toggle, "Show archived clients", key="show_archived")
    clients = shared.clients(actor, include_archived=show_archived)
    if not clients and st.session_state.get(FORM_TARGET) is None:
        _open_form("new")
    target = st.session_state.get(FORM_TARGET)
    if target is not None:
        if drafted:
            st.info(
                "A principle drafted from the check's finding is the last one in the form: "
                "make it a rule in your words, then save. Run the check again to compare.",
                icon=":material/rule:",
            )
        client_form(target)
    else:
        st.button(
            "New client",
            key="new_client",
            type="primary",
            icon=":material/person_add:",
            on_click=_open_form,
            args=("new",),
        )
    share_clients(clients)
    if not clients:
        st.info(
            "No clients yet. Fill in the form above to create your first simulated client: "
            "a name, 2-5 personality traits and a presenting concern are enough to start."
        )
        return
    with store.transaction() as db:
        feedback = rating_service.client_ratings(
            db, actor=actor, client_ids=[client.id for client in clients]
        )
    columns = st.columns(3)
    for index, client in enumerate(clients):
        with columns[index % 3]:
            client_card(client, feedback.get(client.id))


# The page ------------------------------------------------------------------------------------
st.title("Clients")
clients_page()
