"""The product's one entry point: `streamlit run mvp/app.py`.

Brings the database to the latest migration, then shows the first-run setup, the log-in and
student sign-up screens, or the pages the logged-in role may open (and only those).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from backend.accounts import account_service
from backend.actor import UserRead
from backend.config import get_settings
from backend.errors import AppError, PermissionDeniedError, ValidationError
from backend.models.enums import Role
from backend.ops import demo_service
from mvp import auth, institution, store, ui

SETUP_NOTES_KEY = "setup_notes"
LOGGED_OUT_KEY = "logged_out"  # the Log out button was pressed: show the front page next

# A local file (a material icon would be fetched from a font host: no icon offline).
FAVICON = PROJECT_ROOT / "mvp" / "static" / "favicon.png"
st.set_page_config(page_title="Counseling practice", page_icon=str(FAVICON), layout="wide")


# Screens for people who are not logged in ------------------------------------------------------
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


# Logged in -------------------------------------------------------------------------------------
def sidebar(user: UserRead) -> None:
    with st.sidebar:
        st.markdown(
            f"**{ui.safe_markdown(user.display_name)}**  \n"
            f"{user.role.value.title()} · `{user.username}`"
        )
        if st.button("Log out", key="logout", icon=":material/logout:", width="stretch"):
            auth.log_out()
            st.session_state[LOGGED_OUT_KEY] = True  # back to the front page, not this one
            st.rerun()
        if not user.has_password:
            st.caption(
                f"You sign in with {ui.safe_markdown(institution.name())}; "
                "no password is kept here."
            )
            return
        with st.expander("Change password"), st.form("password_form", clear_on_submit=True):
            current = st.text_input("Current password", type="password", key="current_password")
            new = st.text_input("New password", type="password", key="new_password")
            if st.form_submit_button("Change password", key="change_password"):
                try:
                    with store.transaction(write=True) as db:
                        token = account_service.change_password(
                            db, actor=user, current_password=current, new_password=new
                        )
                except AppError as error:
                    ui.show_error(error)
                else:
                    auth.log_in(user, token)  # this tab goes on with a fresh log-in
                    ui.flash(
                        "Password changed. Your other log-ins (other tabs and devices) have ended."
                    )
                    st.rerun()


def setup_notes() -> None:
    """The demo accounts' passwords and join code, shown once after setup."""
    notes = st.session_state.get(SETUP_NOTES_KEY)
    if not notes or not notes["passwords"]:
        st.session_state.pop(SETUP_NOTES_KEY, None)
        return
    with st.container(border=True, key="setup_notes"):
        st.markdown("#### Demo data loaded: write these down now")
        st.write("These passwords are shown only this once.")
        for username, password in notes["passwords"].items():
            st.markdown(f"- username `{username}` · password `{password}`")
        st.markdown(f"Students join the demo section with the code `{notes['join_code']}`.")
        if st.button("I have saved them", key="dismiss_setup_notes"):
            st.session_state.pop(SETUP_NOTES_KEY, None)
            st.rerun()


# (file, title, icon, address); the addresses users know (/practice, /teacher, /admin) stay.
TEACHER_PAGES = [
    ("teacher/clients.py", "Clients", ":material/group:", "teacher"),
    ("teacher/try_client.py", "Try a client", ":material/chat:", "try-client"),
    ("teacher/client_check.py", "Client check", ":material/fact_check:", "client-check"),
    ("teacher/history.py", "History & metrics", ":material/history:", "history"),
    ("teacher/reviews.py", "Reviews", ":material/rate_review:", "reviews"),
    ("teacher/sections.py", "Sections & assignments", ":material/school:", "sections"),
    ("teacher/rubrics.py", "Rubrics", ":material/checklist:", "rubrics"),
    ("teacher/progress.py", "Class progress", ":material/trending_up:", "class-progress"),
]
STUDENT_PAGES = [
    ("student/practice.py", "Practice", ":material/forum:", "practice"),
    ("student/my_sessions.py", "My sessions", ":material/history:", "my-sessions"),
    ("student/progress.py", "My progress", ":material/trending_up:", "my-progress"),
]
ADMIN_PAGES = [
    ("admin/figures.py", "Figures", ":material/monitoring:", "admin"),
    ("admin/health.py", "Service health", ":material/network_check:", "health"),
    ("admin/error_log.py", "Error log", ":material/report:", "error-log"),
    ("admin/accounts.py", "Accounts", ":material/manage_accounts:", "accounts"),
    ("admin/reviews.py", "Review agreement", ":material/fact_check:", "review-agreement"),
]
ALL_PAGES = ADMIN_PAGES + TEACHER_PAGES + STUDENT_PAGES


def _pages(specs: list[tuple[str, str, str, str]]) -> list[StreamlitPage]:
    return [
        st.Page(path, title=title, icon=icon, url_path=url_path)
        for path, title, icon, url_path in specs
    ]


def role_pages(role: Role) -> dict[str, list[StreamlitPage]]:
    """The navigation's sections for this role (and only its pages: others have no address)."""
    if role == Role.student:
        return {"Practice": _pages(STUDENT_PAGES)}
    teacher = {"Teaching": _pages(TEACHER_PAGES)}
    if role == Role.teacher:
        return teacher
    return {"Admin": _pages(ADMIN_PAGES), **teacher}


def front_pages(screen: Callable[[], None], title: str) -> list[StreamlitPage]:
    """The screen for visitors who are not logged in, under the front page's address and under
    every page's address (/practice typed by hand shows it, and after the log-in, that page)."""
    paths = ["welcome"] + [url_path for *_, url_path in ALL_PAGES]
    return [st.Page(screen, title=title, url_path=path) for path in paths]


def main() -> None:
    store.database()  # migrations run here, before any page touches the database
    if st.session_state.pop(LOGGED_OUT_KEY, False):
        # After "Log out", the front page (and its address), before this run shows anything.
        front = front_pages(login_screen, "Log in")
        st.navigation(front, position="hidden")
        st.switch_page(front[0])
    if get_settings().demo_mode:
        st.info(
            "**Demo mode**: no Anthropic API key is set, so clients answer with short local "
            "replies (model `demo`, no cost).",
            icon=":material/science:",
        )
    user = auth.refresh_user()
    if user is None and (user := institution.sign_in()) is not None:
        auth.log_in(user)  # the app's own log-in, as after a password
        ui.flash(f"Welcome, {ui.safe_markdown(user.display_name)}.")
        st.rerun()
    if user is None:
        st.set_page_config(layout="centered")
        with store.transaction() as db:
            first_run = account_service.needs_setup(db)
            no_admin = not first_run and not account_service.has_admin(db)
        screen = setup_screen if first_run else partial(login_screen, no_admin)
        page = st.navigation(
            front_pages(screen, "Set up" if first_run else "Log in"), position="hidden"
        )
    else:
        sidebar(user)
        page = st.navigation(role_pages(user.role))
        if target := ui.pending_page():  # a callback (say "Test conversation") asked for it
            st.switch_page(target)
    ui.show_flash()
    if user is not None:
        setup_notes()
    page.run()


try:
    main()
except AppError as error:
    ui.show_error(error)
except Exception as error:
    ui.show_unexpected(error)
