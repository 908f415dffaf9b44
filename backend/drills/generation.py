"""Drafting drill items from one of the teacher's clients with the model (a flow: it opens its
own units of work around the call, so no transaction is held while the model writes).

One forced-tool call on `REVIEW_MODEL` (through the gateway's validated loop: one repair) writes
3-10 items in the client's voice, each a context line, a statement and a model answer. Every
answer is checked: texts of sensible length, the set's skill, and a model answer the offline
coder finds hitting its skill (a model answer that misses would teach the wrong thing). Items
still invalid after the repair are dropped. The kept ones become drafts of the set: students see
none of them until the teacher accepts each. The teacher's daily token budget and the product's
dollars are checked first, as before a review; the call's cost joins the teacher's day under its
own purpose (`drill_items`) with an info event for the hourly figures. Demo mode writes items
offline from the profile, for free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from backend import access, event_log
from backend.actor import UserRead
from backend.clients import client_service
from backend.clients.read_models import ClientRead
from backend.config import get_settings
from backend.db import Database
from backend.drills import drill_service, skills
from backend.drills.bank import bank_items
from backend.drills.read_models import MAX_ITEMS, DrillItemInput
from backend.errors import AppError, ValidationError
from backend.llm import Completion, get_gateway
from backend.llm.errors import GatewayError
from backend.llm.validated import Validated, ask_validated
from backend.models import DrillSet
from backend.models.enums import DrillSkill
from backend.usage import budget_service, usage_service
from backend.usage.purposes import Purpose

TOOL = "record_drill_items"
MIN_DRAFTS = 3

INSTRUCTIONS = """You write practice items for counseling students. Each item trains one skill:
- reflect: the client says something; the student must reflect it (say back its meaning as a
  statement, not a question).
- open_question: the client says something a student might answer with a closed question; the
  context line names that closed question ("The closed question to open up: ..."); the student
  must ask an open question instead.
