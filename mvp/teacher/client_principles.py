"""Teacher: a client's principles in its form, one input each (short rules for playing it), and
a client check's finding drafted as one."""

from __future__ import annotations

import streamlit as st

from mvp import ui

PRINCIPLES = "client_principles"  # the principles in the form (their inputs: client_principle_<n>)
MAX_PRINCIPLES = 10
WAITING = "client_principle_waiting"  # a check's draft waiting for room among ten principles


def _principle_key(index: int) -> str:
    return f"client_principle_{index}"


def principles_in_form() -> list[str]:
    count = len(st.session_state.get(PRINCIPLES, []))
    return [str(st.session_state.get(_principle_key(index)) or "") for index in range(count)]


def set_principles(principles: list[str]) -> None:
    for index in range(len(st.session_state.get(PRINCIPLES, []))):
        st.session_state.pop(_principle_key(index), None)
    st.session_state[PRINCIPLES] = list(principles)
    for index, principle in enumerate(principles):
        st.session_state[_principle_key(index)] = principle


def add_principle(text: str = "") -> None:
    set_principles([*principles_in_form(), text])


def forget_waiting() -> None:
    """The form closed or opened afresh: a draft waiting for room goes."""
    st.session_state.pop(WAITING, None)


def draft_principle(text: str) -> bool:
    """A check's finding drafted as one more principle (True); at ten, it waits to replace one: it
    had made an eleventh, which the form could not save (an attack, 2026-12-07)."""
    if full := len(principles_in_form()) >= MAX_PRINCIPLES:
        st.session_state[WAITING] = text  # Remove makes room for it (an attack on the day's fixes)
    else:
        add_principle(text)
    return not full


def _remove_principle(index: int) -> None:
    """Take one out; a check's draft waiting for room takes its place at the end."""
    principles = principles_in_form()
    del principles[index]
    if (waiting := st.session_state.pop(WAITING, None)) is not None:
        principles.append(waiting)
    set_principles(principles)


def principle_fields(errors: dict[str, str]) -> None:
    """Principles: one input each, with Remove beside it and Add below (they keep what was typed
    in the form and save nothing: Save client does)."""
    st.markdown("**Principles for playing this client**")
    st.caption(
        "Short rules the model follows, such as “When praised, you doubt that it matters”. "
        "Turn a finding of the client check into one, or write your own (up to 10)."
    )
    for index in range(len(st.session_state.get(PRINCIPLES, []))):
        text, remove = st.columns([6, 1], vertical_alignment="bottom")
        text.text_input(
            f"Principle {index + 1}",
            key=_principle_key(index),
            max_chars=300,
            label_visibility="collapsed",
        )
        remove.form_submit_button(
            "Remove",
            key=f"remove_principle_{index}",
            on_click=_remove_principle,
            args=(index,),
        )
    if (waiting := st.session_state.get(WAITING)) is not None:
        st.warning(
            f"{MAX_PRINCIPLES} principles already: remove one, and the check's draft takes its "
            f"place: “{ui.safe_markdown(waiting)}”."
        )
    ui.field_error(errors, "principles")
    st.form_submit_button(
        "Add a principle",
        key="add_principle",
        icon=":material/add:",
        disabled=len(st.session_state.get(PRINCIPLES, [])) >= MAX_PRINCIPLES,
        on_click=add_principle,
    )
