"""Admin: accounts (create teachers, students and admins). The monitoring dashboard comes later."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.errors import ValidationError
from backend.models.enums import Role
from backend.services import account_service
from backend.utils.formatting import format_time
from mvp import utils

actor = utils.require_role(Role.admin)


def _create_account() -> None:
    state = st.session_state
    state["account_errors"] = {}
    try:
        with utils.db(write=True) as session:
            user = account_service.create_user(
                session, actor=actor, username=state["account_username"],
                display_name=state["account_display_name"], password=state["account_password"],
                role=Role(state["account_role"]))
    except ValidationError as error:
        state["account_errors"] = error.field_errors
        utils.flash(error.message, "warning")
        return
    for key in ("account_username", "account_display_name", "account_password"):
        state[key] = ""
    utils.flash(f"Created the {user.role.value} account '{user.username}'. Give them the password "
                "you chose; they can change it after logging in.")


st.title("Admin")
st.subheader("Accounts")
errors = st.session_state.get("account_errors", {})
with st.form("account_form"):
    st.markdown("**New account**")
    left, right = st.columns(2)
    with left:
        st.text_input("Username", key="account_username")
        utils.field_error(errors, "username")
        st.text_input("Display name", key="account_display_name")
        utils.field_error(errors, "display_name")
    with right:
        st.selectbox("Role", [role.value for role in Role], key="account_role",
                     format_func=str.capitalize)
        st.text_input("Password", key="account_password", type="password",
                      help=f"At least {account_service.MIN_PASSWORD_LENGTH} characters.")
        utils.field_error(errors, "password")
    st.form_submit_button("Create account", key="create_account", type="primary",
                          on_click=utils.guarded(_create_account))

with utils.db() as session:
    users = account_service.list_users(session, actor=actor)
st.dataframe(pd.DataFrame([{
    "Username": user.username, "Name": user.display_name, "Role": user.role.value,
    "Active": user.is_active, "Created": format_time(user.created_at),
    "Last log-in": format_time(user.last_login_at),
} for user in users]), hide_index=True, width="stretch")
st.caption("Usage, cost and service health monitoring arrive in a later update.")
