"""Chat bubbles: one message, and the tokens and cost under a reply (teachers and admins only)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.models.enums import MessageRole
from backend.practice.read_models import MessageRead, SessionRead
from backend.utils.formatting import format_tokens, format_usd, plural
from mvp import ui

CLIENT_AVATAR = ":material/person:"


STUDENT_AVATAR = ":material/school:"


def usage_caption(message: MessageRead) -> str:
    """Tokens and cost under a reply: what this answer cost (teachers and admins only)."""
    prompt = message.input_tokens + message.cache_write_tokens + message.cache_read_tokens
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
    cost = format_usd(session.estimated_cost)
    if session.unpriced_replies:
        cost += f" + {session.unpriced_replies} unpriced"
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
