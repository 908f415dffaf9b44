"""A session's review as students and teachers see it: started as a backend job when asked for
and followed with its progress until it is written (also after a reload), "Try again" after a
failure, and the ready review (drawn by review_render.py).

`review_panel(actor, session_id, messages, *, for_teacher)` is the whole panel: it starts the
review's job on the run after `ask_for_review(session_id)` asked for it and follows it (also from
a later run or another browser session). The student's pages (after a session, "My sessions")
and the teacher's history use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import streamlit as st

from backend.actor import UserRead
from backend.errors import AppError
from backend.jobs.read_models import JobRead
from backend.models.enums import MessageRole
from backend.practice.read_models import MessageRead
from backend.reviews import review_service
from backend.reviews.read_models import ReviewRead
from backend.reviews.review_batches import BATCH_STEP
from backend.reviews.session_screen import SessionScreen
from mvp import a11y, job_view, store, ui
from mvp.review_render import Drill, Practise, render_review

STEPS = review_service.STEPS
REVIEW_NOW_KEY = "review_now_for"  # the session whose review this run writes (a callback asked)
REVIEW_HEADING = "h4#your-review"  # the student's "Your review", where End session leads
REFUSED_FOR_GOOD = (
    "The AI service cannot write a review of this session: it refused the request as it is "
    "(too long, or not allowed), so asking again will not help. An admin can see the details."
)
TEACHER_FIRST = (
    "Your teacher will review this session first. The review appears here once they release it."
)


def ask_for_review(session_id: int) -> None:
    """The next run writes this session's review, with its progress (a callback, or after End)."""
    st.session_state[REVIEW_NOW_KEY] = session_id


def review_panel(
    actor: UserRead,
    session_id: int,
    messages: list[MessageRead],
    *,
    for_teacher: bool,
    known: SessionScreen | None = None,
    footer: Callable[[MessageRead], None] | None = None,
    practise: Practise | None = None,
    drill: Drill | None = None,
) -> bool:
    """A session's review: written (with progress) when asked for, "Try again" after a failure.

    The student's and the teacher's views differ only in wording and in what the teacher may see
    (unreleased reviews, the turn the hidden information came out). `known` is the student's
    session screen read in this run (its review is not read again unless one was just written);
    `footer` draws widgets under each client reply of the transcript beside the review, and
    `practise(turn, key)` a "Practise this moment" button (the student's pages), `drill` the
    review's suggested drill.
    True when the review was shown (with the transcript: the caller draws none then).
    """
    if not for_teacher:
        st.markdown("#### Your review")
    if not any(message.role == MessageRole.user for message in messages):
        if not for_teacher:
            st.caption("Nothing to review: you did not write anything in this session.")
        return False
    started = st.session_state.get(REVIEW_NOW_KEY) == session_id
    if started:
        st.session_state.pop(REVIEW_NOW_KEY)
        try:
            review_service.start_review(store.database(), actor=actor, session_id=session_id)
        except AppError as error:
            with st.status("The review could not be written", state="error"):
                ui.show_error(error)
    latest = known.review_job if known is not None else _read_job(actor, session_id)
    job = _follow(actor, session_id, latest, started=started, for_teacher=for_teacher)
    if job is not None and job.active:
        return False
    if job is not None and job is not latest:
        known = None  # read the review the job just wrote
    if known is not None and known.review_held:
        st.info(TEACHER_FIRST, icon=":material/hourglass_top:")
        return False
    rubric = None
    if known is not None:
        review, rubric = known.review, known.rubric
    else:
        try:
            with store.transaction() as db:
                review = review_service.get_review(db, actor=actor, session_id=session_id)
        except review_service.ReviewNotReleased:
            st.info(TEACHER_FIRST, icon=":material/hourglass_top:")
            return False
        except AppError as error:
            ui.show_error(error)
            return False
    if review is None or review.content is None:
        if job is not None and job.status == "failed" and not job.asking_again_helps:
            st.caption(REFUSED_FOR_GOOD)  # its job's error says why
        else:
            _ask_again(session_id, failed=review is not None, for_teacher=for_teacher)
        return False
    if for_teacher:
        review = review.final()
        st.markdown(f"##### Review{_version_note(review)}")
    render_review(
        review,
        messages,
        show_hidden_info_turn=for_teacher,
        rubric=rubric,
        footer=footer,
        practise=practise,
        drill=drill,
    )
    return True


