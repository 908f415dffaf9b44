"""What practice costs, through the product's own services, against the fake API billing like the real one.

    .venv/bin/python benchmarks/bench_cost.py [--replies natural|long] [--models default sonnet]

The demo data (`demo_service.seed_demo`) goes into a temporary SQLite database built by Alembic;
students of its section then talk to the demo client Maya Thompson through
`conversation_service.send_message` (the lines of `cost_script.json`: realistic student messages
and client replies of natural spoken length, 1-4 sentences; `--replies long` adds long sentences to
each reply, 60-120 words, the length the issue measured), end the conversation and get it
reviewed through `review_service.create_review` (then two more whose assignment holds reviews for
the teacher: written through the Message Batches API at half price); the teacher checks the client
through `check_service.run_check` after reading its estimate (`estimate_check_cost`).

The fake API (tests/fakes) runs on 127.0.0.1 with `api_usage=True`: usage follows each request
(about four characters per token), `max_tokens` cuts a reply, and the prompt cache applies the
API's rules (minimum cacheable prefix per model, 5-minute and 1-hour lifetimes, reads at 0.1x and
writes at 1.25x or 2x). It bills every answer at list prices kept apart from the product's price
table; each line below prints the product's recorded cost next to that bill and flags a mismatch.
"First in a class" starts from an empty prompt cache; "later" is the next student right after.
The review answer is a valid review of the transcript of a model's usual length; the judge passes
most dimensions and warns about one reply in some probes, quoting it.

Goals (issue 21): a 10-turn conversation <= $0.01 and a practice session (conversation and its
review) <= $0.015 on the default models, a client check <= $0.03 with its estimate within 20%.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = os.devnull

SCRIPT = json.loads((Path(__file__).resolve().parent / "cost_script.json").read_text("utf-8"))
CLIENT = "Maya Thompson"
OTHER_CLIENT = "Daniel Reyes"  # a teacher's test turn with him caches the shared part of the prompt
MODELS = {"default": None, "sonnet": "claude-sonnet-4-6"}
#: Each student opens differently (so no two conversations share a prefix beyond the prompt).
OPENINGS = (
    "",
    "Hello, I'm Sam.",
    "Good morning, I'm Priya.",
    "Hi, my name is Tom.",
    "Hello, I'm Ana.",
)
GOALS = {"conversation": Decimal("0.01"), "session": Decimal("0.015"), "check": Decimal("0.03")}
ESTIMATE_TOLERANCE = Decimal("0.20")


@dataclass
class Row:
    label: str
    recorded: Decimal | None
    billed: Decimal
    usage: dict[str, int]

    @property
    def matches(self) -> bool:
        return self.recorded == self.billed


def client_replies(long: bool) -> dict[str, str]:
    """Student line -> the client's reply (natural length, or with a long sentence added)."""
    if not long:
        return {student: reply for student, reply in SCRIPT["turns"]}
    extra, tails = SCRIPT["long_additions"], SCRIPT["long_tails"]
    replies = {}
    for index, (student, reply) in enumerate(SCRIPT["turns"]):
        reply = f"{reply} {extra[index % len(extra)]}"
        if len(reply.split()) < 65:
            reply = f"{reply} {tails[index % len(tails)]}"
        replies[student] = reply
    return replies


def reply_text(replies: dict[str, str]) -> Callable[[dict], str]:
    """The fake client's answer: the scripted reply to a practice line, else (a probe's line) one
    of the same replies chosen by the line, so probe replies have the same natural length."""
    from tests.fakes.misbehave import last_student_line

    pool = list(replies.values())

    def answer(body: dict) -> str:
        line = last_student_line(body)
        scripted = next((reply for said, reply in replies.items() if line.endswith(said)), None)
        return scripted or pool[sum(map(ord, line)) % len(pool)]

    return answer


