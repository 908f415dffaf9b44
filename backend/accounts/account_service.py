"""Accounts and log-in: argon2id hashes, a password policy, throttled log-ins and sign-ups,
first-run setup."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from backend import access, event_log
from backend.actor import UserRead
from backend.config import get_settings
from backend.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from backend.models import Installation, LoginSession, UnsentMessage, User
from backend.models.base import utcnow
from backend.models.enums import Role
from backend.models.user import LoginEndReason
from backend.utils.rate_limiter import RateLimiter, get_rate_limiter
from backend.utils.text import (
    as_shown,
    bounded,
    clean_text,
    drawn,
    has_forbidden_characters,
    is_blank,
)

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_USERNAME_LENGTH = 64
# zxcvbn scores at most this many characters (it slows down sharply on longer input).
_STRENGTH_CHECKED_CHARS = 72
# Words about this product a password should not lean on.
_PRODUCT_WORDS = ["counseling", "counselling", "practice", "student", "teacher"]
# The browser-session key used when a caller does not pass one (tools, scripts).
UNKNOWN_BROWSER = "unknown"

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


@cache
def _dummy_hash() -> str:
    """A real hash to verify against when the username does not exist, so timing does not tell.
    Made by the process's first log-in attempt (whatever its username), not at import: a process
    that only draws pages pays no hash."""
    return _hasher.hash("not-a-real-password")


class UserNotFound(NotFoundError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"No account with id {user_id}.")


def _clean_username(username: str | None) -> str:
    """Stripped and lower-cased, or a field error for control characters or absurd length."""
    return clean_text(
        username, field="username", label="The username", max_chars=MAX_USERNAME_LENGTH
    ).lower()


MAX_DISPLAY_NAME = 120  # users.display_name: a name NFC made longer had crashed PostgreSQL


def _validate_new_account(username: str, display_name: str, password: str) -> tuple[str, str]:
    """The cleaned username and display name, or one `ValidationError` naming every bad field."""
    errors: dict[str, str] = {}
    try:
        username = _clean_username(username)
        if not USERNAME_PATTERN.match(username):
            errors["username"] = (
                "Use 3-64 characters: letters, digits, dot, dash or underscore, starting with a "
                "letter or digit."
            )
    except ValidationError as error:
        errors.update(error.field_errors)
        username = ""  # nothing to compare the password with
    try:
        display_name = as_shown(
            clean_text(display_name, field="display_name", label="The display name", max_chars=120)
        )
        if is_blank(display_name):  # empty, or only what draws nothing (zero-width spaces)
            errors["display_name"] = "Enter the name other people will see."
        elif len(display_name) > MAX_DISPLAY_NAME:  # some letters are stored as two or three
            errors["display_name"] = (
                f"Use at most {MAX_DISPLAY_NAME} characters as the name is stored (some letters "
                "count as two): shorten it a little."
            )
    except ValidationError as error:
        errors.update(error.field_errors)
        display_name = ""
    password_error = _password_problem(password, username=username, display_name=display_name)
    if password_error:
        errors["password"] = password_error
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    return username, display_name


def shown_already(db: Session, display_name: str) -> bool:
    """Whether an account already shows this name, or one that reads the same (`name_key`): a
    new account may not pass for a teacher or a classmate on rosters, History and Class
    progress. (Every name is read: a sign-up's cost, not a page's.)"""
    wanted = name_key(display_name)
    return any(name_key(shown) == wanted for shown in db.scalars(select(User.display_name)))


#: Letters of other scripts that read as Latin ones on screen (lower case, as `casefold` leaves
#: them): "Zоe" with a Cyrillic о had passed for "Zoe" (an attack, 2026-12-07).
_LOOK_ALIKES = str.maketrans(
    "авеёкмнорстухіїјѕԁԛԝһαβεικνορτυχζ", "abeekmhopctyxiijsdqwhabeikvoptuxz"
)


def name_key(name: str) -> str:
    """A name as a reader sees it: compatibility forms folded (fullwidth "Ｚ" is "Z"), case and
    spacing aside, look-alike letters of other scripts read as the Latin ones, what draws
    nothing left out."""
    shown = drawn(as_shown(name))
    folded = unicodedata.normalize("NFKC", shown).casefold().translate(_LOOK_ALIKES)
    return " ".join(folded.split())


NAME_SHOWN_ALREADY = (
    "Another account already shows this name. Add something that tells you apart, such as a "
    "middle initial or your surname in full."
)


def check_password_confirmation(password: str, again: str) -> None:
    """The setup and sign-up screens ask for the password twice: both must match."""
    if password != again:
        message = "The two passwords differ."
        raise ValidationError(message, {"password_again": message})


def _squeezed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _password_problem(password: str, *, username: str = "", display_name: str = "") -> str | None:
    """What is wrong with a new password, said as what to do (None when it is fine).

    The one policy for sign-up, admin-created accounts, password changes and resets: length,
    no control characters, not built from the username or display name, and strong enough by
    zxcvbn (its lists of common passwords, names and words, keyboard patterns and dates).
    """
    if has_forbidden_characters(password):
        return (
            "The password contains an invisible control character (often from pasting). "
            "Type it again."
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters for the password."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters for the password."
    personal = [value for value in (username, display_name) if value]
    squeezed = _squeezed(password)
    if any(len(_squeezed(value)) >= 4 and _squeezed(value) in squeezed for value in personal):
        return (
            "Do not build the password from your username or name. Choose a few unrelated "
            "words instead, e.g. a short sentence only you would think of."
        )
    words = [word for value in personal for word in re.split(r"[\W_]+", value) if word]
    result = zxcvbn(
        password[:_STRENGTH_CHECKED_CHARS], user_inputs=[*personal, *words, *_PRODUCT_WORDS]
    )
    if result["score"] < get_settings().password_min_strength:
        warning = (result["feedback"].get("warning") or "This password is easy to guess.").strip()
        return (
            f"{warning.rstrip('.')}. Choose a longer password that is hard to guess: three "
            "or four unrelated words work well."
        )
    return None


USERNAME_TAKEN = "The username '{}' is taken. Choose another."


def _insert_user(
    db: Session, *, username: str, display_name: str, password: str, role: Role
) -> User:
    username, display_name = _validate_new_account(username, display_name, password)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=_hasher.hash(password),
        is_active=True,
    )
    try:
        with db.begin_nested():
            db.add(user)
            db.flush()
    except IntegrityError:
        raise ConflictError(USERNAME_TAKEN.format(username)) from None
    return user


# First-run setup --------------------------------------------------------------------------------
SETUP_DONE = "Setup is already done. Log in with an existing account."
SETUP_BY_OPERATOR = (
    "This site already has accounts, so its admin is created on the server: "
    "python -m backend.cli create-admin."
)


def has_users(db: Session) -> bool:
    """False on a fresh install (no account of any role)."""
    return db.scalar(select(User.id).limit(1)) is not None


def needs_setup(db: Session) -> bool:
    """True only on a new installation: no account of any role. Once accounts exist (after
    `seed-demo` or a restore) a site may be serving users, so the admin comes from the operator's
    `create-admin`, never from a web form anyone could open."""
    return not has_users(db)


def has_admin(db: Session) -> bool:
    return db.scalar(select(User.id).where(User.role == Role.admin).limit(1)) is not None


def _claim_installation(db: Session) -> Installation | None:
    """Insert the one installation row; None when it exists (another setup got there first).

    On PostgreSQL a racing INSERT waits for the first transaction and then fails on the primary
    key; on SQLite writers queue at BEGIN IMMEDIATE. Either way one claim wins.
    """
    try:
        with db.begin_nested():
            installation = Installation(id=1)
            db.add(installation)
            db.flush()
    except IntegrityError:
        return None
    return installation


def create_first_admin(db: Session, *, username: str, display_name: str, password: str) -> UserRead:
    """First-run setup (anyone who can reach the app): allowed only while no admin exists, and
    to exactly one of several simultaneous attempts."""
    if not needs_setup(db):
        raise PermissionDeniedError(SETUP_DONE if has_admin(db) else SETUP_BY_OPERATOR)
    with db.begin_nested():  # a refused or invalid setup leaves no claim behind
        installation = _claim_installation(db)
        if installation is None:
            raise PermissionDeniedError(SETUP_DONE)
        user = _insert_user(
            db,
            username=username,
            display_name=display_name,
            password=password,
            role=Role.admin,
        )
        installation.first_admin_id = user.id
        user.last_login_at = utcnow()  # the setup logs the new admin in
    event_log.record(
        db, "info", "accounts", f"First admin '{user.username}' created.", user_id=user.id
    )
    return UserRead.model_validate(user)


def create_admin_by_operator(
    db: Session, *, username: str, display_name: str, password: str
) -> UserRead:
    """`python -m backend.cli create-admin`: whoever runs commands on the server may add an admin
    at any time, whatever the database holds; it also ends the first-run setup."""
    user = _insert_user(
        db, username=username, display_name=display_name, password=password, role=Role.admin
    )
    installation = db.get(Installation, 1) or _claim_installation(db)
    if installation is not None and installation.first_admin_id is None:
        installation.first_admin_id = user.id
    event_log.record(
        db,
        "info",
        "accounts",
        f"Admin '{user.username}' created from the command line.",
        user_id=user.id,
    )
    return UserRead.model_validate(user)


def create_user(
    db: Session,
    *,
    actor: UserRead | None,
    username: str,
    display_name: str,
    password: str,
    role: Role,
) -> UserRead:
    """An admin creates an account of any role."""
    admin = access.require(db, actor, "administration", "use")
    user = _insert_user(
        db, username=username, display_name=display_name, password=password, role=Role(role)
    )
    event_log.record(
        db,
        "info",
        "accounts",
        f"{admin.username} created {role} account '{user.username}'.",
        user_id=admin.id,
        details={"new_user_id": user.id},
    )
    return UserRead.model_validate(user)


def sign_up_student(
    db: Session,
    *,
    join_code: str,
    username: str,
    display_name: str,
    password: str,
    browser: str | None = None,
    limiter: RateLimiter | None = None,
) -> UserRead:
    """Self-service sign-up for students; the join code enrolls them in its section.

    Throttled per browser session (`browser`) and per join code, because "that username is taken"
    tells whoever has a code which usernames exist. The section's seat limit holds under
    concurrent sign-ups (see `section_service.enroll`); a refused sign-up leaves no account.
    """
    from backend.classes import section_service

    limiter = limiter or get_rate_limiter()
    limiter.admit_sign_up(_browser_key_for_limits(browser))
    section = section_service.find_section_by_code(db, join_code)
    # Fields are checked before the code's count: a weak password tells nothing of who has an
    # account, and a class correcting its first tries had used up the code's allowance by its
    # 31st student. A username taken or a name shown already does tell, so they come after it
    # (an attack, 2026-12-07).
    cleaned, shown = _validate_new_account(username, display_name, password)
    limiter.admit_sign_up_with_code(section.join_code)
    if db.scalar(select(User.id).where(User.username == cleaned)) is not None:
        raise ConflictError(USERNAME_TAKEN.format(cleaned))
    if shown_already(db, shown):
        raise ValidationError(NAME_SHOWN_ALREADY, {"display_name": NAME_SHOWN_ALREADY})
    user = _insert_user(
        db,
        username=username,
        display_name=display_name,
        password=password,
        role=Role.student,
    )
    section_service.enroll(db, section_id=section.id, student_id=user.id)
    return UserRead.model_validate(user)


def new_browser_key() -> str:
    """A random key for one browser session, which it passes as `browser` to log in or sign up."""
    return secrets.token_urlsafe(16)


def _browser_key_for_limits(browser: str | None) -> str:
    """The caller's browser session as a bounded rate-limit key."""
    return bounded(browser or UNKNOWN_BROWSER, 80)


