"""Usage and billing as the real Messages API reports them, for the fake server.

With `FakeAnthropic(api_usage=True)` (or `fake.use_api_usage()`), every answer's usage follows
the request instead of fixed estimates:

* sizes: about four characters per token, counted per content block (tools, system blocks,
  message blocks, tool calls and results as JSON); the output likewise, and a text reply longer
  than `max_tokens` is cut there with `stop_reason: "max_tokens"`;
* the prompt cache: the prefix up to a block with `cache_control` (tools, then system, then
  messages; a top-level `cache_control` marks the last block) is cached when it reaches the
  model's minimum cacheable length, for 5 minutes or 1 hour from its last use. A request reads
  the longest cached prefix that ends at one of its breakpoints or up to 20 blocks before one,
  and writes what lies between that and its last breakpoint long enough to cache;
  `input_tokens` is the rest. More than four breakpoints is a 400, as on the API.

Whatever usage an answer reports, the fake bills it (`fake.bill`) at list prices kept here, apart
from the product's price table, so a benchmark can check the product's recorded cost against what
the API would charge.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CHARS_PER_TOKEN = 4
#: Blocks before a breakpoint the API looks back through for an earlier cache entry.
LOOKBACK_BLOCKS = 20
MAX_BREAKPOINTS = 4
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}

#: Minimum cacheable prefix (tokens) per model; a shorter prefix is silently not cached. Opus 4.5+
#: and Haiku 4.5 need 4096, Sonnet 4.5 1024, Sonnet 4.6 2048 (observed; documented as 1024); the
#: Sonnet 5 models are assumed to need 2048. Unknown models: 1024.
CACHE_MINIMUM_TOKENS: dict[str, int] = {
    "claude-haiku-4-5": 4096,
    "claude-haiku-5-5": 4096,
    "claude-sonnet-4-5": 1024,
    "claude-sonnet-4-6": 2048,
    "claude-sonnet-5": 2048,
    "claude-sonnet-5-5": 2048,
    **{
        model: 4096
        for model in (
            "claude-opus-4-5",
            "claude-opus-4-6",
            "claude-opus-4-7",
            "claude-opus-4-8",
            "claude-opus-5",
        )
    },
}
DEFAULT_CACHE_MINIMUM = 1024

#: List prices, USD per million tokens (input, output).
LIST_PRICES: dict[str, tuple[str, str]] = {
    "claude-haiku-4-5": ("1", "5"),
    "claude-haiku-5-5": ("0.10", "0.50"),
    "claude-sonnet-4-5": ("3", "15"),
    "claude-sonnet-4-6": ("3", "15"),
    "claude-sonnet-5": ("2", "10"),
    "claude-sonnet-5-5": ("2", "10"),
    **{
        model: ("5", "25")
        for model in (
            "claude-opus-4-5",
            "claude-opus-4-6",
            "claude-opus-4-7",
            "claude-opus-4-8",
            "claude-opus-5",
        )
    },
}
WRITE_5M, WRITE_1H, READ = Decimal("1.25"), Decimal("2"), Decimal("0.1")


def _base_model(model: str) -> str:
    """`claude-haiku-4-5-20251001` -> `claude-haiku-4-5`."""
    head, _, tail = model.rpartition("-")
    return head if tail.isdigit() and len(tail) == 8 else model


def cache_minimum(model: str) -> int:
    return CACHE_MINIMUM_TOKENS.get(_base_model(model), DEFAULT_CACHE_MINIMUM)


def tokens_of_text(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


@dataclass(frozen=True)
class Block:
    """One piece of the prompt in the API's cache order: its identity (without any
    `cache_control`), its size, and the cache lifetime asked for when it is a breakpoint."""

    key: str
    tokens: int
    ttl: str | None  # "5m" / "1h" when the block carries cache_control


def _ttl(block: dict[str, Any]) -> str | None:
    control = block.get("cache_control")
    if not isinstance(control, dict):
        return None
    return "1h" if control.get("ttl") == "1h" else "5m"


def _block(where: str, block: dict[str, Any]) -> Block:
    bare = {k: v for k, v in block.items() if k != "cache_control"}
    if bare.get("type") == "text":
        tokens = tokens_of_text(str(bare.get("text", "")))
    else:
        tokens = tokens_of_text(json.dumps(bare, ensure_ascii=False))
    key = where + json.dumps(bare, sort_keys=True, ensure_ascii=False)
    return Block(key=key, tokens=max(1, tokens), ttl=_ttl(block))


def _as_blocks(content: Any) -> list[dict[str, Any]]:
    """String content is one text block (the API treats both the same)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [block for block in content or [] if isinstance(block, dict)]


def prompt_blocks(body: dict[str, Any]) -> list[Block]:
    """Tools, system and messages as blocks, in the order the cache sees them."""
    blocks = [_block("tool:", tool) for tool in body.get("tools") or [] if isinstance(tool, dict)]
    blocks += [_block("system:", block) for block in _as_blocks(body.get("system"))]
    for message in body.get("messages") or []:
        role = str(message.get("role")) if isinstance(message, dict) else "?"
        content = message.get("content") if isinstance(message, dict) else None
        blocks += [_block(f"{role}:", block) for block in _as_blocks(content)]
    top = body.get("cache_control")
    if isinstance(top, dict) and blocks:  # automatic caching: the last block is the breakpoint
        last = blocks[-1]
        blocks[-1] = Block(last.key, last.tokens, "1h" if top.get("ttl") == "1h" else "5m")
    return blocks


