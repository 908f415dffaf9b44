"""The one error hierarchy. Every message is written for the person who will read it in the UI."""

from __future__ import annotations

from typing import Any

#: How a message says whom to tell about a set-up failure the reader cannot fix: written as a
#: student reads it, and said again for the other roles by `addressed`.
TELL_SOMEONE = "Please tell your teacher or an admin."
_TELL_BY_ROLE = {
    "teacher": "Please tell an admin.",
    "admin": "Press Test connection on the Health page to see what the API says.",
}


def addressed(text: str, role: str | None) -> str:
    """`text` as a person of `role` should read it: a teacher has no teacher to tell, and an
    admin is the one to look (a student, or nobody logged in, reads it as written)."""
    tell = _TELL_BY_ROLE.get(str(role)) if role else None
    return text.replace(TELL_SOMEONE, tell) if tell else text


class AppError(Exception):
    """Base of every error a service raises on purpose; `str(error)` is safe to show."""

    #: How the UI should show it: "error" or "warning".
    level = "error"
    #: Whether the same request, made again, may succeed (False: refused for what it is, so a
    #: page offers no Retry).
    asking_again_helps = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        #: An event to persist even though the action's transaction rolls back (see `log_event`).
        self.event: dict[str, Any] | None = None  # `event_log.record`'s arguments

    def log_event(self, severity: str, category: str, message: str, **fields: object) -> AppError:
        """Attach an event that `unit_of_work` writes after rolling the action back."""
        self.event = {"severity": severity, "category": category, "message": message, **fields}
        return self


class NotFoundError(AppError):
    """The thing asked for does not exist (or the caller may not know that it does)."""


class PermissionDeniedError(AppError):
    """The caller is known but may not do this."""


class AuthenticationError(AppError):
    """Wrong username or password, or an inactive account."""


class ValidationError(AppError):
    """Input that cannot be accepted; `field_errors` maps a field name to its message."""

    level = "warning"

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class ConflictError(AppError):
    """The request clashes with what is stored (a duplicate name, a finished session)."""

    level = "warning"


class RateLimitedError(AppError):
    """Too many requests; `retry_after_seconds` says when to try again."""

    level = "warning"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class BudgetExceededError(AppError):
    """A daily token or cost budget is used up."""

    level = "warning"


class SettingsError(AppError):
    """A setting in `.env` or the environment cannot be read: the app and every command stop
    with one sentence per setting to fix, never a traceback."""


class ServiceUnavailableError(AppError):
    """An outside service (the model API, the database) cannot answer now."""

    def __init__(self, message: str, *, category: str = "unknown", retryable: bool = True) -> None:
        super().__init__(message)
        self.category = category
        self.retryable = retryable
