"""Student practice: assigned clients, conversations, feedback, and past sessions."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from backend.errors import AppError
from backend.models.enums import Role
from backend.services import (
    assignment_service, conversation_service, feedback_service, history_service, section_service,
    session_service,
)
from backend.utils.formatting import format_duration, format_time, format_usd
from mvp import utils

SESSION_KEY = "student_session_id"
CONVERSATION_PARAM = "c"  # the open conversation, in the address so a reload reopens it
DIFFICULTY_BADGES = {"beginner": ":green-badge[Beginner]", "intermediate": ":orange-badge[Intermediate]",
                     "advanced": ":red-badge[Advanced]"}

actor = utils.require_role(Role.student)
engine = utils.get_engine()


# Choosing a client -----------------------------------------------------------------------------
def open_conversation(client_id: int) -> None:
    chat = conversation_service.start_conversation(engine, actor=actor, client_id=client_id)
    show_conversation(chat.id)


def show_conversation(session_id: int | None) -> None:
    """Open a conversation (None: back to the lists), remembering it in the page address."""
    if session_id is None:
        st.session_state.pop(SESSION_KEY, None)
        st.query_params.pop(CONVERSATION_PARAM, None)
    else:
        st.session_state[SESSION_KEY] = session_id
        st.query_params[CONVERSATION_PARAM] = str(session_id)


def client_cards() -> None:
    with utils.db() as session:
        available = assignment_service.list_available_clients(session, actor=actor)
        active = {item.client.id: session_service.get_active_session(
            session, actor=actor, client_id=item.client.id) for item in available}
    if not available:
        st.info("No clients are assigned to you yet. When your teacher publishes an assignment in "
                "one of your sections, its clients appear here. Joined the wrong section? Use "
                "**Join a section** with the code from your teacher.", icon=":material/info:")
        return
    columns = st.columns(3)
    for index, item in enumerate(available):
        client = item.client
        with columns[index % 3].container(border=True, key=f"card_{client.id}_{item.assignment_id}"):
            age = f", {client.age}" if client.age else ""
            st.markdown(f"#### {client.name}{age}")
            st.markdown(DIFFICULTY_BADGES.get(str(client.difficulty), ""))
            st.write(client.summary)
            due = f" · due {format_time(item.due_at)}" if item.due_at else ""
            st.caption(f"{item.assignment_title} ({item.section_name}){due}")
            if client.learning_goals:
                st.markdown(f"**Practise:** {client.learning_goals}")
            if item.instructions:
                with st.expander("Instructions"):
                    st.write(item.instructions)
            resume = active.get(client.id) is not None
            st.button("Continue conversation" if resume else "Start conversation",
                      key=f"start_{client.id}_{item.assignment_id}", type="primary",
                      icon=":material/forum:", width="stretch",
                      on_click=utils.guarded(open_conversation), args=(client.id,))


def join_section() -> None:
    with st.form("join_form", clear_on_submit=True):
        code = st.text_input("Join code", key="join_code", placeholder="e.g. K7PQ2MXA",
                             help="Your teacher gives you the code of each section.")
        if st.form_submit_button("Join section", key="join_submit"):
            try:
                with utils.db(write=True) as session:
                    joined = section_service.join_section(session, actor=actor, join_code=code)
                st.success(f"You joined {joined.name}. Its published clients now appear under "
                           "**Clients**.")
            except AppError as error:
                utils.show_error(error)
    with utils.db() as session:
        sections = section_service.list_sections(session, actor=actor)
    st.caption("Your sections: " + (", ".join(s.name for s in sections) or "none yet"))


# A conversation --------------------------------------------------------------------------------
@st.fragment(run_every="15s")
def elapsed(started_at: datetime, ended_at: datetime | None) -> None:
    """Kept current without rerunning the page (so a streaming reply is never interrupted)."""
    end = ended_at or datetime.now(timezone.utc)
    label = "Session length" if ended_at else "Session time"
    st.caption(f":material/timer: {label}: {format_duration(end - started_at)}")


def conversation(session_id: int) -> None:
    st.query_params[CONVERSATION_PARAM] = str(session_id)  # also after "Start over"
    try:
        with utils.db() as session:
            chat = session_service.get_session(session, actor=actor, session_id=session_id)
            rows = {row.session_id: row for row in
                    history_service.list_own_conversations(session, actor=actor, limit=50)}
    except AppError as error:
        utils.show_error(error)
        show_conversation(None)
        return
    row = rows.get(session_id)
    head = st.columns([6, 2], vertical_alignment="center")
    with head[0]:
        st.subheader(row.client_name if row else "Conversation")
        if row and row.assignment_title:
            st.caption(f"{row.assignment_title} · {row.section_name}")
        elapsed(chat.started_at, chat.ended_at)
    if head[1].button("All clients", key="back_to_clients", icon=":material/arrow_back:",
                      width="stretch"):
        show_conversation(None)
        st.rerun()
    if chat.is_active:
        confirm_end(session_id)
    utils.chat_panel(engine, actor, st.session_state[SESSION_KEY], session_key=SESSION_KEY,
                     show_end=False)
    if not chat.is_active:
        after_session(session_id)


def confirm_end(session_id: int) -> None:
    """"End session" asks once more: ending cannot be undone."""
    pending = st.session_state.get("confirm_end_for") == session_id
    if not pending:
        if st.button("End session", key="end_session", icon=":material/stop_circle:"):
            st.session_state["confirm_end_for"] = session_id
            st.rerun()
        return
    with st.container(border=True, key="end_confirmation"):
        st.warning("End this session? You can rate it afterwards, but not continue it.")
        yes, no = st.columns(2)
        if yes.button("Yes, end the session", key="confirm_end", type="primary", width="stretch"):
            st.session_state.pop("confirm_end_for", None)
            try:
                conversation_service.end_conversation(engine, actor=actor, session_id=session_id)
            except AppError as error:
                utils.show_error(error)
            st.rerun()
        if no.button("Keep talking", key="cancel_end", width="stretch"):
            st.session_state.pop("confirm_end_for", None)
            st.rerun()


def after_session(session_id: int) -> None:
    """The feedback form, and thumbs on each of the client's replies."""
    with utils.db() as session:
        given = feedback_service.get_session_feedback(session, actor=actor, session_id=session_id)
        messages = session_service.get_messages(session, actor=actor, session_id=session_id)
        ratings = feedback_service.reply_ratings(session, actor=actor, session_id=session_id)
    st.markdown("### How did it go?")
    with st.form("feedback_form"):
        realism = st.slider("How realistic was the client?", 1, 5, given.realism if given else 3,
                            key="fb_realism", help="1: not at all · 5: like a real client")
        usefulness = st.slider("How useful was this practice?", 1, 5,
                               given.usefulness if given else 3, key="fb_usefulness")
        comment = st.text_area("Anything else? (optional)", value=given.comment if given else "",
                               key="fb_comment", max_chars=feedback_service.MAX_COMMENT)
        if st.form_submit_button("Save feedback" if given else "Send feedback", key="fb_submit",
                                 type="primary"):
            try:
                with utils.db(write=True) as session:
                    feedback_service.submit_session_feedback(
                        session, actor=actor, session_id=session_id, realism=realism,
                        usefulness=usefulness, comment=comment)
                utils.flash("Thank you: your feedback was saved.")
                st.rerun()
            except AppError as error:
                utils.show_error(error)
    if given:
        st.caption(f"Saved: realism {given.realism}/5 · usefulness {given.usefulness}/5.")
    replies = [m for m in messages if m.role == "assistant"]
    if replies:
        with st.expander("Rate single replies (thumbs up or down)"):
            for reply in replies:
                st.markdown(f"> {utils.escape_markdown(reply.content)}")
                key = f"thumbs_{reply.id}"
                if key not in st.session_state and reply.id in ratings:
                    st.session_state[key] = 1 if ratings[reply.id] else 0
                st.feedback("thumbs", key=key, on_change=utils.guarded(rate), args=(reply.id, key))


