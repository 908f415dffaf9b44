"""The product's one entry point: `streamlit run mvp/app.py`.

Brings the database to the latest migration, then shows the first-run setup, the log-in and
student sign-up screens (welcome.py), or the pages the logged-in role may open (and only those).
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
from backend.errors import AppError
from backend.models.enums import Role
from mvp import a11y, auth, chat_unsent, institution, store, support, ui
from mvp.welcome import SETUP_NOTES_KEY, login_screen, setup_screen

store.freeze_imported_objects()  # once per process: the objects imported above stay for good

LOGGED_OUT_KEY = "logged_out"  # the Log out button was pressed: show the front page next

# A local file (a material icon would be fetched from a font host: no icon offline).
FAVICON = PROJECT_ROOT / "mvp" / "static" / "favicon.png"


# Logged in -------------------------------------------------------------------------------------
def sidebar(user: UserRead) -> None:
    with st.sidebar:
        ui.close_sidebar_on_navigation()
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
    ("teacher/drills.py", "Drill sets", ":material/fitness_center:", "drill-sets"),
]
STUDENT_PAGES = [
    ("student/practice.py", "Practice", ":material/forum:", "practice"),
    ("student/my_sessions.py", "My sessions", ":material/history:", "my-sessions"),
    ("student/progress.py", "My progress", ":material/trending_up:", "my-progress"),
    ("student/drills.py", "Drills", ":material/fitness_center:", "drills"),
]
ADMIN_PAGES = [
    ("admin/figures.py", "Figures", ":material/monitoring:", "admin"),
    ("admin/health.py", "Service health", ":material/network_check:", "health"),
    ("admin/error_log.py", "Error log", ":material/report:", "error-log"),
    ("admin/accounts.py", "Accounts", ":material/manage_accounts:", "accounts"),
    ("admin/reviews.py", "Review agreement", ":material/fact_check:", "review-agreement"),
]
HELP_PAGES = [  # every role's
    ("help/quick_start.py", "Help", ":material/help:", "help"),
    ("help/known_issues.py", "Known issues", ":material/bug_report:", "known-issues"),
]
ALL_PAGES = ADMIN_PAGES + TEACHER_PAGES + STUDENT_PAGES + HELP_PAGES


def _pages(specs: list[tuple[str, str, str, str]]) -> list:
    return [
        st.Page(path, title=title, icon=icon, url_path=url_path)
        for path, title, icon, url_path in specs
    ]


def role_pages(role: Role) -> dict[str, list]:
    """The navigation's sections for this role (and only its pages: others have no address)."""
    help_section = {"Help": _pages(HELP_PAGES)}
    if role == Role.student:
        return {"Practice": _pages(STUDENT_PAGES), **help_section}
    teacher = {"Teaching": _pages(TEACHER_PAGES)}
    if role == Role.teacher:
        return {**teacher, **help_section}
    return {"Admin": _pages(ADMIN_PAGES), **teacher, **help_section}


def front_pages(screen: Callable[[], None], title: str) -> list[StreamlitPage]:
    """The screen for visitors who are not logged in, under the front page's address and under
    every page's address (/practice typed by hand shows it, and after the log-in, that page)."""
    paths = ["welcome"] + [url_path for *_, url_path in ALL_PAGES]
    return [st.Page(screen, title=title, url_path=path) for path in paths]


def main() -> None:
    st.session_state.pop(ui.TYPED_TAKEN_KEY, None)  # until a chat takes this run's message
    # The app menu's "Get help" and "Report a bug" lead to the support contact (SUPPORT_CONTACT);
    # About says whom to ask, to the person this session has logged in (one call a run). Inside
    # main, so that a setting that cannot be read is shown as the error it is.
    st.set_page_config(
        page_title="Counseling practice",
        page_icon=str(FAVICON),
        layout="wide",
        menu_items=support.menu_items(auth.current_user()),
    )
    a11y.install()  # contrast, navigation markup, live region: on every screen
    store.database()  # migrations run here, before any page touches the database
    if st.session_state.pop(LOGGED_OUT_KEY, False):
        # After "Log out", the front page (and its address), before this run shows anything.
        front = front_pages(login_screen, "Log in")
        st.navigation(front, position="hidden")
        st.switch_page(front[0])
    if get_settings().demo_mode:  # model and cost for staff only, as students see neither
        viewer = auth.current_user()
        st.info(
            "**Demo mode**: no Anthropic API key is set, so clients answer with short local "
            "replies (model `demo`, no cost)."
            if viewer is not None and viewer.role != Role.student
            else "**Demo mode**: the clients answer with short sample replies.",
            icon=":material/science:",
        )
    user = auth.refresh_user()
    if user is None and (user := institution.sign_in()) is not None:
        auth.log_in(user)  # the app's own log-in, as after a password
        ui.flash(f"Welcome, {ui.safe_markdown(user.display_name)}.")
        st.rerun()
    if user is None:
        st.set_page_config(layout="centered", menu_items=support.menu_items())
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
        support.sidebar_help(user, page=f"{page.title} (/{page.url_path})")
    ui.show_flash()
    if user is not None:
        setup_notes()
    ui.end_visit_if_page_changed(page.url_path)
    page.run()


try:
    main()
except AppError as error:
    ui.show_error(error)
    chat_unsent.keep_typed_after_a_failed_run()
except Exception as error:
    ui.show_unexpected(error)
    chat_unsent.keep_typed_after_a_failed_run()
