"""The screens for visitors who are not logged in: the first-run setup, log-in and student
sign-up."""

from __future__ import annotations

import streamlit as st

from backend.accounts import account_service
from backend.errors import AppError, PermissionDeniedError, ValidationError
from backend.ops import demo_service
from mvp import auth, institution, store, support, ui

SETUP_NOTES_KEY = "setup_notes"


def setup_screen() -> None:
    """First run: create the first admin, optionally with the demo data."""
    st.title("Welcome: set up the practice platform")
    st.write(
        "No accounts exist yet. Create the first **admin** account; you can add teachers "
        "and students afterwards."
    )
    setup_form()


def setup_form() -> None:
    errors = st.session_state.get("setup_errors", {})
    with st.form("setup_form"):
        st.text_input("Username", key="setup_username", placeholder="e.g. jordan.admin")
        ui.field_error(errors, "username")
        st.text_input("Display name", key="setup_display_name", placeholder="e.g. Jordan Lee")
        ui.field_error(errors, "display_name")
        st.text_input(
            "Password",
            key="setup_password",
            type="password",
            help=f"At least {account_service.MIN_PASSWORD_LENGTH} characters.",
        )
        ui.field_error(errors, "password")
        st.text_input("Repeat the password", key="setup_password_again", type="password")
        ui.field_error(errors, "password_again")
        st.checkbox(
            "Load demo data (a demo teacher and student, a section, three clients and a "
            "published assignment)",
            key="setup_demo",
            value=True,
        )
        st.form_submit_button(
            "Create admin account",
            key="setup_submit",
            type="primary",
            on_click=auth.guarded(_run_setup),
        )


def _passwords_match(form: str) -> bool:
    """The form's two password fields agree; if not, the service's reason goes under the second."""
    state = st.session_state
    try:
        account_service.check_password_confirmation(
            state[f"{form}_password"], state[f"{form}_password_again"]
        )
    except ValidationError as error:
        state[f"{form}_errors"] = error.field_errors
        return False
    return True


def _run_setup() -> None:
    state = st.session_state
    state["setup_errors"] = {}
    if not _passwords_match("setup"):
        return
    try:
        with store.transaction(write=True) as db:
            admin = account_service.create_first_admin(
                db,
                username=state["setup_username"],
                display_name=state["setup_display_name"],
                password=state["setup_password"],
            )
            demo = demo_service.seed_demo(db) if state["setup_demo"] else None
    except ValidationError as error:
        state["setup_errors"] = error.field_errors
        ui.flash(error.message, "warning")
        return
    except PermissionDeniedError as error:  # another setup finished first
        ui.flash(error.message, "warning")
        return
    auth.log_in(admin)
    state[SETUP_NOTES_KEY] = {
        "passwords": dict(demo.new_passwords) if demo else {},
        "join_code": demo.join_code if demo else "",
    }
    ui.flash(f"Welcome, {ui.safe_markdown(admin.display_name)}. Your admin account is ready.")


def _browser_key() -> str:
    """This browser session's key for the log-in and sign-up throttles (see the README)."""
    key: str = st.session_state.setdefault("browser_key", account_service.new_browser_key())
    return key


def login_screen(no_admin: bool = False) -> None:
    """Log in or sign up. The web setup is only for a new installation (`setup_screen`): once
    accounts exist, the admin comes from the operator's command line."""
    st.title("Counseling practice")
    if no_admin:
        st.warning(
            "No admin account exists yet. Whoever runs this platform creates it on the server: "
            "`python -m backend.cli create-admin`.",
            icon=":material/admin_panel_settings:",
        )
    # Keyed, so the chosen tab survives the rerun that shows a sign-up error above it.
    log_in_tab, sign_up_tab = st.tabs(
        ["Log in", "Student sign-up"], key="welcome_tab", on_change="rerun"
    )
    with log_in_tab:
        institution.sign_in_options()  # "Sign in with <institution>" when [auth] is configured
        with st.form("login_form"):
            st.text_input("Username", key="login_username")
            st.text_input("Password", key="login_password", type="password")
            submitted = st.form_submit_button("Log in", key="login_submit", type="primary")
        if submitted:
            try:
                with store.transaction(write=True) as db:
                    user = account_service.authenticate(
                        db,
                        username=st.session_state["login_username"],
                        password=st.session_state["login_password"],
                        browser=_browser_key(),
                        device=auth.device_token(),
                    )
            except AppError as error:
                ui.show_error(error)
            else:
                auth.log_in(user)
                auth.remember_device(user)
                st.rerun()
    with sign_up_tab:
        st.write("Your teacher gives you a **join code** for your section.")
        errors = st.session_state.get("signup_errors", {})
        with st.form("signup_form"):
            st.text_input("Join code", key="signup_join_code", placeholder="e.g. K7PQ2MXA")
            ui.field_error(errors, "join_code")
            st.text_input("Username", key="signup_username")
            ui.field_error(errors, "username")
            st.text_input(
                "Display name", key="signup_display_name", help="The name your teacher will see."
            )
            ui.field_error(errors, "display_name")
            st.text_input("Password", key="signup_password", type="password")
            ui.field_error(errors, "password")
            st.text_input("Repeat the password", key="signup_password_again", type="password")
            ui.field_error(errors, "password_again")
            st.form_submit_button(
                "Sign up", key="signup_submit", type="primary", on_click=auth.guarded(_run_sign_up)
            )
    support.front_page_help()


def _run_sign_up() -> None:
    state = st.session_state
    state["signup_errors"] = {}
    if not _passwords_match("signup"):
        return
    try:
        with store.transaction(write=True) as db:
            student = account_service.sign_up_student(
                db,
                join_code=state["signup_join_code"],
                username=state["signup_username"],
                display_name=state["signup_display_name"],
                password=state["signup_password"],
                browser=_browser_key(),
            )
    except ValidationError as error:
        state["signup_errors"] = error.field_errors
        ui.flash(error.message, "warning")
        return
    auth.log_in(student)
    ui.flash(f"Welcome, {ui.safe_markdown(student.display_name)}. You have joined your section.")
