"""Accounts and log-in: argon2id hashes, lock-out after repeated failures, first-run setup."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import (
    AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError,
)
from backend.config import get_settings
from backend.models import LoginSession, User
from backend.models.base import utcnow
from backend.models.enums import Role
from backend.schemas.accounts import UserRead
from backend.services import event_service
from backend.services.permissions import require_admin, require_user
from backend.utils.rate_limiter import RateLimiter, get_rate_limiter

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# A real hash to verify against when the username does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserNotFound(NotFoundError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"No account with id {user_id}.")


def _normalise_username(username: str) -> str:
    return username.strip().lower()


def _validate_new_account(username: str, display_name: str, password: str) -> None:
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(username):
        errors["username"] = (
            "Use 3-64 characters: letters, digits, dot, dash or underscore, starting with a "
            "letter or digit."
        )
    if not display_name.strip():
        errors["display_name"] = "Enter the name other people will see."
    elif len(display_name.strip()) > 120:
        errors["display_name"] = "Keep the display name under 120 characters."
    password_error = _password_problem(password)
    if password_error:
        errors["password"] = password_error
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)


def _password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters for the password."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters for the password."
    return None


def _insert_user(
    session: Session, *, username: str, display_name: str, password: str, role: Role
) -> User:
    username = _normalise_username(username)
    _validate_new_account(username, display_name, password)
    user = User(
        username=username, display_name=display_name.strip(), role=role.value,
        password_hash=_hasher.hash(password), is_active=True,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise ConflictError(f"The username '{username}' is taken. Choose another.") from None
    return user


def has_users(session: Session) -> bool:
    """False on a fresh install: the app then shows the first-run setup."""
    return session.scalar(select(User.id).limit(1)) is not None


def create_first_admin(
    session: Session, *, username: str, display_name: str, password: str
) -> UserRead:
    """First-run setup: allowed only while no account exists."""
    if has_users(session):
        raise PermissionDeniedError("Setup is already done. Log in with an existing account.")
    user = _insert_user(
        session, username=username, display_name=display_name, password=password, role=Role.admin
    )
    event_service.record(session, "info", "accounts", f"First admin '{user.username}' created.",
                         user_id=user.id)
    return UserRead.model_validate(user)


def create_user(
    session: Session, *, actor: UserRead | None, username: str, display_name: str, password: str,
    role: Role,
) -> UserRead:
    """An admin creates an account of any role."""
    admin = require_admin(actor)
    user = _insert_user(
        session, username=username, display_name=display_name, password=password, role=Role(role)
    )
    event_service.record(session, "info", "accounts",
                         f"{admin.username} created {role} account '{user.username}'.",
                         user_id=admin.id, details={"new_user_id": user.id})
    return UserRead.model_validate(user)


def sign_up_student(
    session: Session, *, join_code: str, username: str, display_name: str, password: str
) -> UserRead:
    """Self-service sign-up for students; the join code enrolls them in its section."""
    from backend.services import section_service

    section = section_service.find_section_by_code(session, join_code)
    user = _insert_user(
        session, username=username, display_name=display_name, password=password,
        role=Role.student,
    )
    section_service.enroll(session, section_id=section.id, student_id=user.id)
    return UserRead.model_validate(user)


def authenticate(
    session: Session, *, username: str, password: str, limiter: RateLimiter | None = None
) -> UserRead:
    """Check a password in constant time; lock the username after repeated failures."""
    limiter = limiter or get_rate_limiter()
    username = _normalise_username(username)
    limiter.check_login_allowed(username)
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        verified = user is not None
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified:
        limiter.record_failed_login(username)
        raise AuthenticationError("Wrong username or password.").log_event(
            "warning", "auth", "Failed log-in.", details={"username": username}
        )
    if not user.is_active:
        raise AuthenticationError("This account has been deactivated. Ask an admin for help.")
    limiter.clear_failed_logins(username)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return UserRead.model_validate(user)


def get_user(session: Session, *, actor: UserRead | None, user_id: int) -> UserRead:
    """Users read themselves; admins read anyone."""
    actor = require_user(actor)
    if actor.id != user_id and not actor.is_admin:
        raise PermissionDeniedError("You can only view your own account.")
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    return UserRead.model_validate(user)


def refresh_actor(session: Session, user_id: int) -> UserRead | None:
    """The current state of a logged-in user (None when gone or deactivated)."""
    user = session.get(User, user_id)
    return UserRead.model_validate(user) if user and user.is_active else None


def list_users(session: Session, *, actor: UserRead | None, role: Role | None = None) -> list[UserRead]:
    require_admin(actor)
    query = select(User).order_by(User.role, User.username)
    if role is not None:
        query = query.where(User.role == role.value)
    return [UserRead.model_validate(user) for user in session.scalars(query)]


def change_password(
    session: Session, *, actor: UserRead | None, current_password: str, new_password: str
) -> None:
    actor = require_user(actor)
    user = session.get(User, actor.id)
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationError("The current password is not right.") from None
    problem = _password_problem(new_password)
    if problem:
        raise ValidationError(problem, {"new_password": problem})
    user.password_hash = _hasher.hash(new_password)


def reset_password(
    session: Session, *, actor: UserRead | None, user_id: int, new_password: str,
    limiter: RateLimiter | None = None,
) -> None:
    """An admin sets a new password (and lifts any lock-out)."""
    admin = require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    problem = _password_problem(new_password)
    if problem:
        raise ValidationError(problem, {"new_password": problem})
    user.password_hash = _hasher.hash(new_password)
    _revoke_all(session, user.id)  # anyone still logged in with the old password is logged out
    (limiter or get_rate_limiter()).clear_failed_logins(user.username)
    event_service.record(session, "info", "accounts",
                         f"{admin.username} reset the password of '{user.username}'.",
                         user_id=admin.id)


def set_active(session: Session, *, actor: UserRead | None, user_id: int, active: bool) -> UserRead:
    """Deactivate (or reactivate) an account; its history stays."""
    admin = require_admin(actor)
    if admin.id == user_id and not active:
        raise ConflictError("You cannot deactivate your own account.")
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    user.is_active = active
    if not active:
        _revoke_all(session, user.id)
    state = "reactivated" if active else "deactivated"
    event_service.record(session, "info", "accounts", f"{admin.username} {state} '{user.username}'.",
                         user_id=admin.id)
    return UserRead.model_validate(user)


# Log-ins that survive a reload -----------------------------------------------------------------
def _revoke_all(session: Session, user_id: int) -> None:
    session.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                               LoginSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login_session(session: Session, *, actor: UserRead | None) -> str:
    """A random token for the browser to keep; only its hash is stored, and it expires."""
    actor = require_user(actor)
    token = secrets.token_urlsafe(32)
    hours = get_settings().login_session_hours
    session.add(LoginSession(token_hash=_token_hash(token), user_id=actor.id,
                             expires_at=utcnow() + timedelta(hours=hours)))
    session.flush()
    return token


def resume_login_session(session: Session, token: str) -> UserRead | None:
    """The user behind a live token (None when unknown, expired, revoked or deactivated)."""
    if not token or len(token) > 200:
        return None
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
    if login is None or login.revoked_at is not None or login.expires_at <= utcnow():
        return None
    return refresh_actor(session, login.user_id)


def end_login_session(session: Session, token: str) -> None:
    """Log out: the token stops working at once."""
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
    if login is not None and login.revoked_at is None:
        login.revoked_at = utcnow()