def _password_epoch(user: User | None) -> str:
    """Which password the account has (a digest of its hash's digest), so that a browser's
    log-in count is for that password: a reset, what the lock-out message advises, or a change
    starts it afresh (a reset had left the owner refused for minutes in the tab they were told to
    wait in, as it lifted only the username's shared slow-down)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:12] if user else "-"


def authenticate(
    db: Session,
    *,
    username: str,
    password: str,
    browser: str | None = None,
    device: str | None = None,
    limiter: RateLimiter | None = None,
) -> UserRead:
    """Check a password in constant time, after the attempt has been admitted by the limits.

    `device` is the token a browser got from `remember_device` when it last logged in to this
    account: such a browser has its own allowance and is not slowed by guesses from elsewhere.

    `browser` is the browser session asking (the page passes its own key). One browser that keeps
    guessing is stopped for minutes; the username's own limit, shared by all browsers, only
    slows guessing down for seconds, so nobody can lock the owner out.
    """
    limiter = limiter or get_rate_limiter()
    username = _clean_username(username)
    user = db.scalar(select(User).where(User.username == username))
    browser_key = f"{_browser_key_for_limits(browser)}:{_password_epoch(user)}"
    known = _known_device(user, device)
    # The atomic count decides, before any password hash is checked.
    limiter.admit_login(username, browser_key, device=known)
    dummy_hash = _dummy_hash()  # whoever asks: the first attempt's time tells no name apart
    try:
        # An account made by institution sign-in has no hash to check: the dummy stands in, so
        # its username answers as slowly as an unknown one (an attack, 2026-12-07).
        checkable = user is not None and user.has_password
        _hasher.verify(user.password_hash if checkable and user else dummy_hash, password)
        verified = checkable
    except (VerificationError, InvalidHashError):
        verified = False
    if user is None or not verified:
        raise AuthenticationError("Wrong username or password.").log_event(
            "warning", "auth", "Failed log-in.", details={"username": bounded(username, 80)}
        )
    if not user.is_active:
        raise AuthenticationError("This account has been deactivated. Ask an admin for help.")
    limiter.login_succeeded(username, browser_key, device=known)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return UserRead.model_validate(user)


# Device tokens (OWASP's "device cookies"): nonce.HMAC(password hash, account and nonce). Keyed
# by the account's current password hash, so a new password forgets every browser, and nothing
# is stored: the hash never leaves the server, and a token names no account by itself.
DEVICE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}\.[0-9a-f]{64}$")


def remember_device(db: Session, *, actor: UserRead | None) -> str:
    """A token for the browser that just logged in, to send with its next log-ins."""
    user = db.get_one(User, access.require(db, actor, "account", "use").id)
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_device_mac(user, nonce)}"


def _device_mac(user: User, nonce: str) -> str:
    message = f"device:{user.id}:{user.username}:{nonce}".encode()
    return hmac.new(user.password_hash.encode(), message, hashlib.sha256).hexdigest()


def _known_device(user: User | None, token: str | None) -> str | None:
    """The token's nonce when it is this account's (None for anything else)."""
    if user is None or not token or not DEVICE_TOKEN.fullmatch(token):
        return None
    nonce, mac = token.split(".")
    return nonce if hmac.compare_digest(mac, _device_mac(user, nonce)) else None


def get_user(db: Session, *, actor: UserRead | None, user_id: int) -> UserRead:
    """Users read themselves; admins read anyone."""
    actor = access.require(db, actor, "account", "read")
    user = db.get(User, user_id)
    refuse = "You can only view your own account."
    if user is None:
        raise PermissionDeniedError(refuse) if not actor.is_admin else UserNotFound(user_id)
    access.require(db, actor, "account", "read", user, refuse=refuse)
    return UserRead.model_validate(user)


def list_users(db: Session, *, actor: UserRead | None, role: Role | None = None) -> list[UserRead]:
    access.require(db, actor, "administration", "use")
    query = select(User).order_by(User.role, User.username)
    if role is not None:
        query = query.where(User.role == role)
    return [UserRead.model_validate(user) for user in db.scalars(query)]


def change_password(
    db: Session,
    *,
    actor: UserRead | None,
    current_password: str,
    new_password: str,
    limiter: RateLimiter | None = None,
) -> str:
    """Set a new password, end every log-in of the account (other tabs and devices), and return
    a fresh log-in token for the page that changed it. Tries at the current password are counted
    before it is checked (an attack, 2026-12-07)."""
    actor = access.require(db, actor, "account", "use")
    user = db.get(User, actor.id)
    if user is None:
        raise UserNotFound(actor.id)
    if not user.has_password:
        raise ConflictError(
            "This account signs in through your institution and has no password here. "
            "An admin can set one if you also need to log in with a password."
        )
    # The new password is checked first: its refusals tell nothing of the current one, and
    # counted they had locked out an owner typing the right one (an attack on the day's fixes).
    problem = _password_problem(
        new_password, username=user.username, display_name=user.display_name
    )
    if problem:
        raise ValidationError(problem, {"new_password": problem})
    (limiter or get_rate_limiter()).admit_current_password(user.username, _password_epoch(user))
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationError("The current password is not right.") from None
    user.password_hash = _hasher.hash(new_password)
    _revoke_all(db, user.id, LoginEndReason.password_changed)
    return start_login_session(db, actor=actor)


def reset_password(
    db: Session,
    *,
    actor: UserRead | None,
    user_id: int,
    new_password: str,
    limiter: RateLimiter | None = None,
) -> str | None:
    """An admin sets a new password (and lifts any lock-out); the account's log-ins end. An
    admin who reset their own gets a fresh log-in token for the page that did it (it had logged
    them out, "An admin reset your password": an attack, 2026-12-07), as Change password does."""
    admin = access.require(db, actor, "administration", "use")
    user = db.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    problem = _password_problem(
        new_password, username=user.username, display_name=user.display_name
    )
    if problem:
        raise ValidationError(problem, {"new_password": problem})
    user.password_hash = _hasher.hash(new_password)
    _revoke_all(db, user.id, LoginEndReason.password_reset)  # old log-ins end
    (limiter or get_rate_limiter()).clear_failed_logins(user.username)
    event_log.record(
        db,
        "info",
        "accounts",
        f"{admin.username} reset the password of '{user.username}'.",
        user_id=admin.id,
    )
    return start_login_session(db, actor=admin) if user.id == admin.id else None


def set_active(db: Session, *, actor: UserRead | None, user_id: int, active: bool) -> UserRead:
    """Deactivate (or reactivate) an account; its history stays."""
    admin = access.require(db, actor, "administration", "use")
    if admin.id == user_id and not active:
        raise ConflictError("You cannot deactivate your own account.")
    user = db.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    if not active and user.role == Role.admin:
        _keep_an_admin(db, acting=admin.id, leaving=user.id)
    user.is_active = active
    if not active:
        _revoke_all(db, user.id, LoginEndReason.deactivated)
    state = "reactivated" if active else "deactivated"
    event_log.record(
        db,
        "info",
        "accounts",
        f"{admin.username} {state} '{user.username}'.",
        user_id=admin.id,
    )
    return UserRead.model_validate(user)


def _keep_an_admin(db: Session, *, acting: int, leaving: int) -> None:
    """Refuse a deactivation that would leave no active admin. The active admins' rows are
    locked and read again, so two admins deactivating each other at once are taken one after
    the other: the second finds itself deactivated (both had succeeded, and nobody was left to
    open the Accounts page)."""
    admins = db.scalars(
        select(User.id)
        .where(User.role == Role.admin, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if acting not in admins:
        raise PermissionDeniedError("Your account has been deactivated. Ask an admin for help.")
    if not [admin for admin in admins if admin != leaving]:
        raise ConflictError("One admin must stay active: make another admin first.")


# Log-ins that survive a reload -----------------------------------------------------------------
class LoginEnded(AuthenticationError):
    """The log-in an open page relies on stopped working; the message says why."""

    level = "warning"


_ENDED = {
    LoginEndReason.logged_out: "You logged out (perhaps in another tab), so this page was logged "
    "out too. Log in again to continue.",
    LoginEndReason.password_changed: "Your password was changed, so you were logged out here. "
    "Log in with the new password.",
    LoginEndReason.password_reset: "An admin reset your password, so you were logged out. Log in "
    "with the new password they give you.",
    LoginEndReason.deactivated: "Your account has been deactivated, so you were logged out. Ask "
    "an admin for help.",
}
_UNKNOWN = "Your log-in has ended. Log in again to continue."


def _revoke_all(db: Session, user_id: int, reason: LoginEndReason) -> None:
    """End every live log-in of the user (every tab and device); their next run logs them out,
    and the words they kept unsent go (`unsent_service`)."""
    db.execute(
        delete(UnsentMessage).where(
            UnsentMessage.login_session_id.in_(
                select(LoginSession.id).where(LoginSession.user_id == user_id)
            )
        )
    )
    db.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), end_reason=reason)
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _find_login(db: Session, token: str | None) -> LoginSession | None:
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    return db.scalar(select(LoginSession).where(LoginSession.token_hash == _token_hash(token)))


def start_login_session(db: Session, *, actor: UserRead | None) -> str:
    """A random token for the browser to keep; only its hash is stored, and it expires."""
    actor = access.require(db, actor, "account", "use")
    # Words kept by log-ins that have expired (anyone's: their owner may never come back) can
    # never be read again: they go. The few rows kept are read, each log-in by its key.
    db.execute(
        delete(UnsentMessage).where(
            exists().where(
                LoginSession.id == UnsentMessage.login_session_id,
                LoginSession.expires_at <= utcnow(),
            )
        )
    )
    token = secrets.token_urlsafe(32)
    db.add(
        LoginSession(
            token_hash=_token_hash(token),
            user_id=actor.id,
            expires_at=utcnow() + timedelta(hours=login_hours()),
        )
    )
    db.flush()
    return token


def login_hours() -> float:
    """How long a log-in lasts (the cookie keeping it lasts as long)."""
    return get_settings().login_session_hours


def check_login(db: Session, token: str | None) -> UserRead:
    """The user behind a live token, as the database has them now.

    Raises `LoginEnded` (saying why) when the token is unknown, revoked, expired, or its account
    is deactivated. Pages call this on every run, callback and fragment.
    """
    login = _find_login(db, token)
    if login is None:
        raise LoginEnded(_UNKNOWN)
    if login.revoked_at is not None:
        reason = login.end_reason
        raise LoginEnded(_UNKNOWN if reason is None else _ENDED.get(reason, _UNKNOWN))
    if login.expires_at <= utcnow():
        raise LoginEnded(
            f"Your log-in expired (log-ins last {login_hours():g} hours). Log in again to continue."
        )
    user = db.get(User, login.user_id)
    if user is None or not user.is_active:
        raise LoginEnded(_ENDED[LoginEndReason.deactivated])
    return UserRead.model_validate(user)


def resume_login_session(db: Session, token: str | None) -> UserRead | None:
    """The user behind a live token (None when unknown, expired, revoked or deactivated)."""
    try:
        return check_login(db, token)
    except LoginEnded:
        return None


def end_login_session(db: Session, token: str | None) -> None:
    """Log out: the token stops working at once (for every tab that shares it)."""
    login = _find_login(db, token)
    if login is not None and login.revoked_at is None:
        login.revoked_at = utcnow()
        login.end_reason = LoginEndReason.logged_out
        db.execute(delete(UnsentMessage).where(UnsentMessage.login_session_id == login.id))


def live_login_id(db: Session, token: str | None, actor: UserRead) -> int | None:
    """The id of `actor`'s log-in behind `token` while it is live (None otherwise)."""
    login = _find_login(db, token)
    if (
        login is None
        or login.user_id != actor.id
        or login.revoked_at is not None
        or login.expires_at <= utcnow()
    ):
        return None
    return login.id
