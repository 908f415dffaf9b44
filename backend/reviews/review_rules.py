"""What a review's answer is checked against before anything is stored: the numbered transcript
(quotes word for word, turns that exist and belong to the right speaker), the rubric (codes,
criteria, 1-5), MITI's rules (no non-adherent turn as a strength, no turn on both lists) and the
client's hidden information. No database access: the review service reads and stores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError as PydanticValidationError

from backend.clients.read_models import ClientRead
from backend.practice import output_guard
from backend.reviews.indicators import count_indicators, enough_evidence, session_indicators
from backend.reviews.offline_review import code_session, offline_review
from backend.reviews.phrases import as_written
from backend.reviews.read_models import ReviewAnswer, ReviewContent, Strength, TryInstead
from backend.reviews.rubric_schema import NOT_CODED, SCORE_MAX, SCORE_MIN, RubricDefinition
from backend.reviews.turns import Turn


@dataclass(frozen=True)
class ItemLimits:
    """How many strengths and "try instead" items an answer may give (low, high)."""

    strengths: tuple[int, int]
    try_instead: tuple[int, int]


# No strength rather than a false one; at least one thing to try.
MODEL_ITEMS = ItemLimits(strengths=(0, 3), try_instead=(1, 3))
# A teacher may drop the model's items or add their own, within reason.
TEACHER_ITEMS = ItemLimits(strengths=(0, 6), try_instead=(0, 6))
# MITI codes each utterance (a complete thought) of a turn: a reflection, then a question, is two.
MAX_CODES_PER_TURN = 3


@dataclass(frozen=True)
class Wording:
    """How a problem names what it is about: the review tool's own fields for the model, which
    answers again, or the editor's labels for a teacher, who never sees those fields (a refusal
    had read "scores (open_questions): the reasoning is empty. scores: criterion 'pacing' has no
    score.": an attack, 2026-12-07). Placeholders: a criterion's or code's `key` and `name` (`keys` and
    `names` of those unscored), an item's `index` and `turn`, a list's `label`."""

    criterion: str = "scores ({key})"
    strength: str = "strengths {index}"
    better: str = "try_instead {index}"
    lists: tuple[str, str] = ("strengths", "try_instead")
    no_score: str = "scores: no score for the criteria {keys}."
    no_reason: str = "the reasoning is empty."
    both: str = (
        "strengths and try_instead both cite turns {turns}; one turn is either a strength or "
        "something to try differently, not both."
    )
    no_goal: str = "goal: give one goal for the next practice."
    how_many: str = "{label}: give {low} to {high} items, not {count}."
    code_twice: str = "codes: turn {turn} has the code {key!r} twice."
    coded_and_not: str = "codes: turn {turn} is both {key!r} and coded."


MODEL_WORDING = Wording()
TEACHER_WORDING = Wording(
    criterion="{name}",
    strength="The strength on turn {turn}",
    better="The better reply for turn {turn}",
    lists=("Strengths", "Better replies"),
    no_score="No score for {names}: rate every criterion with a reason, or none.",
    no_reason="give the reason for its score.",
    both="Turns {turns} are both a strength and a better reply: keep each on one of the two.",
    no_goal="Write a goal for the next practice.",
    how_many="{label}: at most {high}, not {count}.",
    code_twice="Turn {turn} has the code {name} twice: change one of them.",
    coded_and_not="Turn {turn} is both {name} and coded: change one of its codes.",
)
_SPACE = re.compile(r"\s+")


# Validation -------------------------------------------------------------------------------------
def opening_quote(text: str, limit: int = 300) -> str:
    """The turn's opening words, at most `limit` characters, cut between words: a quote cut
    inside a word is no quote `validate` accepts, so a teacher could add no item on a long
    turn (an attack, 2026-12-07)."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    words = cut[:limit].rsplit(None, 1)[0] if not cut[limit].isspace() else cut[:limit]
    return words.rstrip(" ,;:-") or text[:limit]


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
    items: ItemLimits = MODEL_ITEMS,
    wording: Wording = MODEL_WORDING,
) -> tuple[ReviewAnswer | None, list[str]]:
    """The answer if it holds up against the transcript and rubric, else the list of problems
    (`items`: how many strengths and "try instead" items; a teacher's version may differ;
    `wording`: whom the problems are told to)."""
    try:
        answer = ReviewAnswer.model_validate(data)
    except PydanticValidationError as error:
        return None, [
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()[:20]
        ]
    check = _Checker(turns, wording)
    check.client_talk(answer)
    check.codes(answer, rubric)
    check.risk(answer)
    check.scores(answer, rubric)
    check.items(answer, rubric, items)
    errors = check.errors
    if protect_hidden and client is not None:
        errors += _hidden_leaks(answer, client, run_words, turns)
    return (answer if not errors else None), errors


