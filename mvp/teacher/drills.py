"""Teacher: drill sets (a title, one skill or mixed, 5-10 items from the built-in bank or written
here), assigning them to sections, and each section's results (drill_results.py)."""

from __future__ import annotations

import streamlit as st

from backend.classes import section_service
from backend.config import get_settings
from backend.drills import drill_service, generation
from backend.drills.read_models import (
    MAX_ITEMS,
    MIN_ITEMS,
    DrillItemInput,
    DrillItemRead,
    DrillSetRead,
)
from backend.drills.skills import SKILLS, skill_name
from backend.errors import AppError
from backend.models.enums import DrillItemStatus, DrillSkill, Role
from backend.utils.formatting import format_usd, plural
from mvp import auth, store, ui
from mvp.teacher import shared
from mvp.teacher.drill_results import section_results

actor = auth.require_role(Role.teacher, Role.admin)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it
state = st.session_state
SKILL_CHOICES: list[DrillSkill | None] = [None, *SKILLS]


def _create() -> None:
    with store.transaction(write=True) as db:
        created = drill_service.create_set(
            db, actor=actor, title=state["drill_title"], skill=state["drill_skill"], once=True
        )
    state["drill_title"] = ""
    state["teacher_drill_set"] = state["_kept_teacher_drill_set"] = created.id
    ui.flash(f"Created {safe(created.title)}. Add {MIN_ITEMS} to {MAX_ITEMS} items below.")


def _add_bank(set_id: int) -> None:
    keys = state.get("drill_bank_pick", [])
    with store.transaction(write=True) as db:
        before = len(drill_service.get_set(db, actor=actor, set_id=set_id).items)
        after = len(drill_service.add_bank_items(db, actor=actor, set_id=set_id, keys=keys).items)
    state["drill_bank_pick"] = []
    ui.flash(drill_service.bank_items_added(picked=len(keys), added=after - before))


def _add_own(set_id: int, skill: DrillSkill) -> None:
    data = DrillItemInput(
        skill=skill,
        context=state["own_context"],
        statement=state["own_statement"],
        model_answer=state["own_answer"],
    )
    with store.transaction(write=True) as db:
        drill_service.add_own_item(db, actor=actor, set_id=set_id, data=data)
    for key in ("own_context", "own_statement", "own_answer"):
        state[key] = ""
    ui.flash("Added your item.")


def _draft(set_id: int) -> None:
    """The model drafts items from the chosen client (a few seconds; offline in demo mode)."""
    try:
        with st.spinner("The model is writing drill items…", show_time=True):
            drafted = generation.draft_items(
                store.database(),
                actor=actor,
                set_id=set_id,
                client_id=state["draft_client"],
                count=state["draft_count"],
            )
    except AppError as error:
        ui.show_error(error)
        return
    cost = "no cost (demo mode)" if drafted.demo else format_usd(drafted.cost)
    dropped = (
        f"; {drafted.dropped} dropped (each failed a check: the set's skill, a length, or "
        "a model answer that shows the skill)"
    ) * bool(drafted.dropped)
    ui.flash(
        f"Drafted {plural(drafted.added, 'item')} ({cost}){dropped}. Accept the ones you want "
        "below."
    )
    st.rerun()


def draft_form(drill_set: DrillSetRead) -> None:
    """Items drafted by the model from one of the teacher's clients: drafts until accepted."""
    with st.expander("Draft items from one of your clients", icon=":material/auto_awesome:"):
        clients = shared.clients(actor)
        if not clients:
            st.caption("Write a client on **Clients** first.")
            return
        names = {client.id: client.name for client in clients}
        st.selectbox("Client", list(names), format_func=lambda i: names[i], key="draft_client")
        st.number_input("How many", min_value=3, max_value=MAX_ITEMS, value=5, key="draft_count")
        model = "the demo writer (offline, free)" if get_settings().demo_mode else "the model"
        st.caption(
            f"Written by {model} in the client's voice; each model answer is checked by the "
            "offline coder. Drafts reach students only once you accept them."
        )
        if st.button("Draft items", key="draft_items", icon=":material/auto_awesome:"):
            _draft(drill_set.id)


