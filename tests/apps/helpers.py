"""What the AppTest files share: reading the page, logging in, moving between pages, a classroom."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.models.enums import Role
from mvp import auth, job_view
from tests.factories import (
    PASSWORD,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

APP_PATH = str(Path(__file__).resolve().parents[2] / "mvp" / "app.py")

# Each page's title -> its file, relative to mvp/app.py (as `st.navigation` registers it).
PAGES = {
    "Clients": "teacher/clients.py",
    "Try a client": "teacher/try_client.py",
    "Client check": "teacher/client_check.py",
    "History & metrics": "teacher/history.py",
    "Sections & assignments": "teacher/sections.py",
    "Practice": "student/practice.py",
    "My sessions": "student/my_sessions.py",
    "Figures": "admin/figures.py",
    "Service health": "admin/health.py",
    "Error log": "admin/error_log.py",
    "Accounts": "admin/accounts.py",
    "Reviews": "teacher/reviews.py",
    "Review agreement": "admin/reviews.py",
    "My progress": "student/progress.py",
    "Class progress": "teacher/progress.py",
    "Rubrics": "teacher/rubrics.py",
    "Help": "help/quick_start.py",
    "Known issues": "help/known_issues.py",
    "Drill sets": "teacher/drills.py",
    "Drills": "student/drills.py",
}

FIGURE_TABS = ("Now", "Usage", "Breakdowns", "Budgets")  # tabs of the Figures page


def hand_over_to_the_fragment_soon(monkeypatch) -> None:
    """A run that started a job waits for it 0.5 s instead of 5 before a fragment follows it: for
    tests of a job still running after that wait, which is all they would spend their time on."""
    monkeypatch.setattr(job_view, "WAIT_IN_RUN_SECONDS", 0.5)


def texts(at, kind: str = "markdown") -> list[str]:
    return [element.value for element in getattr(at, kind)]


def as_shown(markdown_source: str) -> str:
    """Markdown of text shown as typed (`as_typed`, `escape_markdown`) back to that text: its
    backslash escapes and hard line breaks undone."""
    return re.sub(r"\\(.)", r"\1", markdown_source.replace("  \n", "\n"))


def everything(at) -> str:
    """Every message-like text on the page, for `in` checks."""
    return "\n".join(
        texts(at)
        + texts(at, "caption")
        + texts(at, "error")
        + texts(at, "warning")
        + texts(at, "info")
        + texts(at, "success")
        + texts(at, "title")
    )


def assert_clean(at) -> None:
    assert not at.exception, at.exception
    assert not [message for message in texts(at, "error") if "went wrong" in message]


def log_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button(key="login_submit").click().run()


def open_page(at: AppTest, title: str) -> AppTest:
    """Open a page from the navigation, by its title. Later runs stay on the page the last run
    finished on, as a browser does (`AppTest` would keep asking for this one, even after the app
    switched pages itself)."""
    if title in FIGURE_TABS:  # a tab of the admin's Figures page
        if "Figures" not in texts(at, "title"):
            open_page(at, "Figures")
        at.session_state["admin_tab"] = title
        return at.run()
    at.switch_page(PAGES[title]).run()
    at._page_hash = ""
    return at


def teacher_app(app, username: str = "tina.teacher"):
    at = log_in(app.run(), username)
    assert_clean(at)
    assert "Clients" in texts(at, "title")
    return at


def token_of(at: AppTest) -> str:
    """The log-in token the app asked the browser to keep in its cookie."""
    return at.session_state[auth.TOKEN_KEY]


def start_button(at: AppTest):
    return next(button for button in at.button if button.key.startswith("start_"))


def classroom(app_db):
    """A published client (Alex), a draft one (Dana), and a student in the section."""
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher)
        student = make_user(db, username="sam.student", display_name="Sam Student")
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        dana = make_client(
            db, teacher=teacher, name="Dana Draft", hidden_information="Dana's secret."
        )
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[alex], title="Week 1")
        make_assignment(db, teacher=teacher, section=section, clients=[dana], published=False)
    return student, alex, section
