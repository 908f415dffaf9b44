"""Words a person sent that were not stored (refused, or the conversation ended meanwhile): kept
per conversation, shown as "Not sent", sent again the oldest first. Nothing typed is dropped
without a word."""

from __future__ import annotations

import streamlit as st

from backend.accounts import unsent_service
from backend.config import get_settings
from backend.errors import AppError, ValidationError
from backend.utils.text import is_blank, without_control_characters
from mvp import ui
from mvp.chat_controls import ChatKeys, forget_unsent, keep_unsent_words, unsent_messages

typed_in_this_run = ui.typed_in_this_run


def show_unsent(messages: list[str], prefix: str = "Not sent") -> None:
    words = "\n\n".join(ui.as_typed(message) for message in messages)  # its lines kept
    st.warning(f"{prefix}: {words}", icon=":material/unpublished:")


def show_unsent_after_end(session_id: int, typed: str | None = None) -> None:
    """The conversation ended (in another tab) with words not sent: the ones kept and one sent
    in this very run (`typed`, read here unless the page read it before drawing the input) stay
    on screen once, for the student to copy."""
    keys = ChatKeys(session_id)
    typed = typed or typed_in_this_run()
    kept = unsent_messages(keys)
    if kept:
        forget_unsent(keys)  # shown once more, to copy
    unsent = kept + ([typed] if typed else [])
    if unsent:
        show_unsent(unsent, "Not sent, the session had ended")


def keep_typed_after_a_failed_run() -> None:
    """A run that failed before its chat took the message typed in it (the database not
    answering at the log-in check, say): the words stay on screen, and wait with the
    conversation open before, to send again (an attack, 2026-12-07: they were gone)."""
    typed = typed_in_this_run()
    if not typed or st.session_state.get(ui.TYPED_TAKEN_KEY):
        return
    if (open_chat := st.session_state.get(ui.OPEN_CHAT_KEY)) is not None:
        keep_unsent_words(ChatKeys(open_chat), typed)
    show_unsent([typed], "Not sent, the app could not take it just now")


def keep_unsent(keys: ChatKeys) -> None:
    """The conversation cannot go on: a message sent in this very run stays on screen as not
    sent, after the ones kept before (all kept with the conversation)."""
    typed = typed_in_this_run()
    st.chat_input("This conversation cannot go on.", key=ui.CHAT_INPUT_KEY, disabled=True)
    unsent = keep_unsent_words(keys, typed) if typed else unsent_messages(keys)
    if unsent:
        show_unsent(unsent)


def next_to_send(unsent: list[str]) -> list[str]:
    """What "Send again" sends as one message: the oldest unsent messages, as many as fit in one
    (each fit when typed; the rest wait for the next press)."""
    limit, batch = get_settings().message_max_chars, unsent[:1]
    for message in unsent[1:]:
        if len(unsent_service.JOINER.join([*batch, message])) > limit:
            break
        batch.append(message)
    return batch


def show_not_sent(
    keys: ChatKeys, text: str, error: Exception, resent: int, unsent: list[str]
) -> list[str]:
    """Why `text` was not sent, and the words waiting now (kept to send again, after any kept
    before). Words refused for what they are wait without their invisible control characters
    (a form feed pasted from a PDF), which would be refused again, with any sent together; words
    refused otherwise stay on screen apart, to copy; words sent again stay where they were."""
    refused = isinstance(error, ValidationError) and not resent
    readable = without_control_characters(text) if refused else text
    waits = not resent and (not refused or readable != text) and not is_blank(readable)
    if waits:
        unsent = keep_unsent_words(keys, readable)
    ui.show_error(error) if isinstance(error, AppError) else ui.show_unexpected(error)
    if refused and waits:
        st.caption("It waits below without the invisible character: send it again.")
    elif refused and text.strip():
        show_unsent([text], "Not sent, edit it and send it again")
    if unsent:
        show_unsent(unsent)
    return unsent
