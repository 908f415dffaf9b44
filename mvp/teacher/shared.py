"""Parts more than one teacher page uses: the client list and starting a test conversation."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.clients import client_service
from backend.clients.read_models import ClientRead
from backend.practice import conversation_service
from mvp import store

CLIENTS_PAGE = "teacher/clients.py"
TRY_PAGE = "teacher/try_client.py"
TRY_CLIENT_KEY = "test_client_id"  # the client chosen on the Try a client page
TRY_SESSION_KEY = "test_session_id"  # its conversation


def clients(actor: UserRead, include_archived: bool = False) -> list[ClientRead]:
    with store.transaction() as db:
        return client_service.list_clients(db, actor=actor, include_archived=include_archived)


def start_test(actor: UserRead, client_id: int) -> None:
    """Open (or continue) a test conversation with this client on the Try a client page."""
    session = conversation_service.start_conversation(
        store.database(), actor=actor, client_id=client_id
    )
    st.session_state[TRY_CLIENT_KEY] = st.session_state[f"_kept_{TRY_CLIENT_KEY}"] = client_id
    st.session_state[TRY_SESSION_KEY] = session.id


CHECK_PAGE = "teacher/client_check.py"
CHECK_CLIENT_KEY = "check_client_id"  # the client chosen on the Client check page
PRINCIPLE_DRAFT_KEY = "principle_draft"  # (client id, text): a finding to turn into a principle


def open_check(client_id: int) -> None:
    """Choose this client on the Client check page (the caller moves there)."""
    st.session_state[CHECK_CLIENT_KEY] = st.session_state[f"_kept_{CHECK_CLIENT_KEY}"] = client_id
