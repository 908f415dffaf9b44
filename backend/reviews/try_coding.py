"""Instant feedback on a branch's replies ("Practise this moment"): each reply the student writes
in a branch is coded at once by the offline coder (no model call, nothing billed) and, for the
moment being tried again, compared with the original turn's code and the review's suggestion:
"Your reply is a complex reflection (before: closed question)."

The original turn's code is the one its review gave (as the student may see that review), else
the offline coder's; the rubric is the review's, else the one the conversation's review would use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.errors import AppError
from backend.models import PracticeSession, RubricVersion
from backend.practice import branch_service
from backend.practice.branch_service import BranchOrigin
from backend.reviews import review_service, rubric_service
from backend.reviews.coding import StudentTurn, code_turns
from backend.reviews.read_models import ReviewContent, TryInstead
from backend.reviews.rubric_schema import NOT_CODED, RubricDefinition
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.turns import Turn


@dataclass(frozen=True)
class BranchCoding:
    """What coding a branch's replies needs, read once: where it comes from, the rubric, the
    original turn's codes and the review's suggestion for it (if the review made one)."""

    origin: BranchOrigin
    rubric: RubricDefinition
    before: list[str]
    suggestion: TryInstead | None


@dataclass(frozen=True)
class TryFeedback:
    """One reply of a branch, coded: its codes' names, and for the moment tried again the
    original's and the suggestion's."""

    codes: list[str]
    before: list[str] | None = None  # None: a later reply, with no original to compare
    suggestion: str | None = None
    suggestion_codes: list[str] | None = None
    follows_the_suggestion: bool = False  # see `follows`

    @property
    def message(self) -> str:
        """ "Your reply is a complex reflection (before: closed question)."""
        text = f"Your reply is {_names(self.codes)}"
        if self.before is not None:
            text += f" (before: {_names(self.before, article=False)})"
        text += "."
        if self.suggestion_codes:
            if self.follows_the_suggestion:
                text += " That is what the review suggested."
            else:
                text += f" The review suggested {_names(self.suggestion_codes)}."
        return text


def read_branch_coding(
    db: Session, *, actor: UserRead | None, session_id: int
) -> BranchCoding | None:
    """What a branch's replies are coded against (None: the conversation is no branch)."""
    origin = branch_service.branch_origin(db, actor=actor, session_id=session_id)
    if origin is None:
        return None
    try:
        review = review_service.get_review(db, actor=actor, session_id=origin.original_id)
    except AppError:  # not released to the student yet: coded as if there were none
        review = None
    content: ReviewContent | None = review.content if review is not None else None
    if review is not None:
        version = db.get_one(RubricVersion, review.rubric_version_id)
        rubric = rubric_service.definition_of(version)
    else:
        rubric = _rubric(db, origin.original_id)
    turns = review_service.session_turns(db, origin.original_id)
    before = [item.code for item in content.codes if item.turn == origin.turn] if content else []
    if not before:
        before = code_turns([_context(turns, origin.turn, origin.original_reply)], rubric)[0]
    suggestion = next(
        (item for item in (content.try_instead if content else []) if item.turn == origin.turn),
        None,
    )
    return BranchCoding(origin, rubric, before, suggestion)


def code_reply(
    coding: BranchCoding, *, turn: int, text: str, previous_client: str, previous_student: str = ""
) -> TryFeedback:
    """One reply of the branch coded at once (turn: its number in the branch); the moment's own
    reply is compared with the original turn and the review's suggestion."""
    rubric = coding.rubric
    context = StudentTurn(text, previous_client, previous_student)
    if turn != coding.origin.turn:
        return TryFeedback(_named(code_turns([context], rubric)[0], rubric))
    suggestion = coding.suggestion
    turns = [context]
    if suggestion is not None:
        turns.append(StudentTurn(suggestion.better_reply, previous_client, previous_student))
    coded = code_turns(turns, rubric)
    return TryFeedback(
        codes=_named(coded[0], rubric),
        before=_named(coding.before, rubric),
        suggestion=suggestion.better_reply if suggestion else None,
        suggestion_codes=_named(coded[1], rubric) if suggestion else None,
        follows_the_suggestion=bool(suggestion) and follows(coded[0], coding.before, coded[1]),
    )


#: What a suggestion replaces when the original had it and the suggestion has not: a fault, never
#: a reflection, an open question or an "other" kept beside the fix (in micro-skills "other" is
#: autonomy, affirming, collaborating and asking permission).
FAULTS = frozenset(("closed_question", "persuade", "advice", "confront", "parrot", NOT_CODED))