def judge_answer(body: dict) -> dict:
    """Passes every dimension, except a warning on one reply's style in every other probe; in the
    form the tool asks for (all probes at once, or one probe per call as before issue 21)."""
    from tests.fakes.misbehave import passing_judgement, probe_turns

    one_probe = "dimensions" in body["tools"][0]["input_schema"]["properties"]
    probes = {"probe": _single_probe_turns(body)} if one_probe else probe_turns(body)
    answer = passing_judgement(*probes)
    assert isinstance(answer, dict)
    for index, judgement in enumerate(answer["probes"]):
        turns = probes[judgement["probe"]]
        if turns and (index % 2 or (one_probe and len(json.dumps(body)) % 2)):
            number, text = next(iter(turns.items()))
            warn = {
                "key": "style_and_difficulty",
                "status": "warn",
                "findings": [
                    {
                        "turn": number,
                        "quote": " ".join(text.split()[:8]),
                        "note": "A little long and polished for a first reply; a real client "
                        "would say less until they trust the student.",
                    }
                ],
            }
            judgement["dimensions"] = judgement["dimensions"][:-1] + [warn]
    return {"dimensions": answer["probes"][0]["dimensions"]} if one_probe else answer


def _single_probe_turns(body: dict) -> dict[int, str]:
    """The client's numbered turns in a one-probe judge request."""
    text = body["messages"][0]["content"]
    found = (re.match(r"^Turn (\d+) \(Client[^)]*\): (.*)$", line) for line in text.splitlines())
    return {int(match[1]): match[2] for match in found if match}


def review_answer(turns: list, rubric: Any) -> dict:
    """A valid review of this transcript, of a model's usual length: the offline coder's codes,
    a sentence of reasoning per criterion, two strengths, two things to try, change talk."""
    from backend.reviews import review_rules

    demo = review_rules.demo_review(turns, rubric).model_dump(mode="json", exclude={"demo"})
    students = [turn for turn in turns if turn.student]
    clients = [turn for turn in turns if not turn.student]
    reflective = {
        item["turn"]
        for item in demo["codes"]
        if any(code.kind == "reflection" and code.key == item["code"] for code in rubric.codes)
    }
    good = [turn for turn in students if turn.number in reflective][:2]
    others = [turn for turn in students if turn.number not in reflective][-2:]
    answer = {
        "client_talk": [
            {
                "turn": turn.number,
                "kind": "change" if index % 2 else "sustain",
                "quote": " ".join(turn.text.split()[:9]),
            }
            for index, turn in enumerate(clients[2:6])
        ],
        "codes": demo["codes"],
        "risk": [],
        "scores": [
            {
                "criterion": criterion.key,
                "turns": [turn.number for turn in students[index % 3 :: 3]][:3],
                "reasoning": "Your reflections named what the client felt and kept her talking, "
                "though a few questions came where one more reflection would have gone deeper.",
                "score": 3 + index % 2,
            }
            for index, criterion in enumerate(rubric.criteria)
        ],
        "strengths": [
            {
                "turn": turn.number,
                "quote": turn.text,
                "comment": "A reflection that put the client's feeling into words, so she "
                "went on in her own words instead of answering a question.",
            }
            for turn in good
        ],
        "try_instead": [
            {
                "turn": turn.number,
                "quote": turn.text,
                "better_reply": "It sounds like part of you wants to stay and part of you is "
                "scared it won't work out.",
                "why": "A complex reflection of both sides invites the client to explore her "
                "ambivalence rather than answer a question.",
            }
            for turn in others
        ],
        "goal": "In your next session, follow each open question with at least two reflections "
        "before asking another question.",
    }
    valid, errors = review_rules.validate(answer, turns, rubric)
    if valid is None:
        raise SystemExit(f"the benchmark's review answer is invalid: {errors}")
    return answer


def as_the_tool_asks(answer: dict, body: dict) -> dict:
    """The answer in the form the request's tool schema asks for: codes as "turn:code" strings
    when it asks for strings (what a model follows), else as objects."""
    codes = body["tools"][0]["input_schema"]["properties"]["codes"]
    if codes.get("items", {}).get("type") != "string":
        return answer
    return {**answer, "codes": [f"{item['turn']}:{item['code']}" for item in answer["codes"]]}


def _usage(lines: list) -> dict[str, int]:
    total: dict[str, int] = {}
    for line in lines:
        for name, value in line.usage.items():
            total[name] = total.get(name, 0) + value
    return total


def _bill(lines: list) -> Decimal:
    return sum((line.cost or Decimal(0) for line in lines), Decimal(0))


