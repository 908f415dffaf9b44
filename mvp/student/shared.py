"""Parts both student pages use: which conversation is open, the transcript download, the review."""

from __future__ import annotations

import streamlit as st

from backend.errors import AppError
from backend.schemas.accounts import UserRead
from backend.schemas.conversations import MessageRead
from backend.services import history_service, review_service
from backend.services.review_service import ReviewFailed, ReviewNotReleased
from mvp import store, ui
from mvp.review_view import make_review, render_review

PRACTICE_PAGE = "student/practice.py"
SESSION_KEY = "student_session_id"
CONVERSATION_PARAM = "c"  # the open conversation, in the address so a reload reopens it
REVIEW_NOW_KEY = "review_now_for"  # the session whose review this run writes (after ending it)
TEACHER_FIRST = (
    "Your teacher will review this session first. The review appears here once they release it."
)


def show_conversation(session_id: int | None) -> None:
    """Open a conversation (None: back to the lists), remembering it in the page address."""
    if session_id is None:
        st.session_state.pop(SESSION_KEY, None)
        st.query_params.pop(CONVERSATION_PARAM, None)
    else:
        st.session_state[SESSION_KEY] = session_id
        st.query_params[CONVERSATION_PARAM] = str(session_id)


def open_on_practice_page(session_id: int) -> None:
    """From another page: the Practice page opens with this conversation (a callback)."""
    st.session_state[SESSION_KEY] = session_id
    ui.go_to(PRACTICE_PAGE)


def transcript_button(actor: UserRead, session_id: int, *, key: str) -> None:
    """A Markdown export of the student's own transcript, built only when clicked."""

    def build() -> str:  # runs outside the script run, so it opens its own unit of work
        with store.transaction() as db:
            return history_service.transcript_markdown(db, actor=actor, session_id=session_id)

    st.download_button(
        "Download transcript",
        build,
        file_name=f"my-session-{session_id}.md",
        mime="text/markdown",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def ask_for_review(session_id: int) -> None:
    """The next run writes this session's review, with its progress (a callback, or after End)."""
    st.session_state[REVIEW_NOW_KEY] = session_id


def review_panel(actor: UserRead, session_id: int, messages: list[MessageRead]) -> bool:
    """The session's review; its progress while it is written; "Try again" when it failed.
    True when the review (with the transcript beside it) was shown."""
    st.markdown("#### Your review")
    if not any(message.role == "user" for message in messages):
        st.caption("Nothing to review: you did not write anything in this session.")
        return False
    if st.session_state.get(REVIEW_NOW_KEY) == session_id:
        st.session_state.pop(REVIEW_NOW_KEY)
        make_review(
            lambda: review_service.create_review(
                store.database(), actor=actor, session_id=session_id
            )
        )
    try:
        with store.transaction() as db:
            review = review_service.get_review(db, actor=actor, session_id=session_id)
    except ReviewNotReleased:
        st.info(TEACHER_FIRST, icon=":material/hourglass_top:")
        return False
    except AppError as error:
        ui.show_error(error)
        return False
    if review is None or review.content is None:
        if review is not None:  # failed: its invalid content was never kept
            st.warning(ReviewFailed().message, icon=":material/warning:")
        else:
            st.caption("This session has no review yet.")
        st.button(
            "Try again" if review is not None else "Get a review",
            key=f"review_again_{session_id}",
            icon=":material/refresh:",
            on_click=ask_for_review,
            args=(session_id,),
        )
        return False
    render_review(review, messages, show_hidden_info_turn=False)
    return True
