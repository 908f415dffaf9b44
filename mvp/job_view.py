"""Following work done elsewhere on a page: a backend job, or a reply another run is writing.

The job runs in the backend (backend/jobs), never in the page: this module only reads it. A run
that has just started a job waits a few seconds for it (most reviews and checks end by then, and
the page shows the outcome at once); after that, or after a reload, a fragment reads it again,
every second at first and less often the longer it takes (`poll`), and reruns the page when it
ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from backend.jobs.read_models import JobRead
from mvp import auth

#: How long a run waits in place for a job before a fragment takes over.
WAIT_IN_RUN_SECONDS = 5.0
POLL_SECONDS = 0.25
#: The longest pause between two looks of a polling fragment.
MAX_POLL_SECONDS = 10.0
JUST_ENDED_KEY = "job_just_ended"  # the job a fragment saw end (its outcome is shown once)
_SINCE_KEY = "_polling_since_{}"  # when the page began polling for this subject

Read = Callable[[], JobRead | None]
Draw = Callable[[JobRead], None]
#: Draws what it finds; False once the work has ended (the page then reruns).
Look = Callable[[], bool]


def follow(read: Read, draw: Draw, *, wait: bool) -> JobRead | None:
    """Draw the job read by `read` with `draw`; while it runs, `wait` in this run first, then keep
    polling in a fragment. Returns the job as last read (still active: the fragment has it)."""
    slot = st.empty()
    job = read()
    deadline = time.monotonic() + (WAIT_IN_RUN_SECONDS if wait else 0)
    while job is not None and job.active and time.monotonic() < deadline:
        with slot.container():
            draw(job)
        time.sleep(POLL_SECONDS)
        job = read()
    if job is None:
        slot.empty()
    elif job.active:
        with slot.container():
            poll(f"job_{job.id}", lambda: _look_at_job(read, draw))
    else:
        with slot.container():
            draw(job)
    return job


def just_ended(job: JobRead) -> bool:
    """True once for a job a fragment saw end (so its outcome is drawn in the full run too)."""
    if st.session_state.get(JUST_ENDED_KEY) == job.id:
        del st.session_state[JUST_ENDED_KEY]
        return True
    return False


def _look_at_job(read: Read, draw: Draw) -> bool:
    job = read()
    if job is None:
        return True
    draw(job)
    if not job.active:
        st.session_state[JUST_ENDED_KEY] = job.id
    return job.active


def poll_seconds(waited: float) -> float:
    """The pause before the next look, after `waited` seconds of polling: 1 s for the first 4 s
    (most replies and reviews end by then), then 2, 4 and 8 s, and 10 s from 32 s on."""
    pause = 1.0
    while pause < MAX_POLL_SECONDS and waited >= 4 * pause:
        pause *= 2
    return min(pause, MAX_POLL_SECONDS)


def poll(subject: str, look: Look) -> None:
    """Call `look` now, then again from a fragment, less and less often, until it returns False
    (then the whole page reruns). `subject` names what is awaited, for as long as it is."""
    since: float = st.session_state.setdefault(_SINCE_KEY.format(subject), time.monotonic())
    pause = poll_seconds(time.monotonic() - since)
    # A fragment's pause is fixed when a full run draws it, so a longer one takes a full rerun:
    # four of them (at about 4, 8, 16 and 32 s) in a long wait.
    st.fragment(_look_again, run_every=pause)(subject, look, pause, since)


def _look_again(subject: str, look: Look, pause: float, since: float) -> None:
    auth.require_login()  # a fragment reruns alone: the log-in is checked here too
    if not look():
        st.session_state.pop(_SINCE_KEY.format(subject), None)
        st.rerun()
    if poll_seconds(time.monotonic() - since) != pause:
        st.rerun()  # drawn again by the page, with the longer pause