class Bench:
    """One model setting: a fresh database with the demo data, the fake's cache emptied."""

    def __init__(self, fake: Any, model: str | None, replies: dict[str, str]) -> None:
        from backend import llm
        from backend.config import get_settings
        from backend.db import create_db_engine, unit_of_work, upgrade_database
        from backend.ops import demo_service
        from tests.factories import enroll, make_user

        for name in ("ANTHROPIC_MODEL", "REVIEW_MODEL", "JUDGE_MODEL"):
            os.environ.pop(name, None)
            if model:
                os.environ[name] = model
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-cost-')}/bench.db"
        os.environ["DATABASE_URL"] = url
        get_settings.cache_clear()
        llm.reset_gateway()
        upgrade_database(url)
        self.engine = create_db_engine(url)
        self.fake, self.replies = fake, replies
        fake.set_default_reply(reply_text(replies))
        fake.set_default_tool_reply(None)
        fake.clear_prompt_cache()
        with unit_of_work(self.engine) as db:
            demo = demo_service.seed_demo(db, password="bench-password-1")
            section = _demo_section(db, demo.teacher)
            self.students = [demo.student]
            for _ in range(len(OPENINGS) - 1):
                student = make_user(db)
                enroll(db, section=section, student=student)
                self.students.append(student)
            self.teacher = demo.teacher
            self.client = _demo_client(db, demo.teacher, CLIENT)
            self.other_client = _demo_client(db, demo.teacher, OTHER_CLIENT)
        settings = get_settings()
        self.models = (settings.anthropic_model, settings.review_model, settings.judge_model)

    def conversation(self, student: Any, turns: int) -> tuple[int, Row]:
        from backend.db import Database
        from backend.practice import conversation_service

        database = Database(self.engine)
        session = conversation_service.start_conversation(
            database, actor=student, client_id=self.client.id
        )
        self.fake.clear_bill()
        opening = OPENINGS[self.students.index(student)]
        for number, (student_line, _reply) in enumerate(SCRIPT["turns"][:turns]):
            line = f"{opening} {student_line}".strip() if number == 0 else student_line
            outcome = conversation_service.send_message(
                database, actor=student, session_id=session.id, content=line
            )
            if not outcome.ok or outcome.withheld:
                raise SystemExit(f"a reply did not arrive whole: {outcome.notice}")
        ended = conversation_service.end_conversation(
            database, actor=student, session_id=session.id
        )
        bill = self.fake.bill
        return session.id, Row("", ended.estimated_cost, _bill(bill), _usage(bill))

    def review(self, student: Any, session_id: int) -> Row:
        from backend.db import Database, unit_of_work
        from backend.reviews import review_service

        with unit_of_work(self.engine) as db:
            job = review_service.prepare_review(db, actor=student, session_id=session_id)
        answer = review_answer(job.turns, job.rubric)
        self.fake.tool_reply(lambda body: as_the_tool_asks(answer, body))
        self.fake.clear_bill()
        review = review_service.create_review(
            Database(self.engine), actor=student, session_id=session_id
        )
        if not review.ready:
            raise SystemExit("the review was not accepted")
        bill = self.fake.bill
        return Row("", review.cost, _bill(bill), _usage(bill))

    def hold_reviews(self, session_id: int) -> None:
        """From now on the assignment's reviews wait for the teacher: they go through a batch."""
        from backend.db import unit_of_work
        from backend.models import PracticeSession
        from backend.reviews import rubric_service

        with unit_of_work(self.engine) as db:
            assignment_id = db.get_one(PracticeSession, session_id).assignment_id
            rubric_service.set_assignment_rubric(
                db,
                actor=self.teacher,
                assignment_id=assignment_id,
                rubric_id=None,
                release_reviews="after_teacher_review",
            )

    def held_review(self, student: Any, session_id: int) -> Row:
        """A review held for the teacher: one Message Batch request, billed at half price."""
        from backend.db import Database, unit_of_work
        from backend.reviews import review_service

        with unit_of_work(self.engine) as db:
            job = review_service.prepare_review(db, actor=student, session_id=session_id)
        answer = review_answer(job.turns, job.rubric)
        self.fake.tool_reply(lambda body: as_the_tool_asks(answer, body))
        self.fake.clear_bill()
        batches = len(self.fake.batches)
        review = review_service.create_review(
            Database(self.engine), actor=self.teacher, session_id=session_id
        )
        bill = self.fake.bill
        if not review.ready or len(self.fake.batches) != batches + 1:
            raise SystemExit("the held review did not go through one batch")
        if not all(line.batch for line in bill):
            raise SystemExit("the held review made a normal call")
        return Row("", review.cost, _bill(bill), _usage(bill))

    def fresh_cache(self, *, keep_shared: bool) -> None:
        """An empty prompt cache; `keep_shared`: then one teacher's test turn with another client,
        which caches what every client's prompt shares (as any conversation of the last hour
        would have)."""
        from backend.db import Database
        from backend.practice import conversation_service

        self.fake.clear_prompt_cache()
        if not keep_shared:
            return
        database = Database(self.engine)
        session = conversation_service.start_conversation(
            database, actor=self.teacher, client_id=self.other_client.id
        )
        conversation_service.send_message(
            database, actor=self.teacher, session_id=session.id, content="Hello, how are you?"
        )
        conversation_service.end_conversation(database, actor=self.teacher, session_id=session.id)

    def check(self) -> tuple[Decimal | None, Row]:
        from backend.checks import check_service
        from backend.db import Database, unit_of_work

        self.fake.set_default_tool_reply(judge_answer)
        with unit_of_work(self.engine) as db:
            estimate = check_service.estimate_check_cost(
                db, actor=self.teacher, client_id=self.client.id
            )
        self.fake.clear_bill()
        card = check_service.run_check(
            Database(self.engine), actor=self.teacher, client_id=self.client.id
        )
        bill = self.fake.bill
        self.fake.set_default_tool_reply(None)
        return estimate, Row("", card.cost, _bill(bill), _usage(bill))


