"""One settings object, read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import limits
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.errors import SettingsError
from backend.utils.singleton import process_wide

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "app.db"
_EMAIL = re.compile(r"[^@\s<>()\[\]\\,;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_DATABASE_URL = re.compile(r"[\w+]+://")  # what SQLAlchemy's URL parser needs to begin with
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
# Settings whose value a message about them must not repeat.
_SECRET_SETTING = re.compile(r"KEY|PASSWORD|SECRET|TOKEN|URL")
_HTTPS_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s<>\"()]*)?")


class PriceOverride(BaseModel):
    """One model's prices in MODEL_PRICES_JSON, USD per million tokens; a cache price left out
    derives from the input price (`backend.llm.pricing`)."""

    model_config = ConfigDict(extra="forbid")

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_write_5m: Decimal | None = Field(default=None, ge=0)
    cache_write_1h: Decimal | None = Field(default=None, ge=0)
    cache_read: Decimal | None = Field(default=None, ge=0)


PRICE_OVERRIDES = TypeAdapter(dict[str, PriceOverride])
PRICES_FORM = 'MODEL_PRICES_JSON must look like {"model": {"input": 1.0, "output": 5.0}}'
RATE_LIMIT_FIELDS = (
    "user_rate_limit",
    "global_rate_limit",
    "login_browser_rate_limit",
    "login_username_rate_limit",
    "signup_code_rate_limit",
    "signup_browser_rate_limit",
    "problem_report_rate_limit",
)


class Settings(BaseSettings):
    """Every knob of the product; names match the environment variables (case-insensitive)."""

    # The .env file is chosen in `get_settings` (ENV_FILE points elsewhere; tests use /dev/null).
    model_config = SettingsConfigDict(
        env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Storage
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # PostgreSQL connections each app process keeps for its pages (a fixed pool: past it, a
    # transaction waits), and how many more it may open for a burst and close again. Size them
    # against the server's max_connections (README, "Sizing the database pool").
    database_pool_size: int = Field(default=10, ge=1, le=1000)
    database_max_overflow: int = Field(default=0, ge=0, le=1000)
    redis_url: str | None = None

    # Anthropic
    anthropic_api_key: SecretStr | None = None
    # Another endpoint for the Messages API (a proxy or gateway); empty uses Anthropic's own.
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-haiku-4-5"
    # The model that writes session reviews (a structured answer through a forced tool).
    # FEEDBACK_MODEL is its old name, still read (deprecated: "feedback" now means students' ratings).
    review_model: str = Field(
        default="claude-haiku-4-5", validation_alias=AliasChoices("REVIEW_MODEL", "FEEDBACK_MODEL")
    )
    # The model that judges a client check's probe conversations (a forced tool, like reviews).
    judge_model: str = "claude-haiku-4-5"
    review_max_tokens: int = Field(
        default=4000,
        ge=256,
        le=32000,
        validation_alias=AliasChoices("REVIEW_MAX_TOKENS", "FEEDBACK_MAX_TOKENS"),
    )
    # Reviews held for the teacher (assignments whose reviews students see after the teacher
    # releases them) are written through the Message Batches API at half price, usually within
    # minutes; off: every review is a normal call. Reviews students see at once never wait.
    review_batches: bool = True
    # How often the job writing a held review asks the API whether its batch has ended.
    review_batch_poll_seconds: float = Field(default=30.0, gt=0)
    anthropic_max_tokens: int = Field(default=300, ge=16, le=8192)
    anthropic_max_retries: int = Field(default=2, ge=0, le=10)
    # How long one attempt may wait for the first byte of the answer (and between chunks).
    anthropic_timeout_seconds: float = Field(default=20.0, gt=0)
    # The whole reply, retries included: past this the student sees a notice and a Retry.
    reply_timeout_seconds: float = Field(default=45.0, gt=0)
    # Prompt caching TTL for the conversation prefix: "5m" or "1h".
    anthropic_cache_ttl: str = Field(default="5m", pattern=r"^(5m|1h)$")
    # USD per million tokens, JSON: {"model": {"input": 1, "output": 5, ...}}; merged over the defaults.
    model_prices_json: str = ""

    # Circuit breaker in front of the API
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_cooldown_seconds: float = Field(default=30.0, ge=0)

    # Conversations
    message_max_chars: int = Field(default=2000, ge=1)
    context_token_budget: int = Field(default=12000, ge=500)
    # The output guard stops a reply sharing this many consecutive words with the hidden
    # information (before it is earned) or with the role-play instructions.
    output_guard_words: int = Field(default=6, ge=3, le=50)

    # Rate limits (moving window, `limits` notation)
    user_rate_limit: str = "10/minute"
    global_rate_limit: str = "300/minute"
    # Log-in attempts (right or wrong) one browser session may make for one username, and that all
    # browsers together may make for one username: an attacker's own browser is stopped, and
    # guessing from many browsers only slows the username down for seconds (see the README).
    login_browser_rate_limit: str = Field(
        default="5/5 minutes",
        validation_alias=AliasChoices("LOGIN_BROWSER_RATE_LIMIT", "LOGIN_CLIENT_RATE_LIMIT"),
    )
    login_username_rate_limit: str = "10/minute"
    # Sign-up attempts per join code and per browser session (a taken username is an answer too).
    signup_code_rate_limit: str = "60/10 minutes"
    signup_browser_rate_limit: str = Field(
        default="10/10 minutes",
        validation_alias=AliasChoices("SIGNUP_BROWSER_RATE_LIMIT", "SIGNUP_CLIENT_RATE_LIMIT"),
    )
    # Problem reports one account may send ("Report a problem"): room for a person reporting a
    # real problem again, not for a script burying the admins' list.
    problem_report_rate_limit: str = "5/10 minutes"
    # Weakest password accepted, on zxcvbn's 0-4 scale (3: about 10^8 guesses or more).
    password_min_strength: int = Field(default=3, ge=0, le=4)
    # How long a log-in lasts, in hours (its token is kept in a cookie, never in the address).
    login_session_hours: float = Field(default=12, gt=0)
    # Institution sign-in (OpenID Connect, configured in .streamlit/secrets.toml; see the README):
    # the name on the "Sign in with ..." button, and the issuers (`iss`) whose e-mail addresses
    # are trusted without an `email_verified` claim (Microsoft Entra sends none), comma-separated.
    institution_name: str = ""
    institution_trusted_issuers: str = ""

    # Who testers and users contact for help: an e-mail address or an https:// address, shown on
    # the log-in page, in every role's sidebar and in the app menu ("Get help", "Report a bug").
    support_contact: str = ""

    # Seconds between the admin figures' automatic refreshes (when the admin turns it on).
    dashboard_refresh_seconds: int = Field(default=30, ge=1)

    # Budgets
    # Tokens as the API counts them: prompt-cache reads count in full though they cost a tenth,
    # so a cached conversation turn (about 5,500 tokens, mostly the cached client prompt) counts
    # far more than it costs; 1,000,000 is about 15 practice sessions a day. 0: no limit.
    user_daily_token_budget: int = Field(default=1_000_000, ge=0)
    # Client checks have an allowance of their own, per teacher and UTC day (a check counts only
    # there, never in the practice allowance): a check is about 150,000 tokens, so 2,000,000 is
    # about 13 checks a day. 0: no limit.
    check_daily_token_budget: int = Field(default=2_000_000, ge=0)
    global_daily_cost_budget_usd: Decimal = Field(default=Decimal("20"), ge=0)
    # Below 1: a budget used up alerts by itself (at 1 no threshold alert could ever be logged,
    # the refusal coming first: an attack, 2026-12-07).
    budget_alert_threshold: float = Field(default=0.8, gt=0, lt=1)

    # Alerts to the operator, outside the app (budget threshold, breaker opening, readiness red
    # and back, a daily cost summary): a webhook (Slack- and Teams-compatible: a JSON `text`)
    # and/or e-mail over SMTP. Empty: no alerts are sent (they stay in the event log).
    alert_webhook_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    alert_smtp_host: str = ""
    alert_smtp_port: int = Field(default=587, ge=1, le=65535)
    # STARTTLS before log-in (port 587); off only for a relay on the same host or network.
    alert_smtp_starttls: bool = True
    alert_smtp_user: str = ""
    alert_smtp_password: SecretStr | None = None
    alert_email_from: str = ""
    # Comma-separated addresses.
    alert_email_to: str = ""
    # The same alert (say, the breaker opening again) is sent at most once in this window.
    alert_dedupe_minutes: float = Field(default=60, gt=0)
    # Retries of a failed delivery, the first after this many seconds, then doubling.
    alert_retries: int = Field(default=3, ge=0, le=10)
    alert_retry_seconds: float = Field(default=5.0, ge=0)
    alert_timeout_seconds: float = Field(default=10.0, gt=0)
    # The readiness endpoint (`python -m backend.cli watch`) for the proxy and the container's
    # health check; it also checks readiness this often to alert on red and back.
    readiness_port: int = Field(default=8502, ge=1, le=65535)
    readiness_check_seconds: float = Field(default=30.0, gt=0)
    # On SIGTERM (`python -m mvp.serve`) an app process finishes the replies it is streaming for
    # at most this long, then lets another process take over the rest and exits. Compose's
    # stop_grace_period must be longer (it is this plus 5 s).
    shutdown_grace_seconds: float = Field(default=25.0, ge=0)

    @field_validator(
        "anthropic_api_key", "anthropic_base_url", "redis_url", "alert_smtp_password", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_has_its_scheme(cls, value: str | None) -> str | None:
        """`localhost:6379`, as hosting dashboards show an address, broke readiness at its
        first round; the value is not echoed (it may hold a password)."""
        if value is not None and not value.startswith(_REDIS_SCHEMES):
            raise ValueError(
                "REDIS_URL must start with redis://, rediss:// or unix:// "
                "(for example redis://localhost:6379/0)"
            )
        return value

    @field_validator("support_contact", mode="before")
    @classmethod
    def _support_contact_is_an_address(cls, value: object) -> object:
        """An e-mail address or an https URL (a `mailto:` prefix is dropped), or empty."""
        text = str(value or "").strip().removeprefix("mailto:")
        if text and not (_EMAIL.fullmatch(text) or _HTTPS_URL.fullmatch(text)):
            raise ValueError(
                "SUPPORT_CONTACT must be an e-mail address (help@school.edu) or an https:// "
                f"address, not {text[:80]!r}"
            )
        return text

    @field_validator(*RATE_LIMIT_FIELDS)
    @classmethod
    def _rate_limit_is_limits_notation(cls, value: str, info: ValidationInfo) -> str:
        """Read when the app starts, not at the first log-in or message."""
        try:
            parsed = limits.parse_many(value)
        except ValueError:
            parsed = []
        # One limit of at least 1: the limiter applies only the first of several ("300/minute;
        # 2000/hour" had dropped the hourly cap unseen), and 0 refused every message (an
        # attack, 2026-12-07).
        if len(parsed) != 1 or parsed[0].amount < 1:
            raise ValueError(
                f"{str(info.field_name).upper()} must be one limit like '10/minute' or "
                f"'5/5 minutes' (a number of at least 1, '/', a period), not {value[:80]!r}"
            )
        return value

    @field_validator("model_prices_json")
    @classmethod
    def _prices_are_readable(cls, value: str) -> str:
        if value.strip():
            try:
                PRICE_OVERRIDES.validate_json(value)
            except PydanticValidationError as error:
                where = error.errors()[0]
                place = ".".join(str(part) for part in where["loc"])
                raise ValueError(
                    f"{PRICES_FORM} (cache_write_5m, cache_write_1h and cache_read optional); "
                    f"{place or 'the value'}: {where['msg']}"
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _sqlite_relative_to_project(cls, value: str) -> str:
        """`sqlite:///data/app.db` means the project's data folder, wherever the app starts;
        `postgres://` and `postgresql://` (what hosting platforms inject) use the installed
        driver, psycopg 3. One without `scheme://` is refused here, naming the setting, not in
        SQLAlchemy's traceback at the first connection (the value is not echoed: it may hold a
        password)."""
        if not _DATABASE_URL.match(value):
            raise ValueError(
                "DATABASE_URL must look like sqlite:///data/app.db or "
                "postgresql+psycopg://user:password@host:5432/name"
            )
        for scheme in ("postgres://", "postgresql://"):
            if value.startswith(scheme):
                return "postgresql+psycopg://" + value.removeprefix(scheme)
        prefix = "sqlite:///"
        if (
            value.startswith(prefix)
            and not value.startswith(prefix + "/")
            and ":memory:" not in value
        ):
            return prefix + str(PROJECT_ROOT / value[len(prefix) :])
        return value

    @model_validator(mode="after")
    def _alert_email_complete(self) -> Settings:
        if self.alert_smtp_host and not (self.alert_email_from and self.alert_recipients):
            raise ValueError(
                "ALERT_SMTP_HOST is set: set ALERT_EMAIL_FROM and ALERT_EMAIL_TO too (the sender "
                "and the comma-separated recipients of the alerts), or leave ALERT_SMTP_HOST empty."
            )
        return self

    @property
    def support_url(self) -> str | None:
        """The support contact as a link: `mailto:` for an e-mail address; None when unset."""
        if not self.support_contact:
            return None
        if self.support_contact.startswith("https://"):
            return self.support_contact
        return f"mailto:{self.support_contact}"

    @property
    def alert_recipients(self) -> list[str]:
        return [address.strip() for address in self.alert_email_to.split(",") if address.strip()]

    @property
    def demo_mode(self) -> bool:
        """No API key: a local responder plays the client (labelled as demo in the UI)."""
        return self.anthropic_api_key is None


@process_wide()
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing env.

    `ENV_FILE` is read now, not at import, so a test (or an operator) can point it elsewhere.
    A value that cannot be read raises `SettingsError`, which the app and the commands show."""
    try:
        return Settings(_env_file=os.environ.get("ENV_FILE", PROJECT_ROOT / ".env"))
    except PydanticValidationError as error:
        raise SettingsError(settings_problems(error)) from None


def settings_problems(error: PydanticValidationError) -> str:
    """What to fix, one line per setting, named as the operator writes it in `.env`."""
    lines = []
    for problem in error.errors():
        said = str(problem["msg"]).removeprefix("Value error, ")
        name = str(problem["loc"][0]).upper() if problem["loc"] else ""
        if name and name not in said:
            shown = str(problem.get("input", ""))
            value = "" if _SECRET_SETTING.search(name) else f" (it is {shown[:80]!r})"
            said = f"{name}: {said}{value}"
        lines.append(f"- {said}")
    return "A setting cannot be read. Fix it in .env or the environment:\n" + "\n".join(lines)
