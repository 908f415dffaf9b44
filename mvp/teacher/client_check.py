"""Teacher: check a client before students meet it (scripted probe conversations, a scorecard).

The check runs as a backend job; this page starts it and follows it (a line per probe as each
finishes), also after a reload, and offers to cancel it while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import streamlit as st

from backend.checks import check_service
from backend.clients.read_models import ClientRead, names_apart
from backend.errors import AppError
from backend.jobs.read_models import JobRead
from backend.models.enums import Role
from backend.usage.budget_service import BudgetUse, until_reset
from mvp import auth, job_view, store, ui
from mvp.teacher import shared
from mvp.teacher.check_scorecard import UNKNOWN_COST, money, scorecard_view

actor = auth.require_role(Role.teacher, Role.admin)
database = store.database()
safe = ui.safe_markdown  # every piece of text a person wrote goes through it

STARTED_KEY = "check_started_for"  # the client whose check the Run button just started


def pick_client(clients: list[ClientRead]) -> ClientRead:
    """The client to check: the one chosen last (also from a client card), else the first."""
    names = names_apart(clients)
    kept = f"_kept_{shared.CHECK_CLIENT_KEY}"
    if st.session_state.get(kept) not in names:
        st.session_state[kept] = clients[0].id
        st.session_state.pop(shared.CHECK_CLIENT_KEY, None)
    client_id = ui.sticky(
        st.selectbox, "Client", list(names), format_func=names.get, key=shared.CHECK_CLIENT_KEY
    )
    return next(client for client in clients if client.id == client_id)


# Running the check ------------------------------------------------------------------------------
def check_status(client: ClientRead) -> Callable[[JobRead], None]:
    """Draws a check job: a line per finished probe, then how it ended."""
    name = safe(client.name)

    def draw(job: JobRead) -> None:
        lines = job.progress_lines
        state: Literal["running", "complete", "error"]
        if job.active:
            label = (
                f"Checking {name}: {len(lines)} probes finished" if lines else f"Checking {name}…"
            )
            state, expanded = "running", True
        elif job.status == "done":
            overall = str((job.result or {}).get("overall", ""))
            label, expanded = f"Checked {name}: {overall}", False
            state = "error" if overall == "fail" else "complete"
        else:
            cancelled = job.status == "cancelled"
            label = "The check was cancelled" if cancelled else "The check did not finish"
            state, expanded = "error", True
        with st.status(label, state=state, expanded=expanded):
            for line in lines:
                st.write(safe(line))
        if job.error and not job.active:  # why it stopped: in view at once, never folded away
            st.error(ui.for_reader(job.error), icon=":material/error:")

    return draw


def follow_check(client: ClientRead, *, started: bool) -> JobRead | None:
    """The client's check job, kept fresh while it runs (also after a reload), with Cancel."""

    def read() -> JobRead | None:
        try:
            return check_service.check_job(database, actor=actor, client_id=client.id)
        except AppError:
            return None

    job = job_view.follow(read, check_status(client), wait=started)
    if job is not None and job.active:
        st.button(
            "Cancel the check",
            key="cancel_check",
            icon=":material/cancel:",
            on_click=auth.guarded(_cancel),
            args=(client.id,),
        )
    return job


def _start(client_id: int) -> None:
    """Start the check before the run draws the page (so its button already says "again")."""
    try:
        check_service.start_check(database, actor=actor, client_id=client_id)
    except AppError as error:
        ui.flash(error.message, "warning")
        return
    st.session_state[STARTED_KEY] = client_id


def _cancel(client_id: int) -> None:
    try:
        check_service.cancel_check(database, actor=actor, client_id=client_id)
    except AppError as error:
        ui.flash(error.message, "warning")


def allowance_note(allowance: BudgetUse, needed: int | None, used_up: bool) -> None:
    """What is used of today's allowance for checks; a warning when a check may not fit in it."""
    used, limit = int(allowance.used), int(allowance.limit)
    st.caption(f"Client checks today: {used:,} of {limit:,} tokens (practice does not count).")
    if not used_up and needed is not None and used + needed > limit:
        st.warning(
            f"{limit - used:,} tokens are left of today's allowance for client checks, and a check "
            f"of this client uses about {needed:,}: it may stop before it ends. The allowance "
            f"resets at midnight UTC, {until_reset()}.",
        )


# The page ----------------------------------------------------------------------------------------
def check_page() -> None:
    clients = shared.clients(actor)
    if not clients:
        st.info(
            "No clients to check yet. Create one on the **Clients** page, then press "
            "**Check this client** on its card."
        )
        return
    client = pick_client(clients)
    st.caption(
        "The check talks to the client in short scripted conversations (a warm counselor, a "
        "pushy advice-giver, questions about the hidden information, “Are you an AI?”, role "
        "reversal, an off-topic student) and scores every reply. The conversations are not "
        "practice: they count only in your allowance for client checks."
    )
    started = st.session_state.pop(STARTED_KEY, None) == client.id
    with store.transaction() as db:
        estimate = check_service.estimate_check_cost(db, actor=actor, client_id=client.id)
        latest = check_service.latest_scorecard(db, actor=actor, client_id=client.id)
        allowance = check_service.check_allowance(db, actor=actor)
        needed = check_service.estimate_check_tokens(db, actor=actor, client_id=client.id)
    used_up = bool(allowance.limit) and allowance.share >= 1
    label = "Run the check" if latest is None and not started else "Run the check again"
    if used_up:
        label += f" (allowance used up until midnight UTC, {until_reset()})"
    elif needed is None:  # demo mode: local replies
        label += " (demo: no cost)"
    else:
        label += (
            f" (about {money(estimate)})" if estimate is not None else f" (cost {UNKNOWN_COST})"
        )
    st.button(
        label,
        key="run_check",
        type="primary",
        icon=":material/fact_check:",
        on_click=auth.guarded(_start),
        args=(client.id,),
        disabled=used_up,
    )
    if allowance.limit:
        allowance_note(allowance, needed, used_up)
    job = follow_check(client, started=started)
    if job is not None and job.active:
        return  # the scorecard is drawn when the check ends (the page reruns then)
    with store.transaction() as db:
        latest = check_service.latest_scorecard(db, actor=actor, client_id=client.id)
        previous = check_service.previous_scorecard(db, actor=actor, client_id=client.id)
    if latest is None:
        st.info(f"{safe(client.name)} has not been checked yet.")
        return
    scorecard_view(latest, previous)


st.title("Client check")
check_page()
