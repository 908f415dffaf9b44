"""UI helpers shared by the role apps: the engine, the logged-in user, errors, and the chat panel.

Nothing here builds a query or calls the model API: every database read or write goes through a
service, in one unit of work per user action.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import wraps

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.errors import AppError
from backend.models.enums import MessageRole, Role
from backend.schemas.accounts import UserRead
from backend.schemas.conversations import MessageRead, SessionRead
from backend.services import (
    account_service, client_service, conversation_service, session_service,
)
from backend.utils.formatting import format_tokens, format_usd

logger = logging.getLogger("mvp")

USER_KEY = "user"
TOKEN_KEY = "login_token"
TOKEN_PARAM = "s"
FLASH_KEY = "flash"
UNEXPECTED = "Something went wrong on our side. Try again; if it keeps happening, tell an admin."


# Database --------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Preparing the database…")
def _migrated(database_url: str) -> bool:
    """Bring the schema to the latest migration, once per process and database."""
    upgrade_database(database_url)
    return True


@st.cache_resource(show_spinner=False)
def _engine(database_url: str) -> Engine:
    return create_db_engine(database_url)


def get_engine() -> Engine:
    """The process-wide engine, after the database has been migrated."""
    url = get_settings().database_url
    _migrated(url)
    return _engine(url)


def db(*, write: bool = False) -> AbstractContextManager[Session]:
    """One unit of work for one user action (read-only unless `write`)."""
    return unit_of_work(get_engine(), write=write)


# Who is logged in ------------------------------------------------------------------------------
def current_user() -> UserRead | None:
    return st.session_state.get(USER_KEY)


def log_in(user: UserRead) -> None:
    """Remember who is logged in (also across a reload: a revocable token in the page address),
    and forget the passwords typed on the way."""
    for key in [key for key in st.session_state if "password" in str(key)]:
        del st.session_state[key]
    st.session_state[USER_KEY] = user
    with db(write=True) as session:
        st.session_state[TOKEN_KEY] = account_service.start_login_session(session, actor=user)
    st.query_params[TOKEN_PARAM] = st.session_state[TOKEN_KEY]


def log_out(message: str | None = None) -> None:
    """End the log-in everywhere it was kept, keeping only a parting message."""
    token = st.session_state.get(TOKEN_KEY) or st.query_params.get(TOKEN_PARAM)
    if token:
        with db(write=True) as session:
            account_service.end_login_session(session, token)
    st.query_params.clear()  # the token, and whatever a page kept there (an open conversation)
    st.session_state.clear()
    if message:
        flash(message, "warning")


def _resume_from_address() -> UserRead | None:
    """After a reload the session state is new; the token in the address brings the user back."""
    token = st.query_params.get(TOKEN_PARAM)
    if not token:
        return None
    with db() as session:
        user = account_service.resume_login_session(session, token)
    if user is None:
        st.query_params.pop(TOKEN_PARAM, None)
        return None
    st.session_state[USER_KEY], st.session_state[TOKEN_KEY] = user, token
    return user


def refresh_user() -> UserRead | None:
    """The logged-in user as the database has them now (logged out when gone or deactivated)."""
    user = current_user() or _resume_from_address()
    if user is None:
        return None
    if st.session_state.get(TOKEN_KEY) and TOKEN_PARAM not in st.query_params:
        st.query_params[TOKEN_PARAM] = st.session_state[TOKEN_KEY]  # page switches drop it
    with db() as session:
        fresh = account_service.refresh_actor(session, user.id)
    if fresh is None:
        log_out("Your account is no longer active, so you have been logged out.")
        return None
    st.session_state[USER_KEY] = fresh
    return fresh


def require_role(*roles: Role) -> UserRead:
    """The page's own check: stop with a message unless the user has one of these roles."""
    user = current_user()
    if user is None or user.role not in roles:
        st.error("You do not have access to this page. Log in with an account that does.")
        st.stop()
    return user


# Messages and errors ---------------------------------------------------------------------------
def show_error(error: AppError) -> None:
    """A service error as the person reading it should see it (never a traceback)."""
    if error.level == "warning":
        st.warning(error.message, icon=":material/warning:")
    else:
        st.error(error.message, icon=":material/error:")


def show_unexpected(error: BaseException) -> None:
    logger.exception("Unexpected error in the app", exc_info=error)
    st.error(UNEXPECTED, icon=":material/error:")


