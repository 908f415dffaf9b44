"""Teacher, Drills page: one section's results, per student and skill (attempts, hit rate, items
tried and hit) over the drill sets assigned to it."""

from __future__ import annotations

import streamlit as st

from backend.actor import UserRead
from backend.classes import section_service
from backend.drills import results_service
from backend.drills.skills import skill_name
from backend.utils.formatting import format_share
from mvp import store, ui


def section_results(actor: UserRead) -> None:
    with store.transaction() as db:
        sections = section_service.list_sections(db, actor=actor)
    if not sections:
        st.info(
            "No sections yet: create one on **Sections & assignments**, then assign it a drill set.",
            icon=":material/school:",
        )
        return
    names = {section.id: section.name for section in sections}
    section_id = ui.sticky(
        st.selectbox,
        "Section",
        list(names),
        format_func=lambda i: names[i],
        key="drill_results_section",
    )
    with store.transaction() as db:
        results = results_service.section_results(db, actor=actor, section_id=section_id)
    if not results:
        st.info(
            "No drill attempts in this section yet. Assign a drill set on the **Drill sets** tab; "
            "results appear here as students answer its items.",
            icon=":material/hourglass_empty:",
        )
        return
    ui.table(
        [
            {
                "Student": row.student_name,
                "Skill": skill_name(row.skill),
                "Attempts": row.attempts,
                "Hit rate": format_share(row.hit_rate) if row.attempts else "–",
                "Items tried": row.items_tried,
                "Items hit": row.items_hit,
            }
            for row in results
        ],
        key="drill_results_table",
    )
    with st.container(key="drill_results_summary"):  # the table as text (screen readers too)
        for row in results:
            if row.attempts:
                st.markdown(
                    f"- **{ui.safe_markdown(row.student_name)}**, {skill_name(row.skill)}: "
                    f"{format_share(row.hit_rate)} of {row.attempts} attempts"
                )
    st.caption(
        "Hit rate: the share of attempts the offline coder found doing the skill (retries "
        "count). Items hit: items whose latest attempt hit (a retry that missed takes it off)."
    )
