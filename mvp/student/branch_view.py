"""Student, on the Practice page: a branch ("Practise this moment"): where it comes from, a way to
try the moment again, and each reply coded at once beside the client's answer."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.actor import UserRead
from backend.errors import AppError
from backend.practice import branch_service, conversation_service
from backend.practice.read_models import MessageRead, SessionRead
from backend.reviews import try_coding
from backend.reviews.try_coding import BranchCoding
from backend.reviews.turns import Turn
from mvp import auth, store, ui
from mvp.student import shared

safe = ui.safe_markdown  # every piece of text a person (or the model) wrote goes through it


def branch_header(actor: UserRead, session: SessionRead) -> BranchCoding | None:
    """For a branch: the moment it tries again, the review's suggestion and "Try this moment
    again"; None (nothing drawn) for any other conversation."""
    if session.branch_of_id is None:
        return None
    try:
        with store.transaction() as db:
            coding = try_coding.read_branch_coding(db, actor=actor, session_id=session.id)
    except AppError as error:
        ui.show_error(error)
        return None
    if coding is None:
        return None
    origin = coding.origin
    with st.container(border=True, key="branch_moment"):
        st.markdown(
            f"**Practising a moment:** "
            f"{branch_service.branch_label(origin.original_started_at, origin.turn)}. "
            f"You said:\n\n> {safe(origin.original_reply)}"
        )
        if coding.suggestion is not None:
            st.caption(f"Your review suggested: {safe(coding.suggestion.better_reply)}")
        st.button(
            "Try this moment again",
            key="branch_again",
            icon=":material/replay:",
            on_click=auth.guarded(try_again),
            args=(actor, session, origin.original_id, origin.turn),
        )
    return coding


def try_again(actor: UserRead, session: SessionRead, original_id: int, turn: int) -> None:
    """This try ends (it stays in the history) and a new one starts from the same moment."""
    if session.is_active:
        conversation_service.end_conversation(store.database(), actor=actor, session_id=session.id)
    shared.practise_moment(actor, original_id, turn)


def coded_replies(
    coding: BranchCoding, messages: list[MessageRead]
) -> Callable[[MessageRead], None]:
    """Draws, under each reply the student wrote in the branch, its codes (the moment's reply
    compared with the original turn and the review's suggestion)."""
    turns = [_turn(m) for m in messages]

    def show(message: MessageRead) -> None:
        feedback = try_coding.code_turn(coding, turns, _turn(message))
        if feedback is not None:
            with st.container(key=f"try_feedback_{message.sequence_number}"):
                st.info(safe(feedback.message), icon=":material/fact_check:")

    return show


def _turn(message: MessageRead) -> Turn:
    return Turn(message.sequence_number, str(message.role), message.content)