def _remove(set_id: int, item_id: int) -> None:
    with store.transaction(write=True) as db:
        drill_service.remove_item(db, actor=actor, set_id=set_id, item_id=item_id)


def _accept(set_id: int, item: DrillItemRead) -> None:
    """A draft becomes an item students see, with the teacher's edits of its texts."""
    edited = DrillItemInput(
        skill=item.skill,
        context=state.get(f"edit_context_{item.id}", item.context),
        statement=state.get(f"edit_statement_{item.id}", item.statement),
        model_answer=state.get(f"edit_answer_{item.id}", item.model_answer),
    )
    with store.transaction(write=True) as db:
        drill_service.accept_item(db, actor=actor, set_id=set_id, item_id=item.id, data=edited)


def _assign(set_id: int, section_id: int | None, assign: bool) -> None:
    if section_id is None:
        ui.flash("Choose a section first.", "warning")
        return
    with store.transaction(write=True) as db:
        change = drill_service.assign_set if assign else drill_service.unassign_set
        change(db, actor=actor, set_id=set_id, section_id=section_id)
    ui.flash("Assigned: its students see it on their Drills page." if assign else "Unassigned.")


def new_set_form() -> None:
    with st.expander("New drill set", expanded=not sets, icon=":material/add:"):
        st.text_input("Title", key="drill_title", placeholder="Week 3: reflections")
        st.selectbox("Skill", SKILL_CHOICES, format_func=skill_name, key="drill_skill")
        st.button(
            "Create set", key="create_drill_set", type="primary", on_click=auth.guarded(_create)
        )


def items(drill_set: DrillSetRead) -> None:
    st.markdown(f"**Items** ({len(drill_set.accepted)} of {MIN_ITEMS}-{MAX_ITEMS})")
    if not drill_set.items:
        st.caption("No items yet: pick some from the built-in bank or write your own below.")
    for number, item in enumerate(drill_set.items, start=1):
        with st.container(border=True, key=f"drill_item_{item.id}"):
            draft = " :orange-badge[draft]" if item.status == DrillItemStatus.draft else ""
            st.markdown(f"**{number}. {SKILLS[item.skill].name}**{draft} · {safe(item.context)}")
            st.markdown(f"Client: “{safe(item.statement)}”")
            st.caption(f"Model answer: {safe(item.model_answer)}")
            if item.status == DrillItemStatus.draft:
                with st.expander("Edit before accepting"):
                    st.text_input("Context", item.context, key=f"edit_context_{item.id}")
                    st.text_area("Client", item.statement, key=f"edit_statement_{item.id}")
                    st.text_area("Model answer", item.model_answer, key=f"edit_answer_{item.id}")
            with st.container(horizontal=True):
                if item.status == DrillItemStatus.draft:
                    st.button(
                        "Accept",
                        key=f"accept_item_{item.id}",
                        on_click=auth.guarded(_accept),
                        args=(drill_set.id, item),
                    )
                st.button(
                    "Remove",
                    key=f"remove_item_{item.id}",
                    on_click=auth.guarded(_remove),
                    args=(drill_set.id, item.id),
                )