def flash(message: str, level: str = "success") -> None:
    """A message for the next run (after a callback or a rerun)."""
    st.session_state[FLASH_KEY] = (level, message)


def show_flash() -> None:
    level, message = st.session_state.pop(FLASH_KEY, (None, None))
    if message:
        {"success": st.success, "warning": st.warning, "error": st.error}.get(level, st.info)(message)


def guarded(callback: Callable) -> Callable:
    """A widget callback whose service errors become a flash message, never a traceback."""
    @wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except AppError as error:
            flash(error.message, "warning" if error.level == "warning" else "error")
        except Exception as error:  # noqa: BLE001 - shown as a message, logged with its trace
            logger.exception("Unexpected error in a callback", exc_info=error)
            flash(UNEXPECTED, "error")
    return run


def sticky(widget: Callable, *args, key: str, **kwargs):
    """Create a widget that keeps its value while its tab is closed.

    Streamlit forgets the state of a widget that one run does not draw; a copy under another
    key brings it back when the widget returns.
    """
    kept = f"_kept_{key}"
    if key not in st.session_state and kept in st.session_state:
        st.session_state[key] = st.session_state[kept]
    value = widget(*args, key=key, **kwargs)
    st.session_state[kept] = value
    return value


def field_error(errors: dict[str, str], field: str) -> None:
    """A validation message right under its field."""
    if field in errors:
        st.caption(f":red[{errors[field]}]")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")


