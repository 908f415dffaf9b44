"""Student: my past and unfinished sessions; a transcript is read only when its row is opened."""

from __future__ import annotations

import streamlit as st

from backend.models.enums import MessageRole, Role
from backend.practice import history_service, session_service
from backend.practice.history_service import ConversationRow
from backend.utils.formatting import format_duration, format_time, plural
from mvp import auth, store, ui
from mvp.chat_messages import render_message
from mvp.review_view import review_panel
from mvp.student import shared

actor = auth.require_role(Role.student)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def my_sessions() -> None:
    """The list comes from one query; a transcript is read only while its expander is open."""
    with store.transaction() as db:
        rows = history_service.list_own_conversations(db, actor=actor)
    if not rows:
        st.info(
            "No sessions yet. Start a conversation on the **Practice** page; it will be "
            "listed here.",
            icon=":material/history:",
        )
        return
    for row in rows:
        length = (
            "in progress"
            if row.ended_at is None
            else format_duration(row.ended_at - row.started_at)
        )
        branch = f" · :violet-badge[{row.branch_label}]" if row.branch_label else ""
        title = (
            f"{format_time(row.started_at)} · **{safe(row.client_name)}** · "
            f"{safe(row.assignment_title or 'practice')} · {length} · "
            f"{plural(row.message_count, 'message')}{branch}"
        )
        expander = st.expander(
            title,
            icon=":material/forum:" if row.ended_at is None else None,
            key=f"my_session_{row.session_id}",
            on_change="rerun",
        )
        with expander:
            if expander.open:
                session_detail(row)


def session_detail(row: ConversationRow) -> None:
    """One session's transcript (with its review once ended), its download, and a way back."""
    with store.transaction() as db:
        messages = session_service.get_messages(db, actor=actor, session_id=row.session_id)
    if not messages:
        st.caption("Nothing was said in this session.")

    def practise(turn: int, key: str) -> None:
        shared.practise_button(actor, row.session_id, turn, key=key)

    reviewed = row.ended_at is not None and review_panel(
        actor, row.session_id, messages, for_teacher=False, practise=practise
    )
    if not reviewed:  # a shown review has the transcript beside it
        for message in messages:
            render_message(message, show_usage=False)
            if message.role == MessageRole.user:
                number = message.sequence_number
                practise(number, f"practise_turn_{row.session_id}_{number}")
    with st.container(horizontal=True):
        shared.transcript_button(actor, row.session_id, key=f"download_{row.session_id}")
        active = row.ended_at is None
        st.button(
            "Continue" if active else "Open (rate it)",
            key=f"open_{row.session_id}",
            type="primary" if active else "secondary",
            on_click=shared.open_on_practice_page,
            args=(row.session_id,),
        )


# The page ------------------------------------------------------------------------------------
st.title("My sessions")
my_sessions()
