"""Token usage as the API reports it, what every cost is computed from, and a finished call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class Usage(BaseModel):
    """Token usage as the API reports it; cache writes split by lifetime. A field it does not
    have is an error, not silently dropped tokens."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def prompt_tokens(self) -> int:
        """Everything sent: `input_tokens` excludes cached tokens."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens

    def minus(self, other: Usage) -> Usage:
        """What this usage adds over `other` (never below zero)."""
        return Usage(
            **{
                name: max(getattr(self, name) - getattr(other, name), 0)
                for name in Usage.model_fields
            }
        )

    def plus(self, other: Usage) -> Usage:
        return Usage(
            **{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields}
        )


@dataclass
class Completion:
    """A call the API answered (and billed): its text, usage, cost (None: the model has no price)."""

    text: str
    usage: Usage
    model: str
    stop_reason: str | None
    request_id: str | None
    latency_ms: int
    time_to_first_token_ms: int | None
    cost: Decimal | None

    @property
    def truncated(self) -> bool:
        return self.stop_reason == "max_tokens"

    @property
    def refused(self) -> bool:
        """Stopped by the API's safety classifier, mid-sentence: not words to keep."""
        return self.stop_reason == "refusal"
