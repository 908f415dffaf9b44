"""Teacher: a continuing client's memory of a student, read and edited beside their conversation."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.errors import AppError
from backend.practice import memory_service, memory_writer
from backend.practice.memory_service import MemoryRead
from backend.utils.formatting import format_time
from mvp import auth, store, ui

safe = ui.safe_markdown  # every piece of text a person wrote goes through it


def memory_panel(actor: UserRead, session_id: int) -> None:
    """The "Client memory" expander of a continuing client's conversation (nothing otherwise):
    what the next session's client will remember, and a Save for the teacher's version."""
    try:
        with store.transaction() as db:
            memory = memory_service.read_memory(db, actor=actor, session_id=session_id)
    except AppError:
        return  # not a student's conversation in the reader's section: no memory to show
    if memory is None:
        return
    with st.expander("Client memory", icon=":material/psychology:", key=f"memory_{session_id}"):
        _status(actor, memory)
        # The box keeps what the teacher typed across reruns, even when a memory job writes
        # meanwhile; the version it was started from is what Save checks (`MemoryChanged`).
        text_key, version_key, seeded_key = _keys(session_id)
        state = st.session_state
        untouched = state.get(text_key) == state.get(seeded_key)
        if text_key not in state or (untouched and state.get(version_key) != memory.version):
            # Not typed in (yet): it shows the memory as it is now.
            state[text_key] = state[seeded_key] = memory.summary
            state[version_key] = memory.version
        with st.form(f"memory_form_{session_id}", border=False):
            st.text_area(
                f"What {memory.client_name} remembers",
                key=text_key,
                max_chars=memory_service.MAX_SUMMARY_CHARS,
                height=150,
                help="The next session with this client uses this text as it is here. The "
                "student never sees it; their practice page only says the client remembers.",
            )
            if st.form_submit_button("Save", key=f"save_memory_{session_id}", type="primary"):
                _save(actor, memory, st.session_state.get(text_key) or "")


def _status(actor: UserRead, memory: MemoryRead) -> None:
    if memory.writing:
        st.info(
            f"Writing {safe(memory.client_name)}'s memory of the latest session. Open this "
            "conversation again in a moment to read it.",
            icon=":material/hourglass_top:",
        )
    elif memory.unwritten_session_id is not None:
        st.info(
            "The memory is not written from the student's latest session with this client yet "
            "(its writing was interrupted, it changed each time it was being written, or the "
            "assignment became continuing after it).",
            icon=":material/info:",
        )
        st.button(
            "Write it from the latest session",
            key=f"write_memory_{memory.session_id}",
            icon=":material/edit_note:",
            on_click=auth.guarded(_request),
            args=(memory.session_id, actor),
        )
    elif not memory.summary:
        st.info(
            "No memory yet: it is written when the student ends a session with this client. "
            "You can also write one now: the next session starts from it.",
            icon=":material/info:",
        )
    written = []
    if memory.written_at is not None:
        written.append(f"written when a session ended, {format_time(memory.written_at)}")
    if memory.edited_at is not None:
        written.append(
            f"edited by {safe(memory.edited_by or 'someone')}, {format_time(memory.edited_at)}"
        )
    if written:
        st.caption("Last " + "; last ".join(written) + ".")
    st.caption(
        "The student has earned the hidden information: the client may speak of it."
        if memory.hidden_earned
        else "The student has not earned the hidden information yet: the memory leaves it out "
        "and the client still keeps it back."
    )
    if memory.gives_away_hidden:
        st.warning(
            "This memory gives away hidden information the student has not earned. The client "
            "still will not say it (the output guard stops it), and the next summary leaves it "
            "out.",
            icon=":material/warning:",
        )


def _request(session_id: int, actor: UserRead) -> None:
    """Start the memory job (a callback: the next run shows it being written)."""
    memory_writer.request_memory(store.database(), actor=actor, session_id=session_id)
    ui.flash("Writing the client's memory of the latest session: open this again in a moment.")


def _keys(session_id: int) -> tuple[str, str, str]:
    """The edit box's key, the memory version it was started from, and the text it was seeded
    with (while it equals the box, nothing was typed)."""
    return (
        f"memory_text_{session_id}_edit",
        f"memory_version_{session_id}",
        f"memory_seeded_{session_id}",
    )


def _save(actor: UserRead, memory: MemoryRead, text: str) -> None:
    """Save the teacher's text if the memory is still the one they started from; else say so,
    show the memory as it is now, and let a second Save replace it."""
    _text_key, version_key, seeded_key = _keys(memory.session_id)
    try:
        with store.transaction(write=True) as db:
            saved = memory_service.save_memory(
                db,
                actor=actor,
                session_id=memory.session_id,
                summary=text,
                started_from=st.session_state.get(version_key),
            )
    except memory_service.MemoryChanged as changed:
        ui.show_error(changed)
        st.markdown(f"**The memory as it is now:**\n\n{safe(memory.summary)}")
        st.session_state[version_key] = memory.version  # a second Save replaces it
        return
    except AppError as error:
        ui.show_error(error)
        return
    st.session_state[version_key] = saved.version
    st.session_state[seeded_key] = saved.summary
    ui.flash("Saved the client's memory: the next session uses it.")
    st.rerun()
