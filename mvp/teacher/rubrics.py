"""Teacher: the rubrics reviews use. Built-in ones to read and copy; the teacher's own to edit,
each save a new version (reviews already made keep the version they used; the form is
rubric_form.py)."""

from __future__ import annotations

import streamlit as st

from backend.models.enums import Role
from backend.reviews import rubric_service
from backend.reviews.read_models import rubric_labels
from backend.reviews.rubric_schema import (
    RubricDefinition,
)
from mvp import auth, store, ui
from mvp.teacher.rubric_form import rubric_form

actor = auth.require_role(Role.teacher, Role.admin)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it

RUBRIC_KEY = "rubric_id"
KINDS = ["question", "reflection", "other"]


# Callbacks --------------------------------------------------------------------------------------
def _copy(rubric_id: int) -> None:
    with store.transaction(write=True) as db:
        copy = rubric_service.copy_rubric(db, actor=actor, rubric_id=rubric_id)
    st.session_state[RUBRIC_KEY] = st.session_state[f"_kept_{RUBRIC_KEY}"] = copy.id
    ui.flash(f"Made your copy “{safe(copy.name)}”. Edit it below and save.")


# Showing ----------------------------------------------------------------------------------------
def rubric_view(definition: RubricDefinition) -> None:
    if definition.description:
        st.markdown(safe(definition.description))
    st.markdown("##### Criteria (scored 1-5)")
    for criterion in definition.criteria:
        with st.expander(safe(criterion.name)):
            st.markdown(safe(criterion.meaning))
            for score, anchor in criterion.anchors.items():
                st.markdown(f"**{score}** · {safe(anchor)}")
    st.markdown("##### Codes for each student utterance")
    for code in definition.codes:
        with st.expander(safe(code.name)):
            st.markdown(safe(code.definition))
            st.caption(f"Example: {safe(code.example)}")
    st.markdown("##### Indicators")
    if not definition.indicators:
        st.caption("This rubric has no indicators.")
        return
    rows = [
        {
            "Indicator": indicator.name,
            "Fair": indicator.fair,
            "Good": indicator.good,
            "Better when": "higher" if indicator.higher_is_better else "lower",
        }
        for indicator in definition.indicators
    ]
    ui.table(rows, key="rubric_indicators")


def rubrics_page() -> None:
    with store.transaction() as db:
        rubrics = rubric_service.list_rubrics(db, actor=actor)
    if not any(rubric.owner_id == actor.id for rubric in rubrics):
        st.info(
            "You have no rubrics of your own yet. Choose a built-in rubric below and press "
            "**Make a copy** to edit its wording and thresholds; then pick it for a section or "
            "an assignment under **Sections & assignments**."
        )
    if not rubrics:
        return
    labels = rubric_labels(rubrics, actor.id, versions=True)
    if st.session_state.get(f"_kept_{RUBRIC_KEY}") not in labels:
        st.session_state.pop(f"_kept_{RUBRIC_KEY}", None)
        st.session_state.pop(RUBRIC_KEY, None)
    chosen = ui.sticky(st.selectbox, "Rubric", list(labels), format_func=labels.get, key=RUBRIC_KEY)
    rubric = next(item for item in rubrics if item.id == chosen)
    definition = RubricDefinition.model_validate(rubric.definition)
    st.button(
        "Make a copy",
        key="copy_rubric",
        on_click=auth.guarded(_copy),
        args=(rubric.id,),
        help="Your own copy, to edit. The original stays as it is.",
    )
    if rubric.builtin:
        st.caption("Built-in rubrics cannot be edited: make a copy to change one.")
        rubric_view(definition)
    elif rubric.owner_id != actor.id:
        st.caption("Another teacher's rubric: make a copy to change it.")
        rubric_view(definition)
    else:
        st.caption(
            f"Version {rubric.version}. Saving makes a new version; reviews already made keep "
            "the version they used."
        )
        rubric_form(actor, rubric, definition)


# The page ------------------------------------------------------------------------------------
st.title("Rubrics")
rubrics_page()
