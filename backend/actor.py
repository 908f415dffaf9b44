from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from backend.models.enums import Role


class UserRead(BaseModel):
    """Who is acting; pages keep this (not an ORM object) in `st.session_state`."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    username: str
    email: str | None = None
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None
    has_password: bool = True  # False: made by institution sign-in, no password set here

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def is_teacher(self) -> bool:
        return self.role == Role.teacher

    @property
    def is_student(self) -> bool:
        return self.role == Role.student
