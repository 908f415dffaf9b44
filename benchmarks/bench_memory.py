"""What a continuing client's memory costs, through the product's own services, against the fake
API billing like the real one.

    .venv/bin/python benchmarks/bench_memory.py [--models default sonnet]

Same set-up as `bench_cost.py` (the demo data in a temporary Alembic-built SQLite database, the
fake API with `api_usage=True`: usage follows each request, the prompt cache applies the API's
rules, every answer is billed at list prices kept apart from the product's price table). The demo
assignment with Maya Thompson is made a continuing client's. A student has a 10-turn session
(the lines of `cost_script.json`) and ends it: the memory job asks the summary model (the review
model: Claude Haiku 4.5 by default) for the summary of a realistic length (the fake answers the
forced tool with a ~90-word memory). Printed: that call's tokens and cost as the product recorded
it (purpose `memory`) next to the fake's bill; then the student's second 10-turn session (its
prompt carries the memory) next to a second student's first one with the same lines, whose
difference is what carrying the memory costs over a session.
"""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = os.devnull

from benchmarks.bench_cost import (  # noqa: E402 (after the path is set)
    MODELS,
    SCRIPT,
    Bench,
    _bill,
    _usage,
    client_replies,
    start_fake_api,
)

SUMMARY = {
    "discussed": "You talked about how your workload has grown since the reorganisation and "
    "how little you sleep before deadlines.",
    "disclosed": "You told the student you feel you are failing your team and that you snap "
    "at your partner when you get home late.",
    "agreed": "You agreed to notice, before next week, one evening when the stress eased and "
    "what was different then.",
    "relationship": "You were guarded at first but felt listened to once the student reflected "
    "your worry about letting people down.",
}


def _continuing(bench: Bench) -> None:
    from backend.classes import assignment_service
    from backend.db import unit_of_work

    with unit_of_work(bench.engine) as db:
        section_id = _section_id(db, bench)
        for assignment in assignment_service.list_assignments(
            db, actor=bench.teacher, section_id=section_id
        ):
            if bench.client.id in assignment.client_ids:
                assignment_service.set_continuing_client(
                    db, actor=bench.teacher, assignment_id=assignment.id, continuing=True
                )


def _section_id(db: Any, bench: Bench) -> int:
    from backend.classes import section_service

    return section_service.list_sections(db, actor=bench.teacher)[0].id


def session(bench: Bench, student: Any) -> tuple[int, Decimal, dict[str, int]]:
    """A 10-turn session, ended: (its id, the fake's bill for its replies, their usage)."""
    from backend.db import Database
    from backend.practice import conversation_service

    database = Database(bench.engine)
    started = conversation_service.start_conversation(
        database, actor=student, client_id=bench.client.id
    )
    bench.fake.clear_bill()
    for student_line, _reply in SCRIPT["turns"][:10]:
        outcome = conversation_service.send_message(
            database, actor=student, session_id=started.id, content=student_line
        )
        if not outcome.ok or outcome.withheld:
            raise SystemExit(f"a reply did not arrive whole: {outcome.notice}")
    bill = bench.fake.bill
    bench.fake.clear_bill()
    conversation_service.end_conversation(database, actor=student, session_id=started.id)
    return started.id, _bill(bill), _usage(bill)


def memory_call(bench: Bench, student: Any) -> tuple[Decimal, Decimal, dict[str, int]]:
    """The memory job of the session just ended: (recorded cost, the fake's bill, usage)."""
    from sqlalchemy import func, select

    from backend.db import unit_of_work
    from backend.jobs import runner
    from backend.models import DailyUsage

    if not runner.wait_idle(30):
        raise SystemExit("the memory job did not finish")
    bill = bench.fake.bill
    with unit_of_work(bench.engine, write=False) as db:
        recorded = db.scalar(
            select(func.sum(DailyUsage.memory_cost)).where(DailyUsage.user_id == student.id)
        )
    return Decimal(recorded or 0), _bill(bill), _usage(bill)


def run(bench: Bench) -> None:
    _continuing(bench)
    bench.fake.set_default_tool_reply(SUMMARY)
    first, second = bench.students[1], bench.students[2]
    bench.fresh_cache(keep_shared=True)  # the class is under way: the shared guide is cached
    session(bench, first)
    recorded, billed, usage = memory_call(bench, first)
    print(
        f"  memory summary of a 10-turn session: recorded ${recorded:.6f}, billed ${billed:.6f}"
        f" ({'equal' if recorded == billed else 'MISMATCH'}); input {usage.get('input_tokens', 0)}"
        f", cache write {usage.get('cache_write_5m_tokens', 0) + usage.get('cache_write_1h_tokens', 0)}"
        f", cache read {usage.get('cache_read_tokens', 0)}, output {usage.get('output_tokens', 0)}"
        " tokens"
    )
    _id, with_memory, _ = session(bench, first)
    memory_call(bench, first)  # the second session's own memory (not counted below)
    bench.fake.clear_bill()
    _id, without_memory, _ = session(bench, second)
    memory_call(bench, second)
    carried = with_memory - without_memory
    print(f"  next 10-turn session, its prompt carrying the memory: ${with_memory:.6f}")
    print(f"  another student's first 10-turn session, same lines:   ${without_memory:.6f}")
    print(f"  carrying the memory over a 10-turn session:             ${carried:.6f}")
    print(f"  a continuing client, per session: about ${recorded + carried:.6f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=tuple(MODELS), default=["default"])
    args = parser.parse_args()

    fake = start_fake_api()
    try:
        for name in args.models:
            bench = Bench(fake, MODELS[name], client_replies(long=False))
            print(f"{name}: replies {bench.models[0]}, summaries {bench.models[1]}")
            run(bench)
            bench.engine.dispose()
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