def _version_note(review: ReviewRead) -> str:
    """Which version a teacher reads beside the conversation, and whether the student does."""
    if review.teacher_content is None:
        return "" if review.released_at else " · not released to the student"
    if review.teacher_released_at is None:
        return " · the teacher's draft, not released to the student"
    return " · the teacher's version, as the student reads it"


def _ask_again(session_id: int, *, failed: bool, for_teacher: bool) -> None:
    """No review to show: say why, and offer to write one."""
    if failed:  # its invalid content was never kept
        st.warning(review_service.ReviewFailed().message, icon=":material/warning:")
    elif not for_teacher:
        st.caption("This session has no review yet.")
    label = "Try again" if failed else ("Review" if for_teacher else "Get a review")
    st.button(
        label,
        key=f"history_review_{session_id}" if for_teacher else f"review_again_{session_id}",
        icon=":material/refresh:" if failed or not for_teacher else ":material/grading:",
        on_click=ask_for_review,
        args=(session_id,),
    )


def _read_job(actor: UserRead, session_id: int) -> JobRead | None:
    try:
        return review_service.review_job(store.database(), actor=actor, session_id=session_id)
    except AppError:
        return None


def _follow(
    actor: UserRead, session_id: int, latest: JobRead | None, *, started: bool, for_teacher: bool
) -> JobRead | None:
    """The session's review job while it runs (and its outcome right after): its steps in a
    status box, kept fresh until it ends, in this run or after a reload. `latest` is the job as
    this run read it; the result is `latest` itself when there was nothing to follow."""
    if not started and (latest is None or not (latest.active or job_view.just_ended(latest))):
        return latest
    return job_view.follow(
        lambda: _read_job(actor, session_id),
        lambda job: _review_status(job, held=lambda: not for_teacher and _held(actor, session_id)),
        wait=started,
    )


def _held(actor: UserRead, session_id: int) -> bool:
    """Whether the student's review waits for their teacher to release it."""
    try:
        with store.transaction() as db:
            review_service.get_review(db, actor=actor, session_id=session_id)
    except review_service.ReviewNotReleased:
        return True
    except AppError:
        return False
    return False


def step_lines(job: JobRead) -> list[str]:
    """One line per step: done, under way (the job's progress names it) or to come."""
    done = job.status == "done"
    progress = job.progress or ""
    batch = progress.startswith(BATCH_STEP)  # a held review: Scoring waits for its batch
    reached = (
        len(STEPS) if done else 1 if batch else STEPS.index(progress) if progress in STEPS else -1
    )
    lines = []
    for index, step in enumerate(STEPS):
        if index < reached:
            lines.append(f":material/check: {step}")
        elif index == reached and job.active:
            under_way = progress[:1].lower() + progress[1:] if batch else "under way"
            lines.append(f":material/progress_activity: **{step}** ({under_way})")
        else:
            lines.append(f":material/pending: {step}")
    return lines


def _review_status(job: JobRead, *, held: Callable[[], bool]) -> None:
    """A review job's steps: done, under way or to come; its error when it failed. One the
    student's teacher reads first is "written", not "ready" (it had been announced to them as
    "Review ready": an attack, 2026-12-07)."""
    state: Literal["running", "complete", "error"]
    if job.active:
        label, state, expanded = "Writing the review…", "running", True
    elif job.status == "done":
        label = "Review written: your teacher reads it first" if held() else "Review ready"
        state, expanded = "complete", False
    else:
        label, state, expanded = "The review could not be written", "error", True
    if job.status == "done":
        a11y.announce(label)
    with st.status(label, state=state, expanded=expanded):
        for line in step_lines(job):
            st.write(line)
        if job.error and job.error != review_service.ReviewFailed().message:
            st.warning(ui.for_reader(job.error), icon=":material/warning:")
