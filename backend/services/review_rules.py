"""What a review is checked against, and how one is written without a model.

The prompt (the rubric's definitions first, so the long stable prefix can be cached), the numbered
transcript, the validation of an answer against both, the counted indicators, and the transparent
rules of the automatic demo review. No database access: the review service reads and stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError as PydanticValidationError

from backend.schemas.clients import ClientRead
from backend.schemas.reviews import (
    CodedTurn,
    CriterionScore,
    ReviewAnswer,
    ReviewContent,
    Strength,
    TryInstead,
)
from backend.schemas.rubrics import SCORE_MAX, SCORE_MIN, RubricDefinition
from backend.services import output_guard
from backend.services.utterance_coder import code_utterance, count_indicators

MIN_ITEMS, MAX_ITEMS = 2, 3
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


@dataclass(frozen=True)
class Turn:
    number: int
    role: str  # "user" (the student) or "assistant" (the client)
    text: str

    @property
    def student(self) -> bool:
        return self.role == "user"


# Validation -------------------------------------------------------------------------------------
def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\u2019", "'").replace("\u2018", "'")).strip()


def validate(
    data: dict,
    turns: list[Turn],
    rubric: RubricDefinition,
    *,
    protect_hidden: bool = False,
    client: ClientRead | None = None,
    run_words: int = 6,
    items: tuple[int, int] = (MIN_ITEMS, MAX_ITEMS),
) -> tuple[ReviewAnswer | None, list[str]]:
    """The answer if it holds up against the transcript and rubric, else the list of problems
    (`items`: how many strengths and "try instead" items; a teacher's version may differ)."""
    try:
        answer = ReviewAnswer.model_validate(data)
    except PydanticValidationError as error:
        return None, [
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()[:20]
        ]
    by_number = {turn.number: turn for turn in turns}
    errors: list[str] = []

    def student_turn(turn: int, where: str) -> bool:
        if turn not in by_number:
            errors.append(f"{where}: turn {turn} does not exist (turns are 1-{len(turns)}).")
            return False
        if not by_number[turn].student:
            errors.append(f"{where}: turn {turn} is the client's, not the student's.")
            return False
        return True

    def quoted(turn: int, quote: str, where: str) -> None:
        if student_turn(turn, where) and (
            not _normal(quote) or _normal(quote) not in _normal(by_number[turn].text)
        ):
            errors.append(f"{where}: the quote {quote[:80]!r} is not word for word in turn {turn}.")

    codes = set(rubric.code_keys)
    coded: dict[int, str] = {}
    for item in answer.codes:
        if student_turn(item.turn, f"codes (turn {item.turn})"):
            if item.turn in coded:
                errors.append(f"codes: turn {item.turn} is coded more than once.")
            coded[item.turn] = item.code
        if item.code not in codes:
            errors.append(
                f"codes: {item.code!r} is not a code of this rubric ({', '.join(codes)})."
            )
    missing = [turn.number for turn in turns if turn.student and turn.number not in coded]
    if missing:
        errors.append(f"codes: student turns {missing} have no code.")

    criteria = {criterion.key for criterion in rubric.criteria}
    scored = [item.criterion for item in answer.scores]
    for score in answer.scores:
        where = f"scores ({score.criterion})"
        if score.criterion not in criteria:
            errors.append(f"{where}: not a criterion of this rubric ({', '.join(criteria)}).")
        if not SCORE_MIN <= score.score <= SCORE_MAX:
            errors.append(f"{where}: score {score.score} is outside {SCORE_MIN}-{SCORE_MAX}.")
        if not score.reasoning:
            errors.append(f"{where}: the reasoning is empty.")
        for turn in score.turns:
            student_turn(turn, where)
    for key in sorted(criteria - set(scored)):
        errors.append(f"scores: criterion {key!r} has no score.")
    for key in sorted({key for key in scored if scored.count(key) > 1}):
        errors.append(f"scores: criterion {key!r} is scored more than once.")

    quoting = {
        "strengths": [(item.turn, item.quote) for item in answer.strengths],
        "try_instead": [(item.turn, item.quote) for item in answer.try_instead],
    }
    items_range = items
    for label, cited in quoting.items():
        low, high = items_range
        if not low <= len(cited) <= high:
            errors.append(f"{label}: give {low} to {high} items, not {len(cited)}.")
        for index, (turn, quote) in enumerate(cited, start=1):
            quoted(turn, quote, f"{label} {index}")
    for index, better in enumerate(answer.try_instead, start=1):
        if not better.better_reply or not better.why:
            errors.append(f"try_instead {index}: give both a better reply and why.")
    if not answer.goal:
        errors.append("goal: give one goal for the next practice.")

    if protect_hidden and client is not None:
        errors += _hidden_leaks(answer, client, run_words)
    return (answer if not errors else None), errors


def _hidden_leaks(answer: ReviewAnswer, client: ClientRead, run_words: int) -> list[str]:
    """The output guard, on every text the student reads that is not their own words."""
    runs = hidden_runs(client, run_words)
    texts = [(f"strengths {i}", s.comment) for i, s in enumerate(answer.strengths, start=1)]
    for index, item in enumerate(answer.try_instead, start=1):
        texts += [(f"try_instead {index}", item.better_reply), (f"try_instead {index}", item.why)]
    texts += [(f"scores ({s.criterion})", s.reasoning) for s in answer.scores]
    texts.append(("goal", answer.goal))
    leaks = []
    for where, text in texts:
        guard = output_guard.StreamGuard(protected={output_guard.HIDDEN: runs}, size=run_words)
        guard.feed(text)
        guard.finish()
        if guard.leaked:
            leaks.append(
                f"{where}: it repeats the client's hidden information, which the student has "
                "not uncovered; say it without revealing what the client has not shared."
            )
    return leaks


def hidden_runs(client: ClientRead, run_words: int) -> frozenset[tuple[str, ...]]:
    """Every run of `run_words` words of the hidden information (empty when there is none)."""
    guard = output_guard.guard_for(client, student_turns=-1, run_words=run_words)
    return guard.protected.get(output_guard.HIDDEN, frozenset())


def hidden_information_turn(turns: list[Turn], client: ClientRead, *, run_words: int) -> int | None:
    """The first client reply sharing a run of words with the hidden information, if any."""
    runs = hidden_runs(client, run_words)
    if not runs:
        return None
    for turn in turns:
        if turn.student:
            continue
        guard = output_guard.StreamGuard(protected={output_guard.HIDDEN: runs}, size=run_words)
        guard.feed(turn.text)
        guard.finish()
        if guard.leaked:
            return turn.number
    return None


# Counted indicators -----------------------------------------------------------------------------
def indicators(turns: list[Turn], codes: list[str], rubric: RubricDefinition) -> dict:
    """Counted by code, never by the model: the coder's ratios, talk share and turns."""
    known = [code for code in codes if code in set(rubric.code_keys)]
    counted: dict = dict(count_indicators(known, rubric))
    student_words = sum(len(turn.text.split()) for turn in turns if turn.student)
    all_words = sum(len(turn.text.split()) for turn in turns)
    counted["student_talk_share"] = student_words / all_words if all_words else None
    counted["student_turns"] = sum(1 for turn in turns if turn.student)
    counted["turns"] = len(turns)
    return counted


# The automatic demo review ----------------------------------------------------------------------
def _better(kind: str, already_good: bool) -> str:
    """A template reply in the student's voice: deeper for a good turn, a reflection otherwise."""
    if already_good:
        return "It sounds like part of you wants things to change, and part of you is unsure."
    if kind == "question":
        return "What feels most important for me to understand about that?"
    return "It sounds like this has been weighing on you for a while."


def demo_review(turns: list[Turn], rubric: RubricDefinition) -> ReviewContent:
    """Codes from the rule-based coder; scores from the share of reflections and open questions;
    strengths and "try instead" items picked from the student's own turns."""
    student = [turn for turn in turns if turn.student]
    kinds = {code.key: code.kind for code in rubric.codes}
    names = {code.key: code.name for code in rubric.codes}
    codes = {turn.number: code_utterance(turn.text, rubric) for turn in student}

    def good(number: int) -> bool:
        return kinds.get(codes[number]) == "reflection" or codes[number] == "open_question"

    good_turns = [turn.number for turn in student if good(turn.number)]
    share = len(good_turns) / len(student)
    score = min(SCORE_MAX, max(SCORE_MIN, 1 + round(4 * share)))
    reasoning = (
        f"Automatic demo rule: {len(good_turns)} of your {len(student)} turns were reflections "
        f"or open questions ({share:.0%}), which gives {score} on every criterion."
    )
    cited = good_turns[:5] or [student[0].number]
    strengths_from = sorted(student, key=lambda turn: (not good(turn.number), turn.number))
    weaker = sorted(student, key=lambda turn: (good(turn.number), turn.number))
    strengths = [
        Strength(
            turn=turn.number,
            quote=_first_sentence(turn.text),
            comment=f"Demo rule: this reads as {names[codes[turn.number]].lower()}, "
            "which keeps the client talking.",
        )
        for turn in _pick(strengths_from)
    ]
    try_instead = [
        TryInstead(
            turn=turn.number,
            quote=_first_sentence(turn.text),
            better_reply=_better(kinds.get(codes[turn.number], "other"), good(turn.number)),
            why="Demo rule: a reflection or an open question invites the client to say more, "
            f"which the rubric rewards under {rubric.criteria[0].name.lower()}.",
        )
        for turn in _pick(weaker)
    ]
    goal = (
        "Next time, answer at least every other client message with a reflection before asking."
        if share < 0.5
        else "Next time, try a reflection that names the feeling under the client's words."
    )
    return ReviewContent(
        codes=[CodedTurn(turn=number, code=code) for number, code in codes.items()],
        scores=[
            CriterionScore(criterion=c.key, score=score, reasoning=reasoning, turns=cited)
            for c in rubric.criteria
        ],
        strengths=strengths,
        try_instead=try_instead,
        goal=goal,
        demo=True,
    )


def _pick(turns: list[Turn]) -> list[Turn]:
    """Up to three turns; with one student turn only, that turn twice (each list needs two)."""
    chosen = turns[:MAX_ITEMS]
    return chosen if len(chosen) >= MIN_ITEMS else chosen * MIN_ITEMS


def _first_sentence(text: str) -> str:
    """A verbatim piece of the turn short enough to quote."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0][:300].strip()
