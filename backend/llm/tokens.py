"""Token estimates for checks *before* a call. Recorded usage always comes from the API."""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 4
#: Per-message overhead the API adds for role markers (a rough, conservative figure).
MESSAGE_OVERHEAD_TOKENS = 4


def estimate_tokens(text: str) -> int:
    """About four characters per token, rounded up; 0 for empty text."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def estimate_messages_tokens(messages: list[dict]) -> int:
    """Estimate for a Messages API `messages` list (string or text-block content)."""
    total = 0
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            total += estimate_tokens(content)
        else:
            total += sum(estimate_tokens(block.get("text", "")) for block in content)
        total += MESSAGE_OVERHEAD_TOKENS
    return total
