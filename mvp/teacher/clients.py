"""Teacher: author simulated clients, share them as JSON, and open one to try it (client_form.py).

Widgets that change data use callbacks, so the page that follows already shows the change (and
any refusal arrives as a message at the top).
"""

from __future__ import annotations

import streamlit as st

from backend.clients import client_service, prompt_service
from backend.clients.read_models import ClientRead
from backend.errors import AppError
from backend.models.enums import Role
from backend.practice import rating_service
from backend.utils.formatting import Named, format_time, told_apart
from mvp import auth, store, ui
from mvp.help.steps import TEACHER_START
from mvp.teacher import shared
from mvp.teacher.client_form import (
    FORM_TARGET,
    client_form,
    close_form,
    copy_client,
    edit_client,
    open_form,
    principle_from_check,
)

actor = auth.require_role(Role.teacher, Role.admin)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it


# Client cards ----------------------------------------------------------------------------------
def _start_test(client_id: int) -> None:
    shared.start_test(actor, client_id)
    ui.go_to(shared.TRY_PAGE)


def _check(client_id: int) -> None:
    shared.open_check(client_id)
    ui.go_to(shared.CHECK_PAGE)


def _set_archived(client_id: int, archived: bool) -> None:
    with store.transaction(write=True) as db:
        client = client_service.set_archived(
            db, actor=actor, client_id=client_id, archived=archived
        )
    if st.session_state.get(FORM_TARGET) == client_id:
        close_form()
    ui.flash(
        f"{safe(client.name)} is archived: no new conversations, and open ones with it take no "
        "more messages. Their history is kept."
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
            f"{client.communication_style.value} style, "
            f"{prompt_service.reply_length_hint(client.communication_style)}"
        )
        _card_feedback(feedback)
        _card_details(client)
        _card_buttons(client)


def _card_feedback(feedback: rating_service.ClientRatings | None) -> None:
    if feedback is None:
        return
    share = feedback.share
    st.caption(
        f"Feedback: {share.positive} of {share.total} positive ({share.shown})",
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
        on_click=auth.guarded(edit_client),
        args=(actor, client.id),
    )
    duplicate.button(
        "Copy",
        key=f"duplicate_client_{client.id}",
        width="stretch",
        help="Duplicate this client as a starting point for a new one.",
        on_click=auth.guarded(copy_client),
        args=(actor, client.id),
    )
    archive.button(
        "Restore" if client.archived else "Archive",
        key=f"archive_client_{client.id}",
        width="stretch",
        on_click=auth.guarded(_set_archived),
        args=(client.id, not client.archived),
    )


NOTHING_TO_EXPORT = "Create a client to export it."
# A file saved in another encoding (Windows' "ANSI") had every accented letter and curly quote
# replaced by a mark, silently (an attack, 2026-12-07).
NOT_UTF8 = (
    "This file is not saved as UTF-8, so its accented letters and quotes cannot be read for "
    "sure; nothing was imported. Open it in a text editor, save it with the encoding UTF-8, and "
    "import it again."
)


def share_clients(clients: list[ClientRead]) -> None:
    with st.expander("Share clients as JSON (export / import)", icon=":material/swap_horiz:"):
        active = [client for client in clients if not client.archived]
        labels = told_apart([Named(c.id, c.name, f"#{c.id}") for c in active])  # an admin's two
        exportable = dict(zip((client.id for client in active), labels, strict=True))
        state, offered = st.session_state, st.session_state.setdefault("export_offered", set())
        if "export_client_ids" in state:  # a client new since is chosen too, as all were at first
            state["export_client_ids"] = [i for i in state["export_client_ids"] if i in exportable]
            state["export_client_ids"] += [i for i in exportable if i not in offered]
        offered |= set(exportable)  # one left out stays so when archived and restored
        chosen = st.multiselect(
            "Clients to export",
            list(exportable),
            default=None if "export_client_ids" in state else list(exportable),
            format_func=exportable.__getitem__,
            key="export_client_ids",
        )
        if chosen:

            def document() -> str:  # built only when clicked, in a unit of work of its own
                with store.transaction() as db:
                    return client_service.export_clients_json(db, actor=actor, client_ids=chosen)

            st.download_button(
                "Download JSON",
                document,
                file_name="clients.json",
                mime="application/json",
                key="export_clients",
                icon=":material/download:",
                on_click="ignore",
            )
        else:
            st.caption("Pick the clients to export above." if exportable else NOTHING_TO_EXPORT)
        upload = st.file_uploader(
            "Import a JSON file from a colleague", type=["json"], key="import_file"
        )
        if (
            st.button("Import", key="import_clients", disabled=upload is None)
            and upload is not None
        ):
            try:
                raw = upload.getvalue().decode("utf-8")  # never "replace": words stay as written
            except UnicodeDecodeError:
                st.error(NOT_UTF8, icon=":material/error:")
                return
            try:
                with store.transaction(write=True) as db:
                    imported = client_service.import_clients_json(db, actor=actor, raw=raw)
            except AppError as error:
                ui.show_error(error)
            else:  # drawn again, so the list below holds them (it was read before the import)
                ui.flash(
                    f"Imported {len(imported)} client(s): "
                    f"{safe(', '.join(client.name for client in imported))}."
                )
                st.rerun()


def clients_page() -> None:
    drafted = principle_from_check(actor)
    show_archived = ui.sticky(st.toggle, "Show archived clients", key="show_archived")
    with store.transaction() as db:  # the list and its feedback, in one read
        every = client_service.list_clients(db, actor=actor, include_archived=True)
        clients = [client for client in every if show_archived or not client.archived]
        feedback = rating_service.client_ratings(
            db, actor=actor, client_ids=[client.id for client in clients]
        )
    first_time = not every  # all archived is not "no clients yet" (an attack, 2026-12-07)
    if first_time and st.session_state.get(FORM_TARGET) is None:
        open_form("new")
    if first_time:  # a new teacher lands in the form: the way ahead
        st.info(TEACHER_START, icon=":material/flag:")
    target = st.session_state.get(FORM_TARGET)
    if target is not None:
        if drafted:
            st.info(
                "A principle drafted from the check's finding is the last one in the form: "
                "make it a rule in your words, then save. Run the check again to compare.",
                icon=":material/rule:",
            )
        client_form(actor, target)
    else:
        st.button(
            "New client",
            key="new_client",
            type="primary",
            icon=":material/person_add:",
            on_click=open_form,
            args=("new",),
        )
    share_clients(clients)
    if not clients:
        st.info(
            "All your clients are archived. Turn on **Show archived clients** above to see them "
            "and restore one, or press **New client**."
            if every
            else "No clients yet. Fill in the form above to create your first simulated client: "
            "a name, 2-5 personality traits and a presenting concern are enough to start."
        )
        return
    columns = st.columns(3)
    for index, client in enumerate(clients):
        with columns[index % 3]:
            client_card(client, feedback.get(client.id))


# The page ------------------------------------------------------------------------------------
st.title("Clients")
clients_page()
