"""Settings an operator can get wrong are refused when the app starts, naming the variable and
the form it takes: a rate limit or a price override with a typo started the app, then broke
every log-in (a bare "couldn't parse rate limit string") or every message."""

import pytest
from pydantic import ValidationError

from backend.config import Settings
from backend.llm.pricing import price_table

RATE_LIMITS = (
    "USER_RATE_LIMIT",
    "GLOBAL_RATE_LIMIT",
    "LOGIN_BROWSER_RATE_LIMIT",
    "LOGIN_USERNAME_RATE_LIMIT",
    "SIGNUP_CODE_RATE_LIMIT",
    "SIGNUP_BROWSER_RATE_LIMIT",
    "PROBLEM_REPORT_RATE_LIMIT",
)


@pytest.mark.parametrize("variable", RATE_LIMITS)
def test_a_rate_limit_with_a_typo_is_refused_at_start(monkeypatch, variable):
    monkeypatch.setenv(variable, "10 a minute")
    with pytest.raises(ValidationError, match=rf"{variable} must be one limit like '10/minute'"):
        Settings(_env_file=None)
    monkeypatch.setenv(variable, "5 per 10 minutes")
    assert getattr(Settings(_env_file=None), variable.lower()) == "5 per 10 minutes"


@pytest.mark.parametrize(
    "value",
    [
        '{"claude-haiku-4-5": {"input": 1}}',  # no output price
        '{"claude-haiku-4-5": {"input": "cheap", "output": 5}}',
        '{"claude-haiku-4-5": {"input": 1, "output": 5, "cache_reads": 0.1}}',  # a misspelt kind
        '{"claude-haiku-4-5": {"input": -1, "output": 5}}',
        '["claude-haiku-4-5", 1, 5]',
        "{not json",
    ],
)
def test_a_price_override_that_cannot_be_read_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("MODEL_PRICES_JSON", value)
    with pytest.raises(ValidationError, match="MODEL_PRICES_JSON must look like"):
        Settings(_env_file=None)


def test_a_price_override_is_read_and_its_cache_prices_derive(monkeypatch):
    monkeypatch.setenv("MODEL_PRICES_JSON", '{"my-model": {"input": 2, "output": "8.5"}}')
    price = price_table(Settings(_env_file=None).model_prices_json)["my-model"]
    assert (str(price.input), str(price.output), str(price.cache_read)) == ("2", "8.5", "0.2")
