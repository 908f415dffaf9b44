"""Admin: how far the automatic review can be trusted, across every section and rubric."""

from __future__ import annotations

import streamlit as st

from backend.models.enums import Role
from backend.reviews import agreement_service
from mvp import auth, store, ui

actor = auth.require_role(Role.admin)

st.title("Review agreement")
st.caption(
    "The model's first scores against the teachers' final ones, per rubric and criterion, over "
    "every review a teacher saved a version of (automatic demo reviews are left out). Kappa is "
    f"quadratic-weighted Cohen's kappa, shown from {agreement_service.KAPPA_MIN_PAIRS} pairs."
)
with store.transaction() as db:
    rows = agreement_service.agreement(db, actor=actor)
ui.agreement_table(rows, key="admin_agreement")
