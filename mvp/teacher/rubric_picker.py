"""Teacher: the rubric picker a section and an assignment share."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from backend.reviews.read_models import RubricRead, rubric_labels
from mvp import auth

#: The picker's value for "the default rubric" (a rubric id is never 0). Not None: a select box
#: whose value is None shows an empty "Choose an option" instead of the default's name.
DEFAULT_RUBRIC = 0


def chosen_rubric(key: str) -> int | None:
    """The rubric picked in the picker under `key` (None: the default)."""
    return st.session_state.get(key) or None


def rubric_picker(
    label: str,
    rubrics: Sequence[RubricRead],
    default_label: str,
    *,
    key: str,
    current: int | None,
    on_change: Callable[..., None],
    args: tuple[object, ...],
) -> None:
    """A rubric chosen from the default (`default_label`) first, then the built-in rubrics and the
    teacher's own; saved by `on_change` (which reads `chosen_rubric(key)`) as soon as chosen."""
    viewer = auth.current_user()
    choices: dict[int, str] = {
        DEFAULT_RUBRIC: default_label,
        **rubric_labels(list(rubrics), viewer.id if viewer else 0),
    }
    if current and current not in choices:  # an admin's, say: shown, not lost at a touch
        choices[current] = "A rubric someone else chose for it (not yours to open)"
    shown = current or DEFAULT_RUBRIC
    if st.session_state.get(key, shown) not in choices:
        st.session_state.pop(key, None)
    st.session_state.setdefault(key, shown)
    st.selectbox(
        label,
        list(choices),
        key=key,
        format_func=choices.__getitem__,
        on_change=auth.guarded(on_change),
        args=args,
        help="Saved as soon as you choose. Make or edit rubrics on the Rubrics page.",
    )
