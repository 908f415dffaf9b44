"""Teacher, on the Reviews page: the form that edits every score, code and comment of a review,
with "Save" and "Release to student"."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from backend.actor import UserRead
from backend.reviews import review_rules, review_service, teacher_review_service
from backend.reviews.read_models import ReviewContent
from backend.reviews.rubric_schema import RubricDefinition
from mvp import auth, store, ui

# Every text a person (or the model) wrote goes through it: bodies, captions, labels and help.
safe = ui.safe_markdown


NO_TURN = 0  # "add nothing" in the turn pickers (turns start at 1)


def _edits(
    session_id: int, start: ReviewContent, turns: dict[int, str], rubric: RubricDefinition
) -> dict:
    """The teacher's whole version: the starting version with every field as the form has it."""
    state = st.session_state
    data = start.model_dump(exclude={"demo"})
    data["scores"] = [
        {
            "criterion": criterion,
            "turns": turns_cited,
            "reasoning": state[f"reasoning_{session_id}_{criterion}"],
            "score": int(state[f"score_{session_id}_{criterion}"]),
        }
        for criterion, turns_cited in _score_turns(start, rubric).items()
        if state.get(f"score_{session_id}_{criterion}") is not None
    ]
    for index, item in enumerate(data["codes"]):
        item["code"] = state[f"code_{session_id}_{index}"]
    for index, item in enumerate(data["strengths"]):
        item["comment"] = state[f"strength_{session_id}_{index}"]
    for index, item in enumerate(data["try_instead"]):
        item["better_reply"] = state[f"better_{session_id}_{index}"]
        item["why"] = state[f"why_{session_id}_{index}"]
    data["goal"] = state[f"goal_{session_id}"]
    data["risk"] = [
        {**item, "responded": said == "answered"}
        for index, item in enumerate(data["risk"])
        if (said := state.get(f"risk_{session_id}_{index}")) != "none"
    ]
    turn = state.get(f"new_strength_turn_{session_id}") or NO_TURN
    if turn != NO_TURN:
        data["strengths"].append(
            {
                "turn": turn,
                "quote": review_rules.opening_quote(turns[turn]),
                "comment": state.get(f"new_strength_{session_id}") or "",
            }
        )
    turn = state.get(f"new_try_turn_{session_id}") or NO_TURN
    if turn != NO_TURN:
        data["try_instead"].append(
            {
                "turn": turn,
                "quote": review_rules.opening_quote(turns[turn]),
                "better_reply": state.get(f"new_better_{session_id}") or "",
                "why": state.get(f"new_why_{session_id}") or "",
            }
        )
    return data


FORM_KEYS = (
    "score",
    "reasoning",
    "code",
    "strength",
    "better",
    "why",
    "goal",
    "new_strength_turn",
    "new_strength",
    "new_try_turn",
    "new_better",
    "new_why",
    "saved_at",
    "form_start",
    "risk",  # a flag's index shifts once one is taken out (an attack on the day's fixes)
)


def _forget_form(session_id: int) -> None:
    """After a save the form starts again from the saved version."""
    for key in list(st.session_state):
        name = str(key)
        for prefix in FORM_KEYS:
            head = f"{prefix}_{session_id}"
            if name == head or name.startswith(head + "_"):
                del st.session_state[key]
                break


def _score_turns(start: ReviewContent, rubric: RubricDefinition) -> dict[str, list[int]]:
    """Every criterion of the rubric, with the turns its score rests on in the start version."""
    cited = {score.criterion: score.turns for score in start.scores}
    return {criterion.key: cited.get(criterion.key, []) for criterion in rubric.criteria}


def _save(
    actor: UserRead,
    session_id: int,
    start: ReviewContent,
    turns: dict[int, str],
    rubric: RubricDefinition,
    release: bool,
) -> None:
    edits = _edits(session_id, start, turns, rubric)
    over_key = f"saved_at_{session_id}"
    try:
        with store.transaction(write=True) as db:
            saved = teacher_review_service.save_teacher_review(
                db, actor=actor, session_id=session_id, edits=edits, over=st.session_state[over_key]
            )
            if release:
                review_service.release_review(db, actor=actor, session_id=session_id)
    except teacher_review_service.ReviewChanged as changed:
        st.session_state[over_key] = changed.saved_at  # a second Save replaces theirs
        raise
    _forget_form(session_id)
    ui.flash(
        "Released: the student now reads your version of the review."
        if release
        else "Saved: the student reads your changes now."
        if saved.teacher_released_at is not None
        else "Saved your version. Release it when it is ready."
    )


