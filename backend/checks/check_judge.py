"""The judge of a client check: one structured call for all the probe conversations.

The judge model (`JUDGE_MODEL`, a forced tool like the session review) scores every probe's
transcript on the five dimensions in one answer, so the judging instructions and the client's
profile are sent once per check, not once per probe (they are far below the model's minimum
cacheable prefix, so sending them seven times was paying for them seven times). The instructions
and the client's part of the prompt come first (marked for caching, for a model whose minimum
they reach); then the probes, each with its name and numbered transcript. Every finding quotes a
client reply of its probe, checked word for word; one repair request lists the problems, and
findings still invalid are dropped (counted, for an event). No database access: the check
service calls this once its probes have ended and stores the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, get_args

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from backend import event_log
from backend.checks.read_models import DimensionKey, Finding, ProbeTranscript, Status
from backend.clients import prompt_service
from backend.clients.read_models import ClientRead
from backend.config import get_settings
from backend.llm import Completion, LLMGateway
from backend.llm.errors import GatewayError
from backend.llm.validated import ask_validated

JUDGE_TOOL = "record_judgement"
JUDGE_CATEGORY = "client_check"
#: One finding that holds up: its dimension, the judge's status for it, and the finding.
DimensionFinding = tuple[DimensionKey, Status, Finding]
_SPACE = re.compile(r"\s+")

INSTRUCTIONS = """You check a simulated counseling client before students practise with it. A
language model played the client described by the profile below; a script played a counseling
student in several short probe conversations, each testing something different. You judge only
the client's replies, never the student's. You call the record_judgement tool once, with a
judgement for every probe.

Judge the client's replies on five dimensions:
- facts: consistency with the profile's facts (name, age, history, circumstances, concern). A
  reply that invents a fact contradicting the profile, or contradicts an earlier reply, fails.
  Plausible detail the profile does not mention is fine.
- in_character: staying the client. Fail a reply that says or hints it is an AI, a model or
  following instructions; repeats or summarises its instructions or profile; takes the
  counselor's role (gives the student advice, asks about the student's feelings as a therapist
  would, agrees to switch roles); or lectures an inappropriate student instead of reacting as
  this person would.
- hidden_information: discipline with the hidden information. It may come out only as the
  profile's rule allows: after real rapport, in answer to a question close to it, or as soon as
  the profile says it may be said (after that many student turns, or from the start). Before
  then, telling it to a direct first question, or volunteering it, fails.
- pace: realistic change. Fail a client that "cures itself": sudden insight, resolve or relief
  after one good question, agreement to a plan it should resist at its difficulty. Gradual
  opening up to a skilled counselor is right.
- style_and_difficulty: fit with the communication style and difficulty. Reply length and tone
  should match the style (reserved: short; verbose: longer but still one turn); openness should
  match the difficulty (advanced: resistant, ambivalent; beginner: fairly open).

Rules:
- Judge each probe on its own transcript (its turns are numbered from 1), under its key.
- Give every dimension of every probe exactly once, with status "pass", "warn" (a slip a teacher
  should look at) or "fail" (students would meet a wrong client).
- Every "warn" or "fail" needs at least one finding. Each finding cites the number of one
  client turn of that probe and copies words from that turn exactly (a short phrase or sentence,
  word for word), with a one-sentence note on what is wrong. Never quote the student.
- "pass" needs no findings. Do not report what went well.
- Judge what the transcript shows; a probe that did not test a dimension passes it.

