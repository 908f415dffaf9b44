"""Accounts: teachers, students and admins; their log-ins; the installation's first admin."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, UTCDateTime, enum_type, utcnow
from backend.models.enums import Role

#: What `password_hash` holds for an account made by institution sign-in: no password matches it
#: (an admin may set one later with "Reset password").
NO_PASSWORD = "!institution-sign-in"


class User(IdMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Usernames are stored lower-case so uniqueness is case-insensitive on every backend.
        CheckConstraint("username = lower(username)", name="username_lowercase"),
        # E-mail too (institution sign-in finds the account by it), so `unique` ignores case.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # One account per institution identity (its provider's issuer and subject).
        UniqueConstraint("identity_issuer", "identity_subject"),
    )

    username: Mapped[str] = mapped_column(String(64), unique=True)
    # Set by the first institution sign-in (a verified address); None for password-only accounts.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(enum_type(Role, length=16, check="role_valid"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who signs in with it: the identity's issuer and subject, bound at its first institution
    # sign-in (an address may later be given to someone else; a subject never is). Last, after
    # the id, as their migration added them (`sort_order`).
    identity_issuer: Mapped[str | None] = mapped_column(String(500), sort_order=1)
    identity_subject: Mapped[str | None] = mapped_column(String(255), sort_order=2)

    @property
    def has_password(self) -> bool:
        """False for an account made by institution sign-in until an admin sets a password."""
        return self.password_hash != NO_PASSWORD


class LoginEndReason(StrEnum):
    """Why a log-in stopped working before it expired (the open tab tells its user)."""

    logged_out = "logged_out"
    password_changed = "password_changed"
    password_reset = "password_reset"
    deactivated = "deactivated"


class LoginSession(IdMixin, Base):
    """A log-in that survives a page reload: the browser keeps a random token (in a cookie), we
    keep its hash. Every run, callback and fragment of an open page checks it is still live."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[LoginEndReason | None] = mapped_column(
        enum_type(LoginEndReason, length=24, check="end_reason_valid")
    )


class Installation(Base):
    """At most one row (id 1), inserted in the same transaction as the first admin: two setups
    racing each other cannot both insert it, so exactly one of them creates an admin."""

    __tablename__ = "installations"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInDomain(IdMixin, Base):
    """An e-mail domain whose people may sign in with their institution, and as which role
    (student or teacher; admins are never made by domain). Stored lower-case."""

    __tablename__ = "sign_in_domains"
    __table_args__ = (
        CheckConstraint("domain = lower(domain)", name="domain_lowercase"),
        CheckConstraint("role IN ('student', 'teacher')", name="role_not_admin"),
    )

    domain: Mapped[str] = mapped_column(String(253), unique=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, length=16, check="role_valid"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
