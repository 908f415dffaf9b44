"""Help: a quick start for the signed-in role (an admin also gets the teacher's, whose pages
they have), whom to ask, and where the known issues are."""

from __future__ import annotations

import streamlit as st

from backend.models.enums import Role
from mvp import auth, support
from mvp.help.steps import STEPS

user = auth.require_role(Role.admin, Role.teacher, Role.student)

TITLES = {
    Role.admin: "As an admin",
    Role.teacher: "As a teacher",
    Role.student: "As a student",
}


def quick_start(role: Role) -> None:
    st.subheader(TITLES[role])
    for number, (step, page) in enumerate(STEPS[role], start=1):
        st.markdown(f"{number}. {step}")
        st.page_link(page, label="Open the page", icon=":material/arrow_forward:")


# The page ------------------------------------------------------------------------------------
st.title("Help")
st.write("A quick start: what to do first, in order.")
quick_start(user.role)
if user.role == Role.admin:
    quick_start(Role.teacher)
st.subheader("Stuck?")
st.markdown(
    f"{support.contact_markdown(user)} Anything odd? Use **Report a problem** in the sidebar, on any "
    "page: the page you are on is sent with it."
)
st.page_link("help/known_issues.py", label="Known issues", icon=":material/bug_report:")