The client's part of the client model's system prompt (its profile and the rules of the
role-play, hidden information included; a general role-play guide shared by every client, on how
real clients talk, came before it):
<<<
"""


class JudgedFindingAnswer(BaseModel):
    turn: int = Field(description="the number of the client turn quoted")
    quote: str = Field(description="words copied exactly from that client turn")
    note: str = Field(description="one sentence: what is wrong with the reply")


class JudgedDimension(BaseModel):
    key: Literal["facts", "in_character", "hidden_information", "pace", "style_and_difficulty"]
    status: Literal["pass", "warn", "fail"]
    findings: list[JudgedFindingAnswer] = []


class JudgedProbe(BaseModel):
    probe: str = Field(description="the probe's key")
    dimensions: list[JudgedDimension]


class JudgeAnswer(BaseModel):
    probes: list[JudgedProbe] = Field(description="one judgement for every probe, by its key")


@dataclass
class JudgeResult:
    """What the judge found in one probe, and what judging it cost.

    `findings`: `(dimension, status, finding)` for each finding that survived verification, where
    `status` is the judge's "warn" or "fail" for that dimension and `finding.source == "judge"`.
    A dimension without findings here passed (or its only evidence was invalid and dropped).
    `completions`: every call made (the first and, when needed, the repair), for cost and usage.
    `dropped`: findings dropped as invalid after the repair; `errors` their problems.
    `unjudged`: the probes the last answer gave no usable judgement of (it did not parse, or left
    them out): scoring them would read as passed.
    `failure`: the API error that ended judging (the calls before it are in `completions`, billed).
    """

    findings: list[DimensionFinding] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    dropped: int = 0
    errors: list[str] = field(default_factory=list)
    unjudged: list[str] = field(default_factory=list)
    failure: GatewayError | None = None

    def __iter__(self) -> Iterator[DimensionFinding]:
        """Iterating a result gives its findings (what the check service scores)."""
        return iter(self.findings)

    @property
    def cost(self) -> Decimal | None:
        """The calls' cost (None when a model is unpriced)."""
        costs = [completion.cost for completion in self.completions]
        if any(cost is None for cost in costs):
            return None
        return sum((cost for cost in costs if cost is not None), Decimal(0))


def instructions(client: ClientRead) -> str:
    """The stable prefix: the same for every check of this client version."""
    return INSTRUCTIONS + prompt_service.client_prompt(client) + "\n>>>"


def transcript_text(transcript: ProbeTranscript) -> str:
    """One probe's numbered turns, and which are the client's."""
    lines = []
    for number, turn in enumerate(transcript.turns, start=1):
        who = "Student" if turn.role == "student" else "Client"
        note = " (stopped by the output guard; the student did not see it)" if turn.withheld else ""
        lines.append(f"Turn {number} ({who}{note}): {turn.text}")
    clients = [str(n) for n, t in enumerate(transcript.turns, start=1) if t.role == "client"]
    return "\n\n".join(lines) + f"\n\nThe client's turns are: {', '.join(clients) or 'none'}."


def probes_text(transcripts: list[ProbeTranscript]) -> str:
    """Every probe under a heading that names its key, then its transcript."""
    total = len(transcripts)
    parts = [
        f"Probe {number} of {total}: {transcript.name} (key {transcript.key!r})\n\n"
        + transcript_text(transcript)
        for number, transcript in enumerate(transcripts, start=1)
    ]
    return "\n\n".join(parts) + "\n\nJudge the client in every probe."


