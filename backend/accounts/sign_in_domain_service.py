"""Institution sign-in (OpenID Connect): which e-mail domains may sign in and as which role, and
the mapping of a signed-in identity to a local account.

The page hands over the identity's claims (what `st.user` holds); this module decides. The first
sign-in creates the account with the role its domain's rule gives and binds the identity (its
provider's issuer and subject) to it; later sign-ins find it by that identity, whatever address
it has now. An address is only how an unbound account (an admin's link, or one from before
identities were kept) is found, once: an address another identity is bound to is refused, as an
institution may give it to another person. The rules are checked at every sign-in, so removing
one stops that domain at once (its accounts and history stay, and a password still works where
one was set). A sign-in lasts as long as a log-in: Streamlit keeps the identity for 30 days.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import access, event_log
from backend.accounts import account_service
from backend.actor import UserRead
from backend.config import get_settings
from backend.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from backend.models import SignInDomain, User
from backend.models.base import utcnow
from backend.models.enums import Role
from backend.models.user import NO_PASSWORD
from backend.utils.text import as_shown, has_forbidden_characters

# Roles a domain rule may give: an admin is never made by e-mail domain.
DOMAIN_ROLES = (Role.student, Role.teacher)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)+{_LABEL}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@(?P<domain>[^@\s]+)$")
_USERNAME_CHARS = re.compile(r"[^a-z0-9._-]+")


class SignInDomainRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    domain: str
    role: Role
    created_at: datetime


class SignInDomainNotFound(NotFoundError):
    def __init__(self, domain_id: int) -> None:
        super().__init__(f"No sign-in rule with id {domain_id} (perhaps already removed).")


class SignInRefused(AuthenticationError):
    """Institution sign-in said no; `reason` is a short code the log-in page may keep."""

    level = "warning"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# Domain rules (admins) --------------------------------------------------------------------------
def normalize_domain(domain: str | None) -> str:
    """`@Example.EDU ` -> `example.edu`, or a field error saying what to type."""
    value = (domain or "").strip().lower().lstrip("@").rstrip(".")
    if not _DOMAIN.match(value) or has_forbidden_characters(value):
        message = (
            "Type the part of the e-mail address after the @, e.g. school.edu (letters, digits, "
            "dashes and dots; write international names in their xn-- form)."
        )
        raise ValidationError(message, {"domain": message})
    return value


def list_domains(db: Session, *, actor: UserRead | None) -> list[SignInDomainRead]:
    access.require(db, actor, "administration", "use")
    rules = db.scalars(select(SignInDomain).order_by(SignInDomain.domain))
    return [SignInDomainRead.model_validate(rule) for rule in rules]


def add_domain(
    db: Session, *, actor: UserRead | None, domain: str, role: Role | str
) -> SignInDomainRead:
    """Let people whose verified e-mail ends in @domain sign in, as `role` (student or teacher)."""
    admin = access.require(db, actor, "administration", "use")
    domain = normalize_domain(domain)
    if Role(role) not in DOMAIN_ROLES:
        message = "A domain can give the student or the teacher role; make admins one by one."
        raise ValidationError(message, {"role": message})
    rule = SignInDomain(domain=domain, role=Role(role), created_by_id=admin.id)
    try:
        with db.begin_nested():
            db.add(rule)
            db.flush()
    except IntegrityError:
        raise ConflictError(
            f"{domain} already has a rule. Remove it first to change its role."
        ) from None
    event_log.record(
        db,
        "info",
        "accounts",
        f"{admin.username} let {domain} sign in as {rule.role.value}.",
        user_id=admin.id,
    )
    return SignInDomainRead.model_validate(rule)


def remove_domain(db: Session, *, actor: UserRead | None, domain_id: int) -> SignInDomainRead:
    """Stop a domain's institution sign-ins (its accounts stay; deactivate them to lock them)."""
    admin = access.require(db, actor, "administration", "use")
    rule = db.get(SignInDomain, domain_id)
    if rule is None:
        raise SignInDomainNotFound(domain_id)
    removed = SignInDomainRead.model_validate(rule)
    db.delete(rule)
    db.flush()
    event_log.record(
        db,
        "info",
        "accounts",
        f"{admin.username} stopped institution sign-in for {removed.domain}.",
        user_id=admin.id,
    )
    return removed


def role_for_domain(db: Session, domain: str) -> Role | None:
    return db.scalar(select(SignInDomain.role).where(SignInDomain.domain == domain.lower()))


# Signing in ------------------------------------------------------------------------------------
def trusted_issuers() -> set[str]:
    """Issuers whose e-mail claims count as verified without `email_verified` (settings)."""
    raw = get_settings().institution_trusted_issuers
    return {issuer.strip().rstrip("/") for issuer in raw.split(",") if issuer.strip()}