class _Checker:
    """Each part of an answer against the numbered transcript; problems collect in `errors`."""

    def __init__(self, turns: list[Turn], wording: Wording = MODEL_WORDING) -> None:
        self.turns = turns
        self.wording = wording
        self.by_number = {turn.number: turn for turn in turns}
        self.errors: list[str] = []

    def turn(self, turn: int, where: str, *, student: bool | None = True) -> bool:
        """Whether the turn exists and is the student's (True), the client's (False) or either
        (None); a problem is noted otherwise."""
        if turn not in self.by_number:
            self.errors.append(
                f"{where}: turn {turn} does not exist (turns are 1-{len(self.turns)})."
            )
            return False
        if student and not self.by_number[turn].student:
            self.errors.append(f"{where}: turn {turn} is the client's, not the student's.")
            return False
        if student is False and self.by_number[turn].student:
            self.errors.append(f"{where}: turn {turn} is the student's, not the client's.")
            return False
        return True

    def quoted(self, turn: int, quote: str, where: str, *, student: bool = True) -> str:
        """The quote as the turn writes it (its capitals; one space between words); a problem
        is noted when it is not there word for word."""
        if not self.turn(turn, where, student=student):
            return quote
        written = _normal(quote) and as_written(_normal(self.by_number[turn].text), _normal(quote))
        if not written:
            self.errors.append(
                f"{where}: the quote {quote[:80]!r} is not word for word in turn {turn}."
            )
            return quote
        return written

    def client_talk(self, answer: ReviewAnswer) -> None:
        for index, item in enumerate(answer.client_talk, start=1):
            item.quote = self.quoted(item.turn, item.quote, f"client_talk {index}", student=False)

    def codes(self, answer: ReviewAnswer, rubric: RubricDefinition) -> None:
        known = rubric.codable_keys
        coded: dict[int, list[str]] = {}
        for item in answer.codes:
            if item.code not in known:
                self.errors.append(
                    f"codes: {item.code!r} is not a code of this rubric ({', '.join(known)})."
                )
            if not self.turn(item.turn, f"codes (turn {item.turn})"):
                continue
            if item.code in coded.setdefault(item.turn, []):
                self.errors.append(
                    self.wording.code_twice.format(
                        turn=item.turn, key=item.code, name=f"“{rubric.code_name(item.code)}”"
                    )
                )
            coded[item.turn].append(item.code)
        for number, given in sorted(coded.items()):
            if len(given) > MAX_CODES_PER_TURN:
                self.errors.append(
                    f"codes: turn {number} has {len(given)} codes; give at most "
                    f"{MAX_CODES_PER_TURN}."
                )
            if NOT_CODED in given and len(given) > 1:
                self.errors.append(
                    self.wording.coded_and_not.format(
                        turn=number, key=NOT_CODED, name=f"“{rubric.code_name(NOT_CODED)}”"
                    )
                )
        missing = [turn.number for turn in self.turns if turn.student and turn.number not in coded]
        if missing:
            self.errors.append(f"codes: student turns {missing} have no code.")

    def risk(self, answer: ReviewAnswer) -> None:
        for index, item in enumerate(answer.risk, start=1):
            where = f"risk {index}"
            item.quote = self.quoted(item.client_turn, item.quote, where, student=False)
            if item.student_turn is not None:
                self.turn(item.student_turn, where)

    def scores(self, answer: ReviewAnswer, rubric: RubricDefinition) -> None:
        names = {criterion.key: criterion.name for criterion in rubric.criteria}
        criteria = set(names)
        scored = [item.criterion for item in answer.scores]
        for score in answer.scores:
            key = score.criterion
            where = self.wording.criterion.format(key=key, name=names.get(key, key))
            if score.criterion not in criteria:
                self.errors.append(
                    f"{where}: not a criterion of this rubric ({', '.join(criteria)})."
                )
            if not SCORE_MIN <= score.score <= SCORE_MAX:
                self.errors.append(
                    f"{where}: score {score.score} is outside {SCORE_MIN}-{SCORE_MAX}."
                )
            if not score.reasoning:
                self.errors.append(f"{where}: {self.wording.no_reason}")
            for turn in score.turns:  # evidence may be what the client said, too
                self.turn(turn, where, student=None)
        student_turns = sum(1 for turn in self.turns if turn.student)
        if not scored and not enough_evidence(student_turns):
            return  # too short for global ratings: none is as good as all
        if unscored := [key for key in names if key not in scored]:  # in the rubric's order
            self.errors.append(
                self.wording.no_score.format(
                    keys=", ".join(map(repr, unscored)),
                    names=", ".join(names[key] for key in unscored),
                )
            )
        for key in sorted({key for key in scored if scored.count(key) > 1}):
            self.errors.append(f"scores: criterion {key!r} is scored more than once.")

    def items(self, answer: ReviewAnswer, rubric: RubricDefinition, limits: ItemLimits) -> None:
        """Strengths and "try instead" items: how many, quoted word for word, never a
        non-adherent turn as a strength, never one turn on both lists."""
        words = self.wording
        cited: list[tuple[str, str, str, Sequence[Strength | TryInstead]]] = [
            ("strengths", words.lists[0], words.strength, answer.strengths),
            ("try_instead", words.lists[1], words.better, answer.try_instead),
        ]
        for field, label, item_name, listed in cited:
            low, high = getattr(limits, field)
            if not low <= len(listed) <= high:
                self.errors.append(
                    words.how_many.format(label=label, low=low, high=high, count=len(listed))
                )
            for index, item in enumerate(listed, start=1):
                where = item_name.format(index=index, turn=item.turn)
                item.quote = self.quoted(item.turn, item.quote, where)
        non_adherent = {
            item.turn
            for item in answer.codes
            if (code := rubric.code(item.code)) is not None and code.adherence == "non_adherent"
        }
        for index, item in enumerate(answer.strengths, start=1):
            if item.turn in non_adherent:
                where = words.strength.format(index=index, turn=item.turn)
                self.errors.append(
                    f"{where}: turn {item.turn} is coded as MI-non-adherent "
                    "(persuading without permission or confronting); it cannot be a strength. "
                    "Give fewer strengths rather than a false one."
                )
        both = sorted(
            {item.turn for item in answer.strengths} & {i.turn for i in answer.try_instead}
        )
        if both:
            self.errors.append(words.both.format(turns=both))
        for index, better in enumerate(answer.try_instead, start=1):
            if not better.better_reply or not better.why:
                where = words.better.format(index=index, turn=better.turn)
                self.errors.append(f"{where}: give both a better reply and why.")
        if not answer.goal:
            self.errors.append(words.no_goal)


