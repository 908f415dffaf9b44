"""A session's review as students and teachers see it: written when asked for (with its
progress), "Try again" after a failure, and the ready review (drawn by review_render.py).

`review_panel(actor, session_id, messages, *, for_teacher)` is the whole panel;
`make_review(create)` runs a review with visible progress.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.actor import UserRead
from backend.errors import AppError
from backend.models.enums import MessageRole
from backend.practice.read_models import MessageRead
from backend.reviews import review_service
from backend.reviews.read_models import ReviewRead
from backend.reviews.session_screen import SessionScreen
from mvp import store, ui
from mvp.review_render import render_review

STEPS = ("Reading the transcript", "Scoring", "Checking quotes")
REVIEW_NOW_KEY = "review_now_for"  # the session whose review this run writes (a callback asked)
TEACHER_FIRST = (
    "Your teacher will review this session first. The review appears here once they release it."
)


def ask_for_review(session_id: int) -> None:
    """The next run writes this session's review, with its progress (a callback, or after End)."""
    st.session_state[REVIEW_NOW_KEY] = session_id


def review_panel(
    actor: UserRead,
    session_id: int,
    messages: list[MessageRead],
    *,
    for_teacher: bool,
    known: SessionScreen | None = None,
) -> bool:
    """A session's review: written (with progress) when asked for, "Try again" after a failure.

    The student's and the teacher's views differ only in wording and in what the teacher may see
    (unreleased reviews, the turn the hidden information came out). `known` is the student's
    session screen read in this run (its review is not read again unless one was just written).
    True when the review was shown.
    """
    if not for_teacher:
        st.markdown("#### Your review")
    if not any(message.role == MessageRole.user for message in messages):
        if not for_teacher:
            st.caption("Nothing to review: you did not write anything in this session.")
        return False
    if st.session_state.get(REVIEW_NOW_KEY) == session_id:
        st.session_state.pop(REVIEW_NOW_KEY)
        known = None  # read the review just written
        make_review(
            lambda: review_service.create_review(
                store.database(), actor=actor, session_id=session_id
            )
        )
    if known is not None and known.review_held:
        st.info(TEACHER_FIRST, icon=":material/hourglass_top:")
        return False
    rubric = None
    if known is not None:
        review, rubric = known.review, known.rubric
    else:
        try:
            with store.transaction() as db:
                review = review_service.get_review(db, actor=actor, session_id=session_id)
        except review_service.ReviewNotReleased:
            st.info(TEACHER_FIRST, icon=":material/hourglass_top:")
            return False
        except AppError as error:
            ui.show_error(error)
            return False
    if review is None or review.content is None:
        _ask_again(session_id, failed=review is not None, for_teacher=for_teacher)
        return False
    if for_teacher:
        released = "" if review.released_at else " · not released to the student"
        st.markdown(f"##### Review{released}")
    render_review(review, messages, show_hidden_info_turn=for_teacher, rubric=rubric)
    return True


def _ask_again(session_id: int, *, failed: bool, for_teacher: bool) -> None:
    """No review to show: say why, and offer to write one."""
    if failed:  # its invalid content was never kept
        st.warning(review_service.ReviewFailed().message, icon=":material/warning:")
    elif not for_teacher:
        st.caption("This session has no review yet.")
    label = "Try again" if failed else ("Review" if for_teacher else "Get a review")
    st.button(
        label,
        key=f"history_review_{session_id}" if for_teacher else f"review_again_{session_id}",
        icon=":material/refresh:" if failed or not for_teacher else ":material/grading:",
        on_click=ask_for_review,
        args=(session_id,),
    )


def make_review(create: Callable[[], ReviewRead]) -> ReviewRead | None:
    """Run `create` (a review service call) inside a status box with its steps; None (after
    saying why) when it failed."""
    with st.status("Writing the review…", expanded=True) as status:
        for step in STEPS:
            st.write(f":material/pending: {step}")
        try:
            review = create()
        except AppError as error:
            status.update(label="The review could not be written", state="error")
            ui.show_error(error)
            return None
        status.update(label="Review ready", state="complete", expanded=False)
    return review
