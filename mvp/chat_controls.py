"""A conversation's controls and leftovers: the teacher's test chat's End and Start over (Start
over asks first while a conversation is under way), and the words not sent, kept with the log-in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from backend.accounts import unsent_service
from backend.actor import UserRead
from backend.errors import AppError
from backend.ops import database_service
from backend.practice import conversation_service
from backend.practice.conversation_service import ConversationView
from mvp import a11y, auth, store, ui

logger = logging.getLogger(__name__)
# Where the focus goes when the control just used goes away (see mvp/a11y.py).
MESSAGE_BOX = ".st-key-chat_input textarea"
START_OVER = ".st-key-start_over button"


class ChatKeys:
    """Where one conversation keeps its leftovers between runs (per browser session; the words
    not sent also with the log-in, `unsent_messages`)."""

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        self.draft = f"chat_draft_{session_id}"  # a message that could not be sent
        self.here_only = f"chat_draft_here_{session_id}"  # ... nor kept with the log-in (yet)
        self.notice = f"chat_notice_{session_id}"  # why the last reply failed
        self.resumed = f"chat_resumed_{session_id}"  # the message already re-asked after a reload
        self.restart = f"chat_confirm_restart_{session_id}"
        self.retry = f"chat_retry_{session_id}"  # Retry was pressed (its callback says so)


def unsent_messages(keys: ChatKeys, *, fresh: bool = False) -> list[str]:
    """The conversation's messages not sent, oldest first: read from the log-in once per
    browser session (a reload or another tab of it finds them) or when `fresh`, then kept in
    the session. Words this tab could keep only here (the database was down) are kept with the
    log-in first, once it answers: a fresh read had dropped them (an attack, 2026-12-07)."""
    state = st.session_state
    if fresh or keys.draft not in state:
        for text in list(state.get(keys.here_only, [])):
            if _unsent(unsent_service.add, keys, text=text) is None:
                break  # still down: they stay in this tab, in order
            state[keys.here_only].remove(text)
        kept = _unsent(unsent_service.kept, keys, write=False)
        if kept is not None:
            state[keys.draft] = [*kept, *state.get(keys.here_only, [])]
        elif keys.draft not in state:
            state[keys.draft] = list(state.get(keys.here_only, []))
    return list(state[keys.draft] or [])


def keep_unsent_words(keys: ChatKeys, text: str) -> list[str]:
    """Keep `text` after the words waiting (any tab's); the list now."""
    words = _unsent(unsent_service.add, keys, text=text)
    if words is None:  # kept in this tab until the log-in's list can take it
        st.session_state.setdefault(keys.here_only, []).append(text)
    st.session_state[keys.draft] = words = (
        [*unsent_messages(keys), text] if words is None else words
    )
    return words


class TakenOff:
    """Words sent again, taken off the log-in's list (for every tab) in the transaction that
    stores them (`conversation_service.submit_message`'s `with_message`): both or neither."""

    def __init__(self, keys: ChatKeys, sent: list[str]) -> None:
        self.keys, self.sent = keys, sent
        self.left: list[str] | None = None  # the list after it (None: kept in this tab only)

    def __call__(self, db: Any) -> None:
        user, token = st.session_state.get(ui.USER_KEY), st.session_state.get(auth.TOKEN_KEY)
        if user is not None:
            self.left = unsent_service.remove(
                db, actor=user, token=token, session_id=self.keys.session_id, sent=self.sent
            )


def sent_again(keys: ChatKeys, taken: TakenOff) -> list[str]:
    """The words sent are off this tab's list too; the words still waiting."""
    here = st.session_state.get(keys.here_only, [])
    for text in taken.sent:
        if text in here:
            here.remove(text)
    kept = taken.left
    words = unsent_messages(keys)[len(taken.sent) :] if kept is None else kept
    st.session_state[keys.draft] = words
    return words


def forget_unsent(keys: ChatKeys) -> None:
    """Discard, Start over, or shown once more after the end: the words go, for every tab."""
    _unsent(unsent_service.clear, keys)
    st.session_state[keys.draft] = []
    st.session_state.pop(keys.here_only, None)


def _unsent(call: Callable[..., Any], keys: ChatKeys, *, write: bool = True, **extra: Any) -> Any:
    """`call` on the log-in's kept words; None when they cannot be read or kept (the database
    failing, as it may be when the words were refused): the words then stay in this tab only,
    never lost for that."""
    user, token = st.session_state.get(ui.USER_KEY), st.session_state.get(auth.TOKEN_KEY)
    if user is None:
        return None
    try:
        with store.transaction(write=write) as db:
            return call(db, actor=user, token=token, session_id=keys.session_id, **extra)
    except Exception as error:
        logger.warning("Words not sent could not be kept with the log-in: %s", type(error).__name__)
        return None


def end_and_start_over(
    database: database_service.Database,
    actor: UserRead,
    view: ConversationView,
    keys: ChatKeys,
    session_key: str,
) -> DeltaGenerator:
    """End and Start over (the teacher's test chat); returns the slot for the totals."""
    session = view.session
    top = st.columns([5, 2, 2], vertical_alignment="center")
    if top[1].button(
        "End conversation",
        key="end_conversation",
        width="stretch",
        icon=":material/stop_circle:",
        disabled=not session.is_active,
    ):
        a11y.focus_next_run(START_OVER)  # End disables itself: the next step is Start over
        _act(
            lambda: conversation_service.end_conversation(
                database, actor=actor, session_id=session.id
            )
        )
    if top[2].button(
        "Start over", key="start_over", width="stretch", icon=":material/restart_alt:"
    ):
        # From a try, Start over also ends the chats it rewinds: ask first, always (they had
        # ended unasked after an ended try: an attack on the day's fixes, 2026-12-07).
        if (session.is_active and view.messages) or session.branch_of_id is not None:
            ui.remember_for_this_visit(keys.restart, True)  # ask first: this ends the conversation
            a11y.focus('.st-key-restart_confirmation [role="alert"]')  # the question, drawn below
        else:
            _start_over(database, actor, view, keys, session_key)
    if st.session_state.get(keys.restart):
        with st.container(border=True, key="restart_confirmation"):
            ends = (
                "this try of the moment and the test conversation it comes from"
                if session.branch_of_id is not None
                else "the current conversation"
            )
            st.warning(f"Start over? This ends {ends}.", icon=":material/help:")
            left, right = st.columns(2)
            if left.button("Yes, start over", key="confirm_start_over", type="primary"):
                st.session_state.pop(keys.restart, None)
                _start_over(database, actor, view, keys, session_key)
            if right.button("Keep this conversation", key="cancel_start_over"):
                st.session_state.pop(keys.restart, None)
                a11y.focus_next_run(MESSAGE_BOX)
                st.rerun()
    return top[0].empty()


def _start_over(
    database: database_service.Database,
    actor: UserRead,
    view: ConversationView,
    keys: ChatKeys,
    session_key: str,
) -> None:
    def restart() -> None:
        fresh = conversation_service.start_over(database, actor=actor, session_id=view.session.id)
        forget_unsent(keys)  # Start over leaves the words not sent behind
        for key in (keys.notice, keys.resumed):
            st.session_state.pop(key, None)
        st.session_state[session_key] = fresh.id
        a11y.focus_next_run(MESSAGE_BOX)  # a new conversation: ready to type in it

    _act(restart)


def _act(action: Callable[[], object]) -> None:
    """Run a service action, then redraw; its error is shown instead."""
    try:
        action()
    except AppError as error:
        ui.show_error(error)
    else:
        st.rerun()
