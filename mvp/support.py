"""Help on every screen: the support contact (log-in page, sidebar, the app menu), the known
issues file, and the "Report a problem" form in every signed-in sidebar."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from backend.actor import UserRead
from backend.config import PROJECT_ROOT, get_settings
from backend.errors import AppError
from backend.monitoring import problem_report_service
from mvp import auth, store, ui

if TYPE_CHECKING:
    from streamlit.commands.page_config import MenuItems

logger = logging.getLogger("mvp")

KNOWN_ISSUES = PROJECT_ROOT / "docs" / "known-issues.md"
NO_CONTACT = "Ask your teacher or the person who gave you this address."
#: Whom to ask, with no support contact set, for the roles that have no teacher.
NO_CONTACT_BY_ROLE = {
    "teacher": "Ask an admin or the person who gave you this address.",
    "admin": "No support contact is set. Set SUPPORT_CONTACT (an e-mail address or an https "
    "link) so that people know whom to ask.",
}
REPORT_TEXT = "problem_text"  # the report box's key (its text survives every failure)
REPORT_ERROR = "_problem_error"  # why the last send failed, shown under the box
NOT_SAVED = (
    "Your report could not be saved just now. Your text is still in the box: try again in a "
    "moment, or copy it and send it to the support contact."
)


def contact_markdown(user: UserRead | None = None) -> str:
    """Where to get help, as Markdown: the configured contact as a link, or whom `user` (nobody
    logged in: a student) should ask."""
    settings = get_settings()
    if settings.support_url is None:
        return NO_CONTACT_BY_ROLE.get(str(user.role), NO_CONTACT) if user else NO_CONTACT
    label = ui.safe_markdown(settings.support_contact)
    return f"Contact [{label}](<{settings.support_url}>)."


def menu_items(user: UserRead | None = None) -> MenuItems:
    """The app menu's "Get help" and "Report a bug" (links only: an e-mail becomes `mailto:`);
    unset, both are hidden (Streamlit's own point at Streamlit's forum) and About says whom
    `user` should ask."""
    url = get_settings().support_url
    about = f"**Counseling practice.** Help: {contact_markdown(user)}"
    return {"Get help": url, "Report a bug": url, "About": about}


def known_issues() -> str:
    """The known issues, as written in docs/known-issues.md (edited without touching code)."""
    try:
        return Path(KNOWN_ISSUES).read_text(encoding="utf-8")
    except OSError:
        return "No list of known issues is published yet."


def front_page_help() -> None:
    """Under the log-in form: whom to ask, and what is known not to work yet."""
    st.caption(f"Need help? {contact_markdown()}")
    with st.expander("Known issues", icon=":material/bug_report:", key="front_known_issues"):
        st.markdown(known_issues())


def sidebar_help(user: UserRead, page: str) -> None:
    """Every signed-in sidebar: the contact, and the report form (sent with `page`)."""
    with st.sidebar:
        st.caption(f"**Help** · {contact_markdown(user)}")
        with st.expander("Report a problem", icon=":material/flag:", key="report_problem"):
            report_form(user, page)


def report_form(user: UserRead, page: str) -> None:
    with st.form("problem_form", border=False):
        st.text_area(
            "What happened? What did you expect?",
            key=REPORT_TEXT,
            height=120,
            help=f"At most {problem_report_service.MAX_REPORT_CHARS:,} characters. The page "
            "you are on and the time are sent with it.",
        )
        st.form_submit_button(
            "Send report",
            key="problem_submit",
            icon=":material/send:",
            on_click=auth.guarded(_send_report),
            args=(user, page),
        )
    if message := st.session_state.get(REPORT_ERROR):
        st.error(ui.safe_markdown(message), icon=":material/error:")


def _send_report(user: UserRead, page: str) -> None:
    """Store the report; on any failure the text stays in the box with the reason under it."""
    state = st.session_state
    state.pop(REPORT_ERROR, None)
    try:
        with store.transaction(write=True) as db:
            problem_report_service.report_problem(
                db, actor=user, text=state.get(REPORT_TEXT) or "", page=page
            )
    except AppError as error:
        state[REPORT_ERROR] = error.message
        return
    except Exception as error:  # the database is down, a disk is full: keep the words
        logger.exception("A problem report could not be saved", exc_info=error)
        state[REPORT_ERROR] = NOT_SAVED
        return
    state[REPORT_TEXT] = ""
    ui.flash("Thank you: your report reached the admins.")