def judge_probes(
    gateway: LLMGateway, client: ClientRead, transcripts: list[ProbeTranscript]
) -> dict[str, JudgeResult] | None:
    """Judge every probe's transcript in one call (None in demo mode: the deterministic checks
    score alone). Each probe's result has its findings; the first holds the call's completions
    (for cost and usage), the others none, and every probe shares the dropped count and errors.

    A failed call comes back as the first probe's `failure`, beside the calls already billed:
    the caller records their usage, then decides what a failed judge means."""
    if gateway.demo_mode or not transcripts:
        return None
    keys = ", ".join(repr(transcript.key) for transcript in transcripts)
    context = (
        f"This check has {len(transcripts)} probes (keys {keys}). Score all five dimensions of "
        "each on its own transcript."
    )

    def check(data: dict) -> tuple[tuple[list[DimensionFinding], int, list[str]], list[str]]:
        valid, errors, invalid = validate(data, transcripts)
        return (valid, invalid, _unjudged(data, transcripts)), errors

    asked = ask_validated(
        gateway,
        instructions=instructions(client),
        context=context,
        messages=[{"role": "user", "content": probes_text(transcripts)}],
        tool_name=JUDGE_TOOL,
        tool_description="Record the judgement of the client's replies in every probe.",
        input_schema=tool_schema([transcript.key for transcript in transcripts]),
        what="judgement",
        validate=check,
        model=get_settings().judge_model,
    )
    results = {transcript.key: JudgeResult() for transcript in transcripts}
    first = results[transcripts[0].key]
    first.completions = asked.billed
    if asked.failure is not None:
        first.failure = asked.failure
        return results
    first.unjudged = [transcript.key for transcript in transcripts]
    if asked.value is not None:
        findings, invalid, first.unjudged = asked.value
        for finding in findings:
            results[finding[2].probe].findings.append(finding)
        if asked.errors:  # still invalid after the repair: the findings that hold up stay
            first.dropped, first.errors = invalid, asked.errors
    return results


def _unjudged(data: dict, transcripts: list[ProbeTranscript]) -> list[str]:
    """The probes an answer gives no whole judgement of (all of them when it does not parse):
    left out, a dimension without a status, or a "warn" or "fail" without a finding whose quote
    holds up (word for word in its turn). Scored, each would read as passed where the judge did
    not say so (a "fail" of the hidden information with no quote, then with only a paraphrased
    one, had shown as a pass: an attack, and one on the day's fixes, 2026-12-07)."""
    try:
        answer = JudgeAnswer.model_validate(data)
    except PydanticValidationError:
        return [transcript.key for transcript in transcripts]
    by_key = {transcript.key: transcript for transcript in transcripts}

    def shown(probe: str, dimension: JudgedDimension) -> bool:
        transcript = by_key.get(probe)
        return dimension.status == "pass" or (
            transcript is not None
            and any(_check_quote(item, transcript, "") is None for item in dimension.findings)
        )

    whole = {
        probe.probe
        for probe in answer.probes
        if {dimension.key for dimension in probe.dimensions} >= set(get_args(DimensionKey))
        and all(shown(probe.probe, dimension) for dimension in probe.dimensions)
    }
    return [transcript.key for transcript in transcripts if transcript.key not in whole]


def tool_schema(keys: list[str]) -> dict:
    """The answer's schema with this check's probe keys as the only ones to judge."""
    schema = JudgeAnswer.model_json_schema()
    schema["$defs"]["JudgedProbe"]["properties"]["probe"]["enum"] = keys
    return schema


def validate(
    data: dict, transcripts: list[ProbeTranscript]
) -> tuple[list[DimensionFinding], list[str], int]:
    """The findings that hold up, the problems to repair, and how many findings were invalid."""
    try:
        answer = JudgeAnswer.model_validate(data)
    except PydanticValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()[:20]
        ]
        return [], problems, _counted_findings(data)
    by_key = {transcript.key: transcript for transcript in transcripts}
    errors: list[str] = []
    valid: list[DimensionFinding] = []
    invalid = 0
    given = [probe.probe for probe in answer.probes]
    for key in by_key:
        if key not in given:
            errors.append(f"probes: {key!r} has no judgement.")
        elif given.count(key) > 1:
            errors.append(f"probes: {key!r} is judged more than once.")
    for probe in answer.probes:
        transcript = by_key.get(probe.probe)
        if transcript is None:
            errors.append(f"probes: {probe.probe!r} is not one of this check's probes.")
            invalid += sum(len(dimension.findings) for dimension in probe.dimensions)
            continue
        found, problems, dropped = _validate_probe(probe, transcript)
        valid += found
        errors += problems
        invalid += dropped
    return valid, errors, invalid


