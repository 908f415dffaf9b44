"""Admin: create accounts, list everyone, reset a password, deactivate or reactivate; which
e-mail domains may sign in with the institution, and as which role (sign_in_domains.py)."""

from __future__ import annotations

import streamlit as st

from backend.accounts import account_service, sign_in_domain_service
from backend.errors import AppError
from backend.models.enums import Role
from backend.utils.formatting import format_time
from mvp import auth, institution, store, ui
from mvp.admin.shared import LABEL, notice, show_notice, table
from mvp.admin.sign_in_domains import sign_in_domains

actor = auth.require_role(Role.admin)
safe = ui.safe_markdown  # every text someone else wrote goes through it


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
        notice(error.level, error.message)
        return
    for key in ("account_username", "account_display_name", "account_password"):
        state[key] = ""
    notice(
        "success",
        f"Created the {user.role.value} account '{safe(user.username)}'. Give them the "
        "password you chose; they can change it after logging in.",
    )


def _reset_password(user_id: int, username: str) -> None:
    try:
        with store.transaction(write=True) as db:
            token = account_service.reset_password(
                db,
                actor=actor,
                user_id=user_id,
                new_password=st.session_state["reset_password"],
            )
    except AppError as error:
        notice(error.level, error.message)
        return
    if token is not None:  # their own: this tab goes on with a fresh log-in
        auth.log_in(actor, token)
        notice("success", "New password set for your account; your other log-ins were ended.")
        return
    st.session_state["reset_password"] = ""
    notice("success", f"New password set for '{safe(username)}'; their other log-ins were ended.")


def _set_active(user_id: int, username: str, active: bool) -> None:
    try:
        with store.transaction(write=True) as db:
            account_service.set_active(db, actor=actor, user_id=user_id, active=active)
    except AppError as error:
        notice(error.level, error.message)
        return
    notice(
        "success",
        f"'{safe(username)}' is {'active again' if active else 'deactivated'}: "
        + ("they can log in." if active else "they are logged out everywhere and cannot log in."),
    )


def _set_email(user_id: int, username: str) -> None:
    try:
        with store.transaction(write=True) as db:
            user = sign_in_domain_service.set_account_email(
                db, actor=actor, user_id=user_id, email=st.session_state["account_email"]
            )
    except AppError as error:
        notice(error.level, error.message)
        return
    st.session_state["account_email"] = user.email or ""
    if user.email:
        notice(
            "success",
            f"'{safe(username)}' can now sign in with {safe(institution.name())} as "
            f"{user.email} "
            "(its domain needs a rule below), keeping their role.",
        )
    else:
        notice("success", f"'{safe(username)}' no longer signs in with {safe(institution.name())}.")


def accounts_page() -> None:
    show_notice()
    new_account_form()
    users = account_list()
    change_account(users)
    sign_in_domains(actor)


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
                "E-mail": user.email or "",
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
            f"**{safe(user.display_name)}** is {'active' if user.is_active else 'deactivated'}."
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
    with st.container(border=True):
        if st.session_state.get("_account_email_for") != user.id:  # another account chosen
            st.session_state["_account_email_for"] = user.id
            st.session_state["account_email"] = user.email or ""
        st.text_input(
            f"Address they sign in with at {safe(institution.name())}",
            key="account_email",
            placeholder="ada@school.edu (empty: no institution sign-in)",
            help="Links this account to the institution sign-in, keeping its role.",
        )
        st.button(
            "Save address",
            key="save_account_email",
            on_click=auth.guarded(_set_email),
            args=(user.id, user.username),
        )


# The page ------------------------------------------------------------------------------------
st.title("Accounts")
accounts_page()
