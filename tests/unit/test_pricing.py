"""Cost arithmetic against hand-computed values, cache tokens included."""

from decimal import Decimal

import pytest

from backend.llm.pricing import calculate_cost, parse_price_overrides, price_for
from backend.llm.tokens import estimate_messages_tokens, estimate_tokens
from backend.llm.usage import Usage
from backend.utils.formatting import format_duration, format_tokens, format_usd


def test_haiku_cost_with_every_kind_of_token():
    usage = Usage(
        input_tokens=1_000,
        output_tokens=200,
        cache_write_5m_tokens=4_000,
        cache_write_1h_tokens=1_000,
        cache_read_tokens=10_000,
    )
    # 1000*1.00 + 200*5.00 + 4000*1.25 + 1000*2.00 + 10000*0.10 = 10,000 USD per million tokens
    assert calculate_cost("claude-haiku-4-5", usage) == Decimal("0.01")


def test_sonnet_cost_is_exact_to_the_fraction_of_a_cent():
    usage = Usage(input_tokens=1_234, output_tokens=567, cache_read_tokens=89)
    # 1234*3 + 567*15 + 89*0.3 = 3702 + 8505 + 26.7 = 12233.7 per million
    assert calculate_cost("claude-sonnet-4-6", usage) == Decimal("0.0122337")


def test_dated_snapshot_uses_alias_price():
    assert price_for("claude-haiku-4-5-20251001") == price_for("claude-haiku-4-5")


def test_unknown_model_is_unpriced_not_free():
    assert calculate_cost("claude-mystery-9", Usage(input_tokens=10, output_tokens=10)) is None
    assert format_usd(None) == "unpriced"


def test_settings_override_and_add_prices():
    raw = (
        '{"claude-haiku-4-5": {"input": 2, "output": 10}, "new-model": {"input": 1, '
        '"output": 2, "cache_read": 0.5}}'
    )
    assert calculate_cost("claude-haiku-4-5", Usage(input_tokens=1_000_000), raw) == Decimal(2)
    assert price_for("new-model", raw).cache_read == Decimal("0.5")
    assert price_for("new-model", raw).cache_write_5m == Decimal("1.25")


def test_bad_price_override_is_explained():
    with pytest.raises(ValueError, match="MODEL_PRICES_JSON"):
        parse_price_overrides('{"m": {"input": 1}}')


def test_demo_model_costs_zero():
    assert calculate_cost("demo", Usage(input_tokens=500, output_tokens=50)) == Decimal(0)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("12.345"), "$12.35"),
        (Decimal("0.0123449"), "$0.0123"),
        (Decimal("0.0000425"), "$0.000043"),
        (Decimal(0), "$0.00"),
    ],
)
def test_usd_formatting(amount, shown):
    assert format_usd(amount) == shown


def test_token_and_duration_formatting():
    from datetime import timedelta

    assert format_tokens(1234) == "1,234"
    assert format_tokens(2_500_000) == "2.50M"
    assert format_duration(timedelta(minutes=3, seconds=7)) == "3m 07s"
    assert format_duration(timedelta(hours=1, minutes=5)) == "1h 05m"


def test_token_estimate_is_about_four_characters():
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    messages = [
        {"role": "user", "content": "x" * 40},
        {"role": "assistant", "content": [{"type": "text", "text": "y" * 8}]},
    ]
    assert estimate_messages_tokens(messages) == 10 + 2 + 2 * 4


def test_batch_price_is_half_of_every_kind_of_token():
    usage = Usage(
        input_tokens=1_000,
        output_tokens=200,
        cache_write_5m_tokens=4_000,
        cache_write_1h_tokens=1_000,
        cache_read_tokens=10_000,
    )
    assert calculate_cost("claude-haiku-4-5", usage, batch=True) == Decimal("0.005")
    assert calculate_cost("unknown-model", usage, batch=True) is None  # unpriced stays unpriced


def test_haiku_5_5_prices_every_token_of_a_prompt_over_100k_five_times_higher():
    """Anthropic's Haiku 5.5 overview: $0.10 / $0.50 per million input / output tokens for a
    prompt up to 100,000 tokens, $0.50 / $2.50 (and cache prices alike) over it; the product
    priced every call at the short rate, a fifth of a long review's bill. (An attack,
    2026-12-07.)"""
    at_the_line = Usage(input_tokens=60_000, cache_read_tokens=40_000, output_tokens=1_000)
    # 60000*0.10 + 40000*0.01 + 1000*0.50 = 6,900 per million
    assert calculate_cost("claude-haiku-5-5", at_the_line) == Decimal("0.0069")
    over = Usage(
        input_tokens=60_000,
        cache_write_5m_tokens=1,
        cache_read_tokens=40_000,
        output_tokens=1_000,
    )
    # 60000*0.50 + 1*0.625 + 40000*0.05 + 1000*2.50 = 34,500.625 per million
    assert calculate_cost("claude-haiku-5-5", over) == Decimal("0.034500625")
    assert calculate_cost("claude-haiku-5-5", over, batch=True) == Decimal("0.0172503125")