def editor(
    actor: UserRead,
    session_id: int,
    start: ReviewContent,
    rubric: RubricDefinition,
    turns: dict[int, tuple[bool, str]],
    saved_at: datetime | None,
) -> None:
    """Every score, code and comment of the teacher's version, in one form; `saved_at`: when the
    version it starts from was saved (None: the model's), so that a save never overwrites one
    saved since by someone else unseen. The form keeps the version it was filled from until it
    is saved or left (its boxes line up with that version's items, whatever was saved since)."""
    state = st.session_state
    if f"goal_{session_id}" not in state:  # a form filled afresh (its widgets were forgotten)
        state[f"saved_at_{session_id}"] = saved_at
        state[f"form_start_{session_id}"] = start.model_dump(mode="json")
    start = ReviewContent.model_validate(state[f"form_start_{session_id}"])
    criteria = {criterion.key: criterion for criterion in rubric.criteria}
    codes = {key: rubric.code_name(key) for key in rubric.codable_keys}
    student_turns = {number: text for number, (student, text) in turns.items() if student}
    with st.form(f"review_form_{session_id}", border=False):
        if start.risk:
            _risks(session_id, start)
        st.markdown("##### Scores")
        if not start.scores:
            st.caption(
                "No ratings yet: the session is too short for automatic ones. Leave them empty, "
                "or rate every criterion with a reason."
            )
        scored = {score.criterion: score for score in start.scores}
        for key, criterion in criteria.items():
            if key in scored:
                state.setdefault(f"score_{session_id}_{key}", scored[key].score)
                state.setdefault(f"reasoning_{session_id}_{key}", scored[key].reasoning)
            st.number_input(
                safe(criterion.name),
                min_value=1,
                max_value=5,
                value=None,
                step=1,
                key=f"score_{session_id}_{key}",
                help="; ".join(
                    f"{n}: {safe(text)}" for n, text in sorted(criterion.anchors.items())
                ),
            )
            st.text_area("Reasoning", key=f"reasoning_{session_id}_{key}", height=68)
        st.markdown("##### Codes")
        st.caption("A turn that does two things (a reflection, then a question) has two codes.")
        seen: set[int] = set()
        for index, coded in enumerate(start.codes):
            state.setdefault(f"code_{session_id}_{index}", coded.code)
            again = " (its next code)" if coded.turn in seen else ""
            seen.add(coded.turn)
            st.selectbox(
                f"Turn {coded.turn}{again}: {ui.as_typed(student_turns.get(coded.turn, '')[:70])}",
                list(codes),
                key=f"code_{session_id}_{index}",
                format_func=lambda code: codes.get(code, code),
            )
        _comments(session_id, start, student_turns)
        save, release = st.columns(2)
        args = (actor, session_id, start, student_turns, rubric)
        save.form_submit_button(
            "Save", key="save_review", on_click=auth.guarded(_save), args=(*args, False)
        )
        release.form_submit_button(
            "Release to student",
            key="release_review",
            type="primary",
            on_click=auth.guarded(_save),
            args=(*args, True),
        )


RISK_READINGS = {
    "passed": "Passed over",
    "answered": "Answered by the student",
    "none": "Not a risk (a false alarm): take it out",
}


def _risks(session_id: int, start: ReviewContent) -> None:
    """The teacher's word on each risk the check flagged: its phrases are broad on purpose, and a
    false alarm had kept the student's red box and kept their ratings from counting, with no way
    to correct it (an attack, 2026-12-07)."""
    st.markdown("##### Risk")
    st.caption(
        "The automatic check flags talk of harm broadly. A flag you take out no longer shows the "
        "student a warning, and their ratings count: read the ratings, goal and suggestions "
        "again, as the automatic ones may rest on it."
    )
    for index, item in enumerate(start.risk):
        key = f"risk_{session_id}_{index}"
        st.session_state.setdefault(key, "answered" if item.responded else "passed")
        st.radio(
            f"Client turn {item.client_turn}: “{safe(item.quote[:100])}”",
            list(RISK_READINGS),
            format_func=RISK_READINGS.__getitem__,
            key=key,
            horizontal=True,
        )


def _comments(session_id: int, start: ReviewContent, student_turns: dict[int, str]) -> None:
    state = st.session_state
    pick = [NO_TURN, *student_turns]

    def turn_label(turn: int) -> str:  # a selectbox option: plain text, not Markdown
        return "(add none)" if turn == NO_TURN else f"Turn {turn}: {student_turns[turn][:60]}"

    st.markdown("##### Strengths")
    st.caption("Empty a comment to take that strength out.")
    for index, item in enumerate(start.strengths):
        state.setdefault(f"strength_{session_id}_{index}", item.comment)
        label = f"Turn {item.turn}: “{ui.as_typed(item.quote[:80])}”"
        st.text_area(label, key=f"strength_{session_id}_{index}")
    st.selectbox(
        "Add a strength about", pick, key=f"new_strength_turn_{session_id}", format_func=turn_label
    )
    st.text_area("Its comment", key=f"new_strength_{session_id}", height=68)
    st.markdown("##### Try instead")
    st.caption("Empty both boxes of one to take it out.")
    for index, tip in enumerate(start.try_instead):
        state.setdefault(f"better_{session_id}_{index}", tip.better_reply)
        state.setdefault(f"why_{session_id}_{index}", tip.why)
        st.caption(f"Turn {tip.turn}: “{ui.as_typed(tip.quote[:120])}”")
        st.text_area("Better reply", key=f"better_{session_id}_{index}", height=68)
        st.text_area("Why", key=f"why_{session_id}_{index}", height=68)
    st.selectbox(
        "Add a better reply for", pick, key=f"new_try_turn_{session_id}", format_func=turn_label
    )
    st.text_area("Better reply", key=f"new_better_{session_id}", height=68)
    st.text_area("Why", key=f"new_why_{session_id}", height=68)
    st.markdown("##### Goal for the next practice")
    state.setdefault(f"goal_{session_id}", start.goal)
    st.text_area("Goal", key=f"goal_{session_id}", height=68)