def follows(reply: list[str], before: list[str], suggested: list[str]) -> bool:
    """The reply does something the suggestion added and none of the faults it replaced: the
    same closed question again beside a reflection is not "what the review suggested" (an
    attack, 2026-12-07: one shared code had been enough), a kept reflection beside the fix is
    (an attack on that fix)."""
    added = set(suggested) - set(before) or set(suggested)
    replaced = (set(before) - set(suggested)) & FAULTS
    return bool(set(reply) & added) and not set(reply) & replaced


def code_turn(coding: BranchCoding, turns: list[Turn], turn: Turn) -> TryFeedback | None:
    """A branch's `turn` coded (`code_reply`) with what came before it in `turns`; None for the
    client's turns and for the student's turns copied from the original (its review coded them)."""
    if not turn.student or turn.number < coding.origin.turn:
        return None
    context = _context(turns, turn.number, turn.text)
    return code_reply(
        coding,
        turn=turn.number,
        text=turn.text,
        previous_client=context.previous_client,
        previous_student=context.previous_student,
    )


@dataclass(frozen=True)
class PractisedMoment:
    """One try of a moment, as the student's progress lists it."""

    session_id: int
    started_at: datetime
    label: str  # "branch of the session of <when> at turn N"
    original_reply: str
    reply: str | None  # what the student wrote at that moment this time (None: nothing yet)
    feedback: str | None


def practised_moments(
    db: Session, *, actor: UserRead | None, limit: int = 20
) -> list[PractisedMoment]:
    """The actor's own tries of moments (branches), newest first, each with its coded reply."""
    actor = access.signed_in(db, actor)
    branches = db.execute(
        select(PracticeSession.id, PracticeSession.started_at)
        .where(PracticeSession.user_id == actor.id, PracticeSession.branch_of_id.is_not(None))
        .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
        .limit(limit)
    ).all()
    moments = []
    for session_id, started_at in branches:
        coding = read_branch_coding(db, actor=actor, session_id=session_id)
        if coding is None:
            continue
        origin = coding.origin
        turns = review_service.session_turns(db, session_id)
        moment = next((t for t in turns if t.number == origin.turn and t.student), None)
        coded = code_turn(coding, turns, moment) if moment is not None else None
        reply = moment.text if moment is not None else None
        feedback = coded.message if coded is not None else None
        label = branch_service.branch_label(origin.original_started_at, origin.turn)
        moments.append(
            PractisedMoment(session_id, started_at, label, origin.original_reply, reply, feedback)
        )
    return moments


def describe_codes(codes: list[str], rubric: RubricDefinition) -> str:
    """Codes as a reply's feedback names them: "a complex reflection and an open question"."""
    return _names(_named(codes, rubric))


# Internals --------------------------------------------------------------------------------------
def _named(codes: list[str], rubric: RubricDefinition) -> list[str]:
    return ["not coded" if code == NOT_CODED else rubric.code_name(code).lower() for code in codes]


#: Codes that read as a thing said ("a paraphrase"); the others read as what was done.
COUNTED = ("question", "reflection", "paraphrase", "summary")
SAID_AS = {
    "other": "something else (other)",
    "affirm": "an affirmation",
    "confront": "a confrontation",
    "persuade": "persuading",
    "persuade with permission": "persuading with permission",
}


def _names(names: list[str], *, article: bool = True) -> str:
    """ "a complex reflection and an open question" (without articles: "closed question");
    "advice", "emphasizing autonomy" and the like without one."""
    shown = []
    for name in names:
        if name in SAID_AS and article:
            name = SAID_AS[name]
        elif article and any(word in name for word in COUNTED):
            name = f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"
        shown.append(name)
    return " and ".join(shown) or "not coded"


def _context(turns: list[Turn], turn: int, text: str) -> StudentTurn:
    """The original turn with what came before it (the client's and the student's last turns)."""
    earlier = [item for item in turns if item.number < turn]
    client = next((item.text for item in reversed(earlier) if not item.student), "")
    student = next((item.text for item in reversed(earlier) if item.student), "")
    return StudentTurn(text, client, student)


def _rubric(db: Session, session_id: int) -> RubricDefinition:
    """The rubric this conversation's review would use (read only: the built-in one from its
    file when the database has no rubric for it)."""
    rubric_id = rubric_service.chosen_rubric_id(db, db.get_one(PracticeSession, session_id))
    if rubric_id is not None:
        return rubric_service.definition_of(rubric_service.latest_version(db, rubric_id))
    return next(
        rubric
        for rubric in load_builtin_rubrics()
        if rubric.key == rubric_service.DEFAULT_RUBRIC_KEY
    )
