"""Progress over time: a student's scores and indicators across reviewed sessions, and a class view.

Figures come from stored reviews: the teacher's version where there is one (for students, once
it is released); indicators that can be counted from codes are recounted from that version's
codes. Students see only their own released reviews; teachers their sections'; admins all. Thresholds are the rubric's own (its
indicators' fair/good), and for 1-5 criterion scores `CRITERION_FAIR`/`CRITERION_GOOD`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from statistics import mean
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.errors import NotFoundError, PermissionDeniedError
from backend.models import (
    Assignment,
    PracticeSession,
    RubricVersion,
    Section,
    SessionReview,
    User,
)
from backend.models.review import ReviewStatus
from backend.practice.history_service import spreadsheet_safe
from backend.reviews import indicators as counted
from backend.reviews import risk
from backend.reviews.read_models import RiskCheck
from backend.reviews.rubric_schema import NOT_CODED, SCORE_MAX, SCORE_MIN, RubricDefinition
from backend.reviews.rubrics import criterion_key
from backend.utils.formatting import Named, round_half_up, told_apart

# A criterion score of 3 is the anchors' middle ("fair"); 4 is "good" (the issue's MITI figures
# for the global averages sit between them: relational 3.5/4, technical 3/4).
CRITERION_FAIR, CRITERION_GOOD = 3.0, 4.0
# Rubric indicators that are averages of criterion scores rather than counts of codes.
SCORE_AVERAGES = {
    "relational_average": ("partnership", "empathy"),
    "technical_average": ("cultivating_change_talk", "softening_sustain_talk"),
}
CSV_BASE_COLUMNS = (
    "student",
    "username",
    "section",
    "assignment",
    "session_id",
    "date_utc",  # the day the session ended, in UTC (as every time the app shows)
    "rubric",
    # Why the page's figures leave the session out (demo, short, risk), empty when it counts:
    # a spreadsheet's average then matches the page's (an attack, 2026-12-07).
    "left_out",
)


class SectionNotFound(NotFoundError):
    def __init__(self, section_id: int) -> None:
        super().__init__(f"No section with id {section_id} is open to you.")


class Threshold(BaseModel):
    """A measure drawn on a chart: its name and where fair and good begin."""

    key: str
    name: str
    fair: float
    good: float
    higher_is_better: bool = True

    def below_fair(self, value: float) -> bool:
        return value < self.fair if self.higher_is_better else value > self.fair


# Every rubric's sessions get the counted score (the figure validated on real counseling).
COUNTED_SCORE = Threshold(
    key="counted_score",
    name="Counted score (reflecting vs. telling, 0-100)",
    fair=counted.COUNTED_SCORE_FAIR,
    good=counted.COUNTED_SCORE_GOOD,
)


class ProgressPoint(BaseModel):
    """One reviewed session: its scores and indicators."""

    session_id: int
    student_id: int
    student: str
    username: str
    section: str
    assignment: str
    assignment_id: int | None = None
    date: datetime
    rubric: str  # "name v3"
    demo: bool
    teacher_reviewed: bool
    scores: dict[str, int]
    indicators: dict[str, float | None]
    # Its review shows ratings and verdicts (`verdicts_shown`).
    verdicts: bool = True
    # The client voiced a risk the student passed over (its review shows no verdicts for it).
    risk_passed_over: bool = False

    @property
    def counts_for_class(self) -> bool:
        """Whether the session enters class averages and "below fair" lists: not a demo review,
        and its review shows verdicts."""
        return self.verdicts and not self.demo


class TryInsteadItem(BaseModel):
    session_id: int
    date: datetime
    turn: int | None  # the student turn it improves on ("Practise this moment" opens it)
    quote: str
    better_reply: str
    why: str


class StudentProgress(BaseModel):
    points: list[ProgressPoint]
    criteria: list[Threshold]
    indicators: list[Threshold]
    try_instead: list[TryInsteadItem]


class Distribution(BaseModel):
    """How many sessions got each score on one criterion."""

    criterion: str
    name: str
    counts: dict[int, int]
    mean: float | None


class BelowFair(BaseModel):
    student_id: int
    student: str
    measure: str
    value: float
    fair: float
    sessions: int


class ClassProgress(BaseModel):
    points: list[ProgressPoint]
    criteria: list[Threshold]
    indicators: list[Threshold]
    distribution: list[Distribution]  # only sessions that count for the class
    below_fair: list[BelowFair]  # only sessions that count for the class
    #: The sessions left out of the class figures, by why: "demo", "risk" (passed over) and
    #: "short" sessions.
    left_out_because: dict[str, int] = {}

    @property
    def left_out(self) -> int:
        return sum(self.left_out_because.values())


class SectionChoice(BaseModel):
    id: int
    name: str
    assignments: dict[int, str]


# Students ---------------------------------------------------------------------------------------
def student_progress(
    db: Session, *, actor: UserRead | None, student_id: int | None = None
) -> StudentProgress:
    """A student's released reviews in date order (a student: only their own; a teacher: the
    sessions in their sections; an admin: all), with thresholds and "try instead" items."""
    actor = access.signed_in(db, actor)
    student_id = actor.id if student_id is None else student_id
    if actor.is_student and student_id != actor.id:
        raise PermissionDeniedError("You can only see your own progress.")
    query = _reviews().where(
        PracticeSession.user_id == student_id,
        SessionReview.released_at.is_not(None),
        access.where(actor, "review", "read"),
    )
    rows = _rows(db, query, released_only=True)
    # A practised moment (a branch) copies the turns before it: its review's suggestions on
    # those are the original's again, about words said once.
    copied_before = dict(
        db.execute(
            select(PracticeSession.id, PracticeSession.branch_turn).where(
                PracticeSession.id.in_([point.session_id for point, _c, _r in rows]),
                PracticeSession.branch_turn.is_not(None),
            )
        ).all()
    )
    items = [
        TryInsteadItem(
            session_id=point.session_id,
            date=point.date,
            turn=turn,
            quote=str(item.get("quote", "")),
            better_reply=str(item.get("better_reply", "")),
            why=str(item.get("why", "")),
        )
        for point, content, _rubric in rows
        for item in content.get("try_instead") or []
        for turn in [item.get("turn") if isinstance(item.get("turn"), int) else None]
        if turn is None or turn >= copied_before.get(point.session_id, 0)
    ]
    # A practised moment is no session of its own (class figures and grades leave it out): its
    # "try instead" items stay, its review is no point of the charts ("2 reviewed sessions" had
    # counted one session and one try: an attack, 2026-12-07).
    sessions = [row for row in rows if row[0].session_id not in copied_before]
    points = [point for point, _content, _rubric in sessions]
    criteria, indicators = _thresholds(sessions)
    return StudentProgress(
        points=points, criteria=criteria, indicators=indicators, try_instead=_newest_first(items)
    )


def _newest_first(items: list[TryInsteadItem]) -> list[TryInsteadItem]:
    """The newest session's items first, each session's in the order of its turns (reversing
    every item had listed a session's turn 5 before its turn 1: an attack, 2026-12-07)."""
    sessions: dict[int, list[TryInsteadItem]] = {}
    for item in items:  # sessions in the order they ended
        sessions.setdefault(item.session_id, []).append(item)
    return [
        item
        for session in reversed(sessions.values())
        for item in sorted(session, key=lambda item: (item.turn is None, item.turn or 0))
    ]


# Teachers ---------------------------------------------------------------------------------------
def class_choices(db: Session, *, actor: UserRead | None) -> list[SectionChoice]:
    """The sections (with their assignments) whose progress the actor may see, each name told
    apart from another of the same name (an admin's two teachers' "Fall 2026", a section's two
    "Intake interview"s; an attack, 2026-12-07)."""
    actor = access.require(db, actor, "teaching", "use")
    query = (
        select(Section.id, Section.name, User.username)
        .join(User, User.id == Section.teacher_id)
        .where(access.where(actor, "section", "manage"))
        .order_by(Section.name, Section.id)
    )
    sections = db.execute(query).all()
    titles = db.execute(
        select(Assignment.section_id, Assignment.id, Assignment.title)
        .where(Assignment.section_id.in_([section_id for section_id, _name, _whose in sections]))
        .order_by(Assignment.id)
    ).all()
    names = told_apart([Named(section_id, name, whose) for section_id, name, whose in sections])
    choices = []
    for (section_id, _name, _whose), name in zip(sections, names, strict=True):
        mine = [(a_id, title) for s_id, a_id, title in titles if s_id == section_id]
        choices.append(SectionChoice(id=section_id, name=name, assignments=titles_apart(mine)))
    return choices


def titles_apart(assignments: Iterable[tuple[int | None, str]]) -> dict[int | None, str]:
    """Assignment id -> its title, with "#id" where two share a title (as the grades' columns)."""
    pairs = list(assignments)
    shared = Counter(title for _id, title in pairs)
    return {a_id: title if shared[title] == 1 else f"{title} #{a_id}" for a_id, title in pairs}


def managed_section(db: Session, actor: UserRead | None, section_id: int) -> Section:
    """The section if the actor teaches it (or is an admin); to anyone else it reads as missing,
    so a section's figures never confirm that it exists."""
    access.require(db, actor, "section", "manage")
    section = db.get(Section, section_id)
    if section is None:
        raise SectionNotFound(section_id)
    access.require(
        db, actor, "section", "manage", section, refuse=lambda: SectionNotFound(section_id)
    )
    return section


def class_progress(
    db: Session, *, actor: UserRead | None, section_id: int, assignment_id: int | None = None
) -> ClassProgress:
    """Every finished review in a section (optionally one assignment), released or not: the
    score distribution per criterion and who is below "fair" on average."""
    managed_section(db, actor, section_id)
    # A practised moment (a branch) is no session of the class's: its copied turns would count
    # twice. The student's own page keeps its review and suggestions.
    query = _reviews().where(Section.id == section_id, PracticeSession.branch_of_id.is_(None))
    if assignment_id is not None:
        query = query.where(Assignment.id == assignment_id)
    rows = _rows(db, query)
    criteria, indicators = _thresholds(rows)  # (each point's scores by its criterion's row)
    points = _named_apart(db, section_id, [point for point, _content, _rubric in rows])
    counting = [point for point in points if point.counts_for_class]
    distribution = [
        Distribution(
            criterion=threshold.key,
            name=threshold.name,
            counts={
                score: sum(1 for p in counting if p.scores.get(threshold.key) == score)
                for score in range(SCORE_MIN, SCORE_MAX + 1)
            },
            mean=_mean([p.scores.get(threshold.key) for p in counting]),
        )
        for threshold in criteria
    ]
    return ClassProgress(
        points=points,
        criteria=criteria,
        indicators=indicators,
        distribution=distribution,
        below_fair=_below_fair(counting, criteria, indicators, own=_own_thresholds(rows)),
        left_out_because=dict(
            Counter(left_out_because(point) for point in points if not point.counts_for_class)
        ),
    )


def section_titles(db: Session, section_id: int) -> dict[int, str]:
    """The section's assignments' titles as the picker shows them ("#id" where two share one),
    whichever of them a page or file holds: "Role play" alone had headed the second of two
    "Role play"s, which Canvas then wrote over the first's column (an attack, 2026-12-07)."""
    rows = db.execute(
        select(Assignment.id, Assignment.title)
        .where(Assignment.section_id == section_id)
        .order_by(Assignment.id)
    ).all()
    return {a: title for a, title in titles_apart(rows).items() if a is not None}


def _named_apart(db: Session, section_id: int, points: list[ProgressPoint]) -> list[ProgressPoint]:
    """The points with each assignment's title as the picker shows it and each student told
    apart from another of their name by username (two "Sam Lee"s in the below-fair list: an
    attack, 2026-12-07)."""
    titles = section_titles(db, section_id)
    people = {
        point.student_id: Named(point.student_id, point.student, point.username) for point in points
    }
    names = dict(zip(people, told_apart(list(people.values())), strict=True))
    return [
        point.model_copy(
            update={
                "student": names[point.student_id],
                "assignment": titles.get(point.assignment_id or 0, point.assignment),
            }
        )
        for point in points
    ]


def left_out_because(point: ProgressPoint) -> str:
    """Why a session without verdicts has none: "demo", "risk" or "short"."""
    return "demo" if point.demo else "risk" if point.risk_passed_over else "short"


def gradebook_csv(progress: ClassProgress) -> str:
    """One row per student and session; every text cell is safe from spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    criteria = [threshold.key for threshold in progress.criteria]
    indicator_keys: list[str] = []
    for point in progress.points:
        indicator_keys += [key for key in point.indicators if key not in indicator_keys]
    writer.writerow([*CSV_BASE_COLUMNS, *criteria, *indicator_keys])
    for point in progress.points:  # titles as on the page's picker (`class_progress`)
        texts = [point.student, point.username, point.section, point.assignment]
        writer.writerow(
            [
                *(spreadsheet_safe(text) for text in texts),
                point.session_id,
                point.date.date().isoformat(),
                spreadsheet_safe(point.rubric),
                "" if point.counts_for_class else left_out_because(point),
                *(point.scores.get(key, "") for key in criteria),
                *(_cell(point.indicators.get(key)) for key in indicator_keys),
            ]
        )
    return buffer.getvalue()


# Internals --------------------------------------------------------------------------------------
def _reviews() -> Select:
    return (
        select(SessionReview, PracticeSession, User, Section.name, Assignment.title)
        .add_columns(RubricVersion.definition, RubricVersion.version)
        .join(PracticeSession, PracticeSession.id == SessionReview.session_id)
        .join(User, User.id == PracticeSession.user_id)
        .outerjoin(Assignment, Assignment.id == PracticeSession.assignment_id)
        .outerjoin(Section, Section.id == Assignment.section_id)
        .join(RubricVersion, RubricVersion.id == SessionReview.rubric_version_id)
        .where(SessionReview.status == ReviewStatus.ready, SessionReview.content.is_not(None))
        # In the order the points are dated (as the gradebook's "latest" goes): by when each
        # session ended; two that overlapped ended in the other order they started in.
        .order_by(
            func.coalesce(PracticeSession.ended_at, SessionReview.created_at), PracticeSession.id
        )
    )


def _rows(
    db: Session, query: Select, *, released_only: bool = False
) -> list[tuple[ProgressPoint, dict, RubricDefinition]]:
    """Each review as a point: the teacher's version where there is one (for students, only
    once the teacher released it, as the student's review page shows it)."""
    rows = []
    for review, session, user, section, title, definition, version in db.execute(query):
        rubric = RubricDefinition.model_validate(definition)
        teacher = review.teacher_content
        if released_only and review.teacher_released_at is None:
            teacher = None
        content: dict[str, Any] = teacher or review.content or {}
        stored = (review.teacher_indicators if teacher else None) or review.indicators or {}
        scores = {
            str(item["criterion"]): int(item["score"])
            for item in content.get("scores") or []
            if isinstance(item.get("score"), int)
        }
        point = ProgressPoint(
            session_id=session.id,
            student_id=user.id,
            student=user.display_name,
            username=user.username,
            section=section or "",
            assignment=title or "",
            assignment_id=session.assignment_id,
            date=session.ended_at or review.created_at,
            rubric=f"{rubric.name} v{version}",  # as that version was named
            demo=bool(content.get("demo")),
            teacher_reviewed=bool(teacher),
            scores=scores,
            indicators=_indicators(stored, content, scores, rubric),
            verdicts=verdicts_shown(stored, content, by_teacher=bool(teacher)),
            risk_passed_over=_risk_passed_over(content),
        )
        rows.append((point, content, rubric))
    return rows


def _indicators(
    stored: dict[str, Any],
    content: dict[str, Any],
    scores: dict[str, int],
    rubric: RubricDefinition,
) -> dict[str, float | None]:
    """The stored counts, recounted from the shown version's codes, plus score averages."""
    values: dict[str, float | None] = {
        key: (float(value) if isinstance(value, int | float) else None)
        for key, value in stored.items()
        if not isinstance(value, bool)
    }
    codes = [str(item.get("code")) for item in content.get("codes") or []]
    values |= counted.count_indicators(
        [code for code in codes if rubric.code(code) or code == NOT_CODED], rubric
    )
    for key, criteria in SCORE_AVERAGES.items():
        if any(indicator.key == key for indicator in rubric.indicators):
            values[key] = _mean([scores.get(criterion) for criterion in criteria])
    return values


def verdicts_shown(stored: dict[str, Any], content: dict[str, Any], *, by_teacher: bool) -> bool:
    """Whether a review shows ratings and fair/good verdicts, so that they count (grades, class
    figures): its session was long enough for them, or it is a teacher's version they rated
    themselves; and the client voiced no risk the student passed over (that removes them all)."""
    rated_by_teacher = by_teacher and bool(content.get("scores"))
    return (enough_evidence(stored) or rated_by_teacher) and not _risk_passed_over(content)


def _risk_passed_over(content: dict[str, Any]) -> bool:
    found = [RiskCheck.model_validate(item) for item in content.get("risk") or []]
    return bool(risk.passed_over(found))


def enough_evidence(stored: dict[str, Any]) -> bool:
    """Whether a review's session was long enough for verdicts (its ratings count), from the
    review's stored indicators; one stored before that was counted goes by its turns."""
    if isinstance(stored.get("enough_evidence"), bool):
        return bool(stored["enough_evidence"])
    turns = stored.get("student_turns")
    return counted.enough_evidence(int(turns)) if isinstance(turns, int | float) else True


def _thresholds(
    rows: list[tuple[ProgressPoint, dict, RubricDefinition]],
) -> tuple[list[Threshold], list[Threshold]]:
    """Each criterion and indicator once (an indicator in the most recent rubric's wording). A
    criterion is a row by its name (`criterion_key`), whatever its key in each rubric: a
    teacher's copy can only rewrite a criterion to score something new ("Open questions"
    rewritten as "Summaries"), and rows by key had listed a student below fair on "Summaries"
    for a score of open questions (an attack, 2026-12-07). Each point's scores are moved to
    their criteria's rows, whose keys head the sessions file's columns."""
    criteria: dict[str, Threshold] = {}
    indicators: dict[str, Threshold] = {}
    for point, _content, rubric in rows:
        moved = {}
        for criterion in rubric.criteria:
            row = criterion_key(criterion.name)
            criteria.setdefault(
                row,
                Threshold(key=row, name=criterion.name, fair=CRITERION_FAIR, good=CRITERION_GOOD),
            )
            if criterion.key in point.scores:
                moved[row] = point.scores[criterion.key]
        point.scores = moved
        for indicator in rubric.indicators:
            indicators[indicator.key] = _threshold(indicator)
    if rows:
        indicators[COUNTED_SCORE.key] = COUNTED_SCORE
    return list(criteria.values()), list(indicators.values())


def _threshold(indicator: Any) -> Threshold:
    return Threshold(**indicator.model_dump(exclude={"source"}))


def _own_thresholds(
    rows: list[tuple[ProgressPoint, dict[str, Any], RubricDefinition]],
) -> dict[int, dict[str, Threshold]]:
    """Each session's indicator thresholds as its own review's rubric sets them."""
    return {
        point.session_id: {indicator.key: _threshold(indicator) for indicator in rubric.indicators}
        for point, _content, rubric in rows
    }


def _below_fair(
    points: list[ProgressPoint],
    criteria: list[Threshold],
    indicators: list[Threshold],
    own: dict[int, dict[str, Threshold]],
) -> list[BelowFair]:
    """Per student, each measure whose average over their sessions falls short of fair: each
    session judged by its own rubric's fair (`own`, session id -> indicator key -> threshold),
    sessions of rubrics that set it apart averaged apart (an attack, 2026-12-07: the most recent
    rubric's bar had been applied to every session)."""
    below = []
    students = {point.student_id: point.student for point in points}
    for student_id, name in sorted(students.items(), key=lambda item: item[1].lower()):
        mine = [point for point in points if point.student_id == student_id]
        measures = [(t, True) for t in criteria] + [(t, False) for t in indicators]
        for threshold, is_score in measures:
            by_bar: dict[tuple[float, bool], tuple[Threshold, list[Any]]] = {}
            for point in mine:
                value: Any
                if is_score:
                    bar, value = threshold, point.scores.get(threshold.key)
                else:
                    bar = own.get(point.session_id, {}).get(threshold.key, threshold)
                    value = point.indicators.get(threshold.key)
                by_bar.setdefault((bar.fair, bar.higher_is_better), (bar, []))[1].append(value)
            for bar, values in by_bar.values():
                value = _mean(values)
                if value is not None and bar.below_fair(value):
                    below.append(
                        BelowFair(
                            student_id=student_id,
                            student=name,
                            measure=threshold.name,
                            value=float(round_half_up(value, 3)),
                            fair=bar.fair,
                            sessions=sum(1 for v in values if v is not None),
                        )
                    )
    return below


def _mean(values: list[Any]) -> float | None:
    present = [float(value) for value in values if value is not None]
    return mean(present) if present else None


def _cell(value: float | None) -> str:
    """A figure to 3 places, a half rounded up as on the page."""
    return "" if value is None else f"{round_half_up(value, 3):.3f}".rstrip("0").rstrip(".")
