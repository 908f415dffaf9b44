"""Failures of a model call, as categories with a message a student can act on (never a secret)."""

from __future__ import annotations

import re
from enum import StrEnum

from backend.errors import TELL_SOMEONE, ServiceUnavailableError
from backend.llm.usage import Completion


class ErrorCategory(StrEnum):
    authentication = "authentication"
    permission = "permission"  # permission or billing
    rate_limited = "rate_limited"
    overloaded = "overloaded"
    timeout = "timeout"
    connection = "connection"
    bad_request = "bad_request"
    not_found = "not_found"  # the model (or endpoint) does not exist: configuration
    invalid_setting = "invalid_setting"  # a 400 naming a setting an admin chose (max_tokens...)
    server_error = "server_error"  # HTTP 5xx
    malformed = "malformed"  # HTTP 200 whose body could not be read
    unavailable = "unavailable"  # the breaker is open
    unknown = "unknown"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    ErrorCategory.authentication: "API key refused",
    ErrorCategory.permission: "permission or billing",
    ErrorCategory.rate_limited: "rate limited",
    ErrorCategory.overloaded: "overloaded",
    ErrorCategory.timeout: "timed out",
    ErrorCategory.connection: "network problem",
    ErrorCategory.bad_request: "request refused",
    ErrorCategory.not_found: "model not found",
    ErrorCategory.invalid_setting: "setting refused",
    ErrorCategory.server_error: "server error",
    ErrorCategory.malformed: "unreadable answer",
    ErrorCategory.unavailable: "paused after repeated errors",
    ErrorCategory.unknown: "unknown error",
}
#: Failures of set-up, not of the service: they never open the breaker (a wrong key is no outage).
CONFIGURATION_ERRORS = frozenset(
    {
        ErrorCategory.authentication,
        ErrorCategory.permission,
        ErrorCategory.not_found,
        ErrorCategory.invalid_setting,
    }
)


USER_MESSAGES = {
    ErrorCategory.authentication: "The practice service is not set up correctly (its API key was "
    f"refused). {TELL_SOMEONE}",
    ErrorCategory.permission: "The practice service's account cannot be used right now (permission "
    f"or billing). {TELL_SOMEONE}",
    ErrorCategory.rate_limited: "The AI service is receiving too many requests. Wait a minute, "
    "then press Retry.",
    ErrorCategory.overloaded: "The AI service is overloaded right now. Wait a moment, then press "
    "Retry.",
    ErrorCategory.timeout: "The AI service took too long to answer. Press Retry to try again.",
    ErrorCategory.connection: "Could not reach the AI service (network problem). Check the "
    "connection, then press Retry.",
    ErrorCategory.bad_request: "The AI service refused this request as it is (too long, or not "
    "allowed), so asking again will not help; an admin can see the details.",
    ErrorCategory.not_found: "The practice service is not set up correctly (its AI model was not "
    f"found). {TELL_SOMEONE}",
    ErrorCategory.invalid_setting: "The practice service is not set up correctly (the AI service "
    f"refused one of its settings). {TELL_SOMEONE}",
    ErrorCategory.server_error: "The AI service had an internal error. Wait a moment, then press "
    "Retry.",
    ErrorCategory.malformed: "The AI service sent an answer that could not be read. Press Retry "
    "to ask again.",
    ErrorCategory.unavailable: "The AI service is unavailable for a short while after repeated "
    "errors. Please try again in about {seconds} seconds.",
    ErrorCategory.unknown: "Something went wrong with the AI service. Press Retry to try again.",
}


class GatewayError(ServiceUnavailableError):
    """A failed call, with what an admin needs (category, status, request id) and no secrets."""

    def __init__(
        self,
        category: ErrorCategory,
        *,
        status: int | None = None,
        request_id: str | None = None,
        detail: str = "",
        retry_after: int = 0,
    ) -> None:
        message = USER_MESSAGES[category].format(seconds=retry_after or 30)
        retryable = category not in CONFIGURATION_ERRORS | {ErrorCategory.bad_request}
        super().__init__(message, category=category.value, retryable=retryable)
        self.kind = category
        # A request the API refuses as it is (400, 413) fails the same way every time. A set-up
        # problem (key, billing, model) is not that: once an admin fixes it, asking again works.
        self.asking_again_helps = category != ErrorCategory.bad_request
        self.status = status
        self.request_id = request_id
        self.detail = detail
        self.retry_after = retry_after
        # A call that failed after the API billed it (an answer without the forced tool call):
        # its `Completion`, so that what it cost is still counted.
        self.billed: Completion | None = None

    @property
    def severity(self) -> str:
        return "warning" if self.retryable else "critical"

    @property
    def summary(self) -> str:
        """For the error log: 'Reply failed: server error (HTTP 500)'."""
        return self.failed("Reply")

    def failed(self, what: str) -> str:
        """For the error log: '<what> failed: server error (HTTP 500)'."""
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{what} failed: {self.kind.label}{status}"

    def event_details(self, **extra: object) -> dict[str, object]:
        """What the error log shows of it (status, request id, the API's message), never a
        secret; every purpose logs these."""
        return {
            "request_id": self.request_id,
            "status": self.status,
            "detail": self.detail,
            "retryable": self.retryable,
            **extra,
        }


