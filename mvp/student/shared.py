"""Parts both student pages use: which conversation is open, the transcript download, the review."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.drills import results_service
from backend.drills.skills import skill_name
from backend.practice import branch_service, conversation_service, history_service
from backend.reviews.read_models import ReviewContent
from backend.reviews.rubric_schema import RubricDefinition
from mvp import branch_view, store, ui

PRACTICE_PAGE = "student/practice.py"
SESSION_KEY = "student_session_id"
CONVERSATION_PARAM = "c"  # the open conversation, in the address so a reload reopens it
CONFIRM_END_KEY = "confirm_end_for"  # "End this session?" is asked for this conversation


def _forget_end_question() -> None:
    """Opening or leaving a conversation drops an "End this session?" left unanswered: it was
    asked on that visit, and must not greet the next one (an attack, 2026-12-07)."""
    st.session_state.pop(CONFIRM_END_KEY, None)


def show_conversation(session_id: int | None) -> None:
    """Open a conversation (None: back to the lists), remembering it in the page address."""
    _forget_end_question()
    if session_id is None:
        st.session_state.pop(SESSION_KEY, None)
        st.query_params.pop(CONVERSATION_PARAM, None)
    else:
        st.session_state[SESSION_KEY] = session_id
        st.query_params[CONVERSATION_PARAM] = str(session_id)


def open_on_practice_page(session_id: int) -> None:
    """From another page: the Practice page opens with this conversation (a callback)."""
    _forget_end_question()
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


def open_conversation(actor: UserRead, client_id: int, assignment_id: int | None) -> None:
    """The active conversation with this client, or a new one, for this assignment."""
    session = conversation_service.start_conversation(
        store.database(), actor=actor, client_id=client_id, assignment_id=assignment_id
    )
    show_conversation(session.id)


def practise_moment(actor: UserRead, session_id: int, turn: int) -> int:
    """ "Practise this moment": a branch of the conversation at this student turn, opened on the
    Practice page (a callback)."""
    with store.transaction(write=True) as db:
        branch = branch_service.start_branch(db, actor=actor, session_id=session_id, turn=turn)
    open_on_practice_page(branch.id)
    return branch.id


def practise_button(actor: UserRead, session_id: int, turn: int, *, key: str) -> None:
    """The "Practise this moment" button of one of the student's turns (opens on Practice)."""
    branch_view.practise_button(actor, session_id, turn, key=key, open_moment=practise_moment)


DRILLS_PAGE = "student/drills.py"
DRILL_SET_KEY = "drill_set"  # the set open on the Drills page ("own": the built-in bank)
DRILL_SKILL_KEY = "drill_skill"  # the skill practised alone


def open_drill(set_id: int | None, skill: str) -> None:
    """The Drills page with this set open, else the bank's items of this skill (a callback)."""
    st.session_state[DRILL_SET_KEY] = set_id if set_id is not None else "own"
    st.session_state[DRILL_SKILL_KEY] = skill
    st.session_state.pop("drill_item", None)  # its first item
    ui.go_to(DRILLS_PAGE)


def suggested_drill(actor: UserRead, content: ReviewContent, rubric: RubricDefinition) -> None:
    """Under a review: the drill for its weakest skill (an assigned set, else the bank)."""
    with store.transaction() as db:
        suggestion = results_service.suggest_drill(db, actor=actor, content=content, rubric=rubric)
    name = skill_name(suggestion.skill)
    with st.container(border=True, key="suggested_drill"):
        st.markdown(f"##### Drill next: {name}")
        st.caption(suggestion.reason)
        st.button(
            f"Drill: {name}",
            key="open_suggested_drill",
            icon=":material/fitness_center:",
            on_click=open_drill,
            args=(suggestion.set_id, suggestion.skill.value),
        )