def add_items(drill_set: DrillSetRead) -> None:
    room = MAX_ITEMS - len(drill_set.items)
    if room <= 0:
        st.caption(f"The set is full ({MAX_ITEMS} items).")
        return
    with store.transaction() as db:
        bank = drill_service.list_bank(db, actor=actor, skill=drill_set.skill)
    taken = {item.source for item in drill_set.items}
    offered = {item.key: item for item in bank if f"bank:{item.key}" not in taken}
    st.multiselect(
        f"From the built-in bank (up to {room})",
        list(offered),
        format_func=lambda key: f"{SKILLS[offered[key].skill].name}: {offered[key].statement}",
        max_selections=room,
        key="drill_bank_pick",
    )
    st.button(
        "Add from the bank",
        key="add_bank_items",
        on_click=auth.guarded(_add_bank),
        args=(drill_set.id,),
    )
    with st.expander("Write your own item", icon=":material/edit:"):
        skill = drill_set.skill or st.selectbox(
            "Skill", list(SKILLS), format_func=skill_name, key="own_skill"
        )
        st.text_input("Context (one line)", key="own_context", placeholder="Alex, 34, drinking.")
        st.text_area("What the client says", key="own_statement")
        st.text_area("Model answer", key="own_answer")
        st.button(
            "Add my item",
            key="add_own_item",
            on_click=auth.guarded(_add_own),
            args=(drill_set.id, skill),
        )
    draft_form(drill_set)


def assignment(drill_set: DrillSetRead) -> None:
    st.markdown("**Assigned to**")
    with store.transaction() as db:
        sections = section_service.list_sections(db, actor=actor)
    names = {section.id: section.name for section in sections}
    assigned = [safe(names[i]) for i in drill_set.section_ids if i in names]
    if others := sum(i not in names for i in drill_set.section_ids):  # an admin gave it
        assigned.append(f"{plural(others, 'section')} of other teachers")
    st.caption(", ".join(assigned) or "No section yet.")
    if not sections:
        st.caption("Create a section on **Sections & assignments** first.")
        return
    section_id = st.selectbox(
        "Section", list(names), format_func=lambda i: names[i], key="drill_assign_section"
    )
    with st.container(horizontal=True):
        st.button(
            "Assign to section",
            key="assign_drill_set",
            type="primary",
            disabled=len(drill_set.accepted) < MIN_ITEMS,
            help=f"A set needs {MIN_ITEMS} accepted items first.",
            on_click=auth.guarded(_assign),
            args=(drill_set.id, section_id, True),
        )
        if section_id in drill_set.section_ids:
            st.button(
                "Unassign",
                key="unassign_drill_set",
                on_click=auth.guarded(_assign),
                args=(drill_set.id, section_id, False),
            )


# The page ------------------------------------------------------------------------------------
st.title("Drill sets")
st.caption(
    "Short one-skill exercises: students answer each item, the offline coder codes the reply at "
    "once and says whether it hit the skill (no model, no cost), then shows the model answer."
)
ui.show_flash()
sets_tab, results_tab = st.tabs(["Drill sets", "Results"])
with store.transaction() as db:
    sets = drill_service.list_sets(db, actor=actor)
    given = drill_service.sets_others_gave(db, actor=actor)
with sets_tab:
    new_set_form()
    for section_name, drill_set in given:  # read only: its author or an admin changes it
        with st.expander(
            f"{safe(drill_set.title)} ({drill_service.describe(drill_set)}), given to "
            f"{safe(section_name)} by someone else",
            icon=":material/assignment_ind:",
        ):
            st.caption("Its students practise these items; their answers count under Results.")
            for item in drill_set.items:
                st.markdown(f"- {safe(item.statement)}")
    if not sets:
        own = " of your own" if given else ""
        st.info(f"No drill sets{own} yet: create one above.", icon=":material/fitness_center:")
    else:
        by_id = {drill_set.id: drill_set for drill_set in sets}
        chosen = ui.sticky(
            st.selectbox,
            "Drill set",
            list(by_id),
            format_func=lambda i: f"{by_id[i].title} ({drill_service.describe(by_id[i])})",
            key="teacher_drill_set",
        )
        if chosen in by_id:
            try:
                items(by_id[chosen])
                add_items(by_id[chosen])
                assignment(by_id[chosen])
            except AppError as error:
                ui.show_error(error)
with results_tab:
    section_results(actor)
