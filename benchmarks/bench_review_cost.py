"""What a review of a 10-turn session costs: the first in a class (writes the cache), and the rest.

    .venv/bin/python benchmarks/bench_review_cost.py [--students 5] [--database-url URL]

Each student ends a 10-turn session (10 student messages, 10 client replies) and it is reviewed
through `review_service.create_review` against the fake API with `api_usage=True`: usage follows
the request's size (about four characters per token, the tool definition included) and the
prompt cache's rules (the tools and system blocks up to the last `cache_control` are cached when
they reach the model's minimum cacheable length; the first request writes them, later ones within
the lifetime read them). The answer is a
valid review of the transcript (the demo reviewer's, a realistic length for the output). Cost is
priced by `backend.llm.pricing` for the default REVIEW_MODEL; the target is under $0.005.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = os.devnull

TARGET_USD = Decimal("0.005")
LINES = [
    ("Hi, I'm Alex. What brings you in today?", "My sister says I drink too much. I don't see it."),
    ("You're not sure she's right.", "No. I mean, I have a few beers after work. Who doesn't?"),
    (
        "It sounds like drinking after work feels pretty normal to you.",
        "It is. Though I've been late to work twice this month.",
    ),
    ("What happened those mornings?", "I overslept. Headache. My boss noticed."),
    (
        "So part of you wonders whether the evenings are starting to cost you at work.",
        "Maybe. I can't lose this job.",
    ),
    ("Have you thought about just stopping?", "Stopping? No way. That's too much."),
    ("Quitting completely feels like too big a step.", "Yeah. Cutting back, maybe."),
    (
        "What would cutting back look like for you?",
        "No beers on work nights, I guess. Weekends are different.",
    ),
    (
        "You want to keep your job and still enjoy your weekends.",
        "That's it exactly. That's fair, right?",
    ),
    (
        "It's your call. What might help you stick to no beers on work nights?",
        "Maybe going to the gym after work instead of the bar.",
    ),
]


def caching_fake():
    """The fake API billing like the real one: usage from the request's size, the prompt cache's
    rules (see tests/fakes/api_usage.py)."""
    from tests.fakes.anthropic_server import FakeAnthropic

    return FakeAnthropic(chunk_delay=0.0, api_usage=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=5, help="reviews in the class (>= 2)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    fake = caching_fake()
    workdir = tempfile.mkdtemp(prefix="bench-review-")
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
    from backend.db import Database, create_db_engine, unit_of_work, upgrade_database
    from backend.practice import session_service
    from backend.reviews import review_prompt, review_rules, review_service
    from tests.factories import add_message, add_reply, enroll, make_classroom, make_user

    upgrade_database(database_url)
    engine = create_db_engine(database_url)
    with unit_of_work(engine) as db:
        room = make_classroom(db)
        students = [room.student] + [make_user(db) for _ in range(max(2, args.students) - 1)]
        for student in students[1:]:
            enroll(db, section=room.section, student=student)
    sessions = []
    for student in students:
        with unit_of_work(engine) as db:
            session = session_service.create_session(db, actor=student, client_id=room.client.id)
            for student_line, client_line in LINES:
                add_message(db, actor=student, session_id=session.id, content=student_line)
                add_reply(db, session_id=session.id, content=client_line)
            session_service.end_session(db, actor=student, session_id=session.id)
        sessions.append((student, session.id))
        with unit_of_work(engine) as db:  # the answer: a valid review of this transcript
            job = review_service.prepare_review(db, actor=student, session_id=session.id)
        answer = review_rules.demo_review(job.turns, job.rubric).model_dump(exclude={"demo"})
        fake.tool_reply(answer)

    model = get_settings().review_model
    print(f"model {model}; rubric {job.rubric.key}; {len(job.turns)} numbered turns per session")
    prefix = review_prompt.instructions(job.rubric)
    print(f"stable prefix (instructions + rubric + worked examples): {len(prefix):,} characters")
    print(
        f"{'review':<8}{'input':>7}{'cache write':>13}{'cache read':>12}{'output':>8}{'cost $':>11}"
    )
    costs = []
    for number, (student, session_id) in enumerate(sessions, start=1):
        review = review_service.create_review(
            Database(engine), actor=student, session_id=session_id
        )
        assert review.cost is not None and review.ready
        costs.append(review.cost)
        print(
            f"{number:<8}{review.input_tokens:>7}{review.cache_write_tokens:>13}"
            f"{review.cache_read_tokens:>12}{review.output_tokens:>8}{review.cost:>11.5f}"
        )
    later = sum(costs[1:], Decimal(0)) / len(costs[1:])
    verdict = "meets" if later < TARGET_USD else "misses"
    for label, value in (
        ("first review in a class (writes the cache)", costs[0]),
        ("each later review (reads the cache)", later),
        (f"mean over the class of {len(costs)}", sum(costs) / len(costs)),
    ):
        print(f"{label + ':':<44}${value:.5f}")
    print(
        f"target: under ${TARGET_USD} per review of a 10-turn session: later reviews {verdict} it"
    )
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
