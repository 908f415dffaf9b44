"""Student practice: the clients assigned to you. Conversations arrive in the next update."""

from __future__ import annotations

import streamlit as st

from backend.models.enums import Role
from backend.services import assignment_service
from backend.utils.formatting import format_time
from mvp import utils

actor = utils.require_role(Role.student)

st.title("Practice")
with utils.db() as session:
    available = assignment_service.list_available_clients(session, actor=actor)
if not available:
    st.info("No clients are assigned to you yet. When your teacher publishes an assignment in "
            "your section, its clients appear here.")
for item in available:
    with st.container(border=True):
        due = f" · due {format_time(item.due_at)}" if item.due_at else ""
        st.markdown(f"**{item.client.name}** · {item.assignment_title} ({item.section_name}){due}")
        st.caption(item.client.summary)
        if item.instructions:
            st.write(item.instructions)
st.caption("Practice conversations open here in the next update.")
