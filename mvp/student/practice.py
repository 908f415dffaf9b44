"""Student: the assigned clients, a conversation with one of them, its feedback; joining a section."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import streamlit as st

from backend.actor import UserRead
from backend.classes import section_service
from backend.clients import student_access_service
from backend.errors import AppError
from backend.models.enums import Role
from backend.practice import (
    conversation_service,
    practice_screen,
)
from backend.reviews import session_screen
from backend.utils.formatting import format_duration, format_time
from mvp import a11y, auth, store, ui
from mvp.branch_view import branch_header, coded_replies
from mvp.chat import chat_panel
from mvp.chat_messages import render_message
from mvp.chat_unsent import show_unsent_after_end
from mvp.review_view import REVIEW_HEADING, ask_for_review
from mvp.student import shared
from mvp.student.after_session import after_session
from mvp.student.shared import (
    CONFIRM_END_KEY,
    CONVERSATION_PARAM,
    SESSION_KEY,
    show_conversation,
)

CONVERSATION_ID = re.compile(r"[1-9][0-9]{0,9}")  # ids are positive 32-bit integers
MAX_ID = 2**31 - 1
DIFFICULTY_BADGES = {
    "beginner": ":green-badge[Beginner]",
    "intermediate": ":orange-badge[Intermediate]",
    "advanced": ":red-badge[Advanced]",
}

actor = auth.require_role(Role.student)
database = store.database()
safe = ui.safe_markdown  # every piece of text a person wrote goes through it


# Choosing a client -----------------------------------------------------------------------------
def client_cards() -> None:
    with store.transaction() as db:
        available = student_access_service.list_available_clients(db, actor=actor)
        active = practice_screen.active_conversations(db, actor=actor)
    if not available:
        st.info(
            "No clients are assigned to you yet. When your teacher publishes an assignment in "
            "one of your sections, its clients appear here. Not in the right section? Use "
            "**Join a section** with the code from your teacher.",
            icon=":material/info:",
        )
        return
    columns = st.columns(3)
    for index, item in enumerate(available):
        client = item.client
        with columns[index % 3].container(
            border=True, key=f"card_{client.id}_{item.assignment_id}"
        ):
            st.markdown(f"#### {safe(client.name)}")
            badges = DIFFICULTY_BADGES.get(str(client.difficulty), "")
            st.markdown(badges + (" :violet-badge[Continuing client]" if item.continuing else ""))
            st.markdown(safe(client.summary))  # age, pronouns, occupation, presenting concern
            due = ""
            if item.due_at:  # one that has passed says so (it had read as one to come)
                past = item.due_at < datetime.now(UTC)
                due = f" · **{'was due' if past else 'due'} {format_time(item.due_at)}**"
            st.caption(f"{safe(item.assignment_title)} ({safe(item.section_name)}){due}")
            if client.learning_goals:
                st.markdown(f"**Practise:** {safe(client.learning_goals)}")
            if item.instructions:
                with st.expander("Instructions"):
                    st.markdown(safe(item.instructions))
            st.button(
                "Continue conversation"
                if {(client.id, item.assignment_id), (client.id, None)} & active
                else "Start conversation",
                key=f"start_{client.id}_{item.assignment_id}",
                type="primary",
                icon=":material/forum:",
                width="stretch",
                on_click=auth.guarded(shared.open_conversation),
                args=(actor, client.id, item.assignment_id),
            )


JOIN_REFUSED_KEY = "join_refused"  # why the code in the box joined nothing, for the next run


def _join(actor: UserRead) -> None:
    """A code that joins nothing stays in the box to be corrected, with the reason under it;
    one that joins empties it (an attack, 2026-12-07: the form cleared it either way)."""
    state = st.session_state
    try:
        with store.transaction(write=True) as db:
            joined = section_service.join_section(
                db, actor=actor, join_code=state.get("join_code") or ""
            )
    except AppError as error:
        state[JOIN_REFUSED_KEY] = error
        return
    state["join_code"] = ""
    ui.flash(f"You joined {safe(joined.name)}. Its published clients now appear under **Clients**.")


def join_section() -> None:
    with st.form("join_form"):
        st.text_input(
            "Join code",
            key="join_code",
            placeholder="e.g. K7PQ2MXA",
            help="Your teacher gives you the code of each section.",
        )
        st.form_submit_button(
            "Join section",
            key="join_submit",
            type="primary",
            on_click=auth.guarded(_join),
            args=(actor,),
        )
        if refused := st.session_state.pop(JOIN_REFUSED_KEY, None):
            ui.show_error(refused)
    with store.transaction() as db:
        sections = section_service.list_sections(db, actor=actor)
    st.caption("Your sections: " + (safe(", ".join(s.name for s in sections)) or "none yet"))


# A conversation --------------------------------------------------------------------------------
# The running session time, counted on by the browser from what this run drew (so the browser's
# clock need not agree with the server's), in the caption's own words; it stops with the caption.
# A new run's script replaces the last one's interval.
SESSION_CLOCK = """
(() => {
  const started = Date.now() - ELAPSED_SECONDS * 1000;
  const pad = (n) => String(n).padStart(2, "0");
  clearInterval(window.sessionClock);
  window.sessionClock = setInterval(() => {
    const caption = document.querySelector(".st-key-session_time");
    if (!caption) { clearInterval(window.sessionClock); return; }
    const s = Math.max(0, Math.floor((Date.now() - started) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const shown = "Session time: " + (h ? h + "h " + pad(m) + "m" : m + "m " + pad(s % 60) + "s");
    const walk = document.createTreeWalker(caption, NodeFilter.SHOW_TEXT);
    let last = null;  // the caption's own words come after the assignment's name
    while (walk.nextNode()) {
      if (walk.currentNode.nodeValue.includes("Session time: ")) last = walk.currentNode;
    }
    if (last) last.nodeValue = last.nodeValue.replace(/Session time: .*$/, shown);
  }, 1000);
})();
"""


def session_time(placement: str, started_at: datetime) -> None:
    """The running session time: drawn by this run, then counted on by the browser, so an open
    conversation costs the server nothing while the student thinks (no timed rerun)."""
    elapsed = datetime.now(UTC) - started_at
    with st.container(key="session_time"):
        st.caption(f"{placement}:material/timer: Session time: {format_duration(elapsed)}")
    with st.container(key="session_clock"):
        script = SESSION_CLOCK.replace("ELAPSED_SECONDS", str(int(elapsed.total_seconds())))
        st.html(
            f"<style>.st-key-session_clock {{display: none}}</style><script>{script}</script>",
            unsafe_allow_javascript=True,
        )


def conversation(session_id: int) -> bool:
    """The open conversation; False (after saying why) when it cannot be opened."""
    st.query_params[CONVERSATION_PARAM] = str(session_id)  # also after a reload
    try:
        with store.transaction() as db:
            screen = session_screen.read_session_screen(db, actor=actor, session_id=session_id)
    except AppError as error:
        ui.show_error(error)
        show_conversation(None)
        return False
    shown = screen.practice
    session = shown.session
    st.subheader(safe(shown.client_name))
    placement = (
        f"{safe(shown.assignment_title)} · {safe(shown.section_name or '')} · "
        if shown.assignment_title
        else ""
    )
    if shown.memory_notice:  # a continuing client: that they remember, never what
        with st.container(key="memory_notice"):
            st.caption(f":material/history: {safe(shown.memory_notice)}")
    if session.is_active:
        session_time(placement, session.started_at)
    elif session.ended_at is not None:
        st.caption(
            f"{placement}:material/timer: Session length: "
            f"{format_duration(session.ended_at - session.started_at)}"
        )
    with st.container(horizontal=True, key="conversation_actions"):
        if st.button("All clients", key="back_to_clients", icon=":material/arrow_back:"):
            show_conversation(None)
            st.rerun()
        confirming = st.session_state.get(CONFIRM_END_KEY) == session_id
        if (
            session.is_active
            and not confirming
            and st.button("End session", key="end_session", icon=":material/stop_circle:")
        ):
            ui.remember_for_this_visit(CONFIRM_END_KEY, session_id)
            a11y.focus_next_run('.st-key-end_confirmation [role="alert"]')  # the button goes
            st.rerun()
    # A branch: the moment it practises.
    coding = branch_header(actor, session, open_moment=shared.practise_moment)
    if session.is_active:
        if st.session_state.get(CONFIRM_END_KEY) == session_id:
            confirm_end(session_id)
        if shown.conversation is None:  # no longer assigned: what was said stays readable
            for message in shown.messages:
                render_message(message, show_usage=False)
        chat_panel(
            database,
            actor,
            session_id,
            session_key=SESSION_KEY,
            controls=False,
            show_usage=False,
            view=shown.conversation,
            after_student=coded_replies(coding, shown.messages) if coding else None,
        )
    else:
        show_unsent_after_end(session_id)
        after_session(actor, screen)
    return True


def confirm_end(session_id: int) -> None:
    """The second step of "End session": ending cannot be undone."""
    with st.container(border=True, key="end_confirmation"):
        st.warning(
            "End this session? You get its review and can rate it afterwards, but not continue it.",
            icon=":material/help:",
        )
        with st.container(horizontal=True):
            if st.button("Yes, end the session", key="confirm_end", type="primary"):
                st.session_state.pop(CONFIRM_END_KEY, None)
                try:
                    conversation_service.end_conversation(
                        database, actor=actor, session_id=session_id
                    )
                except AppError as error:
                    ui.flash(safe(error.message), "warning")
                else:
                    ask_for_review(session_id)  # written with its progress next run
                    a11y.focus_next_run(REVIEW_HEADING)  # the conversation makes way for it
                st.rerun()
            if st.button("Keep talking", key="cancel_end"):
                st.session_state.pop(CONFIRM_END_KEY, None)
                a11y.focus_next_run(".st-key-chat_input textarea")
                st.rerun()


# The page --------------------------------------------------------------------------------------
def conversation_in_address() -> int | None:
    """The conversation the address names (after a reload). A value that cannot be one (a typo,
    a huge number, other digits) is dropped from the address with a short notice."""
    raw = st.query_params.get(CONVERSATION_PARAM)
    if raw is None:
        return None
    if CONVERSATION_ID.fullmatch(raw) and int(raw) <= MAX_ID:
        return int(raw)
    st.query_params.pop(CONVERSATION_PARAM, None)
    st.info(
        "That conversation link is not valid, so your clients are shown instead. Open a "
        "conversation from its card or from **My sessions**.",
        icon=":material/link_off:",
    )
    return None


st.title("Practice")
if SESSION_KEY not in st.session_state and (from_address := conversation_in_address()):
    st.session_state[SESSION_KEY] = from_address  # after a reload
if not (st.session_state.get(SESSION_KEY) and conversation(st.session_state[SESSION_KEY])):
    view = st.segmented_control(
        "View",
        ["Clients", "Join a section"],
        default="Clients",
        key="student_view",
        required=True,
        label_visibility="collapsed",
    )
    if view == "Join a section":
        join_section()
    else:
        client_cards()
