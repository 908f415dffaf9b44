"""Teacher: try a client the way a student would (saved as a teacher test, with tokens and cost)."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.clients import prompt_service
from backend.clients.read_models import ClientRead, names_apart
from backend.errors import AppError
from backend.models.enums import MessageRole, Role, SessionStatus
from backend.practice import branch_service, conversation_service, history_service, session_service
from backend.practice.read_models import MessageRead
from mvp import auth, branch_view, chat_unsent, store, ui
from mvp.chat import chat_panel
from mvp.chat_controls import ChatKeys, keep_unsent_words
from mvp.teacher import shared

actor = auth.require_role(Role.teacher, Role.admin)
database = store.database()
safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def _test_session_id(client_id: int) -> int | None:
    """The conversation shown for this client: the one just used, else an unfinished one."""
    session_id: int | None = st.session_state.get(shared.TRY_SESSION_KEY)
    with store.transaction() as db:
        if session_id is not None:
            session = session_service.get_session(db, actor=actor, session_id=session_id)
            if session.client_id == client_id:
                return session_id
        active = session_service.get_active_session(db, actor=actor, client_id=client_id)
    return active.id if active else None


def _start_test(client_id: int) -> None:
    shared.start_test(actor, client_id)


def _archived_meanwhile(clients: list[ClientRead]) -> bool:
    """Words typed to the conversation last shown, whose client is no longer listed (archived
    in another tab): they wait with that conversation as not sent and reach no other client's
    chat, which had taken them (or they were gone without a word: an attack, 2026-12-07)."""
    session_id, typed = st.session_state.get(shared.TRY_SESSION_KEY), ui.typed_in_this_run()
    if session_id is None or not typed:
        return False
    with store.transaction() as db:
        session = session_service.get_session(db, actor=actor, session_id=session_id)
    if session.client_id in {client.id for client in clients}:
        return False
    st.session_state[ui.TYPED_TAKEN_KEY] = True
    chat_unsent.show_unsent(
        keep_unsent_words(ChatKeys(session_id), typed),
        "Not sent: the client was archived meanwhile (restore it on Clients to go on)",
    )
    st.button("Choose another client", key="after_archived", icon=":material/arrow_forward:")
    return True


def pick_client(clients: list[ClientRead]) -> ClientRead:
    """The client to try: the one chosen last (also on the Clients page), else the one with an
    unfinished test conversation, else the first."""
    names = names_apart(clients)
    kept = f"_kept_{shared.TRY_CLIENT_KEY}"
    if st.session_state.get(kept) not in names:
        # After a log-in (or a refresh), pick up the conversation left open last time.
        with store.transaction() as db:
            unfinished = history_service.list_conversations(
                db, actor=actor, student_id=actor.id, status=SessionStatus.active, limit=1
            )
        last = unfinished[0].client_id if unfinished else None
        st.session_state[kept] = last if last in names else clients[0].id
        st.session_state.pop(shared.TRY_CLIENT_KEY, None)
    client_id = ui.sticky(
        st.selectbox, "Client", list(names), format_func=names.get, key=shared.TRY_CLIENT_KEY
    )
    return next(client for client in clients if client.id == client_id)


def about(client: ClientRead) -> None:
    with st.expander(f"About {safe(client.name)}: what the model is told"):
        st.markdown(f"**Presenting concern:** {safe(client.presenting_concern)}")
        st.markdown(
            f"**Traits:** {', '.join(client.personality_traits)} · "
            f"**style:** {client.communication_style.value} · "
            f"**difficulty:** {client.difficulty.value}"
        )
        if client.hidden_information:
            st.markdown(f"**Hidden information:** {safe(client.hidden_information)}")


def practise_test_moment(actor: UserRead, session_id: int, turn: int) -> int:
    """ "Practise this moment" in a test chat: a branch of it at this turn, shown here (a
    callback); the test chat it rewinds stays as it was, in History."""
    with store.transaction(write=True) as db:
        branch = branch_service.start_branch(db, actor=actor, session_id=session_id, turn=turn)
    st.session_state[shared.TRY_SESSION_KEY] = branch.id
    return branch.id


def conversation(session_id: int, client: ClientRead) -> None:
    st.session_state[shared.TRY_SESSION_KEY] = session_id
    toolbar = st.container()
    try:
        view = conversation_service.get_view(database, actor=actor, session_id=session_id)
    except AppError:  # the chat panel reads it again and says why, keeping what was typed
        view = None
    played = view.session.prompt_version if view is not None and view.messages else None
    if played is not None and played != prompt_service.prompt_version(client.version):
        # The chat had come back after an edit as if nothing changed (an attack, 2026-12-07).
        st.info(
            f"{safe(client.name)} was edited since the last reply here: the next reply "
            "follows the saved profile. Press **Start over** to hear the client from the start.",
            icon=":material/edit_note:",
        )
    coding = (
        branch_view.branch_header(actor, view.session, open_moment=practise_test_moment)
        if view is not None
        else None
    )
    coded = branch_view.coded_replies(coding, view.messages) if coding and view else None

    def under_my_turn(message: MessageRead) -> None:
        """A try's reply coded at once; under each of my turns, a way to try it otherwise."""
        if coded is not None:
            coded(message)
        if message.role == MessageRole.user:
            branch_view.practise_button(
                actor,
                session_id,
                message.sequence_number,
                key=f"practise_test_{session_id}_{message.sequence_number}",
                open_moment=practise_test_moment,
            )

    chat_panel(
        database,
        actor,
        session_id,
        session_key=shared.TRY_SESSION_KEY,
        view=view,
        after_student=under_my_turn,
    )
    with store.transaction() as db:
        markdown = history_service.transcript_markdown(
            db, actor=actor, session_id=st.session_state[shared.TRY_SESSION_KEY]
        )
    with toolbar:
        st.download_button(
            "Export transcript (Markdown)",
            markdown,
            key="export_test_transcript",
            file_name=f"test-conversation-{session_id}.md",
            mime="text/markdown",
            icon=":material/download:",
        )


def try_page() -> None:
    clients = shared.clients(actor)
    if _archived_meanwhile(clients):  # the only client too (an attack on the day's fixes)
        return
    if not clients:
        st.info(
            "No clients to try yet. Create one on the **Clients** page, then press "
            "**Test conversation** on its card."
        )
        return
    client = pick_client(clients)
    about(client)
    session_id = _test_session_id(client.id)
    if session_id is not None:
        conversation(session_id, client)
        return
    st.markdown(
        f"Try {safe(client.name)} the way a student would: the conversation is saved with "
        "its tokens and cost, and shows up in History as a teacher test."
    )
    st.button(
        "Start test conversation",
        key="start_test",
        type="primary",
        icon=":material/chat:",
        on_click=auth.guarded(_start_test),
        args=(client.id,),
    )


# The page ------------------------------------------------------------------------------------
st.title("Try a client")
try_page()