def escape_markdown(text: str) -> str:
    """Show typed text literally inside Markdown (alerts, captions)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# Chat ------------------------------------------------------------------------------------------
def usage_caption(message: MessageRead) -> str:
    """Tokens and cost under a reply: what this answer cost."""
    prompt = message.input_tokens + message.cache_write_tokens + message.cache_read_tokens
    parts = [f"{format_tokens(prompt + message.output_tokens)} tokens ({format_tokens(prompt)} in"
             f" · {format_tokens(message.output_tokens)} out)", f"cost {format_usd(message.cost)}"]
    if message.cache_read_tokens:
        parts.append(f"{format_tokens(message.cache_read_tokens)} from cache")
    if message.latency_ms is not None:
        parts.append(f"{message.latency_ms / 1000:.1f} s")
    return " · ".join(parts)


def session_totals(chat: SessionRead) -> str:
    cost = format_usd(chat.estimated_cost)
    if chat.unpriced_replies:
        cost += f" + {chat.unpriced_replies} unpriced"
    return (f"**Session total:** {format_tokens(chat.total_tokens)} tokens · {cost} · "
            f"{chat.message_count} messages")


def render_message(message: MessageRead,
                   footer: Callable[[MessageRead], None] | None = None) -> None:
    """One chat bubble; `footer` draws extra widgets under a reply (the student's thumbs)."""
    role = "user" if message.role == MessageRole.user else "assistant"
    with st.chat_message(role):
        st.markdown(message.content)
        if role == "assistant":
            st.caption(usage_caption(message))
            if footer is not None:
                footer(message)


def _load_chat(engine: Engine, actor: UserRead, session_id: int):
    with unit_of_work(engine, write=False) as session:
        chat = session_service.get_session(session, actor=actor, session_id=session_id)
        messages = session_service.get_messages(session, actor=actor, session_id=session_id)
        client = client_service.get_client_brief(session, actor=actor, client_id=chat.client_id)
    return chat, messages, client


def chat_panel(engine: Engine, actor: UserRead, session_id: int, *,
               session_key: str = "chat_session_id", controls: bool = True) -> None:
    """A conversation: history from the database, a streamed reply, totals, end and start over.

    The message is stored before the reply is requested, so a click or a refresh mid-reply loses
    nothing: the next run finds the message unanswered and asks for the reply again (once; after
    a failure the Retry button does). `session_key` is where the page keeps the session id, so
    "Start over" can replace it. `controls=False` leaves "End" and "Start over" to the page
    (the student's asks before ending, and starting over would end without asking).
    """
    try:
        chat, messages, client = _load_chat(engine, actor, session_id)
    except AppError as error:
        show_error(error)
        return
    draft_key, notice_key = f"chat_draft_{session_id}", f"chat_notice_{session_id}"
    resumed_key = f"chat_resumed_{session_id}"

    top = st.columns([5, 2, 2], vertical_alignment="center") if controls else [st.container()]
    totals = top[0].empty()
    end_clicked = controls and top[1].button(
        "End conversation", key="end_conversation", width="stretch",
        icon=":material/stop_circle:", disabled=not chat.is_active)
    restart_clicked = controls and top[2].button("Start over", key="start_over", width="stretch",
                                                 icon=":material/restart_alt:")
    if restart_clicked:
        try:
            if chat.is_active:
                conversation_service.end_conversation(engine, actor=actor, session_id=session_id)
            fresh = conversation_service.start_conversation(engine, actor=actor,
                                                            client_id=chat.client_id)
        except AppError as error:
            show_error(error)
        else:
            for key in (draft_key, notice_key, resumed_key):
                st.session_state.pop(key, None)
            st.session_state[session_key] = fresh.id
            st.rerun()
    if end_clicked and chat.is_active:
        try:
            conversation_service.end_conversation(engine, actor=actor, session_id=session_id)
        except AppError as error:
            show_error(error)
        else:
            st.session_state.pop(notice_key, None)
            st.rerun()  # redraw with the input and the button disabled

    history = st.container()
    notices = st.container()
    hint = history.empty()
    if not messages:
        hint.caption(f"Say hello to start the conversation with {client.name}.")
    with history:
        for message in messages:
            render_message(message)

    prompt = st.chat_input(
        f"Talk to {client.name}…" if chat.is_active else "This conversation has ended.",
        key="chat_input", disabled=not chat.is_active, max_chars=get_settings().message_max_chars,
    )
    if not chat.is_active:
        with notices:
            st.info("This conversation has ended."
                    + (" Press **Start over** for a new one." if controls else ""),
                    icon=":material/check_circle:")

    # Leftovers of earlier runs: a message that could not be sent, a reply that failed.
    draft = st.session_state.get(draft_key) if chat.is_active else None
    draft_slot = notices.empty()
    resend_clicked = False
    if draft:
        with draft_slot.container():
            st.warning(f"Not sent: {escape_markdown(draft)}", icon=":material/unpublished:")
        resend_clicked = notices.button("Send again", key="resend_draft", icon=":material/send:")
    awaiting = conversation_service.awaiting_reply(messages)
    notice = st.session_state.get(notice_key) if chat.is_active and awaiting else None
    notice_slot = notices.empty()
    retry_clicked = False
    if notice:
        notice_slot.warning(notice, icon=":material/hourglass_empty:")
        retry_clicked = notices.button("Retry", key="retry_reply", icon=":material/refresh:")

    text = prompt or (draft if resend_clicked else None)
    stream, retry = False, False
    if text and chat.is_active:
        try:
            sent = conversation_service.submit_message(engine, actor=actor, session_id=session_id,
                                                       content=text)
        except AppError as error:
            st.session_state[draft_key] = text
            with draft_slot.container():
                show_error(error)
                st.warning(f"Not sent: {escape_markdown(text)}", icon=":material/unpublished:")
            if not draft:
                notices.button("Send again", key="resend_draft", icon=":material/send:")
        else:
            st.session_state.pop(draft_key, None)
            draft_slot.empty()
            hint.empty()
            with history:
                render_message(sent)
            stream = True
    elif retry_clicked:
        stream, retry = True, True
    elif (chat.is_active and awaiting and not notice
          and st.session_state.get(resumed_key) != messages[-1].id):
        # The reply was interrupted (a click or a refresh while it streamed): ask once more.
        st.session_state[resumed_key] = messages[-1].id
        stream = True

    if stream:
        notice_slot.empty()
        bubble = history.empty()
        reply = conversation_service.stream_reply(engine, actor=actor, session_id=session_id,
                                                  retry=retry)
        with bubble.container(), st.chat_message("assistant"):
            st.write_stream(reply)
            if reply.outcome.ok:
                st.caption(usage_caption(reply.outcome.message))
        if reply.outcome.ok:
            st.session_state.pop(notice_key, None)
        else:
            bubble.empty()  # a cut-off reply is not kept, so it is not shown either
            st.session_state[notice_key] = reply.outcome.notice
            notice_slot.warning(reply.outcome.notice, icon=":material/hourglass_empty:")
            if not notice:
                notices.button("Retry", key="retry_reply", icon=":material/refresh:")
        try:
            with unit_of_work(engine, write=False) as session:
                chat = session_service.get_session(session, actor=actor, session_id=session_id)
        except AppError as error:
            show_error(error)
    totals.markdown(session_totals(chat))