def _demo_section(db: Any, teacher: Any) -> Any:
    from backend.classes import section_service

    return section_service.list_sections(db, actor=teacher)[0]


def _demo_client(db: Any, teacher: Any, name: str) -> Any:
    from backend.clients import client_service

    return next(c for c in client_service.list_clients(db, actor=teacher) if c.name == name)


def run(bench: Bench) -> dict[str, Row]:
    """Every figure for one model setting, in the order a class meets them."""
    rows: dict[str, Row] = {}

    def keep(key: str, label: str, row: Row) -> Row:
        row.label = label
        rows[key] = row
        return row

    cold, first, later, long_first, long_later = bench.students
    bench.fresh_cache(keep_shared=False)
    keep("conv10_cold", "10-turn conversation, nothing cached", bench.conversation(cold, 10)[1])
    bench.fresh_cache(keep_shared=True)
    first_id, row = bench.conversation(first, 10)
    keep("conv10_first", "10-turn conversation, first in a class", row)
    later_id, row = bench.conversation(later, 10)
    keep("conv10_later", "10-turn conversation, later", row)
    keep("review_first", "review of it, first in a class", bench.review(first, first_id))
    keep("review_later", "review of it, later", bench.review(later, later_id))
    for when, (conversation, review) in {
        "first": ("conv10_first", "review_first"),
        "later": ("conv10_later", "review_later"),
    }.items():
        a, b = rows[conversation], rows[review]
        recorded = None if a.recorded is None or b.recorded is None else a.recorded + b.recorded
        usage = {k: a.usage.get(k, 0) + b.usage.get(k, 0) for k in a.usage | b.usage}
        label = f"practice session (10 turns + review), {when}"
        keep(f"session_{when}", label, Row(label, recorded, a.billed + b.billed, usage))
    # The same, in an assignment whose reviews wait for the teacher: written in a batch.
    bench.hold_reviews(first_id)
    held_first, held_later = (bench.conversation(s, 10)[0] for s in (first, later))
    bench.fake.clear_prompt_cache()  # the review's prefix is cold again: first in a class
    label = "review held for the teacher (batch), first in a class"
    keep("review_held_first", label, bench.held_review(first, held_first))
    label = "review held for the teacher (batch), later"
    keep("review_held_later", label, bench.held_review(later, held_later))
    bench.fresh_cache(keep_shared=True)
    keep("conv40_first", "40-turn conversation, first", bench.conversation(long_first, 40)[1])
    keep("conv40_later", "40-turn conversation, later", bench.conversation(long_later, 40)[1])
    bench.fresh_cache(keep_shared=True)  # a teacher checks a client before students meet it
    estimate, row = bench.check()
    keep("check", "client check (7 probes, judged)", row)
    bench.fresh_cache(keep_shared=False)
    keep("check_cold", "client check, nothing cached", bench.check()[1])
    rows["check_estimate"] = Row("client check: estimate shown before", estimate, Decimal(0), {})
    return rows


