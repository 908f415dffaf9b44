"""Student: drills. The sets assigned by teachers, one item at a time: type a reply, Submit codes it
at once (no model, nothing billed), the model answer after the try, retries kept; and the built-in
bank to practise one skill alone (where a review's suggested drill leads when no set fits)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from backend.drills import attempt_service
from backend.drills.bank import bank_items
from backend.drills.read_models import AttemptRead, BankItem, DrillItemRead
from backend.drills.skills import SKILLS, skill_name
from backend.errors import AppError
from backend.models.enums import DrillSkill, Role
from backend.utils.formatting import plural
from mvp import auth, store, ui
from mvp.chat_unsent import show_unsent
from mvp.student.shared import DRILL_SET_KEY, DRILL_SKILL_KEY

actor = auth.require_role(Role.student)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it
state = st.session_state
#: The item open: (its id or bank key, its place). The item first: a teacher's change moves the
#: places, and a place had shown another item than the one answered (an attack, 2026-12-07).
ITEM_KEY = "drill_item"
OWN = "own"  # the set choice that means the built-in bank


DRAFTS_KEY = "drill_drafts"  # (set, item) -> words typed there and not sent
SHOWN_KEY = "drill_item_shown"  # the (set, item) whose words the reply box holds


def _keep_draft() -> None:
    """The reply box's words stay with the item they were typed under (an attack, 2026-12-07:
    Previous or Next emptied the box)."""
    if (shown := state.get(SHOWN_KEY)) is not None:
        state.setdefault(DRAFTS_KEY, {})[shown] = state.get("drill_reply", "")


def _choose(set_id: int | str) -> None:
    _keep_draft()
    state[DRILL_SET_KEY] = set_id
    state.pop(ITEM_KEY, None)


def _choose_skill() -> None:
    _keep_draft()
    state[DRILL_SKILL_KEY] = state["drill_own_skill"]
    state.pop(ITEM_KEY, None)


def _open(refs: Sequence[int | str], index: int) -> None:
    """Previous and Next: the item before or after the one the student saw."""
    _keep_draft()
    state[ITEM_KEY] = (refs[index], index)


def _submit(set_id: int | None, item_ref: int | str) -> None:
    """Code the reply at once; the page shows it with the model answer."""
    reply = state.get("drill_reply", "")
    try:
        with store.transaction(write=True) as db:
            if set_id is None:
                attempt_service.practise_bank_item(db, actor=actor, key=str(item_ref), reply=reply)
            else:
                attempt_service.answer_item(
                    db, actor=actor, set_id=set_id, item_id=int(item_ref), reply=reply
                )
    except attempt_service.ItemTakenOut:
        state["drill_reply"] = ""  # the words are in the message, not left under another item
        raise
    except attempt_service.SetNotAssigned:
        state["drill_reply"] = ""  # the words are in the message; the page goes back to the list
        state.pop(DRILL_SET_KEY, None)
        raise


def _attempts_view(attempts: list[AttemptRead], model_answer: str) -> None:
    """The latest try's feedback, the model answer once tried, the earlier tries folded."""
    if not attempts:
        return
    latest = attempts[-1]
    with st.container(key="drill_feedback"):
        (st.success if latest.hit else st.warning)(
            safe(latest.message),
            icon=":material/check_circle:" if latest.hit else ":material/replay:",
        )
        st.markdown(f"**Model answer:** {safe(model_answer)}")
    if len(attempts) > 1:
        with st.expander(f"Earlier tries ({len(attempts) - 1})"):
            for attempt in attempts[:-1]:
                st.markdown(f"- {safe(attempt.reply)} · {'hit' if attempt.hit else 'miss'}")


def _item(
    *,
    set_id: int | None,
    refs: Sequence[int | str],
    items: Sequence[DrillItemRead | BankItem],
    attempts: dict,
) -> None:
    """One item of a set (or of the bank: `set_id` None; `refs`, each item's id or bank key)
    with its reply box, feedback and moves."""
    open_ref, place = state.get(ITEM_KEY) or (None, 0)
    index = refs.index(open_ref) if open_ref in refs else min(place, len(items) - 1)
    ref, item = refs[index], items[index]
    skill = item.skill
    st.markdown(f"**Item {index + 1} of {len(items)}** · {SKILLS[skill].name}")
    st.caption(SKILLS[skill].instruction)
    with st.container(border=True, key="drill_item"):
        st.caption(safe(item.context))
        st.markdown(f"**Client:** “{safe(item.statement)}”")
    shown = (set_id or OWN, ref)
    drafts = state.setdefault(DRAFTS_KEY, {})
    # Another item, or back from another page (Streamlit forgets a widget not drawn): the
    # words typed under this item, if any (an attack on the fix, 2026-12-07).
    if (was := state.get(SHOWN_KEY)) != shown or "drill_reply" not in state:
        _words_of_an_item_taken_out(was, shown, refs, drafts)
        state["drill_reply"] = drafts.get(shown, "")
        state[SHOWN_KEY] = shown
    st.text_area("Your reply", key="drill_reply", max_chars=attempt_service.MAX_REPLY_CHARS)
    drafts[shown] = state["drill_reply"]
    tried = attempts.get(ref, [])
    with st.container(horizontal=True):
        st.button(
            "Try again" if tried else "Submit",
            key="drill_submit",
            type="primary",
            icon=":material/send:",
            on_click=auth.guarded(_submit),
            args=(set_id, ref),
        )
        st.button(
            "Previous",
            key="drill_previous",
            disabled=index == 0,
            on_click=_open,
            args=(refs, index - 1),
        )
        st.button(
            "Next item",
            key="drill_next",
            disabled=index >= len(items) - 1,
            on_click=_open,
            args=(refs, index + 1),
        )
    _attempts_view(tried, item.model_answer)
    state[ITEM_KEY] = (ref, index)  # the item, from the first one on (an attack on the fix)


