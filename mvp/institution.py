"""Sign in with the institution: Streamlit's OpenID Connect log-in (`st.login`, `st.user`,
`st.logout`) in front of the app's own log-in.

Configured in `.streamlit/secrets.toml` (`[auth]`, see the README); without it nothing here shows.
The identity is only the way in: the service maps its verified e-mail to a local account and the
app's own log-in (token and cookie, as for passwords) follows, so every check downstream is the
same. Signing out ends both. A refused identity is signed out too, so another account can be
tried; its message outlives the reload that `st.logout` causes in a short-lived cookie that holds
a reason code and a domain, nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import NoReturn

import streamlit as st

from backend.accounts import sign_in_domain_service
from backend.accounts.sign_in_domain_service import SignInRefused
from backend.actor import UserRead
from backend.config import get_settings
from mvp.store import transaction
from mvp.ui import safe_markdown

NOTICE_COOKIE = "counseling_sign_in_notice"
_NOTICE = re.compile(r"^(?P<reason>[a-z_]{1,20})(?::(?P<domain>[a-z0-9.-]{1,253}))?$")
_NOTICE_SEEN_KEY = "_sign_in_notice_seen"
_SIGN_OUT_KEY = "institution_sign_out"


def _notice_text(reason: str, domain: str | None) -> str:
    """The refusal again, after the sign-out's reload (the service said it first)."""
    texts = {
        "domain": f"Accounts from {domain or 'that domain'} may not sign in here. Sign in with "
        "your school account, or ask the platform's admin to allow your domain.",
        "unverified": "Your institution has not confirmed that account's e-mail address, so it "
        "cannot be used to sign in. Sign in with another account, or ask the platform's admin.",
        "deactivated": "Your account has been deactivated. Ask an admin for help.",
        "expired": f"Your sign-in with {name()} has ended. Please sign in again.",
        "taken": "Another account here already signs in with that address. Ask the platform's "
        "admin: your institution may have given the address to you after someone else.",
        "no_subject": "Your institution did not say who you are, so we cannot find your account. "
        "Ask the platform's admin.",
        "no_email": "Your institution did not tell us your e-mail address, so we cannot find "
        "your account. Ask the platform's admin.",
        "bad_email": "Your institution sent an e-mail address we cannot use. Ask the platform's "
        "admin.",
    }
    return texts.get(reason, "That account cannot sign in here. Try another one.")


def name() -> str:
    """The institution as the pages name it (`INSTITUTION_NAME`)."""
    return get_settings().institution_name.strip() or "your institution"


def configured() -> bool:
    """An `[auth]` section exists (Streamlit then always says whether someone is signed in)."""
    return "is_logged_in" in st.user


def signed_in() -> bool:
    return configured() and bool(st.user.get("is_logged_in"))


def _providers() -> list[str | None]:
    """Named providers (`[auth.NAME]`), or None for the one in `[auth]` itself."""
    try:
        section = st.secrets.get("auth") or {}
    except Exception:  # no secrets file (AppTest seeds `st.user` only)
        return [None]
    named = [
        name
        for name, value in section.items()
        if isinstance(value, Mapping) and "server_metadata_url" in value
    ]
    return named or [None]


def sign_in_options() -> None:
    """The log-in tab's top: a refusal kept across the sign-out, and one button per provider."""
    if not configured():
        return
    _show_notice()
    for provider in _providers():
        label = safe_markdown(provider.replace("-", " ").title() if provider else name())
        if st.button(
            f"Sign in with {label}",
            key=f"sign_in_{provider}" if provider else "institution_sign_in",
            type="primary",
            icon=":material/school:",
            width="stretch",
        ):
            st.login(provider)
    st.caption(
        "Or log in with the username and password you chose when you signed up, or that an "
        "admin gave you:"
    )


def sign_in() -> UserRead | None:
    """The local account of the signed-in identity, or None when nobody signed in with the
    institution. A refusal is shown, and the identity is signed out (this run stops)."""
    if not signed_in():
        return None
    try:
        with transaction(write=True) as db:
            return sign_in_domain_service.sign_in_with_identity(db, claims=st.user.to_dict())
    except SignInRefused as refused:
        domain = (refused.event or {}).get("details", {}).get("domain")
        _refuse(refused.message, f"{refused.reason}:{domain}" if domain else refused.reason)


def sign_out() -> None:
    """End the institution's session too: Streamlit reloads the page, through the provider's
    sign-out when it has one. The run stops here, because a rerun started now could drop the
    redirect before it reaches the browser."""
    if signed_in():
        st.logout()
        st.stop()


def _refuse(message: str, notice: str) -> NoReturn:
    """Say why, keep the reason for after the reload, and sign the identity out.

    The sign-out runs from a button the page clicks once the cookie is written (a plain
    `st.logout()` here could reload the page before the cookie script ran); if scripts are
    blocked, the person clicks it.
    """
    st.title("Counseling practice")
    st.warning(safe_markdown(message), icon=":material/block:")
    st.button("Sign in with another account", key=_SIGN_OUT_KEY, on_click=st.logout)
    if _NOTICE.match(notice):
        name, value = json.dumps(NOTICE_COOKIE), json.dumps(notice)
        selector = json.dumps(f".st-key-{_SIGN_OUT_KEY} button")
        script = (
            f"document.cookie = {name} + '=' + {value} + '; Path=/; Max-Age=600; SameSite=Lax';"
            f"(function click() {{ const b = document.querySelector({selector});"
            " if (b) { b.click(); } else { setTimeout(click, 100); } })();"
        )
        with st.container(key="sign_in_notice_cookie"):
            st.html(
                "<style>.st-key-sign_in_notice_cookie {display: none}</style>"
                f"<script>{script}</script>",
                unsafe_allow_javascript=True,
            )
    st.stop()


def _show_notice() -> None:
    """The refusal kept in the notice cookie, once per browser session; then the cookie goes."""
    if st.session_state.get(_NOTICE_SEEN_KEY):
        return
    st.session_state[_NOTICE_SEEN_KEY] = True
    value = st.context.cookies.get(NOTICE_COOKIE)
    if not isinstance(value, str) or not value:
        return
    match = _NOTICE.match(value)
    if match:
        notice = _notice_text(match["reason"], match["domain"])
        st.warning(safe_markdown(notice), icon=":material/block:")
    name = json.dumps(NOTICE_COOKIE)
    with st.container(key="sign_in_notice_forget"):
        st.html(
            "<style>.st-key-sign_in_notice_forget {display: none}</style>"
            f"<script>document.cookie = {name} + '=; Path=/; Max-Age=0; SameSite=Lax';</script>",
            unsafe_allow_javascript=True,
        )