def print_rows(bench: Bench, rows: dict[str, Row]) -> None:
    client, review, judge = bench.models
    print(f"\nmodels: client {client}, review {review}, judge {judge}")
    print(
        f"{'':56}{'recorded $':>11}{'billed $':>11}  {'input':>7}{'c.write':>8}{'c.read':>8}"
        f"{'output':>7}"
    )
    for key, row in rows.items():
        if key == "check_estimate":
            continue
        usage = row.usage
        flag = "" if row.matches else "  MISMATCH"
        print(
            f"{row.label:<56}{_usd(row.recorded):>11}{row.billed:>11.6f}  "
            f"{usage.get('input_tokens', 0):>7}"
            f"{usage.get('cache_write_5m_tokens', 0) + usage.get('cache_write_1h_tokens', 0):>8}"
            f"{usage.get('cache_read_tokens', 0):>8}{usage.get('output_tokens', 0):>7}{flag}"
        )
    estimate, actual = rows["check_estimate"].recorded, rows["check"].billed
    ratio = f"actual / estimate {actual / estimate:.2f}" if estimate else "no estimate"
    print(f"{'client check: estimate shown before':<56}{_usd(estimate):>11}  ({ratio})")
    mismatches = [
        row.label for key, row in rows.items() if key != "check_estimate" and not row.matches
    ]
    print(
        "recorded cost = the fake's bill, to the nano-dollar, on every line"
        if not mismatches
        else f"MISMATCH between recorded cost and the fake's bill: {', '.join(mismatches)}"
    )


def print_goals(rows: dict[str, Row]) -> None:
    estimate, actual = rows["check_estimate"].recorded, rows["check"].billed
    within = estimate is not None and abs(actual - estimate) <= ESTIMATE_TOLERANCE * estimate
    checks = [
        ("10-turn conversation, later", rows["conv10_later"].billed, GOALS["conversation"]),
        ("10-turn conversation, first", rows["conv10_first"].billed, GOALS["conversation"]),
        ("practice session, later", rows["session_later"].billed, GOALS["session"]),
        ("practice session, first", rows["session_first"].billed, GOALS["session"]),
        ("client check", actual, GOALS["check"]),
    ]
    print("\ngoals on the default models:")
    for label, value, goal in checks:
        print(
            f"  {label:<30} ${value:.4f}  goal <= ${goal}: {'met' if value <= goal else 'MISSED'}"
        )
    print(f"  {'check estimate within 20%':<30} {'met' if within else 'MISSED'}")


def _usd(value: Decimal | None) -> str:
    return "unpriced" if value is None else f"{value:.6f}"


def start_fake_api() -> Any:
    """The fake Anthropic server every paid call of a bench goes to, and this process's settings
    pointed at it (no budget or rate limit in the way)."""
    from tests.fakes.anthropic_server import FakeAnthropic

    fake = FakeAnthropic(api_usage=True).start()
    os.environ.update(
        {
            "ANTHROPIC_API_KEY": "bench-key",
            "ANTHROPIC_BASE_URL": fake.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "USER_DAILY_TOKEN_BUDGET": "1000000000",
            "GLOBAL_DAILY_COST_BUDGET_USD": "100000",
            "USER_RATE_LIMIT": "100000/minute",
            "GLOBAL_RATE_LIMIT": "100000/minute",
            "REVIEW_BATCH_POLL_SECONDS": "0.01",
        }
    )
    return fake


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", choices=("natural", "long"), default="natural")
    parser.add_argument("--models", nargs="+", choices=tuple(MODELS), default=list(MODELS))
    args = parser.parse_args()
    fake = start_fake_api()
    replies = client_replies(args.replies == "long")
    words = [len(reply.split()) for reply in replies.values()]
    print(
        f"client {CLIENT}; client replies: {args.replies}, {min(words)}-{max(words)} words "
        f"(mean {sum(words) / len(words):.0f})"
    )
    try:
        for name in args.models:
            bench = Bench(fake, MODELS[name], replies)
            rows = run(bench)
            print_rows(bench, rows)
            if name == "default":
                print_goals(rows)
            bench.engine.dispose()
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
