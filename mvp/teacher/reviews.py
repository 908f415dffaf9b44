"""Teacher: reviews waiting for their teacher; the transcript beside the review (cited turns
highlighted), every score, code and comment editable (review_editor.py), "Save" and "Release to
student"; and how often the model's first scores agree with the teachers' final ones.
"""

from __future__ import annotations

import streamlit as st

from backend.models.enums import Role
from backend.reviews import (
    agreement_service,
    review_screen,
    review_service,
    teacher_review_service,
)
from backend.reviews.read_models import ReviewContent
from backend.reviews.review_screen import ReviewScreen
from backend.reviews.turns import Turn
from backend.utils.formatting import format_time, plural
from mvp import auth, review_render, store, ui
from mvp.teacher.review_editor import editor

actor = auth.require_role(Role.teacher, Role.admin)
# Every text a person (or the model) wrote goes through it: bodies, captions, labels and help.
safe = ui.safe_markdown

SESSION_KEY = "review_session_id"


def _writing(item: teacher_review_service.QueueItem) -> str | None:
    """ "being written (batch, usually minutes): 0 of 1 done" while a batch writes its review."""
    return item.writing[:1].lower() + item.writing[1:] if item.writing else None


def _status(item: teacher_review_service.QueueItem) -> str:
    if writing := _writing(item):
        return writing
    whose = "your" if item.saved_by_reader else "someone else's"
    if item.teacher_released:
        return f"students read {whose} version"
    if item.reviewed_at is not None:
        return f"{whose} changes are not released yet"
    return "students read the model's version" if item.released else "waiting for release"


def read_screen() -> ReviewScreen:
    """The whole screen in one read: the queue (all of it when the toggle is on), the chosen
    review (the selectbox's choice, read before it is drawn) and the agreement figures."""
    everything = st.toggle(
        "Also show reviews students already read (to look over or correct them)", key="queue_all"
    )
    # A held review whose batch lost its process (a restart) is collected again from here.
    review_service.resume_held_reviews(store.database(), actor=actor)
    with store.transaction() as db:
        return review_screen.read_review_screen(
            db,
            actor=actor,
            include_unreviewed=everything,
            session_id=st.session_state.get(SESSION_KEY),
        )


def queue(items: list[teacher_review_service.QueueItem]) -> None:
    """The reviews waiting, newest first, and the one chosen (the screen's read chose it too)."""
    if not items:
        st.info(
            "No reviews are waiting for you. A review waits here when a student ends a "
            "conversation in an assignment set to **Students see reviews after I release them** "
            "(Sections & assignments → Session reviews). To look over reviews students already "
            "read, switch on the toggle above."
        )
        return
    labels = {
        item.session_id: f"{item.student} · {item.client} · {item.assignment} "
        f"({item.section}) · {format_time(item.created_at)} · {_status(item)}"
        + (" · demo" if item.demo else "")
        + (f" · {item.branch}" if item.branch else "")
        for item in items
    }
    if st.session_state.get(SESSION_KEY) not in labels:
        st.session_state.pop(SESSION_KEY, None)
    read = sum(
        1 for item in items if item.teacher_released or item.released and item.reviewed_at is None
    )
    also = f", and {plural(read, 'review')} students read already" if read else ""
    st.caption(f"{len(items) - read} waiting{also}, newest first.")
    st.selectbox("Conversation", list(labels), key=SESSION_KEY, format_func=lambda sid: labels[sid])


# Drawing ----------------------------------------------------------------------------------------
def _cited(content: ReviewContent, names: dict[str, str]) -> dict[int, list[str]]:
    """Each cited turn and what cites it (a criterion by its name, a strength, a "try instead"
    item); `names` maps the rubric's criterion keys to their names."""
    cited: dict[int, list[str]] = {}
    for score in content.scores:
        for turn in score.turns:
            cited.setdefault(turn, []).append(names.get(score.criterion, score.criterion))
    for index, item in enumerate(content.strengths, start=1):
        cited.setdefault(item.turn, []).append(f"strength {index}")
    for index, tip in enumerate(content.try_instead, start=1):
        cited.setdefault(tip.turn, []).append(f"try instead {index}")
    return cited


def transcript(turns: list[Turn], content: ReviewContent, names: dict[str, str]) -> None:
    """Numbered turns as the review cites them; cited turns bordered and labelled."""
    cited = _cited(content, names)
    st.markdown("##### Transcript")
    for turn in turns:
        number, who = turn.number, "Student" if turn.student else "Client"
        label = f"**Turn {number} · {who}**"
        if number in cited:
            label += f" :orange-badge[cited: {safe(', '.join(cited[number]))}]"
        key = f"review_turn_{number}" + ("_cited" if number in cited else "")
        with st.container(border=number in cited, key=key):
            st.markdown(label)
            st.markdown(ui.as_typed(turn.text) if turn.student else safe(turn.text))


def review_panel(session_id: int, screen: ReviewScreen) -> None:
    review, rubric = screen.review, screen.rubric
    if review is None or review.content is None or rubric is None:
        st.warning("This conversation has no finished review.")
        return
    start = review.teacher_content or review.content
    # What to weigh before releasing: a risk the student passed over, top marks on a short
    # session, codes in doubt (as History & metrics shows them).
    review_render.risk_notices(start, for_teacher=True)
    review_render.teacher_notes(review.final(), start)
    if review.teacher_content is not None:
        saved = format_time(review.reviewed_at)
        st.caption(
            f"Your version, saved {saved}."
            if review.reviewed_by_id == actor.id
            else f"A version someone else saved {saved} (an admin, say): what you save replaces it."
        )
    elif review.demo:
        st.caption("An automatic demo review (rule-based): check every score.")
    turns = {turn.number: (turn.student, turn.text) for turn in screen.turns}
    left, right = st.columns([2, 3], gap="large")
    with left:
        transcript(screen.turns, start, {c.key: c.name for c in rubric.criteria})
    with right:
        editor(actor, session_id, start, rubric, turns, review.reviewed_at)


def agreement_figures(rows: list[agreement_service.CriterionAgreement]) -> None:
    st.caption(
        "The model's first scores against your final ones, per criterion, over the reviews you "
        "saved a version of (automatic demo reviews are left out). Kappa is quadratic-weighted "
        f"Cohen's kappa, shown from {agreement_service.KAPPA_MIN_PAIRS} pairs."
    )
    ui.agreement_table(rows, key="teacher_agreement")


# The page ---------------------------------------------------------------------------------------
st.title("Reviews")
queue_tab, agreement_tab = st.tabs(["Waiting for you", "Agreement"])
with queue_tab:
    screen = read_screen()
    queue(screen.queue)
    chosen = next((item for item in screen.queue if item.session_id == screen.chosen), None)
    if chosen is not None and (writing := _writing(chosen)):
        st.info(f"The review is {writing}. Reload this page to see its progress.")
    elif screen.chosen is not None:
        review_panel(screen.chosen, screen)
with agreement_tab:
    agreement_figures(screen.agreement)
