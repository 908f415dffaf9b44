"""The conversation panel shared by the teacher's test chat and the student's practice.

Everything comes from `conversation_service`: one view read per run, one call per action. The
student's message is stored before the reply starts, and the reply is generated in the background,
so a click or a reload mid-reply loses nothing: the next run shows the reply on its way and then the
reply. Students see no tokens or cost (it would break the role-play); teachers see both.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from backend.accounts import unsent_service
from backend.actor import UserRead
from backend.config import get_settings
from backend.errors import AppError
from backend.models.enums import MessageRole
from backend.ops import database_service
from backend.practice import conversation_service
from backend.practice.conversation_service import ConversationView, Reply
from backend.practice.read_models import MessageRead, SessionRead
from backend.practice.session_service import ReplyInFlight
from mvp import a11y, chat_controls, chat_unsent, job_view, ui
from mvp.chat_controls import ChatKeys, end_and_start_over, unsent_messages
from mvp.chat_messages import (
    CLIENT_AVATAR,
    pending_reply,
    render_message,
    session_totals,
    show_as_it_arrives,
)


def chat_panel(
    database: database_service.Database,
    actor: UserRead,
    session_id: int,
    *,
    session_key: str = "chat_session_id",
    controls: bool = True,
    show_usage: bool = True,
    view: ConversationView | None = None,
    after_student: Callable[[MessageRead], None] | None = None,
) -> None:
    """A conversation: history, input, the streamed reply, and (with `controls`) End and Start
    over. `session_key` is where the page keeps the session id, so Start over can replace it;
    `view` is the conversation when the page has read it already in this run; `after_student`
    draws under each of the student's messages (a branch's instant coding), also under one just
    sent, before the reply streams."""
    keys = ChatKeys(session_id)
    st.session_state[ui.TYPED_TAKEN_KEY] = True  # from here, this module keeps what was typed
    st.session_state[ui.OPEN_CHAT_KEY] = session_id
    if view is None:
        try:
            view = conversation_service.get_view(database, actor=actor, session_id=session_id)
        except AppError as error:
            ui.show_error(error)
            chat_unsent.keep_unsent(keys)
            return
    totals = end_and_start_over(database, actor, view, keys, session_key) if controls else None

    history = st.container()
    hint = history.empty()  # cleared when the first message is sent in this run
    if not view.messages:
        hint.caption(
            f"Say hello to start the conversation with {ui.safe_markdown(view.client.name)}."
        )
    with history:
        for message in view.messages:
            render_message(message, show_usage=show_usage)
            if after_student is not None and message.role == MessageRole.user:
                after_student(message)
    active = view.session.is_active
    typed_as_it_ended = None if active else chat_unsent.typed_in_this_run()
    prompt = st.chat_input(
        f"Talk to {view.client.name}…" if active else "This conversation has ended.",
        key=ui.CHAT_INPUT_KEY,
        disabled=not active,
        max_chars=get_settings().message_max_chars,
    )
    notices = st.container()
    if not active:
        if typed_as_it_ended or unsent_messages(keys):
            with notices:
                chat_unsent.show_unsent_after_end(session_id, typed_as_it_ended)
        notices.info(
            "This conversation has ended."
            + (" Press **Start over** for a new one." if controls else ""),
            icon=":material/check_circle:",
        )
        _show_totals(totals, view.session)
        return

    turn = _Turn(database, actor, view, keys, history, hint, notices, show_usage)
    turn.after_student = after_student
    session = turn.run(prompt)
    _show_totals(totals, session)


def _show_totals(slot: DeltaGenerator | None, session: SessionRead) -> None:
    if slot is not None:
        slot.markdown(session_totals(session))


class _Turn:
    """One run's part of the conversation: leftovers, the action asked for, the reply."""

    def __init__(
        self,
        database: database_service.Database,
        actor: UserRead,
        view: ConversationView,
        keys: ChatKeys,
        history: DeltaGenerator,
        hint: DeltaGenerator,
        notices: DeltaGenerator,
        show_usage: bool,
    ) -> None:
        self.database, self.actor, self.view, self.keys = database, actor, view, keys
        self.history, self.hint, self.show_usage = history, hint, show_usage
        self.draft_slot, self.draft_button = notices.empty(), notices.empty()
        self.notice_slot, self.retry_button = notices.empty(), notices.empty()
        self.pending_slot = notices.empty()
        self.resend_drawn = False  # "Send again" is on screen in this run (its key is unique)
        self.after_student: Callable[[MessageRead], None] | None = None

    def run(self, prompt: str | None) -> SessionRead:
        state, view = st.session_state, self.view
        unsent = unsent_messages(self.keys)
        notice = self._notice_now()
        resend = self._show_unsent(unsent) if unsent else False
        # A Retry pressed asks before its notice is drawn: one failing again draws it once
        # (twice in one run had crashed the page: an attack, 2026-12-07).
        retry = state.pop(self.keys.retry, False) and bool(notice)
        if notice and not retry:
            self._show_notice(*notice)
        if prompt:
            return self._send(prompt)
        if resend:  # what is kept now: another tab of the log-in may have sent some
            if not (unsent := unsent_messages(self.keys, fresh=True)):
                st.rerun()
            batch = chat_unsent.next_to_send(unsent)
            return self._send(unsent_service.JOINER.join(batch), resent=len(batch))
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

    def _notice_now(self) -> tuple[str, bool] | None:
        """The failed reply's notice while its message is the last and not asked again elsewhere
        (it had stood beside "is answering": an attack on the day's fixes); kept meanwhile."""
        kept, view = st.session_state.get(self.keys.notice), self.view
        if not kept or not view.awaiting_reply or not view.messages or view.reply_pending:
            return None
        notice, retryable, about = (*kept, None)[:3]
        if about is not None and about != self.view.messages[-1].id:
            st.session_state.pop(self.keys.notice, None)
            return None
        return notice, retryable

    def _show_unsent(self, unsent: list[str]) -> bool:
        with self.draft_slot.container():
            chat_unsent.show_unsent(unsent)
        return self._unsent_buttons()

    def _unsent_buttons(self) -> bool:
        """Draw "Send again" and "Discard" (once per run: their keys are unique); whether Send
        again was pressed."""
        if self.resend_drawn:
            return False
        self.resend_drawn = True
        with self.draft_button.container(horizontal=True):
            sent: bool = st.button("Send again", key="resend_draft", icon=":material/send:")
            st.button(
                "Discard",
                key="discard_unsent",
                icon=":material/delete:",
                help="Forget the words not sent (copy them first if you need them)",
                on_click=chat_controls.forget_unsent,
                args=(self.keys,),
            )
        return sent

    def _show_notice(self, notice: str, retryable: bool = True) -> None:
        self.notice_slot.warning(ui.for_reader(notice), icon=":material/hourglass_empty:")
        if retryable:
            self.retry_button.button(
                "Retry",
                key="retry_reply",
                icon=":material/refresh:",
                on_click=st.session_state.__setitem__,
                args=(self.keys.retry, True),
            )

    def _send(self, text: str, resent: int = 0) -> SessionRead:
        """Send `text`: a new message, or the first `resent` unsent ones sent again."""
        unsent = unsent_messages(self.keys)
        taken = chat_controls.TakenOff(self.keys, unsent[:resent])
        try:
            reply = conversation_service.submit_message(
                self.database,
                actor=self.actor,
                session_id=self.view.session.id,
                content=text,
                with_message=taken if resent else None,
            )
        except Exception as error:  # a refusal, or the database failing: nothing was stored
            with self.draft_slot.container():
                unsent = chat_unsent.show_not_sent(self.keys, text, error, resent, unsent)
            if unsent:
                self._unsent_buttons()
            if isinstance(error, ReplyInFlight):  # started elsewhere: still show it arrive
                self._wait_for_reply()
            return self.view.session
        if resent:  # sent at last; any left wait for the next "Send again"
            unsent = chat_controls.sent_again(self.keys, taken)
            if not unsent:
                self.draft_slot.empty()
                self.draft_button.empty()
            else:
                with self.draft_slot.container():
                    chat_unsent.show_unsent(unsent)
        self.hint.empty()
        with self.history:
            if reply.sent is not None:  # always, for a submitted message
                render_message(reply.sent, show_usage=self.show_usage)
                if self.after_student is not None:
                    self.after_student(reply.sent)
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
        except Exception as error:  # the database failing: the message is stored, ask later
            # A reload's own ask included, which is marked done before it runs (an attack,
            # 2026-12-07: it left the message with no notice and no Retry).
            ui.log_unexpected(error)
            self._fail(conversation_service.DATABASE_DOWN)
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
                    show_as_it_arrives(reply)
            outcome = reply.outcome
        if outcome.message is not None:  # `outcome.ok`
            with bubble.container():  # exactly what was stored (a stopped draft is replaced)
                render_message(outcome.message, show_usage=self.show_usage)
            a11y.announce(f"{self.view.client.name}: {outcome.message.content}")
            st.session_state.pop(self.keys.notice, None)
            return outcome.totals or self.view.session
        bubble.empty()  # a cut-off reply is not kept, so it is not shown either
        notice = outcome.notice or "The reply did not arrive. Press Retry."
        self._fail(notice, outcome.retryable, reply.sent.id if reply.sent else None)
        return self.view.session

    def _fail(self, notice: str, retryable: bool = True, about: int | None = None) -> None:
        """Keep and show why the reply to `about` (else the last message shown) failed."""
        last = self.view.messages[-1].id if self.view.messages else None
        st.session_state[self.keys.notice] = (notice, retryable, about or last)
        self._show_notice(notice, retryable)

    def _wait_for_reply(self) -> None:
        session_id, name = self.view.session.id, ui.safe_markdown(self.view.client.name)
        last = self.view.messages[-1].id if self.view.messages else 0
        with self.pending_slot.container():
            job_view.poll(
                f"reply_{session_id}_{last}",
                lambda: pending_reply(self.database, self.actor, session_id, name),
            )
