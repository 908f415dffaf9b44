"""Teacher: reviews waiting for their teacher; the transcript beside the review (cited turns
highlighted), every score, code and comment editable (review_editor.py), "Save" and "Release to
student"; and how often the model's first scores agree with the teachers' final ones.
"""

from __future__ import annotations

import streamlit as st

from backend.models.enums import MessageRole, Role
from backend.practice import session_service
from backend.practice.read_models import MessageRead
from backend.reviews import agreement_service, review_service, teacher_review_service
from backend.reviews.read_models import ReviewContent
from backend.utils.formatting import format_time
from mvp import auth, store, ui
from mvp.teacher.review_editor import editor

actor = auth.require_role(Role.teacher, Role.admin)
# Every text a person (or the model) wrote goes through it: bodies, captions, labels and help.
safe = ui.safe_markdown

SESSION_KEY = "review_session_id"


def _status(item: teacher_review_service.QueueItem) -> str:
    if item.reviewed_at is not None:
        return "your changes are not released yet"
    return "students read the model's version" if item.released else "waiting for release"


def queue() -> int | None:
    """The reviews waiting, newest first; the one chosen (None when nothing waits)."""
    everything = st.toggle(
        "Also show reviews students already read without my review", key="queue_all"
    )
    with store.transaction() as db:
        items = teacher_review_service.review_queue(db, actor=actor, include_unreviewed=everything)
    if not items:
        st.info(
            "No reviews are waiting for you. A review waits here when a student ends a "
            "conversation in an assignment set to **Students see reviews after I release them** "
            "(Sections & assignments → Session reviews). To look over reviews students already "
            "read, switch on the toggle above."
        )
        return None
    labels = {
        item.session_id: f"{item.student} · {item.client} · {item.assignment} "
        f"({item.section}) · {format_time(item.created_at)} · {_status(item)}"
        + (" · demo" if item.demo else "")
        for item in items
    }
    if st.session_state.get(SESSION_KEY) not in labels:
        st.session_state.pop(SESSION_KEY, None)
    st.caption(f"{len(items)} waiting, newest first.")
    return st.selectbox(
        "Conversation", list(labels), key=SESSION_KEY, format_func=lambda sid: labels[sid]
    )


# Drawing ----------------------------------------------------------------------------------------
def _cited(content: ReviewContent) -> dict[int, list[str]]:
    """Each cited turn and what cites it (a criterion, a strength, a "try instead" item)."""
    cited: dict[int, list[str]] = {}
    for score in content.scores:
        for turn in score.turns:
            cited.setdefault(turn, []).append(score.criterion)
    for index, item in enumerate(content.strengths, start=1):
        cited.setdefault(item.turn, []).append(f"strength {index}")
    for index, tip in enumerate(content.try_instead, start=1):
        cited.setdefault(tip.turn, []).append(f"try instead {index}")
    return cited


def transcript(session_id: int, messages: list[MessageRead], content: ReviewContent) -> None:
    """Numbered turns as the review cites them; cited turns bordered and labelled."""
    cited = _cited(content)
    st.markdown("##### Transcript")
    for number, message in enumerate(messages, start=1):
        who = "Student" if message.role == MessageRole.user else "Client"
        label = f"**Turn {number} · {who}**"
        if number in cited:
            label += f" :orange-badge[cited: {safe(', '.join(cited[number]))}]"
        key = f"review_turn_{number}" + ("_cited" if number in cited else "")
        with st.container(border=number in cited, key=key):
            st.markdown(label)
            st.markdown(safe(message.content))


def review_panel(session_id: int) -> None:
    with store.transaction() as db:
        review = review_service.get_review(db, actor=actor, session_id=session_id)
        messages = session_service.get_messages(db, actor=actor, session_id=session_id)
        rubric = review_service.get_review_rubric(db, actor=actor, session_id=session_id)
    if review is None or review.content is None:
        st.warning("This conversation has no finished review.")
        return
    start = review.teacher_content or review.content
    if review.teacher_content is not None:
        st.caption(f"Your version, saved {format_time(review.reviewed_at)}.")
    elif review.demo:
        st.caption("An automatic demo review (rule-based): check every score.")
    turns = {
        number: (message.role == MessageRole.user, message.content)
        for number, message in enumerate(messages, start=1)
    }
    left, right = st.columns([2, 3], gap="large")
    with left:
        transcript(session_id, messages, start)
    with right:
        editor(actor, session_id, start, rubric, turns)


def agreement_figures() -> None:
    with store.transaction() as db:
        rows = agreement_service.agreement(db, actor=actor)
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
    chosen = queue()
    if chosen is not None:
        review_panel(chosen)
with agreement_tab:
    agreement_figures()
