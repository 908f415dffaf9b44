"""Teacher: a client check's scorecard (dimensions, findings, the probe conversations, the one
before it), drawn by the Client check page."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from backend.checks.read_models import DimensionResult, Finding, ScorecardRead
from backend.utils.formatting import format_time, format_usd
from mvp import auth, ui
from mvp.teacher import shared

safe = ui.safe_markdown  # every piece of text a person wrote goes through it

BADGES = {
    "pass": ":green-badge[pass]",
    "warn": ":orange-badge[warn]",
    "fail": ":red-badge[fail]",
}
SOURCES = {"rule": "deterministic rule", "judge": "judge model", "guard": "output guard"}
PRINCIPLE_LENGTH = 300  # the longest principle the client form accepts
UNKNOWN_COST = "unknown (a model has no price)"


def money(amount: Decimal | None) -> str:
    """Dollars as every figure shows them (a half up); None: a model without a price."""
    return format_usd(amount, unpriced_label=UNKNOWN_COST)


def findings(dimension: DimensionResult) -> str:
    count = len(dimension.findings)
    return f"{count} finding{'s' if count != 1 else ''}"


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
