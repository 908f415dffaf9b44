"""Admin, on the Accounts page: which e-mail domains may sign in with the institution, and as
which role."""

from __future__ import annotations

import streamlit as st

from backend.accounts import sign_in_domain_service
from backend.actor import UserRead
from backend.errors import AppError
from backend.models.enums import Role
from mvp import auth, institution, store, ui
from mvp.admin.shared import notice


def _add_domain(actor: UserRead) -> None:
    state = st.session_state
    state["domain_errors"] = {}
    try:
        with store.transaction(write=True) as db:
            rule = sign_in_domain_service.add_domain(
                db, actor=actor, domain=state["domain_name"], role=Role(state["domain_role"])
            )
    except AppError as error:
        state["domain_errors"] = getattr(error, "field_errors", {})
        notice(error.level, error.message)
        return
    state["domain_name"] = ""
    notice(
        "success",
        f"People with a verified @{rule.domain} address can now sign in with the institution; "
        f"their first sign-in makes them a {rule.role.value}.",
    )


def _remove_domain(actor: UserRead, domain_id: int, domain: str) -> None:
    try:
        with store.transaction(write=True) as db:
            sign_in_domain_service.remove_domain(db, actor=actor, domain_id=domain_id)
    except AppError as error:
        notice(error.level, error.message)
        return
    notice(
        "success",
        f"{domain} can no longer sign in with the institution. Its accounts stay (deactivate "
        "one to lock it out entirely).",
    )


def sign_in_domains(actor: UserRead) -> None:
    """The domains whose verified e-mail addresses may sign in with the institution."""
    st.markdown("**Sign in with your institution: allowed e-mail domains**")
    if not institution.configured():
        st.caption(
            "Institution sign-in is off: it needs an `[auth]` section in "
            '`.streamlit/secrets.toml` (see the README, "Sign in with your institution"). '
            "Rules added here apply once it is on."
        )
    with store.transaction() as db:
        rules = sign_in_domain_service.list_domains(db, actor=actor)
    if not rules:
        st.info(
            "No domain may sign in with the institution yet. Add your school's domain below, "
            "e.g. `students.school.edu` as Student and `school.edu` as Teacher.",
            icon=":material/domain:",
        )
    for rule in rules:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            # A checked domain in a code span: nothing in it can link.
            st.markdown(f"`@{rule.domain}` signs in as **{rule.role.value}**", width="stretch")
            st.button(
                "Remove",
                key=f"remove_domain_{rule.id}",
                on_click=auth.guarded(_remove_domain),
                args=(actor, rule.id, rule.domain),
            )
    errors = st.session_state.get("domain_errors", {})
    with st.form("domain_form"):
        left, right = st.columns([2, 1])
        with left:
            st.text_input("E-mail domain", key="domain_name", placeholder="e.g. school.edu")
            ui.field_error(errors, "domain")
        with right:
            st.selectbox(
                "Their role",
                [Role.student.value, Role.teacher.value],
                key="domain_role",
                format_func=str.capitalize,
                help="Set at their first sign-in; admins are never made by domain.",
            )
        st.form_submit_button(
            "Allow domain", key="add_domain", on_click=auth.guarded(_add_domain), args=(actor,)
        )
