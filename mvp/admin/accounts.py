"""Admin: create accounts, list everyone, reset a password, deactivate or reactivate."""

from __future__ import annotations

import streamlit as st

from backend.errors import AppError
from backend.models.enums import Role
from backend.services import account_service
from backend.utils.formatting import format_time
from mvp import auth, store, ui
from mvp.admin.shared import LABEL, table

actor = auth.require_role(Role.admin)


def _notice(level: str, message: str) -> None:
    st.session_state["accounts_notice"] = (level, message)


def _show_notice() -> None:
    level, message = st.session_state.pop("accounts_notice", (None, None))
    if message:
        {"success": st.success, "warning": st.warning}.get(level, st.error)(message)


def _create_account() -> None:
    state = st.session_state
    state["account_errors"] = {}
    try:
        with store.transaction(write=True) as db:
            user = account_service.create_user(
                db,
                actor=actor,
                username=state["account_username"],
                display_name=state["account_display_name"],
                password=state["account_password"],
                role=Role(state["account_role"]),
            )
    except AppError as error:
        state["account_errors"] = getattr(error, "field_errors", {})
        _notice(error.level, error.message)
        return
    for key in ("account_username", "account_display_name", "account_password"):
        state[key] = ""
    _notice(
        "success",
        f"Created the {user.role.value} account '{user.username}'. Give them the "
        "password you chose; they can change it after logging in.",
    )


def _reset_password(user_id: int, username: str) -> None:
    try:
        with store.transaction(write=True) as db:
            account_service.reset_password(
                db,
                actor=actor,
                user_id=user_id,
                new_password=st.session_state["reset_password"],
            )
    except AppError as error:
        _notice(error.level, error.message)
        return
    st.session_state["reset_password"] = ""
    _notice("success", f"New password set for '{username}'; their other log-ins were ended.")


def _set_active(user_id: int, username: str, active: bool) -> None:
    try:
        with store.transaction(write=True) as db:
            account_service.set_active(db, actor=actor, user_id=user_id, active=active)
    except AppError as error:
        _notice(error.level, error.message)
        return
    _notice(
        "success",
        f"'{username}' is {'active again' if active else 'deactivated'}: "
        + ("they can log in." if active else "they are logged out everywhere and cannot log in."),
    )


def accounts_page() -> None:
    _show_notice()
    new_account_form()
    users = account_list()
    change_account(users)


def new_account_form() -> None:
    errors = st.session_state.get("account_errors", {})
    roles = [role.value for role in (Role.teacher, Role.admin, Role.student)]
    with st.form("account_form"):
        st.markdown("**New account**")
        left, right = st.columns(2)
        with left:
            st.text_input("Username", key="account_username")
            ui.field_error(errors, "username")
            st.text_input("Display name", key="account_display_name")
            ui.field_error(errors, "display_name")
        with right:
            st.selectbox(
                "Role",
                roles,
                key="account_role",
                format_func=str.capitalize,
                help="Students usually sign up themselves with their section's join code.",
            )
            st.text_input(
                "Password",
                key="account_password",
                type="password",
                help=f"At least {account_service.MIN_PASSWORD_LENGTH} characters.",
            )
            ui.field_error(errors, "password")
        st.form_submit_button(
            "Create account",
            key="create_account",
            type="primary",
            on_click=auth.guarded(_create_account),
        )


def account_list() -> list:
    """Everyone (or one role) in a table; returns the accounts shown."""
    st.markdown("**Everyone with an account**")
    st.session_state.setdefault("_kept_accounts_role", "All")
    shown = (
        ui.sticky(
            st.segmented_control,
            "Role",
            ["All", "Admins", "Teachers", "Students"],
            key="accounts_role",
            label_visibility="collapsed",
        )
        or "All"
    )
    role = None if shown == "All" else Role(shown[:-1].lower())
    with store.transaction() as db:
        users = account_service.list_users(db, actor=actor, role=role)
    table(
        [
            {
                "Username": user.username,
                "Name": user.display_name,
                "Role": user.role.value,
                "Active": user.is_active,
                "Created": format_time(user.created_at),
                "Last log-in": format_time(user.last_login_at),
            }
            for user in users
        ],
        "accounts_table",
        Username=LABEL,
        Name=LABEL,
        Role=st.column_config.TextColumn(width="small"),
        Active=st.column_config.CheckboxColumn(width="small"),
    )
    return users


def change_account(users: list) -> None:
    st.markdown("**Change an account**")
    by_name = {user.username: user for user in users}
    chosen = st.selectbox(
        "Account",
        list(by_name),
        key="manage_account",
        index=None,
        placeholder="Choose an account (type to search)",
    )
    if chosen is None:
        return
    user = by_name[chosen]
    left, right = st.columns(2)
    with left.container(border=True):
        st.text_input(
            "New password",
            key="reset_password",
            type="password",
            help=f"At least {account_service.MIN_PASSWORD_LENGTH} characters. Their "
            "other log-ins end.",
        )
        st.button(
            "Reset password",
            key="reset_password_button",
            on_click=auth.guarded(_reset_password),
            args=(user.id, user.username),
        )
    with right.container(border=True):
        st.markdown(
            f"**{ui.safe_markdown(user.display_name)}** is "
            f"{'active' if user.is_active else 'deactivated'}."
        )
        label = "Deactivate" if user.is_active else "Reactivate"
        st.button(
            label,
            key="toggle_active",
            on_click=auth.guarded(_set_active),
            args=(user.id, user.username, not user.is_active),
            disabled=user.id == actor.id,
            help="You cannot deactivate yourself."
            if user.id == actor.id
            else "Deactivating logs them out everywhere; their history stays.",
        )


# The page ------------------------------------------------------------------------------------
st.title("Accounts")
accounts_page()
