"""Who is logged in: the log-in, its cookie, and the checks every page, callback and fragment runs.

Within one browser session the user lives in `st.session_state`; across a reload (a new session) a
cookie holding the log-in token brings them back. Nothing secret goes in the address: a copied
link, a screenshot or a shared computer's history carries no log-in. The cookie is written by a
script in the page (so it cannot be HttpOnly) and read from the request that opens the next session
(`st.context.cookies`). Every run, callback and fragment re-checks the token.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import streamlit as st

from backend.accounts import account_service
from backend.actor import UserRead
from backend.errors import AppError
from backend.models.enums import Role
from mvp import institution
from mvp.store import transaction
from mvp.ui import UNEXPECTED, USER_KEY, flash, safe_markdown, typed_in_this_run

logger = logging.getLogger("mvp")

TOKEN_KEY = "login_token"
COOKIE_NAME = "counseling_login"
# A browser that logged in to an account keeps a device token (no account in it, nothing stored on
# the server): its next log-ins are not slowed down by guesses from elsewhere.
DEVICE_COOKIE = "counseling_device"
DEVICE_DAYS = 90
_DEVICE_TODO_KEY = "_device_cookie_todo"
_COOKIE_TODO_KEY = "_login_cookie_todo"  # the cookie to write or delete on the next run
_COOKIE_SEEN_KEY = "_login_cookie_seen"  # this session has looked at its request's cookie
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,200}")  # what `start_login_session` hands out


def current_user() -> UserRead | None:
    return st.session_state.get(USER_KEY)


def log_in(user: UserRead, token: str | None = None) -> None:
    """Remember who is logged in (a new log-in, or `token` from a password change), have the
    browser keep the token in a cookie, and forget the passwords typed on the way."""
    for key in [key for key in st.session_state if "password" in str(key)]:
        del st.session_state[key]
    if token is None:
        with transaction(write=True) as db:
            token = account_service.start_login_session(db, actor=user)
    st.session_state[USER_KEY], st.session_state[TOKEN_KEY] = user, token
    st.session_state[_COOKIE_TODO_KEY] = ("keep", token)


def device_token() -> str | None:
    """The device token this browser sent with its request, if any."""
    token = st.context.cookies.get(DEVICE_COOKIE)
    return token if isinstance(token, str) else None


def remember_device(user: UserRead) -> None:
    """After a password log-in: the browser keeps a device token for this account."""
    with transaction(write=True) as db:
        st.session_state[_DEVICE_TODO_KEY] = account_service.remember_device(db, actor=user)


def log_out(message: str | None = None) -> None:
    """End this log-in (for every tab that shares it), delete its cookie, and keep only a
    parting message."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        with transaction(write=True) as db:
            account_service.end_login_session(db, token)
    st.query_params.clear()  # whatever a page kept there (an open conversation)
    st.session_state.clear()
    st.session_state[_COOKIE_SEEN_KEY] = True  # the request's cookie held this log-in: spent
    if token:
        st.session_state[_COOKIE_TODO_KEY] = ("forget", token)
    if message:
        flash(message, "warning")
    institution.sign_out()  # signed in with the institution: end that session too


def _resume_from_cookie() -> UserRead | None:
    """A new browser session (a reload, another tab): the cookie brings the log-in back."""
    if st.session_state.get(_COOKIE_SEEN_KEY):
        return None
    st.session_state[_COOKIE_SEEN_KEY] = True  # the request's cookies do not change after this
    token = st.context.cookies.get(COOKIE_NAME)
    if not isinstance(token, str) or not token:  # (AppTest's stand-in runtime gives a mock)
        return None
    with transaction() as db:
        user = account_service.resume_login_session(db, token)
    if user is None:  # a value we never issued is deleted whatever it holds
        st.session_state[_COOKIE_TODO_KEY] = ("forget", token if _TOKEN.fullmatch(token) else None)
        return None
    st.session_state[USER_KEY], st.session_state[TOKEN_KEY] = user, token
    return user


NOT_DONE = (
    " What you had just pressed was not done (your changes were not saved): log in and do it again."
)


