"""Who may do what: small checks every service calls before it reads or writes."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from backend.actor import UserRead
from backend.errors import NotFoundError, PermissionDeniedError
from backend.models.enums import Role

_Row = TypeVar("_Row")


def require_user(actor: UserRead | None) -> UserRead:
    """Anyone logged in (and active)."""
    if actor is None:
        raise PermissionDeniedError("Please log in first.")
    if not actor.is_active:
        raise PermissionDeniedError("This account has been deactivated. Ask an admin for help.")
    return actor


def require_role(actor: UserRead | None, *roles: Role) -> UserRead:
    actor = require_user(actor)
    if actor.role not in roles:
        needed = " or ".join(role.value for role in roles)
        raise PermissionDeniedError(f"Only a {needed} can do this.")
    return actor


def require_teacher(actor: UserRead | None) -> UserRead:
    """Teachers author clients and run sections; admins may act for them."""
    return require_role(actor, Role.teacher, Role.admin)


def require_admin(actor: UserRead | None) -> UserRead:
    return require_role(actor, Role.admin)


def require_student(actor: UserRead | None) -> UserRead:
    return require_role(actor, Role.student)


def load_owned(
    db: Session,
    actor: UserRead | None,
    model: type[_Row],
    row_id: int,
    *,
    owner: str,
    missing: NotFoundError,
    foreign: str,
) -> _Row:
    """A teacher's own row (clients, sections), or any row for an admin."""
    teacher = require_teacher(actor)
    row = db.get(model, row_id)
    if row is None:
        raise missing
    if getattr(row, owner) != teacher.id and not teacher.is_admin:
        raise PermissionDeniedError(foreign)
    return row