def rate(message_id: int, key: str) -> None:
    value = st.session_state.get(key)
    with utils.db(write=True) as session:
        feedback_service.rate_reply(session, actor=actor, message_id=message_id,
                                    positive=None if value is None else bool(value))


# Past sessions ---------------------------------------------------------------------------------
def my_sessions() -> None:
    with utils.db() as session:
        rows = history_service.list_own_conversations(session, actor=actor, limit=50)
    if not rows:
        st.info("No sessions yet. Start a conversation from **Clients**; it will be listed here.",
                icon=":material/history:")
        return
    for row in rows:
        end = row.ended_at or datetime.now(timezone.utc)
        state = "in progress" if row.ended_at is None else format_duration(end - row.started_at)
        title = (f"{format_time(row.started_at)} · {row.client_name} · "
                 f"{row.assignment_title or 'practice'} · {state} · {row.message_count} messages")
        with st.expander(title):
            with utils.db() as session:
                messages = session_service.get_messages(session, actor=actor,
                                                        session_id=row.session_id)
                transcript = history_service.transcript_markdown(session, actor=actor,
                                                                 session_id=row.session_id)
            for message in messages:
                with st.chat_message("user" if message.role == "user" else "assistant"):
                    st.markdown(utils.escape_markdown(message.content))
            cols = st.columns([2, 2, 3])
            cols[0].download_button("Download transcript", transcript, mime="text/markdown",
                                    file_name=f"my-session-{row.session_id}.md",
                                    key=f"download_{row.session_id}", icon=":material/download:")
            if row.ended_at is None and cols[1].button("Continue", key=f"continue_{row.session_id}"):
                show_conversation(row.session_id)
                st.rerun()
            cols[2].caption(f"Cost of this practice: {format_usd(row.cost)}")


# The page --------------------------------------------------------------------------------------
st.title("Practice")
if SESSION_KEY not in st.session_state and st.query_params.get(CONVERSATION_PARAM, "").isdigit():
    st.session_state[SESSION_KEY] = int(st.query_params[CONVERSATION_PARAM])  # after a reload
if st.session_state.get(SESSION_KEY):
    conversation(st.session_state[SESSION_KEY])
else:
    view = st.segmented_control("View", ["Clients", "My sessions", "Join a section"],
                                default="Clients", key="student_view",
                                label_visibility="collapsed")
    if view == "My sessions":
        my_sessions()
    elif view == "Join a section":
        join_section()
    else:
        client_cards()