def _hidden_leaks(
    answer: ReviewAnswer, client: ClientRead, run_words: int, turns: list[Turn]
) -> list[str]:
    """The output guard, on every text the student reads, against what they read already: their
    own words and the client's replies (a risk note has to say what the client voiced, and one
    joining two of its replies had failed the review: an attack on the day's fixes,
    2026-12-07)."""
    student_said = [turn.text for turn in turns]
    texts = [(f"strengths {i}", s.comment) for i, s in enumerate(answer.strengths, start=1)]
    for index, item in enumerate(answer.try_instead, start=1):
        texts += [(f"try_instead {index}", item.better_reply), (f"try_instead {index}", item.why)]
    texts += [(f"scores ({s.criterion})", s.reasoning) for s in answer.scores]
    texts += [(f"risk {index}", item.note) for index, item in enumerate(answer.risk, start=1)]
    texts.append(("goal", answer.goal))
    return [
        f"{where}: it repeats the client's hidden information, which the student has "
        "not uncovered; say it without revealing what the client has not shared."
        for where, text in texts
        if output_guard.hidden_leak(client, text, run_words=run_words, student_said=student_said)
        is not None
    ]


def hidden_information_turn(turns: list[Turn], client: ClientRead, *, run_words: int) -> int | None:
    """The first client reply that gives the hidden information away (by the output guard's
    rules, counting what was said before it in the conversation), if any."""
    pairs = [(turn.student, turn.text) for turn in turns]
    index = output_guard.first_disclosure(pairs, client, run_words=run_words)
    return None if index is None else turns[index].number


# What is stored beside the content --------------------------------------------------------------
def indicators(
    turns: list[Turn], codes: list[str], rubric: RubricDefinition, *, offline: bool = False
) -> dict:
    """The counts of the shown version's codes (never the model's own arithmetic), and the
    offline coder's counted score beside them, so a teacher sees when the two disagree
    (`offline`: the codes are the offline coder's already, nothing to code again)."""
    counts = count_indicators(codes, rubric) if offline else code_session(turns, rubric).counts
    return session_indicators(turns, codes, rubric, offline_score=counts["counted_score"])


def demo_review(turns: list[Turn], rubric: RubricDefinition) -> ReviewContent:
    """The automatic demo review (no model): see `backend.reviews.offline_review`."""
    return offline_review(turns, rubric)
