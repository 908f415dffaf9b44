"""Teacher: check a client before students meet it (scripted probe conversations, a scorecard).

The check runs as a backend job; this page starts it and follows it (a line per probe as each
finishes), also after a reload, and offers to cancel it while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Literal

import streamlit as st

from backend.checks import check_service
from backend.checks.read_models import DimensionResult, Finding, ScorecardRead
from backend.clients.read_models import ClientRead
from backend.errors import AppError
from backend.jobs.read_models import JobRead
from backend.models.enums import Role
from backend.usage.budget_service import BudgetUse, hours_until_reset
from backend.utils.formatting import format_time
from mvp import auth, job_view, store, ui
from mvp.teacher import shared

actor = auth.require_role(Role.teacher, Role.admin)
database = store.database()
safe = ui.safe_markdown  # every piece of text a person wrote goes through it

BADGES = {
    "pass": ":green-badge[pass]",
    "warn": ":orange-badge[warn]",
    "fail": ":red-badge[fail]",
}
SOURCES = {"rule": "deterministic rule", "judge": "judge model", "guard": "output guard"}
PRINCIPLE_LENGTH = 300  # the longest principle the client form accepts
STARTED_KEY = "check_started_for"  # the client whose check the Run button just started


def money(amount: Decimal | None) -> str:
    return "—" if amount is None else f"${amount:.4f}" if amount < 1 else f"${amount:.2f}"


def findings(dimension: DimensionResult) -> str:
    count = len(dimension.findings)
    return f"{count} finding{'s' if count != 1 else ''}"


def pick_client(clients: list[ClientRead]) -> ClientRead:
    """The client to check: the one chosen last (also from a client card), else the first."""
    names = {client.id: client.name for client in clients}
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


# The scorecard -----------------------------------------------------------------------------------
def _make_principle(client_id: int, finding: Finding) -> None:
    """Open the client's form with a principle drafted from this finding, to edit and save."""
    draft = f"Avoid replies like “{finding.quote}”: {finding.note}"
    if len(draft) > PRINCIPLE_LENGTH:
        draft = draft[: PRINCIPLE_LENGTH - 1] + "…"
    st.session_state[shared.PRINCIPLE_DRAFT_KEY] = (client_id, draft)
    ui.go_to(shared.CLIENTS_PAGE)


def finding_view(scorecard: ScorecardRead, finding: Finding, key: str, editable: bool) -> None:
    probes = {probe.key: probe.name for probe in scorecard.probes}
    st.markdown(f"> {safe(finding.quote)}")
    st.markdown(safe(finding.note))
    st.caption(
        f"{safe(probes.get(finding.probe, finding.probe))} · turn {finding.turn} · "
        f"{SOURCES.get(finding.source, finding.source)}"
    )
    if editable:
        st.button(
            "Make this a principle",
            key=key,
            icon=":material/rule:",
            on_click=auth.guarded(_make_principle),
            args=(scorecard.client_id, finding),
        )


def dimension_view(scorecard: ScorecardRead, dimension: DimensionResult, editable: bool) -> None:
    st.markdown(
        f"{BADGES[dimension.status]} **{safe(dimension.name)}**"
        + (f" · {findings(dimension)}" if dimension.findings else "")
    )
    for index, finding in enumerate(dimension.findings):
        with st.container(border=True):
            finding_view(
                scorecard,
                finding,
                f"principle_{scorecard.id}_{dimension.key}_{index}",
                editable,
            )


def transcripts(scorecard: ScorecardRead) -> None:
    st.markdown("##### The probe conversations")
    for probe in scorecard.probes:
        with st.expander(safe(probe.name)):
            for number, turn in enumerate(probe.turns, start=1):
                who = "Student" if turn.role == "student" else "Client"
                if turn.withheld:
                    st.markdown(
                        f"{number}. **{who}** :red-badge[stopped by the guard] "
                        f"~~{safe(turn.text.strip())}~~"
                    )
                else:
                    st.markdown(f"{number}. **{who}:** {safe(turn.text)}")


def scorecard_header(scorecard: ScorecardRead) -> None:
    st.markdown(
        f"### Scorecard {BADGES[scorecard.overall]}\n"
        f"Checked {format_time(scorecard.created_at)} · client version "
        f"{scorecard.client_version} · cost {money(scorecard.cost)}"
        + (f" (estimated {money(scorecard.estimated_cost)})" if scorecard.estimated_cost else "")
    )
    if scorecard.demo:
        st.info("Demo check: deterministic rules only (no judge model without an API key).")
    if scorecard.stale:
        st.warning(
            "This scorecard is out of date: the client was edited since, in what the model plays. "
            "Run the check again.",
            icon=":material/update:",
        )


def before_after(previous: ScorecardRead, latest: ScorecardRead) -> None:
    """The previous scorecard beside the new one, dimension by dimension."""
    st.markdown("##### Before and after")
    before = {dimension.key: dimension for dimension in previous.dimensions}
    left, right = st.columns(2)
    left.markdown(f"**Before** · {format_time(previous.created_at)} {BADGES[previous.overall]}")
    right.markdown(f"**After** · {format_time(latest.created_at)} {BADGES[latest.overall]}")
    for dimension in latest.dimensions:
        old = before.get(dimension.key)
        left.markdown(
            f"{BADGES[old.status]} {safe(old.name)} ({findings(old)})"
            if old
            else f"— {safe(dimension.name)}"
        )
        right.markdown(f"{BADGES[dimension.status]} {safe(dimension.name)} ({findings(dimension)})")
    with st.expander("The previous scorecard's findings"):
        for dimension in previous.dimensions:
            dimension_view(previous, dimension, editable=False)


def scorecard_view(latest: ScorecardRead, previous: ScorecardRead | None) -> None:
    scorecard_header(latest)
    if previous is not None:
        before_after(previous, latest)
    st.markdown("##### Dimensions")
    for dimension in latest.dimensions:
        dimension_view(latest, dimension, editable=True)
    transcripts(latest)


def allowance_note(allowance: BudgetUse, needed: int | None, used_up: bool) -> None:
    """What is used of today's allowance for checks; a warning when a check may not fit in it."""
    used, limit = int(allowance.used), int(allowance.limit)
    st.caption(f"Client checks today: {used:,} of {limit:,} tokens (practice does not count).")
    if not used_up and needed is not None and used + needed > limit:
        st.warning(
            f"{limit - used:,} tokens are left of today's allowance for client checks, and a check "
            f"of this client uses about {needed:,}: it may stop before it ends. The allowance "
            f"resets at midnight UTC, {hours_until_reset()}.",
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
        label += f" (allowance used up until midnight UTC, {hours_until_reset()})"
    else:
        label += f" (about {money(estimate)})" if estimate is not None else " (demo: no cost)"
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