def _refuse(message: str, reason: str, domain: str | None = None) -> SignInRefused:
    details = {"reason": reason, **({"domain": domain} if domain else {})}
    error = SignInRefused(message, reason)
    error.log_event("warning", "auth", "Institution sign-in refused.", details=details)
    return error


# Linking an existing account (admins) ----------------------------------------------------------
def set_account_email(
    db: Session, *, actor: UserRead | None, user_id: int, email: str | None
) -> UserRead:
    """Link an account to the institution address it signs in with (empty: unlink).

    Accounts made by a first sign-in are linked already; this lets an account made with a
    password (an admin's own, say) sign in through the institution too, keeping its role. The
    address's domain still needs a rule to sign in."""
    admin = access.require(db, actor, "administration", "use")
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError("That account no longer exists.")
    value = (email or "").strip().lower() or None
    if value is not None:
        match = _EMAIL.match(value)
        if (
            match is None
            or len(value) > 254
            or not _DOMAIN.match(match["domain"])
            or has_forbidden_characters(value)
        ):
            message = "Type the whole address they sign in with, e.g. ada@school.edu."
            raise ValidationError(message, {"email": message})
        holder = db.scalar(select(User).where(User.email == value, User.id != user.id))
        if holder is not None:
            raise ConflictError(f"'{holder.username}' already signs in with {value}.")
    # Whoever signs in with the address next is bound to it: the same address saved again too
    # (a person whose identity changed, the app registered again, had stayed refused: an attack
    # on the day's fixes, 2026-12-07).
    user.identity_issuer = user.identity_subject = None
    user.email = value
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # linked to another account meanwhile
        raise ConflictError(f"Another account already signs in with {value}.") from None
    event_log.record(
        db,
        "info",
        "accounts",
        f"{admin.username} {'linked' if value else 'unlinked'} the institution address of "
        f"'{user.username}'.",
        user_id=admin.id,
    )
    return UserRead.model_validate(user)


def _verified_email(claims: Mapping[str, object], trusted: Collection[str]) -> str:
    """The identity's e-mail address, lower-case, if the provider vouches for it."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise _refuse(
            "Your institution did not tell us your e-mail address, so we cannot find your "
            "account. Ask the platform's admin (the sign-in must share the e-mail address).",
            "no_email",
        )
    email = email.strip().lower()
    match = _EMAIL.match(email)
    if match is None or len(email) > 254 or has_forbidden_characters(email):
        raise _refuse("Your institution sent an e-mail address we cannot use.", "bad_email")
    verified = claims.get("email_verified")
    issuer = str(claims.get("iss") or "").rstrip("/")
    # A trusted issuer stands in for a missing claim only: an explicit "no" is always refused.
    said = str(verified).lower() if verified is not None else None
    if not (said == "true" or (said is None and issuer and issuer in trusted)):
        raise _refuse(
            f"Your institution has not confirmed that {email} is yours, so it cannot be used "
            "to sign in. Sign in with an account whose address is verified, or ask the "
            "platform's admin.",
            "unverified",
            match["domain"],
        )
    return email


def _identity(claims: Mapping[str, object], domain: str) -> tuple[str, str]:
    """The identity's issuer (without a trailing slash) and subject: OpenID Connect always
    sends both, and together they name one person for good."""
    issuer = str(claims.get("iss") or "").strip().rstrip("/")
    subject = str(claims.get("sub") or "").strip()
    if not issuer or not subject or len(issuer) > 500 or len(subject) > 255:
        raise _refuse(
            "Your institution did not say who you are, so we cannot find your account. Ask "
            "the platform's admin.",
            "no_subject",
            domain,
        )
    return issuer, subject


def _still_signed_in(claims: Mapping[str, object], now: datetime, domain: str) -> None:
    """A sign-in older than a log-in's hours is over (a password log-in would have ended)."""
    hours = account_service.login_hours()
    if (issued := _issued_at(claims.get("iat"))) is None or issued < now - timedelta(hours=hours):
        institution = get_settings().institution_name.strip() or "your institution"
        raise _refuse(
            f"Your sign-in with {institution} has ended (sign-ins last {hours:g} hours). "
            "Please sign in again.",
            "expired",
            domain,
        )


