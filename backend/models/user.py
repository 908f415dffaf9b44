"""Accounts: teachers, students and admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, IdMixin, UTCDateTime, utcnow
from backend.models.enums import Role, sql_in


class User(IdMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Usernames are stored lower-case so uniqueness is case-insensitive on every backend.
        CheckConstraint("username = lower(username)", name="username_lowercase"),
        CheckConstraint(f"role IN ({sql_in(Role)})", name="role_valid"),
    )

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginSession(IdMixin, Base):
    """A log-in that survives a page reload: the browser keeps a random token, we keep its hash."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