def _words_of_an_item_taken_out(
    was: tuple | None, shown: tuple, refs: Sequence[int | str], drafts: dict
) -> None:
    """The item the box showed in this set was taken out meanwhile: what was typed under it is
    shown once, to copy (it had gone with the item). Bank items are never taken out."""
    if was is None or was[0] != shown[0] or was[0] == OWN or was[1] in refs:
        return
    # The box is forgotten after another page: its words wait as the item's draft.
    words = state["drill_reply"] if "drill_reply" in state else drafts.get(was, "")
    drafts.pop(was, None)
    if words.strip():
        show_unsent([words], "Not sent, the item was taken out of the set")


def _assigned_set(set_id: int) -> None:
    try:
        with store.transaction() as db:
            drill_set = attempt_service.read_set(db, actor=actor, set_id=set_id)
            attempts = attempt_service.attempts_in_set(db, actor=actor, set_id=set_id)
    except attempt_service.SetNotAssigned as gone:  # taken back while it was open
        ui.show_error(gone)
        _show_words_left_in(set_id)
        state.pop(DRILL_SET_KEY, None)
        return
    except AppError as error:
        ui.show_error(error)
        return
    st.subheader(safe(drill_set.title))
    items = drill_set.items
    if not items:
        st.info("This set has no items yet. Ask your teacher.", icon=":material/hourglass_top:")
        return
    _item(set_id=set_id, refs=[item.id for item in items], items=items, attempts=attempts)


def _show_words_left_in(set_id: int) -> None:
    """The replies typed under a set that is gone and never sent, once, to copy."""
    drafts = state.get(DRAFTS_KEY, {})
    words = [drafts.pop(key) for key in list(drafts) if key[0] == set_id and drafts[key].strip()]
    if words:
        show_unsent(words)


def _own_practice() -> None:
    st.subheader("Practise on your own")
    skills = list(SKILLS)
    chosen = state.get(DRILL_SKILL_KEY, DrillSkill.reflect)
    skill = st.selectbox(
        "Skill",
        skills,
        index=skills.index(DrillSkill(chosen)),
        format_func=skill_name,
        key="drill_own_skill",
        on_change=_choose_skill,
    )
    with store.transaction() as db:
        attempts = attempt_service.bank_attempts(db, actor=actor, skill=skill)
    items = bank_items(skill)
    _item(set_id=None, refs=[item.key for item in items], items=items, attempts=attempts)


# The page ------------------------------------------------------------------------------------
st.title("Drills")
st.caption(
    "Short exercises on one skill. Each reply is coded at once by the offline coder (nothing is "
    "sent to a model); the model answer shows after your try. Retry as often as you like."
)
ui.show_flash()
with store.transaction() as db:
    assigned = attempt_service.assigned_sets(db, actor=actor)
if not assigned:
    st.info(
        "No drill sets from your teacher yet. Practise on your own below, or join a section "
        "on the **Practice** page.",
        icon=":material/fitness_center:",
    )
for drill_set in assigned:
    with st.container(border=True, key=f"drill_set_{drill_set.id}"):
        st.markdown(
            f"**{safe(drill_set.title)}** · {skill_name(drill_set.skill)} · "
            f"{safe(drill_set.section_name)}"
        )
        st.caption(
            f"{plural(drill_set.items, 'item')} · tried {drill_set.tried} · hit {drill_set.hit}"
        )
        st.button("Open", key=f"open_drill_{drill_set.id}", on_click=_choose, args=(drill_set.id,))
st.button("Practise on your own", key="open_drill_own", on_click=_choose, args=(OWN,))
chosen_set = state.get(DRILL_SET_KEY)
st.divider()
if chosen_set == OWN:
    _own_practice()
elif isinstance(chosen_set, int):
    _assigned_set(chosen_set)
else:
    st.caption("Open a set above to start.")