def classify(error: BaseException) -> GatewayError:
    """Map any failure of a call to a category and a message a student can act on.

    Not only `anthropic.APIError`: a malformed HTTP 200 surfaces as `AssertionError` (streaming) or
    `JSONDecodeError` (non-streaming), and must become a notice, an event and a Retry too.
    """
    if isinstance(error, GatewayError):
        return error
    import anthropic  # here, not at the top: pages that never call the API never load the SDK

    request_id = getattr(error, "request_id", None)
    status = getattr(error, "status_code", None)
    detail = _api_error_message(error)
    if isinstance(error, anthropic.APITimeoutError):
        category = ErrorCategory.timeout
    elif isinstance(error, anthropic.APIConnectionError):
        category = ErrorCategory.connection
    elif isinstance(error, anthropic.AuthenticationError):
        category = ErrorCategory.authentication
    elif isinstance(error, (anthropic.PermissionDeniedError, anthropic.PaymentRequiredError)):
        category = ErrorCategory.permission
    elif isinstance(error, anthropic.RateLimitError):
        category = ErrorCategory.rate_limited
    elif isinstance(error, anthropic.OverloadedError):
        category = ErrorCategory.overloaded
    elif status == 400 and _out_of_credit(detail):
        # The API says so with a 400 invalid_request_error, but it is the account's billing:
        # an admin's to fix, and then asking again works.
        category = ErrorCategory.permission
    elif status == 400 and _names_a_setting(detail):
        # Not the request as it is but a setting an admin chose ("max_tokens: 32000 > 8192, which
        # is the maximum allowed..."): once it is fixed, asking again works.
        category = ErrorCategory.invalid_setting
    elif isinstance(error, anthropic.BadRequestError) or status == 413:
        # 413 (too large to send), also from a proxy whose body is no API error: asking again
        # cannot help.
        category = ErrorCategory.bad_request
    elif isinstance(error, anthropic.NotFoundError):
        category = ErrorCategory.not_found
    elif isinstance(error, anthropic.APIStatusError):
        kind = _api_error_type(error)
        fallback = ErrorCategory.server_error if (status or 0) >= 500 else ErrorCategory.unknown
        category = {
            "overloaded_error": ErrorCategory.overloaded,
            "rate_limit_error": ErrorCategory.rate_limited,
            "timeout_error": ErrorCategory.timeout,
            "api_error": ErrorCategory.server_error,
            "request_too_large": ErrorCategory.bad_request,
            "invalid_request_error": ErrorCategory.bad_request,
        }.get(kind, fallback)
    elif isinstance(
        error,
        (AssertionError, ValueError, KeyError, TypeError, anthropic.APIResponseValidationError),
    ):
        category = ErrorCategory.malformed
    else:
        category = ErrorCategory.unknown
    return GatewayError(category, status=status, request_id=request_id, detail=detail)


def _out_of_credit(detail: str) -> bool:
    """The API's words for an account whose prepaid credit ran out ("Your credit balance is too
    low to access the Anthropic API...")."""
    return "credit balance" in detail.lower()


#: How the API names a parameter it refused, and how it says the request is too long instead (which
#: may name max_tokens too: "input length and `max_tokens` exceed context limit").
_SETTING = re.compile(r"\b(?:max_tokens|model|temperature|top_[pk]|thinking|budget_tokens)\b")
_TOO_LONG = re.compile(r"too long|too large|exceed|context (?:limit|window|length)|input length")


def _names_a_setting(detail: str) -> bool:
    text = detail.lower()
    return bool(_SETTING.search(text)) and not _TOO_LONG.search(text)


def _api_error_type(error: BaseException) -> str:
    """The API's error type (`overloaded_error`, ...), or "" when the body names none."""
    body = getattr(error, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    kind = inner.get("type") if isinstance(inner, dict) else None
    return kind if isinstance(kind, str) else ""


def _api_error_message(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:500]
    return f"{type(error).__name__}: {str(error)[:200]}"