def _issued_at(value: object) -> datetime | None:
    """The ID token's `iat` as a time (None: missing, or no time at all)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):  # 10**20, nan: never a crash
        return None


def sign_in_with_identity(
    db: Session,
    *,
    claims: Mapping[str, object],
    trusted: Collection[str] | None = None,
    now: datetime | None = None,
) -> UserRead:
    """The local account of a signed-in identity (created at its first sign-in).

    Refused (`SignInRefused`, with an event that names the domain, never a token) when the
    e-mail is missing or unverified, its domain has no rule, the identity is older than a
    log-in's hours or names no subject, the address belongs to another identity's account, or
    the account is deactivated.
    """
    email = _verified_email(claims, trusted_issuers() if trusted is None else trusted)
    domain = email.rsplit("@", 1)[1]
    _still_signed_in(claims, now or utcnow(), domain)
    role = role_for_domain(db, domain)
    if role is None:
        raise _refuse(
            f"Accounts from {domain} may not sign in here. Sign in with your school account, "
            "or ask the platform's admin to allow your domain.",
            "domain",
            domain,
        )
    issuer, subject = _identity(claims, domain)
    user = db.scalar(
        select(User).where(User.identity_issuer == issuer, User.identity_subject == subject)
    ) or _bound_by_address(db, email, issuer, subject, domain)
    if user is None:
        user = _create_account(
            db, email=email, identity=(issuer, subject), name=claims.get("name"), role=role
        )
    if not user.is_active:
        raise _refuse(
            "Your account has been deactivated. Ask an admin for help.", "deactivated", domain
        )
    if user.email != email:
        _follow_address(db, user, email, domain)
    user.last_login_at = utcnow()
    return UserRead.model_validate(user)


def _bound_by_address(
    db: Session, email: str, issuer: str, subject: str, domain: str
) -> User | None:
    """The unbound account with this address, bound to the identity now (None: no account)."""
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        return None
    if user.identity_subject is not None:
        raise _taken(email, domain)
    user.identity_issuer, user.identity_subject = issuer, subject
    return user


def _taken(email: str, domain: str) -> SignInRefused:
    return _refuse(
        f"Another account here already signs in with {email}. Ask the platform's admin: "
        "your institution may have given the address to you after someone else.",
        "taken",
        domain,
    )


def _follow_address(db: Session, user: User, email: str, domain: str) -> None:
    """The same person's new address (a change of name): their account takes it, unless another
    account signs in with it."""
    if db.scalar(select(User.id).where(User.email == email, User.id != user.id)) is not None:
        raise _taken(email, domain)
    user.email = email
    event_log.record(
        db,
        "info",
        "accounts",
        f"'{user.username}' now signs in with a new institution address.",
        user_id=user.id,
    )


def _create_account(
    db: Session, *, email: str, identity: tuple[str, str], name: object, role: Role
) -> User:
    """A new account for a first sign-in; a simultaneous first sign-in may win the race."""
    local = email.split("@", 1)[0]
    display_name = as_shown(name)[:120] if isinstance(name, str) else ""
    if not display_name or has_forbidden_characters(display_name):
        display_name = local[:120]
    if account_service.shown_already(db, display_name):  # never another account's name
        # The address tells them apart; a long one is cut, never the name to nothing (an
        # address over 117 characters had made it " (address)", or crashed PostgreSQL).
        named = f"{display_name[: max(120 - len(email) - 3, 40)]} ({email})"
        display_name = named if len(named) <= 120 else named[:118] + "…)"
    for attempt in range(5):
        user = User(
            username=_free_username(db, local, attempt),
            email=email,
            identity_issuer=identity[0],
            identity_subject=identity[1],
            display_name=display_name,
            role=role,
            password_hash=NO_PASSWORD,
            is_active=True,
        )
        try:
            with db.begin_nested():
                db.add(user)
                db.flush()
        except IntegrityError:  # a simultaneous first sign-in of the same person won
            existing = db.scalar(
                select(User).where(
                    User.identity_issuer == identity[0], User.identity_subject == identity[1]
                )
            )
            if existing is not None:
                return existing
            if db.scalar(select(User.id).where(User.email == email)) is not None:
                raise _taken(email, email.rsplit("@", 1)[1]) from None
            continue  # the username was taken meanwhile: another one
        event_log.record(
            db,
            "info",
            "accounts",
            f"{role.value.title()} account '{user.username}' created at its first institution "
            "sign-in.",
            user_id=user.id,
        )
        return user
    raise ConflictError("Could not create your account just now. Try again.")


def _free_username(db: Session, local: str, attempt: int) -> str:
    """A valid username from the address's local part, numbered when it is taken."""
    base = _USERNAME_CHARS.sub(".", local.lower()).strip("._-")[:56] or "user"
    if len(base) < 3:
        base = f"{base}.user"
    if attempt:
        base = f"{base}-{secrets.randbelow(9000) + 1000}"
    candidate, number = base, 1
    while db.scalar(select(User.id).where(User.username == candidate)) is not None:
        number += 1
        candidate = f"{base}{number}"
    return candidate
