"""A practice session stored and reviewed the way the product does it without an API key (the
automatic demo review), and what the student then reads of that review.

`review_as_student` writes the student's messages through the product's own message check
(`conversation_service.validate_content`) and the client's replies through a reply claim, ends the
session, writes the review with `review_service.create_demo_review` (what `create_review` calls
in demo mode) and reads it back with `get_review` as the student. `Seen` then says what the
review page (`mvp/review_render.py`) puts in front of the student: the 1-5 ratings and fair/good
verdicts only when `progress_service.verdicts_shown` allows them, the counted score's badge, the
strengths and "try instead" items with their quotes, the goal and the risk notices.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from backend.practice import branch_service, conversation_service, session_service
from backend.reviews import indicators as counted
from backend.reviews import progress_service, review_service, rubric_service, try_coding
from backend.reviews.read_models import ReviewRead
from backend.reviews.rubric_schema import RubricDefinition
from backend.reviews.turns import Turn
from tests.factories import add_message, add_reply, make_classroom

#: (what the student says, what the client answers; None: the session ends on the student)
Lines = Sequence[tuple[str, str | None]]


@dataclass
class Seen:
    """One review as the student sees it, beside the numbered transcript it cites."""

    review: ReviewRead
    turns: list[Turn]
    rubric: RubricDefinition

    @property
    def content(self):
        assert self.review.content is not None, "the review has no content to show"
        return self.review.content

    @property
    def verdicts(self) -> bool:
        return progress_service.verdicts_shown(
            self.review.indicators, self.content.model_dump(mode="json"), by_teacher=False
        )

    @property
    def ratings(self) -> dict[str, int]:
        """The "Scores" the page shows (criterion key: 1-5); none without verdicts."""
        return {s.criterion: s.score for s in self.content.scores} if self.verdicts else {}

    def rating(self, name: str) -> int:
        """A criterion's shown rating by its name on the page ("Open questions")."""
        keys = [c.key for c in self.rubric.criteria if c.name.lower() == name.lower()]
        assert keys, f"no criterion named {name!r}: {[c.name for c in self.rubric.criteria]}"
        return self.ratings[keys[0]]

    @property
    def reasoning(self) -> list[str]:
        return [s.reasoning for s in self.content.scores] if self.verdicts else []

    @property
    def counted_score(self) -> float | None:
        return self.review.indicators.get("counted_score")

    @property
    def counted_badge(self) -> str | None:
        """The badge beside the counted score: good, fair or below fair (None: not shown)."""
        value = self.counted_score
        if value is None or not self.verdicts:
            return None
        if value >= counted.COUNTED_SCORE_GOOD:
            return "good"
        return "fair" if value >= counted.COUNTED_SCORE_FAIR else "below fair"

    def text(self, turn: int) -> str:
        return self.turns[turn - 1].text

    @property
    def codes(self) -> dict[int, list[str]]:
        by_turn: dict[int, list[str]] = {}
        for item in self.content.codes:
            by_turn.setdefault(item.turn, []).append(item.code)
        return by_turn

    @property
    def strengths(self):
        return self.content.strengths

    @property
    def try_instead(self):
        return self.content.try_instead

    @property
    def goal(self) -> str:
        return self.content.goal

    @property
    def risks_passed_over(self):
        return [item for item in self.content.risk if not item.responded]

    def everything_said(self) -> str:
        """Every sentence of feedback the student reads, in one string (for word checks)."""
        parts = [*self.reasoning, self.goal]
        parts += [s.comment for s in self.strengths]
        parts += [f"{t.better_reply} {t.why}" for t in self.try_instead]
        parts += [r.note for r in self.content.risk]
        return "\n".join(parts)

    def describe(self) -> str:
        """The review as a teacher would skim it (printed in assertion messages)."""
        lines = [
            f"counted score {self.counted_score} badge {self.counted_badge}; ratings {self.ratings}",
        ]
        lines += [f"  strength t{s.turn}: {s.quote!r} -- {s.comment}" for s in self.strengths]
        lines += [
            f"  try instead t{t.turn}: {t.quote!r} -> {t.better_reply!r} ({t.why})"
            for t in self.try_instead
        ]
        lines += [f"  goal: {self.goal}"]
        lines += [f"  risk: {r.quote!r} responded={r.responded}" for r in self.content.risk]
        return "\n".join(lines)


def _use_rubric(db, room, key: str) -> None:
    rubric = next(r for r in rubric_service.list_rubrics(db, actor=room.teacher) if r.key == key)
    rubric_service.set_section_rubric(
        db, actor=room.teacher, section_id=room.section.id, rubric_id=rubric.id
    )


def review_turns_as_student(
    db, turns: Sequence[tuple[str, str]], *, rubric: str | None = None
) -> Seen:
    """`turns`: ("user" or "assistant", text) in order, stored as the product stores them, then
    reviewed in demo mode and read back by the student. `rubric`: the section's rubric key
    (None: the product's default for an assignment, micro-skills)."""
    room = make_classroom(db)
    if rubric is not None:
        _use_rubric(db, room, rubric)
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    for role, text in turns:
        if role == "user":
            content = conversation_service.validate_content(text)
            add_message(db, actor=room.student, session_id=session.id, content=content)
        else:
            add_reply(db, session_id=session.id, content=text)
    session_service.end_session(db, actor=room.student, session_id=session.id)
    review_service.create_demo_review(db, actor=room.student, session_id=session.id)
    review = review_service.get_review(db, actor=room.student, session_id=session.id)
    assert review is not None and review.demo
    return Seen(
        review=review,
        turns=review_service.session_turns(db, session.id),
        rubric=review_service.get_review_rubric(db, actor=room.student, session_id=session.id),
    )


def review_as_student(db, lines: Lines, *, rubric: str | None = None) -> Seen:
    turns: list[tuple[str, str]] = []
    for student, client in lines:
        turns.append(("user", student))
        if client is not None:
            turns.append(("assistant", client))
    return review_turns_as_student(db, turns, rubric=rubric)


#: The AnnoMI transcripts the review tests cite, copied from the training split (see its note):
#: the data set itself is beside the repository only on our machines, never in a clean clone.
ANNOMI_EXCERPTS = Path(__file__).resolve().parents[2] / "data" / "annomi_excerpts.json"


@lru_cache(maxsize=1)
def _excerpts() -> dict[str, list[list[str]]]:
    return json.loads(ANNOMI_EXCERPTS.read_text(encoding="utf-8"))["transcripts"]


def annomi_turns(transcript_id: int) -> list[tuple[str, str]]:
    """An AnnoMI transcript with the counselor as the student (as `eval_review.py` reads it)."""
    return [
        ("user" if speaker == "counselor" else "assistant", text)
        for speaker, text in _excerpts()[str(transcript_id)]
    ]


def moment_coding(db: Session, lines: Lines, *, turn: int) -> try_coding.BranchCoding:
    """A student's session of `lines`, ended and reviewed offline, and what "Practise this
    moment" at `turn` codes the new reply against (the review made a suggestion there)."""
    room = make_classroom(db)
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    for said, answered in lines:
        add_message(db, actor=room.student, session_id=session.id, content=said)
        if answered is not None:
            add_reply(db, session_id=session.id, content=answered)
    session_service.end_session(db, actor=room.student, session_id=session.id)
    review_service.create_demo_review(db, actor=room.student, session_id=session.id)
    branch = branch_service.start_branch(db, actor=room.student, session_id=session.id, turn=turn)
    coding = try_coding.read_branch_coding(db, actor=room.student, session_id=branch.id)
    assert coding is not None and coding.suggestion is not None, coding
    return coding