def check_login(not_done: str = "") -> UserRead | None:
    """The logged-in user as the database has them now, or None (logged out here, with the
    reason kept for the log-in screen) once the log-in ended: logged out elsewhere, password
    changed or reset, account deactivated, or expired. `not_done`: said too, for an action the
    log-in's end stopped (a teacher's Save had seemed done: an attack, 2026-12-07)."""
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        return None
    try:
        with transaction() as db:
            user = account_service.check_login(db, token)
    except account_service.LoginEnded as ended:
        # Not stored, and not shown again (a shared computer): but said, or it seems saved.
        unsent = " The message you had just sent was not sent." if typed_in_this_run() else not_done
        log_out(ended.message + unsent)
        return None
    st.session_state[USER_KEY] = user
    return user


def refresh_user() -> UserRead | None:
    """Every run starts here: the checked log-in of this session, or the one its cookie brings."""
    user = check_login() if TOKEN_KEY in st.session_state else _resume_from_cookie()
    _update_cookie()
    return user


def require_login() -> UserRead:
    """First line of a fragment: its own reruns skip the page's check. Once the log-in has
    ended, the whole app reruns and shows the log-in screen with the reason."""
    user = check_login()
    if user is None:
        st.rerun(scope="app")
    return user


def require_role(*roles: Role) -> UserRead:
    """The page's own check: stop with a message unless the user has one of these roles."""
    user = current_user()
    if user is None or user.role not in roles:
        st.error("You do not have access to this page. Log in with an account that does.")
        st.stop()
    return user


def _update_cookie() -> None:
    """Run the script that writes (or deletes) the log-in cookie, once, when there is one."""
    todo = st.session_state.pop(_COOKIE_TODO_KEY, None)
    if todo is None:
        return
    action, token = todo
    if token is not None and not _TOKEN.fullmatch(token):
        return  # never put anything but a token of ours into the page's script
    # Secure only over https: browsers drop a Secure cookie that plain http sets, except on
    # localhost. The address the browser shows decides (also behind a TLS-terminating proxy).
    secure = "; Secure" if (st.context.url or "").startswith("https://") else ""
    name, value = json.dumps(COOKIE_NAME), json.dumps(token)
    age = int(account_service.login_hours() * 3600)
    delete = f"document.cookie = {name} + '=; Path=/; Max-Age=0; SameSite=Strict{secure}';"
    if action == "keep":
        script = (
            f"document.cookie = {name} + '=' + {value} + '; Path=/; Max-Age={age}; "
            f"SameSite=Strict{secure}';"
        )
    elif token is None:
        script = delete
    else:  # only this log-in's cookie: another tab may have logged in since
        script = f"if (document.cookie.split('; ').includes({name} + '=' + {value})) {delete}"
    device = st.session_state.pop(_DEVICE_TODO_KEY, None)
    if device is not None and account_service.DEVICE_TOKEN.fullmatch(device):
        script += (
            f"document.cookie = {json.dumps(DEVICE_COOKIE)} + '=' + {json.dumps(device)} + "
            f"'; Path=/; Max-Age={DEVICE_DAYS * 86400}; SameSite=Strict{secure}';"
        )
    with st.container(key="login_cookie"):
        st.html(
            f"<style>.st-key-login_cookie {{display: none}}</style><script>{script}</script>",
            unsafe_allow_javascript=True,
        )


_P = ParamSpec("_P")
_R = TypeVar("_R")


def guarded(callback: Callable[_P, _R]) -> Callable[_P, _R | None]:
    """A widget callback whose service errors become a flash message, never a traceback.

    Callbacks run before the page's script, so the log-in is checked here too: once it has
    ended, the callback does nothing and the run that follows shows the log-in screen.
    """

    @wraps(callback)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R | None:
        if TOKEN_KEY in st.session_state and check_login(NOT_DONE) is None:
            return None
        try:
            return callback(*args, **kwargs)
        except AppError as error:
            level = "warning" if error.level == "warning" else "error"
            flash(safe_markdown(error.message), level)  # it may quote someone else's text
        except Exception as error:
            logger.exception("Unexpected error in a callback", exc_info=error)
            flash(UNEXPECTED, "error")
        return None

    return run