def input_size(body: dict[str, Any]) -> int:
    """Every prompt token, cached or not (what `count_tokens` answers)."""
    return max(1, sum(block.tokens for block in prompt_blocks(body)))


def breakpoint_problem(body: dict[str, Any]) -> str | None:
    """The API's 400 for too many cache breakpoints, else None."""
    marked = sum(1 for block in prompt_blocks(body) if block.ttl is not None)
    if marked > MAX_BREAKPOINTS:
        return (
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {marked}."
        )
    return None


class PromptCache:
    """The organisation's prompt cache: prefix hashes per model, each with its expiry."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str]] = {}  # prefix digest -> (expires at, ttl)
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def usage(self, body: dict[str, Any], now: float) -> dict[str, int]:
        """Input, cache read and cache write tokens of this request, updating the cache."""
        model = str(body.get("model"))
        blocks = prompt_blocks(body)
        minimum = cache_minimum(model)
        digests, ends = [], []
        running, total = hashlib.sha256(model.encode()), 0
        for block in blocks:
            running.update(hashlib.sha256(block.key.encode()).digest())
            digests.append(running.copy().hexdigest())
            total += block.tokens
            ends.append(total)
        breakpoints = [i for i, block in enumerate(blocks) if block.ttl is not None]
        with self._lock:
            hit = -1  # the last block of the longest cached prefix found
            for point in breakpoints:
                for index in range(point, max(-1, point - LOOKBACK_BLOCKS), -1):
                    if index <= hit:
                        break
                    expires, _ttl = self._entries.get(digests[index], (-1.0, "5m"))
                    if expires > now:
                        hit = index
                        break
            if hit >= 0:  # a hit keeps its entry alive for its lifetime again
                _expires, ttl = self._entries[digests[hit]]
                self._entries[digests[hit]] = (now + TTL_SECONDS[ttl], ttl)
            read = ends[hit] if hit >= 0 else 0
            write_5m = write_1h = 0
            done = read
            for point in breakpoints:
                if point <= hit or ends[point] < minimum:
                    continue
                ttl = blocks[point].ttl or "5m"
                if ttl == "1h":
                    write_1h += ends[point] - done
                else:
                    write_5m += ends[point] - done
                done = ends[point]
                self._entries[digests[point]] = (now + TTL_SECONDS[ttl], ttl)
        return {
            "input_tokens": max(0, total - done),
            "cache_read_input_tokens": read,
            "cache_creation_5m": write_5m,
            "cache_creation_1h": write_1h,
        }


@dataclass(frozen=True)
class BillLine:
    """One billed answer: the model, its usage as reported, what it costs at list prices (None for
    a model the fake has no price for), and whether it answered with a tool call."""

    model: str
    usage: dict[str, int]
    cost: Decimal | None
    tool_use: bool = False
    batch: bool = False  # answered in a Message Batch: half the list price


#: The Message Batches API bills every kind of token at half the list price.
BATCH_MULTIPLIER = Decimal("0.5")


#: Models whose every token costs more once the prompt is over a size: (size, list prices).
LONG_PROMPT_PRICES: dict[str, tuple[int, tuple[str, str]]] = {
    "claude-haiku-5-5": (100_000, ("0.50", "2.50")),
}


def bill(
    model: str, usage: dict[str, Any], *, tool_use: bool = False, batch: bool = False
) -> BillLine:
    """Price an answer's usage: input, output, cache writes (1.25x for 5 minutes, 2x for an hour)
    and reads (0.1x) of the input price; all of it at half price in a batch."""
    split = usage.get("cache_creation") or {}
    write_5m = int(split.get("ephemeral_5m_input_tokens") or 0)
    write_1h = int(split.get("ephemeral_1h_input_tokens") or 0)
    if not split:
        write_5m = int(usage.get("cache_creation_input_tokens") or 0)
    counts = {
        "input_tokens": int(usage.get("input_tokens") or 0),
        "output_tokens": int(usage.get("output_tokens") or 0),
        "cache_write_5m_tokens": write_5m,
        "cache_write_1h_tokens": write_1h,
        "cache_read_tokens": int(usage.get("cache_read_input_tokens") or 0),
    }
    prices = LIST_PRICES.get(_base_model(model))
    if prices is None:
        return BillLine(model, counts, None, tool_use, batch)
    over, long_prices = LONG_PROMPT_PRICES.get(_base_model(model), (0, prices))
    prompt = counts["input_tokens"] + write_5m + write_1h + counts["cache_read_tokens"]
    if over and prompt > over:
        prices = long_prices
    input_price, output_price = (Decimal(price) for price in prices)
    per_million = (
        counts["input_tokens"] * input_price
        + counts["output_tokens"] * output_price
        + write_5m * input_price * WRITE_5M
        + write_1h * input_price * WRITE_1H
        + counts["cache_read_tokens"] * input_price * READ
    )
    if batch:
        per_million *= BATCH_MULTIPLIER
    return BillLine(model, counts, per_million / Decimal(1_000_000), tool_use, batch)
