"""Drills: how long coding one drill answer takes, and what drafting one set of items costs.

    .venv/bin/python benchmarks/bench_drill.py [--rounds 5] [--items 5]

1. **Coding a reply** (what a student waits for after Submit): `skills.code_reply`, the offline
   coder plus the hit rule, called one reply at a time as the page does, over every built-in bank
   item with three replies each (the model answer, a closed question, unasked advice), `--rounds`
   times after one warm-up round. Prints the median and p95 per reply.
2. **Drafting a set with the model** (`generation.draft_items`), estimated, not called: the real
   request (`structured_request` with the real instructions, a demo client's profile and the
   tool's schema) is measured at about four characters per token (`backend.llm.tokens`), plus
   the tool-use system prompt the API adds for a forced tool (`TOOL_PROMPT_TOKENS`, an
   assumption); the output is the JSON of `--items` bank items (a realistic answer's size).
   Priced with `backend.llm.pricing` for the default REVIEW_MODEL: one call, and the worst case
   of a repair (the first answer and the list of problems sent back, then a second answer).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = os.devnull

#: The tool-use system prompt the API adds to a forced-tool request (Anthropic documents about
#: 300 tokens for recent models with tool_choice "tool"; taken as an assumption here).
TOOL_PROMPT_TOKENS = 313


def time_coding(rounds: int) -> list[float]:
    from backend.drills import skills
    from backend.drills.bank import bank_items

    replies = [
        (item.skill, reply, item.statement)
        for item in bank_items()
        for reply in (item.model_answer, "Do you want to change that?", "You should stop that.")
    ]
    for skill, reply, statement in replies:  # warm-up: the coder's weights load once
        skills.code_reply(skill, reply, statement)
    seconds = []
    for _ in range(rounds):
        for skill, reply, statement in replies:
            started = time.perf_counter()
            skills.code_reply(skill, reply, statement)
            seconds.append(time.perf_counter() - started)
    return seconds


def drafting_cost(items: int) -> None:
    from backend.clients.read_models import ClientRead
    from backend.config import get_settings
    from backend.drills import generation
    from backend.drills.bank import bank_items
    from backend.llm.gateway import LLMGateway
    from backend.llm.pricing import calculate_cost
    from backend.llm.tokens import estimate_tokens
    from backend.llm.usage import Usage
    from backend.models.base import utcnow
    from backend.models.enums import DrillSkill
    from backend.ops.demo_service import DEMO_CLIENTS

    settings = get_settings()
    now = utcnow()
    client = ClientRead.model_validate(
        DEMO_CLIENTS[0].model_dump()
        | {"id": 1, "owner_id": 1, "version": 1, "archived": False}
        | {"created_at": now, "updated_at": now}
    )
    wanted = [DrillSkill.open_question]
    context, ask = generation.request_text(client, wanted, items)
    request = LLMGateway(settings).structured_request(
        instructions=generation.INSTRUCTIONS,
        context=context,
        messages=[{"role": "user", "content": ask}],
        tool_name=generation.TOOL,
        tool_description="Record the drill items.",
        input_schema=generation.tool_schema(),
    )
    sent = json.dumps({k: request[k] for k in ("system", "messages", "tools")})
    input_tokens = estimate_tokens(sent) + TOOL_PROMPT_TOKENS
    answer = json.dumps(
        {"items": [i.model_dump(exclude={"key"}) for i in bank_items(wanted[0])[:items]]}
    )
    output_tokens = estimate_tokens(answer)
    model = settings.review_model
    one = calculate_cost(model, Usage(input_tokens=input_tokens, output_tokens=output_tokens))
    # A repair sends the first answer back with the problems (about 60 tokens), then is answered.
    second_input = input_tokens + output_tokens + 60
    repair = calculate_cost(model, Usage(input_tokens=second_input, output_tokens=output_tokens))
    print(f"Drafting {items} items with {model} (estimated at 4 characters per token):")
    print(f"  input  {input_tokens:>5} tokens (instructions, profile, tool schema, tool prompt)")
    print(f"  output {output_tokens:>5} tokens ({items} items as JSON)")
    if one is None or repair is None:
        print(f"  {model} has no price in backend/llm/pricing.py: cost unknown")
        return
    print(f"  one call: ${one:.5f}; with one repair (worst case): ${one + repair:.5f}")
    print(f"  per item: ${one / items:.5f} (one call)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=5)
    args = parser.parse_args()
    seconds = time_coding(args.rounds)
    ordered = sorted(seconds)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(
        f"Coding one drill reply (offline coder + hit rule), {len(seconds)} replies: "
        f"median {statistics.median(seconds) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"
    )
    drafting_cost(args.items)


if __name__ == "__main__":
    main()
