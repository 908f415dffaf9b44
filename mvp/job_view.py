"""Following a backend job on a page: its state drawn now, then kept fresh until it ends.

The job runs in the backend (backend/jobs), never in the page: this module only reads it. A run
that has just started a job waits a few seconds for it (most reviews and checks end by then, and
the page shows the outcome at once); after that, or after a reload, a fragment reads the job every
second and reruns the page when it ends.
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
JUST_ENDED_KEY = "job_just_ended"  # the job a fragment saw end (its outcome is shown once)

Read = Callable[[], JobRead | None]
Draw = Callable[[JobRead], None]


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
            _poll(read, draw)
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


@st.fragment(run_every=1.0)
def _poll(read: Read, draw: Draw) -> None:
    auth.require_login()  # a fragment reruns alone: the log-in is checked here too
    job = read()
    if job is None:
        return
    draw(job)
    if not job.active:
        st.session_state[JUST_ENDED_KEY] = job.id
        st.rerun()