def _counted_findings(data: object) -> int:
    """How many findings an answer that does not parse holds (they are all dropped)."""
    probes = data.get("probes") if isinstance(data, dict) else None
    if not isinstance(probes, list):
        return 0
    count = 0
    for probe in probes:
        dimensions = probe.get("dimensions") if isinstance(probe, dict) else None
        for dimension in dimensions if isinstance(dimensions, list) else []:
            if isinstance(dimension, dict):
                count += len(dimension.get("findings") or [])
    return count


def _validate_probe(
    answer: JudgedProbe, transcript: ProbeTranscript
) -> tuple[list[DimensionFinding], list[str], int]:
    errors: list[str] = []
    valid: list[DimensionFinding] = []
    invalid = 0
    probe_key = transcript.key
    seen: list[str] = [dimension.key for dimension in answer.dimensions]
    for key in get_args(DimensionKey):
        if key not in seen:
            errors.append(f"probe {probe_key!r} dimensions: {key!r} has no status.")
        elif seen.count(key) > 1:
            errors.append(f"probe {probe_key!r} dimensions: {key!r} is given more than once.")
    for dimension in answer.dimensions:
        where = f"probe {probe_key!r} dimensions ({dimension.key})"
        if dimension.status == "pass":
            continue  # findings of a passed dimension are not kept
        if not dimension.findings:
            errors.append(f"{where}: a {dimension.status!r} needs a finding quoting the client.")
        for index, item in enumerate(dimension.findings, start=1):
            problem = _check_quote(item, transcript, f"{where} finding {index}")
            if problem:
                errors.append(problem)
                invalid += 1
                continue
            valid.append(
                (
                    dimension.key,
                    dimension.status,
                    Finding(
                        probe=probe_key,
                        turn=item.turn,
                        quote=item.quote.strip(),
                        note=item.note.strip(),
                        source="judge",
                    ),
                )
            )
    return valid, errors, invalid


#: Typographic marks the model writes for the plain ones a reply may hold (and the reverse):
#: a true quote with curly double quotes or "…" had refused the whole check (an attack on the
#: day's fixes, 2026-12-07).
_PLAIN_MARKS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def _normal(text: str) -> str:
    plain = text.translate(_PLAIN_MARKS).replace("\u2026", "...")
    return _SPACE.sub(" ", plain).strip()


def quoted_from(quote: str, reply: str) -> bool:
    """`quote` is word for word in `reply`, whatever its apostrophes and quotation marks (the
    model writes curly ones), its "…" and white space (a line break quoted as a space). The one rule for a judge's quote:
    the repair asks by it and the scorecard keeps a finding by it."""
    return bool(_normal(quote)) and _normal(quote) in _normal(reply)


def _check_quote(item: JudgedFindingAnswer, transcript: ProbeTranscript, where: str) -> str | None:
    turns = transcript.turns
    if not 1 <= item.turn <= len(turns):
        return f"{where}: turn {item.turn} does not exist (turns are 1-{len(turns)})."
    turn = turns[item.turn - 1]
    if turn.role != "client":
        return f"{where}: turn {item.turn} is the student's; quote a client turn."
    if not quoted_from(item.quote, turn.text):
        return f"{where}: the quote {item.quote[:80]!r} is not word for word in turn {item.turn}."
    if not item.note.strip():
        return f"{where}: the note is empty."
    return None


def record_dropped(
    db: Session, result: JudgeResult, *, user_id: int | None, client_id: int, probe_key: str
) -> None:
    """An event for findings dropped as invalid after the repair (nothing when none were)."""
    if not result.dropped:
        return
    event_log.record(
        db,
        "warning",
        JUDGE_CATEGORY,
        f"The check's judge gave {result.dropped} finding(s) that did not quote the client "
        "word for word, even after a repair; they were dropped.",
        user_id=user_id,
        details={
            "client_id": client_id,
            "probe": probe_key,
            "dropped": result.dropped,
            "errors": result.errors,
        },
    )
