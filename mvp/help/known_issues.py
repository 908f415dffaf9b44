"""Known issues: docs/known-issues.md as written (edited without touching code)."""

from __future__ import annotations

import streamlit as st

from backend.models.enums import Role
from mvp import auth, support

auth.require_role(Role.admin, Role.teacher, Role.student)

st.markdown(support.known_issues())  # the project's own file: its Markdown is trusted
