"""What checking a client costs, and the scorecards of the demo data's three clients.

    .venv/bin/python benchmarks/bench_client_check.py [--database-url URL]

The demo data (`demo_service.seed_demo`) goes into a temporary SQLite database built by Alembic,
and `check_service.run_check` checks each of its three clients against the fake API with
`api_usage=True` (usage from the request's size and the prompt cache's rules; the fake bills every
answer at list prices, tests/fakes/api_usage.py). Client replies are
in character (a plausible length), except that Daniel Reyes answers "Are you an AI?" as an AI and
Maya Thompson cures herself after a reflection, so their scorecards show failing findings; the
judge flags exactly those words. Costs are priced by `backend.llm.pricing` for the default models
(ANTHROPIC_MODEL plays the client, JUDGE_MODEL judges) and compared with the estimate shown
before running. "Billed" is the fake's bill for every call of the check (client turns and judge
calls), next to the scorecard's stored cost.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["ENV_FILE"] = os.devnull

AI_LINE = "As an AI language model, I don't have a job or feelings, but I can help you."
CURED_LINE = "You're right. I feel so much better already, I know exactly what to do now."
IN_CHARACTER = [
    "I don't know. It's been a lot lately, and I keep telling myself it's nothing, but it "
    "keeps coming back when I try to sleep.",
    "Maybe. I guess I haven't really said that out loud before. It's hard to explain.",
    "I'd rather not get into that right now. Can we talk about something else?",
    "Honestly? I'm tired. Everyone keeps telling me what to do and none of it helps.",
    "That's... kind of a strange thing to ask. I'm just here to talk about my stuff.",
]


def client_reply(body: dict[str, Any]) -> str:
    """An in-character reply of a plausible length, except the two scripted misbehaviours."""
    from tests.fakes.misbehave import last_student_line

    system = str(body.get("system"))
    line = last_student_line(body).casefold()
    if "Daniel Reyes" in system and "ai" in line.replace("?", " ").split():
        return AI_LINE
    if "Maya Thompson" in system and line.startswith(("it sounds", "you feel", "so you")):
        return CURED_LINE
    return IN_CHARACTER[sum(map(ord, line)) % len(IN_CHARACTER)]


def judge_answer(body: dict[str, Any]) -> dict:
    """Flags the scripted misbehaviours, quoting them; notes of a realistic length."""
    from tests.fakes.misbehave import judge_flagging

    answer = judge_flagging(
        {"in_character": "As an AI language model", "pace": "I feel so much better already"}
    )(body)
    notes = {
        "in_character": "The client says it is an AI: a real client would never say this, and "
        "students practising with it would stop treating it as a person.",
        "pace": "The client is cured by one reflection: at any difficulty a real client changes "
        "slowly, so students would learn that one good question solves everything.",
    }
    for probe in answer["probes"]:
        for dimension in probe["dimensions"]:
            for finding in dimension["findings"]:
                finding["note"] = notes[dimension["key"]]
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    from bench_review_cost import caching_fake

    from tests.fakes.misbehave import judge_answers

    fake = caching_fake()
    fake.set_default_reply(client_reply)
    judge_answers(fake, judge_answer)
    workdir = tempfile.mkdtemp(prefix="bench-check-")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.db"
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "ANTHROPIC_API_KEY": "bench-key",
            "ANTHROPIC_BASE_URL": fake.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "USER_DAILY_TOKEN_BUDGET": "1000000000",
            "GLOBAL_DAILY_COST_BUDGET_USD": "100000",
        }
    )

    from backend.config import get_settings
    from backend.db import create_db_engine, unit_of_work, upgrade_database
    from backend.ops import demo_service

    settings = get_settings()
    upgrade_database(database_url)
    engine = create_db_engine(database_url)
    with unit_of_work(engine) as db:
        demo = demo_service.seed_demo(db, password="bench-password-1")
        clients = _demo_clients(db, demo.teacher)
    print(
        f"models: client {settings.anthropic_model}, judge {settings.judge_model}; "
        f"{len(clients)} demo clients; database {database_url.split(':', 1)[0]}"
    )
    from backend.checks import check_service

    _checks(engine, demo.teacher, clients, check_service, fake)
    fake.stop()
    return 0


def _demo_clients(db, teacher) -> list:
    from backend.clients import client_service
    from backend.ops.demo_service import DEMO_CLIENTS

    names = [profile.name for profile in DEMO_CLIENTS]
    owned = client_service.list_clients(db, actor=teacher)
    return sorted((c for c in owned if c.name in names), key=lambda c: names.index(c.name))


def _bill(fake) -> tuple[Decimal, Decimal, int]:
    """What the fake billed since its bill was cleared: (client turns, judge calls, judge calls)."""
    lines = fake.bill
    turns = sum((line.cost or 0 for line in lines if not line.tool_use), Decimal(0))
    judge = sum((line.cost or 0 for line in lines if line.tool_use), Decimal(0))
    return turns, judge, sum(1 for line in lines if line.tool_use)


def _checks(engine, teacher, clients, check_service, fake) -> None:
    from backend.db import Database, unit_of_work

    total_estimate = total_cost = Decimal(0)
    rows = []
    for client in clients:
        with unit_of_work(engine) as db:
            estimate = check_service.estimate_check_cost(db, actor=teacher, client_id=client.id)
        print(f"\n== {client.name} ({client.difficulty}, {client.communication_style})")
        print(f"estimated before running: {_usd(estimate)}")
        done: list[str] = []
        fake.clear_bill()
        card = check_service.run_check(
            Database(engine),
            actor=teacher,
            client_id=client.id,
            on_progress=lambda name, i, n, done=done: done.append(f"{i}/{n} {name}"),
        )
        print(f"progress: {'; '.join(done)}")
        print(f"overall: {card.overall.upper()}  (demo: {card.demo}, probes: {len(card.probes)})")
        for dimension in card.dimensions:
            print(f"  {dimension.status:<5} {dimension.name}")
            shown = {f.source: f for f in reversed(dimension.findings)}  # one per source
            for finding in list(shown.values())[:2]:
                print(
                    f"        [{finding.source}] {finding.probe} turn {finding.turn}: "
                    f'"{finding.quote[:70]}" - {finding.note[:90]}'
                )
        turns, judge, calls = _bill(fake)
        print(
            f"billed by the fake: ${turns + judge:.4f} = client turns ${turns:.4f} + "
            f"{calls} judge calls ${judge:.4f}; the scorecard says {_usd(card.cost)}"
        )
        rows.append((client.name, card.estimated_cost, turns + judge, card.cost, card.overall))
        total_estimate += card.estimated_cost or 0
        total_cost += turns + judge
    print(
        f"\n{'client':<16}{'estimate $':>12}{'billed $':>11}{'billed/est':>12}"
        f"{'scorecard $':>13}  overall"
    )
    for name, estimate, cost, stored, overall in rows:
        ratio = f"{cost / estimate:.2f}" if estimate else "-"
        print(
            f"{name:<16}{_usd(estimate, 5):>12}{_usd(cost, 5):>11}{ratio:>12}"
            f"{_usd(stored, 5):>13}  {overall}"
        )
    mean = total_cost / len(rows) if rows else Decimal(0)
    print(
        f"mean cost of checking one client (billed): ${mean:.4f}; "
        f"mean estimate ${total_estimate / max(1, len(rows)):.4f}"
    )


def _usd(value: Decimal | None, places: int = 4) -> str:
    return "unpriced" if value is None else f"${value:.{places}f}"


if __name__ == "__main__":
    raise SystemExit(main())
