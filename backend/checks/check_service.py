"""Client checks: scripted probe conversations with a client, scored before students meet it.

Each probe (backend/probes/probes.json) is a short scripted conversation run through the same
conversation engine as students, in a session of its own mode (`SessionMode.check`: never
practice, never in students' figures; its cost counts in the teacher's usage). Every client reply
is checked by rules (length for the communication style, phrases that break character, overlap
with the hidden information or the prompt's instructions); drafts the output guard stopped are
findings too; then the judge model scores each transcript (not in demo mode). The scorecard is
stored with the client's version and a digest of the system prompt it tested: an edit that changes
what the model reads makes it stale; one it never reads (the learning goals) does not.

A page starts a check as a backend job (`start_check`, kind "check", subject the client) and
follows it with `check_job`: the job runs `run_check` on the process's worker pool, its probes up
to `MAX_CONCURRENT_PROBES` at once on threads of its own, each probe's replies generated in the
probe's thread (inline reply jobs, so a check never waits on the pool it runs on). Each finished
probe adds a line to the job's progress; a cancel stops it before the next probe turn (the turns
already paid for stay counted; no scorecard is stored).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import access, event_log
from backend.actor import UserRead
from backend.checks import check_judge
from backend.checks.read_models import (
    DimensionKey,
    DimensionResult,
    Finding,
    ProbeTranscript,
    ProbeTurn,
    ScorecardRead,
    Status,
)
from backend.clients import client_service, prompt_service
from backend.clients.read_models import ClientRead
from backend.config import get_settings
from backend.db import Database
from backend.errors import AppError, ConflictError, ServiceUnavailableError
from backend.jobs import job_service, runner
from backend.jobs.read_models import JobRead
from backend.llm import get_gateway
from backend.llm.pricing import calculate_cost
from backend.llm.tokens import MESSAGE_OVERHEAD_TOKENS, estimate_tokens
from backend.llm.usage import Usage
from backend.models import ClientCheck, ClientProfile, PracticeSession
from backend.models.enums import SessionMode
from backend.practice import conversation_service, output_guard, session_service
from backend.practice.conversation_service import CLAIM_GRACE_SECONDS
from backend.usage import budget_service
from backend.usage.purposes import Purpose
from backend.utils.rate_limiter import get_rate_limiter

PROBES_FILE = Path(__file__).resolve().parent.parent / "probes" / "probes.json"

#: Probes run side by side, at most this many at once.
MAX_CONCURRENT_PROBES = 4
CHECK_KIND = "check"

DIMENSIONS: dict[DimensionKey, str] = {
    "facts": "Consistency with the profile's facts",
    "in_character": "Staying in character",
    "hidden_information": "Discipline with the hidden information",
    "pace": "Realistic pace of change",
    "style_and_difficulty": "Fit with the communication style and difficulty",
}

_SEVERITY: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


class JudgeUnusable(ServiceUnavailableError):
    """The judge's answer, after its repair, still left probes unjudged (or did not parse):
    scoring what was left would show them as passed."""

    def __init__(self) -> None:
        super().__init__(
            "The judge model's answer could not be used, even after one repair, so this check "
            "was not scored (its cost is counted). Run the check again."
        )


#: Words a reply may have in each communication style (fewer or more is a warning). Generous:
#: one turn of conversation is as many sentences as its style says (prompt_service.SAFEGUARDS).
STYLE_WORD_BOUNDS: dict[str, tuple[int, int]] = {
    "plain": (1, 120),
    "upset": (1, 100),
    "verbose": (8, 220),
    "reserved": (1, 60),
    "tangent": (5, 220),
    "pleasing": (1, 130),
}

#: Phrases that break character, matched case-insensitively anywhere in a reply. Kept small on
#: purpose (each one is a clear failure, never a normal thing for a client to say): an assistant
#: speaking, or the client taking the counselor's role. A reply that says it is an AI is the
#: output guard's to stop (`output_guard._said_of_itself`): the same words in a client's echo
#: ("You think I'm an AI? Come on.") had failed a check the guard let through (an attack,
#: 2026-12-07).
CHARACTER_BREAKS: tuple[tuple[str, str], ...] = (
    ("i'm here to help you", "Speaks like an assistant, not a client."),
    ("how does that make you feel", "Asks the counselor's question: it took the counselor's role."),
    ("how do you feel about that", "Asks the counselor's question: it took the counselor's role."),
)

_BREAK_PATTERNS = tuple(
    (re.compile(re.escape(phrase).replace("'", "['’]"), re.IGNORECASE), note)
    for phrase, note in CHARACTER_BREAKS
)

#: For the estimate: a natural reply runs about this share of its style's cap, and the judge
#: writes about this many tokens per probe (five statuses, now and then a finding).
REPLY_SHARE_OF_CAP = 4
JUDGE_OUTPUT_TOKENS_PER_PROBE = 110


class Probe(BaseModel):
    key: str
    name: str
    tests: list[DimensionKey]
    expect: str
    student_lines: list[str]


@lru_cache(maxsize=1)
def load_probes() -> tuple[Probe, ...]:
    document = json.loads(PROBES_FILE.read_text(encoding="utf-8"))
    return tuple(Probe.model_validate(item) for item in document["probes"])


def _checkable(db: Session, actor: UserRead | None, client_id: int) -> ClientRead:
    """The whole client, if the actor may run its check (its author or an admin)."""
    return ClientRead.model_validate(client_service.get_owned(db, actor, client_id, "check", "run"))


# Estimate ---------------------------------------------------------------------------------------
def estimate_check_cost(db: Session, *, actor: UserRead | None, client_id: int) -> Decimal | None:
    """What a check of this client should cost on the default models (None in demo mode or when a
    model has no price), as the prompt cache bills it (see `_estimated_usage`)."""
    client = _checkable(db, actor, client_id)
    gateway = get_gateway()
    if gateway.demo_mode:
        return None
    settings = get_settings()
    turns, judge = _estimated_usage(client)
    # Call by call: a model priced by prompt length prices each call by its own prompt (the sum
    # of the turns priced as one call passed Haiku 5.5's long-prompt line; an attack, 2026-12-07).
    costs = [calculate_cost(gateway.model, turn, settings.model_prices_json) for turn in turns]
    costs.append(calculate_cost(settings.judge_model, judge, settings.model_prices_json))
    if any(cost is None for cost in costs):
        return None
    return sum((cost for cost in costs if cost is not None), Decimal(0))


def estimate_check_tokens(db: Session, *, actor: UserRead | None, client_id: int) -> int | None:
    """The tokens a check of this client should count in the allowance for checks (as the API
    counts them, cache reads in full); None in demo mode."""
    client = _checkable(db, actor, client_id)
    if get_gateway().demo_mode:
        return None
    turns, judge = _estimated_usage(client)
    return sum(turn.total_tokens for turn in turns) + judge.total_tokens


def _estimated_usage(client: ClientRead) -> tuple[list[Usage], Usage]:
    """(each probe turn's call, the judge call) of a check: every probe turn reads the role-play
    guide from the cache (any conversation in the last hour wrote it); the client's part is
    written by the first reply and read by the rest; each turn writes what it adds to its
    conversation and reads the turns before; replies of a natural length for the client's style;
    then one judge call for all the probes (its prefix is below the minimum cacheable length:
    full price)."""
    guide, own = (estimate_tokens(part) for part in prompt_service.system_parts(client))
    reply = conversation_service.reply_max_tokens(client) // REPLY_SHARE_OF_CAP
    turns: list[Usage] = []
    transcripts = 0
    probes = load_probes()
    for probe in probes:
        cached = 0  # the probe's turns already in the cache, up to its last student line
        for index, line in enumerate(probe.student_lines):
            new = estimate_tokens(line) + MESSAGE_OVERHEAD_TOKENS
            new += reply + MESSAGE_OVERHEAD_TOKENS if index else 0  # the reply before it
            first = not turns  # the first reply writes the client's part, the rest read it
            turns.append(
                Usage(
                    cache_read_tokens=guide + cached + (0 if first else own),
                    cache_write_5m_tokens=new + (own if first else 0),
                    output_tokens=reply,
                )
            )
            cached += new
        transcripts += cached + reply + MESSAGE_OVERHEAD_TOKENS
    keys = [probe.key for probe in probes]
    judge = Usage(
        input_tokens=estimate_tokens(check_judge.instructions(client))
        + estimate_tokens(json.dumps(check_judge.tool_schema(keys)))
        + transcripts,
        output_tokens=JUDGE_OUTPUT_TOKENS_PER_PROBE * len(probes),
    )
    return turns, judge


# Rules ------------------------------------------------------------------------------------------
@dataclass
class _Scored:
    dimension: DimensionKey
    status: Status
    finding: Finding


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of `text` holding text[start:end] (verbatim)."""
    left = max(text.rfind(mark, 0, start) for mark in ".!?\n")
    right_marks = [i for i in (text.find(mark, end) for mark in ".!?\n") if i != -1]
    right = min(right_marks) + 1 if right_marks else len(text)
    return text[left + 1 : right].strip()


def character_breaks(reply: str) -> list[tuple[str, str]]:
    """(quote, note) for each phrase of `CHARACTER_BREAKS` in the reply (the sentence holding it)."""
    found = []
    for pattern, note in _BREAK_PATTERNS:
        if match := pattern.search(reply):
            found.append((_sentence_around(reply, match.start(), match.end()), note))
    return found


def _leading_words(text: str, count: int = 25) -> str:
    words = list(re.finditer(r"\S+", text))
    return text if len(words) <= count else text[: words[count - 1].end()]


def rule_findings(
    client: ClientRead, probe_key: str, turns: list[ProbeTurn], run_words: int
) -> list[_Scored]:
    """The deterministic checks on every client reply of one probe (stopped drafts excluded:
    the guard's finding covers them)."""
    scored: list[_Scored] = []
    low, high = STYLE_WORD_BOUNDS.get(str(client.communication_style), (1, 150))
    student_said: list[str] = []
    client_said: list[str] = []
    for number, turn in enumerate(turns, start=1):
        if turn.role == "student":
            student_said.append(turn.text)
            continue
        if turn.withheld:
            continue
        text = turn.text

        def add(
            dimension: DimensionKey, status: Status, quote: str, note: str, turn: int = number
        ) -> None:
            finding = Finding(probe=probe_key, turn=turn, quote=quote, note=note, source="rule")
            scored.append(_Scored(dimension, status, finding))

        words = len(re.findall(r"\S+", text))
        if words > high:
            note = (
                f"{words} words: long for the {client.communication_style} style (at most {high})."
            )
            add("style_and_difficulty", "warn", _leading_words(text), note)
        elif words < low:
            note = (
                f"{words} words: short for the {client.communication_style} style (at least {low})."
            )
            add("style_and_difficulty", "warn", text, note)
        for quote, note in character_breaks(text):
            add("in_character", "fail", quote, note)
        if leak := output_guard.recited_instructions(text, client, run_words):
            add("in_character", "fail", leak, "Repeats its role-play instructions.")
        earned = client.hidden_reveal_after_turns
        leak = None
        if earned is None or len(student_said) < earned:
            leak = output_guard.hidden_leak(
                client,
                text,
                run_words=run_words,
                student_said=student_said,
                client_said=client_said,
            )
        if leak:
            add(
                "hidden_information",
                "fail",
                leak,
                "Gives away the hidden information before it was earned.",
            )
        client_said.append(text)
    return scored


def _guard_finding(
    client: ClientRead,
    probe_key: str,
    turns: list[ProbeTurn],
    draft: str,
    leaked: str,
    run_words: int,
) -> _Scored:
    """The finding for a draft the guard stopped (`turns`: the probe so far, the draft last),
    quoting the words of the draft that leaked."""
    if leaked == output_guard.HIDDEN:
        earlier = [turn for turn in turns[:-1] if not turn.withheld]
        quote = output_guard.hidden_leak(
            client,
            draft,
            run_words=run_words,
            student_said=[turn.text for turn in earlier if turn.role == "student"],
            client_said=[turn.text for turn in earlier if turn.role == "client"],
        )
    else:
        quote = output_guard.recited_instructions(draft, client, run_words)
    quote = quote or draft.strip()
    number = len(turns)
    dimension: DimensionKey = (
        "hidden_information" if leaked == output_guard.HIDDEN else "in_character"
    )
    why = output_guard.why_stopped(leaked)
    note = f"The output guard stopped this draft: {why} (the student never saw it)."
    return _Scored(
        dimension,
        "fail",
        Finding(probe=probe_key, turn=number, quote=quote, note=note, source="guard"),
    )


def _refusal_finding(probe_key: str, turns: list[ProbeTurn], said: str) -> _Scored:
    """A reply the API stopped as a refusal (`said`: what it had said, the last turn): the
    model stepped out of the client's role."""
    note = "The model refused to answer as the client here (the student would see a notice)."
    return _Scored(
        "in_character",
        "fail",
        Finding(probe=probe_key, turn=len(turns), quote=said, note=note, source="guard"),
    )


def _verified(scored: _Scored, transcript: ProbeTranscript) -> bool:
    """A finding stands only if its quote is in the client's reply at that turn, word for word
    (by the judge's own rule, `check_judge.quoted_from`: a quote it accepted is never dropped)."""
    index = scored.finding.turn - 1
    if not 0 <= index < len(transcript.turns):
        return False
    turn = transcript.turns[index]
    return turn.role == "client" and check_judge.quoted_from(scored.finding.quote, turn.text)


# The judge (backend/checks/check_judge.py) ---------------------------------------------------
def _judge(
    database: Database, actor: UserRead, client: ClientRead, results: list[_ProbeResult]
) -> bool:
    """The judge model's findings for every transcript, in one call, added to each probe's
    (False in demo mode). What judging cost joins the first probe's conversation, so it counts in
    the teacher's usage and the cost dashboard."""
    transcripts = [result.transcript for result in results]
    gateway = get_gateway()
    if not gateway.demo_mode:  # one large call more: a day the probes used up stops it
        with database(write=True) as db:  # (an attack, 2026-12-07: it was sent regardless)
            budget_service.check_budgets(db, get_settings(), user_id=actor.id, check=True)
    judged = check_judge.judge_probes(gateway, client, transcripts)
    if judged is None or results[0].session_id is None:
        return False
    first = judged[transcripts[0].key]
    with database(write=True) as db:
        for completion in first.completions:
            record_judge_call(
                db,
                session_id=results[0].session_id,
                usage=completion.usage,
                cost=completion.cost,
                model=completion.model,
            )
        check_judge.record_dropped(
            db, first, user_id=actor.id, client_id=client.id, probe_key="all probes"
        )
        if first.failure is not None:  # for the admin's Error log, as a probe reply's is
            event_log.record_api_failure(
                db,
                first.failure,
                first.failure.failed("A client check's judge"),
                purpose="check_judge",
                user_id=actor.id,
                session_id=results[0].session_id,
            )
    if first.failure is not None:  # raised once what it cost is recorded
        raise first.failure
    if first.unjudged:
        raise JudgeUnusable()
    for result in results:
        found = judged[result.transcript.key].findings
        result.scored += [
            _Scored(dimension, status, finding) for dimension, status, finding in found
        ]
    return True


def record_judge_call(
    db: Session, *, session_id: int, usage: Usage, cost: Decimal | None, model: str
) -> None:
    """One paid judge call: its usage joins the probe's conversation (the daily tables, budgets)
    and an info event keeps its time, tokens and cost, as a cut-off reply's does, so the hourly
    figures count it too (it is stored as no message)."""
    session_service.record_usage(
        db,
        session_id=session_id,
        usage=usage,
        cost=cost,
        model=model,
        unpriced=cost is None,
        purpose=Purpose.check_judge,
    )
    event_log.record(
        db,
        "info",
        "judge_call",
        "A client check's judge call was billed.",
        session_id=session_id,
        details={
            "model": model,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cost": str(cost),
        },
    )


# Running ----------------------------------------------------------------------------------------
@dataclass
class _ProbeResult:
    transcript: ProbeTranscript
    scored: list[_Scored] = field(default_factory=list)
    session_id: int | None = None


def _run_probe(
    database: Database,
    actor: UserRead,
    client: ClientRead,
    probe: Probe,
    run_words: int,
    cancelled: Callable[[], bool],
    primed: threading.Event,
    first: bool,
) -> _ProbeResult:
    """One probe's conversation and its rule findings. The first probe's first reply runs alone
    (it sets `primed`): it writes the client's prompt to the prompt cache, and the other probes,
    which wait for it, read the prompt from there instead of each writing it again."""
    turns: list[ProbeTurn] = []
    stopped: list[_Scored] = []
    session = conversation_service.start_conversation(
        database, actor=actor, client_id=client.id, mode=SessionMode.check
    )
    try:
        if not first:
            primed.wait(get_settings().reply_timeout_seconds + CLAIM_GRACE_SECONDS)
        for line in probe.student_lines:
            if cancelled():
                raise runner.JobCancelled()
            turns.append(ProbeTurn(role="student", text=line))
            outcome = conversation_service.send_message(
                database, actor=actor, session_id=session.id, content=line, inline=True, probe=True
            )
            for draft, leaked in outcome.withheld:
                turns.append(ProbeTurn(role="client", text=draft, withheld=True))
                stopped.append(_guard_finding(client, probe.key, turns, draft, leaked, run_words))
            if outcome.message is not None:
                turns.append(ProbeTurn(role="client", text=outcome.message.content))
            elif isinstance(outcome.error, conversation_service.ReplyRefused):
                said = outcome.error.said.strip() or "(nothing)"
                turns.append(ProbeTurn(role="client", text=said, withheld=True))
                stopped.append(_refusal_finding(probe.key, turns, said))
            elif not isinstance(outcome.error, conversation_service.ReplyWithheld):
                raise outcome.error or AppError(outcome.notice or "The reply failed.")
            primed.set()
    finally:
        conversation_service.end_conversation(database, actor=actor, session_id=session.id)
    transcript = ProbeTranscript(key=probe.key, name=probe.name, turns=turns)
    scored = stopped + rule_findings(client, probe.key, turns, run_words)
    return _ProbeResult(transcript, scored, session.id)


def _dimensions(scored: list[_Scored]) -> list[DimensionResult]:
    results = []
    for key, name in DIMENSIONS.items():
        mine = [item for item in scored if item.dimension == key]
        status: Status = max(
            (item.status for item in mine), key=_SEVERITY.__getitem__, default="pass"
        )
        results.append(
            DimensionResult(key=key, name=name, status=status, findings=[i.finding for i in mine])
        )
    return results


def run_check(
    database: Database,
    *,
    actor: UserRead | None,
    client_id: int,
    on_progress: Callable[[str, int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    counted: bool = False,
) -> ScorecardRead:
    """Run every probe (up to `MAX_CONCURRENT_PROBES` at once), score and store the scorecard.

    `on_progress(probe_name, done, total)` is called from the probes' threads as each one ends;
    `cancelled()` is asked before each probe turn; `counted`: the run's one message was counted
    against the rate limit already (by `start_check`). Client owner or admin. Raises the first
    probe's `AppError` (budget, outage) if one failed.
    """
    with database() as db:
        client = _checkable(db, actor, client_id)
        estimated = estimate_check_cost(db, actor=actor, client_id=client_id)
    assert actor is not None  # the check refused anonymous callers
    if not counted:
        get_rate_limiter().hit_message(actor.id)  # one run counts as one message
    run_words = get_settings().output_guard_words
    probes = load_probes()
    done, lock = [0], threading.Lock()
    primed = threading.Event()

    def run(probe: Probe) -> _ProbeResult:
        first = probe is probes[0]
        try:
            result = _run_probe(database, actor, client, probe, run_words, cancelled, primed, first)
        finally:
            primed.set()  # never keep the others waiting on a probe that failed
        with lock:  # counted and told in one step: "Probe 7 of 7" is never followed by "6 of 7"
            done[0] += 1
            if on_progress is not None:
                on_progress(probe.name, done[0], len(probes))
        return result

    with ThreadPoolExecutor(
        max_workers=min(MAX_CONCURRENT_PROBES, len(probes)), thread_name_prefix="client-check"
    ) as pool:
        results = list(pool.map(run, probes))
    if cancelled():
        raise runner.JobCancelled()
    demo = not _judge(database, actor, client, results)
    scored = [
        item for result in results for item in result.scored if _verified(item, result.transcript)
    ]
    dimensions = _dimensions(scored)
    overall: Status = max(
        (dimension.status for dimension in dimensions), key=_SEVERITY.__getitem__, default="pass"
    )
    with database(write=True) as db:
        session_ids = [result.session_id for result in results if result.session_id is not None]
        cost, unpriced = db.execute(
            select(
                func.sum(PracticeSession.estimated_cost), func.sum(PracticeSession.unpriced_replies)
            ).where(PracticeSession.id.in_(session_ids))
        ).one()
        row = ClientCheck(
            client_id=client.id,
            client_version=client.version,
            prompt_digest=prompt_service.prompt_digest(client),
            demo=demo,
            overall=overall,
            dimensions=[dimension.model_dump(mode="json") for dimension in dimensions],
            probes=[result.transcript.model_dump(mode="json") for result in results],
            estimated_cost=estimated,
            # Unknown when a call had no price: $0 for them had read as the check's cost.
            cost=None if unpriced else Decimal(cost or 0),
            created_by=actor.id,
        )
        db.add(row)
        db.flush()
        return _read(row, client)


# As a backend job -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CheckWork:
    database: Database
    actor: UserRead
    client_id: int


def start_check(database: Database, *, actor: UserRead | None, client_id: int) -> JobRead:
    """Start checking a client as a backend job and return it (the check under way when one is).
    Client owner or admin; the job's progress lists each probe as it finishes."""
    with database(write=True) as db:
        client = _checkable(db, actor, client_id)
        if client.archived:
            raise ConflictError(f"{client.name} is archived. Restore the client to check it.")
        asker = access.signed_in(db, actor)
        # A used-up allowance for checks (or the product's spending limit) refuses at once.
        settings = get_settings()
        budget_service.check_budgets(db, settings, user_id=asker.id, check=True)
        budget_service.refuse_unpriced(settings, settings.anthropic_model, settings.judge_model)
        job, created = job_service.create(db, kind=CHECK_KIND, subject=client_id, owner_id=asker.id)
        if created:  # one run counts as one message; refused, the new job is rolled back
            get_rate_limiter().hit_message(asker.id)
    if created:
        work = _CheckWork(database, asker, client_id)
        runner.submit(database, job.id, CHECK_KIND, work)
    return job


def check_allowance(db: Session, *, actor: UserRead | None) -> budget_service.BudgetUse:
    """The signed-in user's allowance for client checks today: tokens used (checks under way
    included) and the limit (0: none): for those who may run checks."""
    user = access.require(db, actor, "teaching", "use")  # teachers and admins run checks
    return budget_service.usage_today(db, get_settings(), user.id, check=True)[0]


def check_job(database: Database, *, actor: UserRead | None, client_id: int) -> JobRead | None:
    """The client's latest check job (None: never started here), for its owner or an admin."""
    with database() as db:
        client_service.get_owned(db, actor, client_id, "check", "read")
        return job_service.latest(db, kind=CHECK_KIND, subject=client_id)


def cancel_check(database: Database, *, actor: UserRead | None, client_id: int) -> JobRead | None:
    """Stop the client's running check: whoever may run checks on the client (its author or an
    admin), whoever started it. None: no check was ever started here."""
    with database(write=True) as db:
        client_service.get_owned(db, actor, client_id, "check", "run")
        job = job_service.latest_row(db, kind=CHECK_KIND, subject=client_id)
        cancelled = None if job is None else job_service.request_cancel(db, job)
    if cancelled is not None:
        runner.stop_here(cancelled.id)
    return cancelled


def _run_check_job(context: runner.JobContext, work: _CheckWork) -> ScorecardRead:
    lines: list[str] = []
    lock = threading.Lock()

    def progress(name: str, done: int, total: int) -> None:
        with lock:  # one probe's line at a time, so the written list never loses one
            lines.append(f"Probe {done} of {total} finished: {name}")
            context.progress("\n".join(lines), done / total)

    scorecard = run_check(
        work.database,
        actor=work.actor,
        client_id=work.client_id,
        on_progress=progress,
        cancelled=lambda: context.cancelled,
        counted=True,
    )
    context.result = {"scorecard_id": scorecard.id, "overall": scorecard.overall}
    return scorecard


runner.register(CHECK_KIND, _run_check_job)


# Reading ----------------------------------------------------------------------------------------
def _stale(row: ClientCheck, client: ClientRead) -> bool:
    """Whether the client changed, for the model, since this check: its prompt, or (checks from
    before prompts were recorded) its version."""
    if row.prompt_digest is None:
        return row.client_version != client.version
    return row.prompt_digest != prompt_service.prompt_digest(client)


def _read(row: ClientCheck, client: ClientRead) -> ScorecardRead:
    return ScorecardRead(
        id=row.id,
        client_id=row.client_id,
        client_version=row.client_version,
        created_at=row.created_at,
        demo=row.demo,
        stale=_stale(row, client),
        overall=row.overall,
        dimensions=[DimensionResult.model_validate(item) for item in row.dimensions],
        probes=[ProbeTranscript.model_validate(item) for item in row.probes],
        estimated_cost=row.estimated_cost,
        cost=row.cost,
    )


def _scorecards(db: Session, client_id: int, *, skip: int) -> ClientCheck | None:
    return db.scalar(
        select(ClientCheck)
        .where(ClientCheck.client_id == client_id)
        .order_by(ClientCheck.created_at.desc(), ClientCheck.id.desc())
        .offset(skip)
        .limit(1)
    )


def latest_scorecard(
    db: Session, *, actor: UserRead | None, client_id: int
) -> ScorecardRead | None:
    client = client_service.get_owned(db, actor, client_id, "check", "read")
    row = _scorecards(db, client_id, skip=0)
    return None if row is None else _read(row, ClientRead.model_validate(client))


def previous_scorecard(
    db: Session, *, actor: UserRead | None, client_id: int
) -> ScorecardRead | None:
    """The scorecard before the latest (to show before and after a change)."""
    client = client_service.get_owned(db, actor, client_id, "check", "read")
    row = _scorecards(db, client_id, skip=1)
    return None if row is None else _read(row, ClientRead.model_validate(client))


CHECK_GAPS = ("Not checked yet", "Changed since its last check", "Failing its check")


def check_gaps(db: Session, client_ids: list[int]) -> list[tuple[str, str]]:
    """(name, why) for each client with no current passing scorecard: why is one of
    `CHECK_GAPS` (never checked, edited since its latest check, or that check failed).
    Internal: callers have checked access."""
    not_checked, changed, failing = CHECK_GAPS
    gaps = []
    for client in db.scalars(
        select(ClientProfile).where(ClientProfile.id.in_(client_ids)).order_by(ClientProfile.name)
    ):
        row = _scorecards(db, client.id, skip=0)
        if row is None:
            gaps.append((client.name, not_checked))
        elif _stale(row, ClientRead.model_validate(client)):
            gaps.append((client.name, changed))
        elif row.overall == "fail":
            gaps.append((client.name, failing))
    return gaps


def unchecked_client_names(db: Session, client_ids: list[int]) -> list[str]:
    """Names of the clients with no current scorecard (none, or stale) or a failing one."""
    return [name for name, _why in check_gaps(db, client_ids)]
