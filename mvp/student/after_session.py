"""Student, on the Practice page: an ended session's review beside its transcript (thumbs on the
client's replies), the feedback form; without a review, the transcript alone."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.errors import AppError
from backend.models.enums import MessageRole
from backend.practice import branch_service, rating_service
from backend.practice.rating_service import RatingRead
from backend.practice.read_models import MessageRead
from backend.reviews.session_screen import SessionScreen
from mvp import a11y, auth, store, ui
from mvp.chat_messages import render_message
from mvp.review_render import RATE_HINT
from mvp.review_view import review_panel
from mvp.student import shared

SAVED_KEY = "feedback_saved_for"
FEEDBACK_SAVED = "Thank you: your feedback was saved."
safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def after_session(actor: UserRead, screen: SessionScreen) -> None:
    """The review beside the one transcript, with thumbs on the client's replies, then the
    feedback form (without a review: the transcript after the form)."""
    session, messages = screen.practice.session, screen.practice.messages

    def rate_reply(reply: MessageRead) -> None:
        if not branch_service.is_copied(session, reply.sequence_number):  # rated where said
            thumbs(actor, reply, screen.reply_ratings)

    def practise(turn: int, key: str) -> None:
        shared.practise_button(actor, session.id, turn, key=key)

    reviewed = review_panel(
        actor,
        session.id,
        messages,
        for_teacher=False,
        known=screen,
        footer=rate_reply,
        practise=practise,
        drill=lambda content, rubric: shared.suggested_drill(actor, content, rubric),
    )
    feedback_form(actor, session.id, screen.rating)
    if not reviewed:
        st.markdown("#### Transcript")
        if not messages:
            st.caption("Nothing was said in this session.")
        else:
            st.caption(RATE_HINT)
        for message in messages:
            render_message(message, show_usage=False, footer=rate_reply)
            if message.role == MessageRole.user:
                practise(
                    message.sequence_number, f"practise_turn_{session.id}_{message.sequence_number}"
                )
    with st.container(horizontal=True, key="after_actions"):
        shared.transcript_button(actor, session.id, key="download_current")
        st.button(
            f"{'Continue your' if screen.continues_open else 'New'} conversation with "
            f"{safe(screen.practice.client_name)}",
            key="start_again",
            icon=":material/forum:",
            on_click=auth.guarded(shared.open_conversation),
            args=(actor, session.client_id, session.assignment_id),
        )


def feedback_form(actor: UserRead, session_id: int, given: RatingRead | None) -> None:
    st.markdown("#### How did it go?")
    with st.form("feedback_form", border=True):
        realism = st.slider(
            "How realistic was the client?",
            1,
            5,
            given.realism if given else 3,
            key="fb_realism",
            help="1: not at all · 5: like a real client",
        )
        usefulness = st.slider(
            "How useful was this practice for you?",
            1,
            5,
            given.usefulness if given else 3,
            key="fb_usefulness",
            help="1: not at all · 5: very useful",
        )
        comment = st.text_area(
            "Anything else? (optional)",
            value=given.comment if given else "",
            key="fb_comment",
            max_chars=rating_service.MAX_COMMENT,
        )
        if st.form_submit_button(
            "Update feedback" if given else "Send feedback", key="fb_submit", type="primary"
        ):
            try:
                with store.transaction(write=True) as db:
                    rating_service.submit_session_rating(
                        db,
                        actor=actor,
                        session_id=session_id,
                        realism=realism,
                        usefulness=usefulness,
                        comment=comment,
                    )
            except AppError as error:
                ui.show_error(error)
            else:
                st.session_state[SAVED_KEY] = session_id
                st.rerun()
    if st.session_state.get(SAVED_KEY) == session_id:  # next to the button just pressed
        st.session_state.pop(SAVED_KEY)
        st.success(FEEDBACK_SAVED, icon=":material/check_circle:")
        a11y.announce(FEEDBACK_SAVED)


def thumbs(actor: UserRead, reply: MessageRead, ratings: dict[int, bool]) -> None:
    key = f"thumbs_{reply.id}"
    if key not in st.session_state and reply.id in ratings:
        st.session_state[key] = 1 if ratings[reply.id] else 0
    st.feedback("thumbs", key=key, on_change=auth.guarded(rate), args=(actor, reply.id, key))


def rate(actor: UserRead, message_id: int, key: str) -> None:
    value = st.session_state.get(key)
    with store.transaction(write=True) as db:
        rating_service.rate_reply(
            db,
            actor=actor,
            message_id=message_id,
            positive=None if value is None else bool(value),
        )