- sustain_talk: the client argues for not changing; the student must respond without arguing
  (a reflection, or stressing the client's choice).
- ask_permission: the client says something that invites information or advice; the student
  must ask permission before giving it.

Write every item from the client profile below: the client's situation, voice and concerns.
For each item give:
- skill: one of the skills above (only the ones asked for),
- context: one line (at most 200 characters) on who the client is and what came just before,
- statement: what the client says, one to three sentences in their voice,
- model_answer: one good student reply that does the skill, one or two sentences.
Never quote the hidden information; vary the statements; no two items alike.
"""


def tool_schema() -> dict:
    """The forced tool's input: a list of items."""
    item = {
        "type": "object",
        "properties": {
            "skill": {"type": "string", "enum": [skill.value for skill in DrillSkill]},
            "context": {"type": "string"},
            "statement": {"type": "string"},
            "model_answer": {"type": "string"},
        },
        "required": ["skill", "context", "statement", "model_answer"],
    }
    return {
        "type": "object",
        "properties": {"items": {"type": "array", "items": item}},
        "required": ["items"],
    }


def request_text(client: ClientRead, wanted: list[DrillSkill], count: int) -> tuple[str, str]:
    """(context, the user message): the client's profile (its hidden information left out) and
    what to write."""
    context = (
        f"Client profile:\nName: {client.name}, {client.age}\n"
        f"Background: {client.background}\nPresenting concern: {client.presenting_concern}\n"
        f"Challenges: {client.challenges}\n"
        f"Personality: {', '.join(client.personality_traits)}; style: "
        f"{client.communication_style}; difficulty: {client.difficulty}"
    )
    names = ", ".join(skill.value for skill in wanted)
    ask = f"Write {count} items for the skills: {names}. Call {TOOL} once with all of them."
    return context, ask


@dataclass(frozen=True)
class Drafted:
    """What one drafting gave: drafts added to the set, dropped items, and what it cost."""

    added: int
    dropped: int
    cost: Decimal | None
    demo: bool


def draft_items(
    database: Database, *, actor: UserRead | None, set_id: int, client_id: int, count: int = 5
) -> Drafted:
    """Draft `count` items (3-10, as many as the set has room for) from one of the teacher's
    clients; they wait as drafts for the teacher."""
    if not MIN_DRAFTS <= count <= MAX_ITEMS:
        raise ValidationError(f"Ask for {MIN_DRAFTS} to {MAX_ITEMS} items.")
    with database() as db:
        drill_set = drill_service.get_set(db, actor=actor, set_id=set_id)
        client = client_service.get_client(db, actor=actor, client_id=client_id)
        checked = access.signed_in(db, actor)
    room = MAX_ITEMS - len(drill_set.items)
    if room < 1:
        raise drill_service.SetFull(0)
    count = min(count, room)
    wanted = [drill_set.skill] if drill_set.skill else list(DrillSkill)
    gateway = get_gateway()
    billed: list[Completion] = []
    failure: GatewayError | None = None
    if gateway.demo_mode:
        items, dropped = demo_items(client, wanted, count), 0
    else:
        with database(write=True) as db:  # the teacher's day and the product's dollars
            settings = get_settings()
            budget_service.check_budgets(db, settings, user_id=checked.id, practice=False)
            budget_service.refuse_unpriced(settings, settings.review_model)  # it drafts
        context, ask = request_text(client, wanted, count)
        outcome = ask_validated(
            gateway,
            instructions=INSTRUCTIONS,
            context=context,
            messages=[{"role": "user", "content": ask}],
            tool_name=TOOL,
            tool_description="Record the drill items.",
            input_schema=tool_schema(),
            what="list of items",
            validate=lambda data: _validate(data, wanted, count),
        )
        billed, failure = outcome.billed, outcome.failure
        kept, asked = _held_up(outcome, wanted, count)
        items = kept[:count]
        dropped = max(min(count, asked) - len(items), 0)
    with database(write=True) as db:  # billed even when nothing is kept: its own transaction
        for completion in billed:
            _record_call(db, checked, set_id, completion)
        if failure is not None:  # for the admin's Error log, as a reply's or a review's is
            event_log.record_api_failure(
                db,
                failure,
                failure.failed("Drill drafting"),
                purpose="drill_items",
                user_id=checked.id,
            )
    with database(write=True) as db:
        # The room is counted under the set's lock (as drill_service's changes are).
        row = db.get_one(DrillSet, set_id, with_for_update={"key_share": True})
        added = drill_service.add_drafts(db, row, items, f"generated:{client.name}"[:200])
    if failure is not None and not added:  # raised once what it cost is recorded
        raise failure
    costs = [completion.cost for completion in billed]
    cost = None if None in costs else sum((c for c in costs if c is not None), Decimal(0))
    return Drafted(added, dropped, cost, gateway.demo_mode)


def demo_items(client: ClientRead, wanted: list[DrillSkill], count: int) -> list[DrillItemInput]:
    """Demo mode's items, offline and free: the bank's model answers, the client's own words."""
    concern = client.presenting_concern.strip().rstrip(".") or "things have been hard"
    # The client's own line: the bank's had put another person's ("Alex Rivera, 34: Jordan, 34,
    # warehouse shift lead") and an age of "None" into it (an attack, 2026-12-07).
    who = ", ".join(
        part
        for part in (client.name, str(client.age or ""), (client.occupation or "").strip())
        if part
    )
    drafts = []
    for number in range(count):
        skill = wanted[number % len(wanted)]
        example = bank_items(skill)[number // len(wanted) % len(bank_items(skill))]
        drafts.append(
            DrillItemInput(
                skill=skill,
                context=who[:300],
                statement=f"{concern[:1].upper()}{concern[1:]}. {example.statement}"[:500],
                model_answer=example.model_answer,
            )
        )
    return drafts


# Internals --------------------------------------------------------------------------------------
def _validate(
    data: dict, wanted: list[DrillSkill], count: int
) -> tuple[tuple[list[DrillItemInput], list[str]] | None, list[str]]:
    """The items that hold up, and the problems of the others (each names its item); none
    when `count` different items hold up, as a repair would then be paid for and cut away."""
    raw = data.get("items")
    if not isinstance(raw, list) or not raw:
        return None, ["Give a non-empty list of items."]
    kept: list[DrillItemInput] = []
    problems: list[str] = []
    candidates: list[tuple[int, DrillItemInput]] = []
    for number, entry in enumerate(raw, start=1):
        try:  # cleaned as the set stores an item (blank or control characters refused)
            item = drill_service.cleaned(DrillItemInput.model_validate(entry))
        except (ValueError, TypeError, AppError):
            problems.append(
                f"Item {number}: give skill, context, statement and model_answer, each in words."
            )
            continue
        if item.skill not in wanted:
            problems.append(f"Item {number}: its skill must be one of {[s.value for s in wanted]}.")
        elif not (1 <= len(item.context) <= 300 and 1 <= len(item.statement) <= 500):
            problems.append(f"Item {number}: context up to 300 and statement up to 500 characters.")
        elif not 1 <= len(item.model_answer) <= 500:
            problems.append(f"Item {number}: the model answer must be 1-500 characters.")
        else:
            candidates.append((number, item))
    coded = skills.code_replies([(i.skill, i.model_answer, i.statement) for _n, i in candidates])
    for (number, item), reply in zip(candidates, coded, strict=True):
        if reply.hit:
            kept.append(item)
        else:
            problems.append(
                f"Item {number}: the model answer does not do the skill ({reply.message})"
            )
    enough = len({item.statement.casefold() for item in kept}) >= count
    return (kept, problems), [] if enough else problems


def _held_up(
    outcome: Validated[tuple[list[DrillItemInput], list[str]]],
    wanted: list[DrillSkill],
    count: int,
) -> tuple[list[DrillItemInput], int]:
    """The items that held up, the repair's first (what it fixed), then the first answer's, each
    statement once; and how many items the first answer held. A repair may send only the items
    it fixed, and the good ones of the first answer, checked and paid for, had been thrown away
    (an attack, 2026-12-07); one that sends them all again keeps its fix (an attack on the
    fix)."""
    kept: list[DrillItemInput] = []
    seen: set[str] = set()
    for answer in reversed(outcome.answers):
        good, _problems = _validate(answer.data, wanted, count)[0] or ([], [])
        for item in good:
            if (statement := item.statement.casefold()) not in seen:
                seen.add(statement)
                kept.append(item)
    first = outcome.answers[0].data.get("items") if outcome.answers else None
    return kept, len(first) if isinstance(first, list) else 0


def _record_call(db: Session, actor: UserRead, set_id: int, completion: Completion) -> None:
    usage_service.record_paid_call(
        db,
        purpose=Purpose.drill_items,
        user_id=actor.id,
        completion=completion,
        category="drill_items_call",
        message="Drill items were drafted by the model.",
        set_id=set_id,
    )
