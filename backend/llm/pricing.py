"""Model prices as data, and the cost of a reply from the API's own usage numbers.

Prices are USD per million tokens. Settings can override or add models (`MODEL_PRICES_JSON`);
a model without a price is *unpriced*: its cost is None, never a silent zero.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

from pydantic import ValidationError as PydanticValidationError

from backend.config import PRICE_OVERRIDES, PRICES_FORM
from backend.llm.usage import Usage

MILLION = Decimal(1_000_000)
CACHE_WRITE_5M_MULTIPLIER = Decimal("1.25")
CACHE_WRITE_1H_MULTIPLIER = Decimal("2")
CACHE_READ_MULTIPLIER = Decimal("0.1")
#: The Message Batches API bills every kind of token (cache writes and reads too) at half price.
BATCH_MULTIPLIER = Decimal("0.5")
DEMO_MODEL = "demo"


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens for each kind of token; a model priced by prompt length has the
    prices of a call whose prompt is over `long_prompt_over` tokens as `long_prompt`."""

    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    long_prompt_over: int | None = None
    long_prompt: ModelPrice | None = None

    def for_prompt(self, prompt_tokens: int) -> ModelPrice:
        """The prices every token of a call with this prompt size pays."""
        if self.long_prompt and self.long_prompt_over and prompt_tokens > self.long_prompt_over:
            return self.long_prompt
        return self

    def over(self, prompt_tokens: int, long_prompt: ModelPrice) -> ModelPrice:
        """These prices up to `prompt_tokens` tokens of prompt, `long_prompt`'s above."""
        return replace(self, long_prompt_over=prompt_tokens, long_prompt=long_prompt)

    @classmethod
    def from_base(cls, input_price: str | Decimal, output_price: str | Decimal) -> ModelPrice:
        """Derive cache prices from the input price with the API's standard multipliers."""
        base = Decimal(input_price)
        return cls(
            input=base,
            output=Decimal(output_price),
            cache_write_5m=base * CACHE_WRITE_5M_MULTIPLIER,
            cache_write_1h=base * CACHE_WRITE_1H_MULTIPLIER,
            cache_read=base * CACHE_READ_MULTIPLIER,
        )


DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-haiku-4-5": ModelPrice.from_base("1.00", "5.00"),
    # Anthropic's Haiku 5.5 overview: a prompt over 100,000 tokens (input, cache writes and
    # reads) pays five times as much for every token of the call, output included.
    "claude-haiku-5-5": ModelPrice.from_base("0.10", "0.50").over(
        100_000, ModelPrice.from_base("0.50", "2.50")
    ),
    "claude-sonnet-4-5": ModelPrice.from_base("3.00", "15.00"),
    "claude-sonnet-4-6": ModelPrice.from_base("3.00", "15.00"),
    "claude-sonnet-5": ModelPrice.from_base("2.00", "10.00"),
    "claude-sonnet-5-5": ModelPrice.from_base("2.00", "10.00"),
    **{
        model: ModelPrice.from_base("5.00", "25.00")
        for model in (
            "claude-opus-4-5",
            "claude-opus-4-6",
            "claude-opus-4-7",
            "claude-opus-4-8",
            "claude-opus-5",
        )
    },
    DEMO_MODEL: ModelPrice.from_base("0", "0"),
}


def parse_price_overrides(raw_json: str) -> dict[str, ModelPrice]:
    """`{"model": {"input": 1, "output": 5, "cache_read": 0.1, ...}}` (MODEL_PRICES_JSON, checked
    when the settings are read); missing cache prices derive from the input price."""
    if not raw_json.strip():
        return {}
    try:
        overrides = PRICE_OVERRIDES.validate_json(raw_json)
    except PydanticValidationError as error:
        raise ValueError(PRICES_FORM) from error
    prices = {}
    for model, entry in overrides.items():
        base = ModelPrice.from_base(entry.input, entry.output)
        prices[model] = ModelPrice(
            input=base.input,
            output=base.output,
            cache_write_5m=_given(entry.cache_write_5m, base.cache_write_5m),
            cache_write_1h=_given(entry.cache_write_1h, base.cache_write_1h),
            cache_read=_given(entry.cache_read, base.cache_read),
        )
    return prices


def _given(price: Decimal | None, derived: Decimal) -> Decimal:
    return derived if price is None else price


@lru_cache(maxsize=8)
def price_table(overrides_json: str = "") -> dict[str, ModelPrice]:
    return {**DEFAULT_PRICES, **parse_price_overrides(overrides_json)}


def _normalise(model: str) -> str:
    """Dated snapshots (`claude-haiku-4-5-20251001`) share their alias's price."""
    parts = model.split("-")
    if parts and parts[-1].isdigit() and len(parts[-1]) == 8:
        return "-".join(parts[:-1])
    return model


def price_for(model: str, overrides_json: str = "") -> ModelPrice | None:
    table = price_table(overrides_json)
    return table.get(model) or table.get(_normalise(model))


def calculate_cost(
    model: str, usage: Usage, overrides_json: str = "", *, batch: bool = False
) -> Decimal | None:
    """Exact USD cost of one call (`batch`: answered in a Message Batch, at half price), or None
    when the model has no price."""
    listed = price_for(model, overrides_json)
    if listed is None:
        return None
    price = listed.for_prompt(usage.prompt_tokens)
    per_million = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_5m_tokens * price.cache_write_5m
        + usage.cache_write_1h_tokens * price.cache_write_1h
        + usage.cache_read_tokens * price.cache_read
    )
    if batch:
        per_million *= BATCH_MULTIPLIER
    return per_million / MILLION
