"""A branch ("Practise this moment"), on the student's Practice page and in the teacher's test
chat: the button that opens one at a turn, where it comes from, a way to try the moment again,
and each reply coded at once beside the client's answer. Each page says where a new branch opens
(`OpenMoment`: the student's Practice page, the teacher's test chat)."""

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
from mvp import auth, chat_controls, store, ui
from mvp.chat_controls import ChatKeys

safe = ui.safe_markdown  # every piece of text a person (or the model) wrote goes through it
PRACTISE_LABEL = "Practise this moment"
#: A page's callback that opens a branch of conversation `session_id` at student turn `turn`
#: (the branch's id).
OpenMoment = Callable[[UserRead, int, int], int]


def practise_button(
    actor: UserRead, session_id: int, turn: int, *, key: str, open_moment: OpenMoment
) -> None:
    """The "Practise this moment" button of one student turn."""
    st.button(
        PRACTISE_LABEL,
        key=key,
        icon=":material/replay:",
        on_click=auth.guarded(_open),
        args=(open_moment, actor, session_id, turn),
    )


def _open(open_moment: OpenMoment, actor: UserRead, session_id: int, turn: int) -> None:
    open_moment(actor, session_id, turn)


def branch_header(
    actor: UserRead, session: SessionRead, *, open_moment: OpenMoment
) -> BranchCoding | None:
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
            f"You said:\n\n> {ui.as_typed(origin.original_reply)}"
        )
        if coding.suggestion is not None:
            st.caption(f"Your review suggested: {safe(coding.suggestion.better_reply)}")
        st.button(
            "Try this moment again",
            key="branch_again",
            icon=":material/replay:",
            on_click=auth.guarded(try_again),
            args=(actor, session, origin.original_id, origin.turn, open_moment),
        )
    return coding


def try_again(
    actor: UserRead, session: SessionRead, original_id: int, turn: int, open_moment: OpenMoment
) -> None:
    """This try ends (it stays in the history) and a new one starts from the same moment, with
    the words of this one that wait to be sent (an attack, 2026-12-07: they were left behind
    with the ended try)."""
    if session.is_active:
        conversation_service.end_conversation(store.database(), actor=actor, session_id=session.id)
    waiting = chat_controls.unsent_messages(ChatKeys(session.id), fresh=True)
    branch_id = open_moment(actor, original_id, turn)
    for words in waiting:
        chat_controls.keep_unsent_words(ChatKeys(branch_id), words)
    if waiting:
        chat_controls.forget_unsent(ChatKeys(session.id))


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
