"""The conversation panel shared by the teacher's test chat and the student's practice.

Everything comes from `conversation_service`: one view read per run, one call per action. The
student's message is stored before the reply starts, and the reply is generated in the background,
so a click or a reload mid-reply loses nothing: the next run shows the reply on its way and then the
reply. Students see no tokens or cost (it would break the role-play); teachers see both.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.actor import UserRead
from backend.config import get_settings
from backend.errors import AppError
from backend.models.enums import MessageRole
from backend.ops import database_service
from backend.practice import conversation_service
from backend.practice.conversation_service import ConversationView, Reply
from backend.practice.read_models import MessageRead, SessionRead
from backend.practice.session_service import ReplyInFlight
from backend.utils.formatting import format_tokens, format_usd
from mvp import auth, ui

CLIENT_AVATAR = ":material/person:"
STUDENT_AVATAR = ":material/school:"


# Messages ---------------------------------------------------------------------------------------
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
        f"{session.message_count} messages"
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
        st.markdown(ui.safe_markdown(message.content))
        if is_client:
            if show_usage:
                st.caption(usage_caption(message))
            if footer is not None:
                footer(message)


# The panel --------------------------------------------------------------------------------------
class _Keys:
    """Where one conversation keeps its leftovers between runs (per browser session)."""

    def __init__(self, session_id: int) -> None:
        self.draft = f"chat_draft_{session_id}"  # a message that could not be sent
        self.notice = f"chat_notice_{session_id}"  # why the last reply failed
        self.resumed = f"chat_resumed_{session_id}"  # the message already re-asked after a reload
        self.restart = f"chat_confirm_restart_{session_id}"


def chat_panel(
    database: database_service.Database,
    actor: UserRead,
    session_id: int,
    *,
    session_key: str = "chat_session_id",
    controls: bool = True,
    show_usage: bool = True,
) -> None:
    """A conversation: history, input, the streamed reply, and (with `controls`) End and Start
    over. `session_key` is where the page keeps the session id, so Start over can replace it."""
    try:
        view = conversation_service.get_view(database, actor=actor, session_id=session_id)
    except AppError as error:
        ui.show_error(error)
        return
    keys = _Keys(session_id)
    totals = _controls(database, actor, view, keys, session_key) if controls else None

    history = st.container()
    hint = history.empty()  # cleared when the first message is sent in this run
    if not view.messages:
        hint.caption(
            f"Say hello to start the conversation with {ui.safe_markdown(view.client.name)}."
        )
    with history:
        for message in view.messages:
            render_message(message, show_usage=show_usage)
    active = view.session.is_active
    prompt = st.chat_input(
        f"Talk to {view.client.name}…" if active else "This conversation has ended.",
        key="chat_input",
        disabled=not active,
        max_chars=get_settings().message_max_chars,
    )
    notices = st.container()
    if not active:
        notices.info(
            "This conversation has ended."
            + (" Press **Start over** for a new one." if controls else ""),
            icon=":material/check_circle:",
        )
        _show_totals(totals, view.session)
        return

    turn = _Turn(database, actor, view, keys, history, hint, notices, show_usage)
    session = turn.run(prompt)
    _show_totals(totals, session)


def _controls(
    database: database_service.Database,
    actor: UserRead,
    view: ConversationView,
    keys: _Keys,
    session_key: str,
):
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
        _act(
            lambda: conversation_service.end_conversation(
                database, actor=actor, session_id=session.id
            )
        )
    if top[2].button(
        "Start over", key="start_over", width="stretch", icon=":material/restart_alt:"
    ):
        if session.is_active and view.messages:
            st.session_state[keys.restart] = True  # ask first: this ends the conversation
        else:
            _start_over(database, actor, view, keys, session_key)
    if st.session_state.get(keys.restart):
        with st.container(border=True, key="restart_confirmation"):
            st.warning("Start over? This ends the current conversation.", icon=":material/help:")
            left, right = st.columns(2)
            if left.button("Yes, start over", key="confirm_start_over", type="primary"):
                st.session_state.pop(keys.restart, None)
                _start_over(database, actor, view, keys, session_key)
            if right.button("Keep this conversation", key="cancel_start_over"):
                st.session_state.pop(keys.restart, None)
                st.rerun()
    return top[0].empty()


def _start_over(
    database: database_service.Database,
    actor: UserRead,
    view: ConversationView,
    keys: _Keys,
    session_key: str,
) -> None:
    def restart() -> None:
        if view.session.is_active:
            conversation_service.end_conversation(database, actor=actor, session_id=view.session.id)
        fresh = conversation_service.start_conversation(
            database, actor=actor, client_id=view.session.client_id
        )
        for key in (keys.draft, keys.notice, keys.resumed):
            st.session_state.pop(key, None)
        st.session_state[session_key] = fresh.id

    _act(restart)


def _act(action: Callable[[], object]) -> None:
    """Run a service action, then redraw; its error is shown instead."""
    try:
        action()
    except AppError as error:
        ui.show_error(error)
    else:
        st.rerun()


def _show_totals(slot, session: SessionRead) -> None:
    if slot is not None:
        slot.markdown(session_totals(session))


class _Turn:
    """One run's part of the conversation: leftovers, the action asked for, the reply."""

    def __init__(
        self,
        database: database_service.Database,
        actor: UserRead,
        view: ConversationView,
        keys: _Keys,
        history,
        hint,
        notices,
        show_usage: bool,
    ) -> None:
        self.database, self.actor, self.view, self.keys = database, actor, view, keys
        self.history, self.hint, self.show_usage = history, hint, show_usage
        self.draft_slot, self.draft_button = notices.empty(), notices.empty()
        self.notice_slot, self.retry_button = notices.empty(), notices.empty()
        self.pending_slot = notices.empty()

    def run(self, prompt: str | None) -> SessionRead:
        state, view = st.session_state, self.view
        draft = state.get(self.keys.draft)
        notice = state.get(self.keys.notice) if view.awaiting_reply else None
        resend = self._show_draft(draft) if draft else False
        retry = self._show_notice(notice) if notice else False

        if text := prompt or (draft if resend else None):
            return self._send(text)
        if retry:
            return self._ask_again()
        if view.reply_pending:
            self._wait_for_reply()
        elif (
            view.awaiting_reply
            and not notice
            and state.get(self.keys.resumed) != view.messages[-1].id
        ):
            # Unanswered after a reload or a crash: ask once more (the same checks as a send).
            state[self.keys.resumed] = view.messages[-1].id
            return self._ask_again()
        return view.session

    def _show_draft(self, draft: str) -> bool:
        self.draft_slot.warning(
            f"Not sent: {ui.escape_markdown(draft)}", icon=":material/unpublished:"
        )
        return self.draft_button.button("Send again", key="resend_draft", icon=":material/send:")

    def _show_notice(self, notice: str) -> bool:
        self.notice_slot.warning(ui.safe_markdown(notice), icon=":material/hourglass_empty:")
        return self.retry_button.button("Retry", key="retry_reply", icon=":material/refresh:")

    def _send(self, text: str) -> SessionRead:
        try:
            reply = conversation_service.submit_message(
                self.database, actor=self.actor, session_id=self.view.session.id, content=text
            )
        except AppError as error:
            # Not stored: keep the words on screen with a way to send them again.
            st.session_state[self.keys.draft] = text
            with self.draft_slot.container():
                ui.show_error(error)
                st.warning(f"Not sent: {ui.escape_markdown(text)}", icon=":material/unpublished:")
            self.draft_button.button("Send again", key="resend_draft", icon=":material/send:")
            if isinstance(error, ReplyInFlight):  # started elsewhere: still show it arrive
                self._wait_for_reply()
            return self.view.session
        st.session_state.pop(self.keys.draft, None)
        self.draft_slot.empty()
        self.draft_button.empty()
        self.hint.empty()
        with self.history:
            render_message(reply.sent, show_usage=self.show_usage)
        return self._stream(reply)

    def _ask_again(self) -> SessionRead:
        try:
            reply = conversation_service.request_reply(
                self.database, actor=self.actor, session_id=self.view.session.id
            )
        except ReplyInFlight:
            self._wait_for_reply()
            return self.view.session
        except AppError as error:
            # A refused retry keeps its Retry (sending again would stack a second message).
            self._fail(error.message)
            return self.view.session
        return self._stream(reply)

    def _stream(self, reply: Reply) -> SessionRead:
        self.notice_slot.empty()
        self.retry_button.empty()
        name = ui.safe_markdown(self.view.client.name)
        with self.history:
            bubble = st.empty()
            with bubble.container(), st.chat_message("assistant", avatar=CLIENT_AVATAR):
                with st.spinner(f"{name} is answering…", show_time=True):
                    _show_as_it_arrives(reply)
            outcome = reply.outcome
        if outcome.ok:
            with bubble.container():  # exactly what was stored (a stopped draft is replaced)
                render_message(outcome.message, show_usage=self.show_usage)
            st.session_state.pop(self.keys.notice, None)
            return outcome.totals or self.view.session
        bubble.empty()  # a cut-off reply is not kept, so it is not shown either
        self._fail(outcome.notice or "The reply did not arrive. Press Retry.")
        return self.view.session

    def _fail(self, notice: str) -> None:
        st.session_state[self.keys.notice] = notice
        self._show_notice(notice)

    def _wait_for_reply(self) -> None:
        with self.pending_slot.container():
            _poll_pending_reply(
                self.database,
                self.actor,
                self.view.session.id,
                ui.safe_markdown(self.view.client.name),
            )


def _show_as_it_arrives(reply: Reply) -> None:
    """The reply while it streams, made safe like the stored message that replaces it (the model
    writes it, and a student's message can ask it for markup)."""
    slot, text = st.empty(), ""
    for chunk in reply:
        text += chunk
        slot.markdown(ui.safe_markdown(text))


@st.fragment(run_every=1.0)
def _poll_pending_reply(
    database: database_service.Database, actor: UserRead, session_id: int, name: str
) -> None:
    """While a reply started elsewhere (another run or tab) is on its way: say so, with its text
    so far, then show it."""
    auth.require_login()  # a fragment reruns alone: the log-in is checked here too
    try:
        text = conversation_service.pending_reply_text(database, actor=actor, session_id=session_id)
    except AppError as error:
        ui.show_error(error)
        return
    if text is None:
        st.rerun()
    if text:
        with st.chat_message("assistant", avatar=CLIENT_AVATAR):
            st.markdown(ui.safe_markdown(text))
    st.info(f"{name} is answering…", icon=":material/hourglass_top:")
