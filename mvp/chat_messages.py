"""Chat bubbles: one message, a reply as it streams or while it is on its way elsewhere, and the
tokens and cost under a reply (teachers and admins only)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.actor import UserRead
from backend.errors import AppError
from backend.models.enums import MessageRole
from backend.ops import database_service
from backend.practice import conversation_service
from backend.practice.conversation_service import Reply
from backend.practice.read_models import MessageRead, SessionRead
from backend.utils.formatting import cost_with_unpriced, format_tokens, format_usd, plural
from mvp import ui

CLIENT_AVATAR = ":material/person:"


STUDENT_AVATAR = ":material/school:"


def usage_caption(message: MessageRead) -> str:
    """Tokens and cost under a reply: what this answer cost (teachers and admins only)."""
    prompt = message.input_tokens + message.cache_write_tokens + message.cache_read_tokens
    if message.cost is None and not prompt + message.output_tokens:
        # A practised moment's copy of an earlier reply (stored without usage of its own) had
        # read "0 tokens · cost unpriced" (an attack, 2026-12-07).
        return "Tokens and cost counted in the session it was said in"
    parts = [
        f"{format_tokens(prompt + message.output_tokens)} tokens ({format_tokens(prompt)} in"
        f" · {format_tokens(message.output_tokens)} out)",
        f"cost {format_usd(message.cost)}",
    ]
    if message.cache_read_tokens:
        parts.append(f"{format_tokens(message.cache_read_tokens)} from cache")
    if message.latency_ms is not None:
        parts.append(f"{message.latency_ms / 1000:.1f} s")
    return " · ".join(parts)


def session_totals(session: SessionRead) -> str:
    cost = cost_with_unpriced(session.estimated_cost, session.unpriced_replies)
    return (
        f"**Session total:** {format_tokens(session.total_tokens)} tokens · {cost} · "
        f"{plural(session.message_count, 'message')}"
    )


def render_message(
    message: MessageRead,
    *,
    show_usage: bool = True,
    footer: Callable[[MessageRead], None] | None = None,
) -> None:
    """One chat bubble; `footer` draws extra widgets under a reply (the student's thumbs)."""
    is_client = message.role == MessageRole.assistant
    with st.chat_message(
        "assistant" if is_client else "user", avatar=CLIENT_AVATAR if is_client else STUDENT_AVATAR
    ):
        st.markdown(
            ui.safe_markdown(message.content) if is_client else ui.as_typed(message.content)
        )
        if is_client:
            if show_usage:
                st.caption(usage_caption(message))
            if footer is not None:
                footer(message)


def show_as_it_arrives(reply: Reply) -> None:
    """The reply while it streams, made safe like the stored message that replaces it (the model
    writes it, and a student's message can ask it for markup)."""
    slot, text = st.empty(), ""
    for chunk in reply:  # a draft the output guard stopped is taken back: the next one replaces it
        text = conversation_service.after(text, chunk)
        slot.markdown(ui.safe_markdown(text))


def pending_reply(
    database: database_service.Database, actor: UserRead, session_id: int, name: str
) -> bool:
    """While a reply started elsewhere (another run or tab) is on its way: say so, with its text
    so far; False once it has landed (the page then shows it)."""
    try:
        text = conversation_service.pending_reply_text(database, actor=actor, session_id=session_id)
    except AppError as error:
        ui.show_error(error)
        return True
    if text is None:
        return False
    if text:
        with st.chat_message("assistant", avatar=CLIENT_AVATAR):
            st.markdown(ui.safe_markdown(text))
    st.info(f"{name} is answering…", icon=":material/hourglass_top:")
    return True
