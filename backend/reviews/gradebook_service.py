"""Grades for an LMS: one row per student and one 0-100 column per assignment, for Canvas or Moodle.

A session's grade is its review's mean criterion rating as a share of the top rating (5 of 5 is
100), from released reviews only: the teacher's version once released, else the model's (what the
student reads). Automatic demo reviews and reviews without ratings give no grade. The teacher's
rule turns an assignment's graded sessions into one figure: the latest, the best, or their mean.
A student with no graded session keeps an empty cell (never 0; Moodle's "-"). Each row says
whose figures they are ("model", "teacher", or per assignment when they differ).
"""

from __future__ import annotations

import csv
import io
import re
from enum import StrEnum
from fractions import Fraction
from statistics import mean

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.actor import UserRead
from backend.models import Enrollment, PracticeSession, SessionReview, User
from backend.models.enums import SessionMode
from backend.models.review import ReviewStatus
from backend.practice.history_service import spreadsheet_safe
from backend.reviews.progress_service import managed_section, section_titles, verdicts_shown
from backend.reviews.rubric_schema import SCORE_MAX
from backend.utils.formatting import Named, round_half_up, told_apart

GRADE_MAX = 100  # every assignment's column, whatever the rubric


class GradeRule(StrEnum):
    latest = "latest"
    best = "best"
    mean = "mean"


class LmsFormat(StrEnum):
    canvas = "canvas"
    moodle = "moodle"


RULE_LABELS = {
    GradeRule.latest: "Latest released review",
    GradeRule.best: "Best released review",
    GradeRule.mean: "Mean of released reviews",
}
LMS_LABELS = {LmsFormat.canvas: "Canvas", LmsFormat.moodle: "Moodle"}
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTITY = ("Full name", "Username", "Email address", "Section")


class Grade(BaseModel):
    """One student's figure for one assignment and whose reviews it comes from."""

    value: float
    source: str  # "model", "teacher" or "teacher and model"
    sessions: int


class StudentGrades(BaseModel):
    student_id: int
    name: str
    username: str
    email: str | None
    grades: dict[int, Grade]  # by assignment id; absent: no graded session

    def source(self, titles: dict[int, str]) -> str:
        """Whose figures the row holds: one word when they agree, else per assignment."""
        sources = {grade.source for grade in self.grades.values()}
        if len(sources) <= 1:
            return next(iter(sources), "")
        return "; ".join(f"{titles[a]}: {g.source}" for a, g in self.grades.items())


class Gradebook(BaseModel):
    section: str
    rule: GradeRule
    assignments: dict[int, str]  # id -> title, in creation order
    students: list[StudentGrades]


def section_grades(
    db: Session,
    *,
    actor: UserRead | None,
    section_id: int,
    rule: GradeRule | str = GradeRule.latest,
    assignment_id: int | None = None,
) -> Gradebook:
    """The section's grades by the teacher's rule (one assignment, or all): its teacher's or an
    admin's; anyone else is told the section is not theirs."""
    rule = GradeRule(rule)
    section = managed_section(db, actor, section_id)
    assignments = {  # titled as the picker shows them, whichever are picked
        a: title
        for a, title in section_titles(db, section_id).items()
        if assignment_id is None or a == assignment_id
    }
    by_student = _graded_sessions(db, list(assignments))
    enrolled = select(Enrollment.student_id).where(Enrollment.section_id == section_id)
    people = db.execute(
        select(User.id, User.display_name, User.username, User.email)
        .where(or_(User.id.in_(enrolled), User.id.in_(list(by_student))))
        .order_by(User.display_name, User.id)
    ).all()
    students = [
        StudentGrades(
            student_id=user_id,
            name=name,
            username=username,
            email=email,
            grades={
                a: _combine(by_student[user_id][a], rule)
                for a in assignments
                if by_student.get(user_id, {}).get(a)
            },
        )
        for user_id, name, username, email in people
    ]
    return Gradebook(section=section.name, rule=rule, assignments=assignments, students=students)


def grades_csv(book: Gradebook, *, lms: LmsFormat | str) -> str:
    """The gradebook as the LMS imports it (UTF-8, comma-separated, text cells formula-safe).

    Canvas (as its GradebookImporter reads a file): its identity columns, "Notes" (a custom
    column, read only between "Section" and the assignments), one column per assignment, and a
    "Points Possible" row. Moodle: name, username and e-mail to map a student by, one
    "Title (out of 100)" column per assignment ("-" for no grade), "Figures from" (unmapped)."""
    lms = LmsFormat(lms)
    titles = _unique_titles(book.assignments, lms)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    headers = [spreadsheet_safe(title) for title in titles.values()]  # titles are typed text too
    if lms is LmsFormat.canvas:
        writer.writerow([*CANVAS_IDENTITY, "Notes", *headers])
        writer.writerow(["Points Possible", "", "", "", "", "", *[GRADE_MAX] * len(titles)])
    else:
        columns = [f"{title} (out of {GRADE_MAX})" for title in headers]
        writer.writerow([*MOODLE_IDENTITY, *columns, "Figures from"])
    # Two students of one name told apart (by username): Canvas matches a row it has no id for
    # by its name, so two "Sam Lee"s had both landed on one (an attack, 2026-12-07).
    names = told_apart([Named(s.student_id, s.name, s.username) for s in book.students])
    for student, shown in zip(book.students, names, strict=True):
        section = spreadsheet_safe(book.section)
        note = spreadsheet_safe(student.source(titles))
        cells = [_number(student.grades.get(a), lms) for a in titles]
        if lms is LmsFormat.canvas:
            login = spreadsheet_safe(student.email or student.username)
            writer.writerow([spreadsheet_safe(shown), "", "", login, section, note, *cells])
        else:
            name, username = spreadsheet_safe(shown), spreadsheet_safe(student.username)
            email = spreadsheet_safe(student.email or "")
            writer.writerow([name, username, email, section, *cells, note])
    return buffer.getvalue()


# Internals --------------------------------------------------------------------------------------
# (0-100, exact: a mean of thirds and quarters rounds as written; "model"/"teacher"), in
# session order.
_Graded = tuple[Fraction, str]


def _graded_sessions(db: Session, assignment_ids: list[int]) -> dict[int, dict[int, list[_Graded]]]:
    """Each student's graded sessions per assignment, oldest first."""
    rows = db.execute(
        select(
            PracticeSession.user_id,
            PracticeSession.assignment_id,
            SessionReview.content,
            SessionReview.teacher_content,
            SessionReview.teacher_released_at,
            SessionReview.indicators,
        )
        .join(SessionReview, SessionReview.session_id == PracticeSession.id)
        .where(
            PracticeSession.assignment_id.in_(assignment_ids),
            PracticeSession.mode == SessionMode.practice,
            PracticeSession.branch_of_id.is_(None),  # a practised moment is no session of its own
            SessionReview.status == ReviewStatus.ready,
            SessionReview.released_at.is_not(None),
        )
        .order_by(PracticeSession.ended_at, PracticeSession.started_at, PracticeSession.id)
    ).all()
    found: dict[int, dict[int, list[_Graded]]] = {}
    for user_id, assignment_id, content, teacher, teacher_released_at, indicators in rows:
        shown, source = (teacher, "teacher") if teacher_released_at else (content, "model")
        if not verdicts_shown(indicators or {}, shown or {}, by_teacher=source == "teacher"):
            continue  # no ratings shown for it: none graded
        value = _session_grade(shown or {})
        if value is not None:
            found.setdefault(user_id, {}).setdefault(assignment_id, []).append((value, source))
    return found


def _session_grade(content: dict) -> Fraction | None:
    """The mean rating as a share of the top rating, 0-100 (None: a demo, or no ratings)."""
    if content.get("demo"):
        return None
    ratings = [
        item["score"]
        for item in content.get("scores") or []
        if isinstance(item.get("score"), int) and not isinstance(item.get("score"), bool)
    ]
    return Fraction(sum(ratings), len(ratings)) / SCORE_MAX * GRADE_MAX if ratings else None


def _combine(graded: list[_Graded], rule: GradeRule) -> Grade:
    if rule is GradeRule.mean:
        chosen = graded
        value = mean(v for v, _ in graded)
    else:
        pick = graded[-1] if rule is GradeRule.latest else max(graded, key=lambda g: g[0])
        chosen, value = [pick], pick[0]
    sources = {source for _, source in chosen}
    source = "teacher and model" if len(sources) > 1 else sources.pop()
    return Grade(value=float(round_half_up(value, 1)), source=source, sessions=len(graded))


# How Canvas reads an assignment header: "title (its own assignment id)" (app/models/
# assignment.rb, Assignment.title_and_id).
_CANVAS_ID = re.compile(r"\s\((\d+)\)\Z")


def _unique_titles(assignments: dict[int, str], lms: LmsFormat) -> dict[int, str]:
    """Titles as column headers; a title two assignments share gets "#id" so columns differ.
    No header ends in a number in brackets for Canvas, which reads it as its own assignment id:
    a title's own ("Intake interview (2)") goes in square brackets ("Intake interview [2]")."""
    if lms is LmsFormat.canvas:  # before telling them apart: "X (2)" and "X [2]" would meet
        assignments = {
            a: _CANVAS_TOTALS.sub(_not_a_total, _CANVAS_ID.sub(r" [\1]", title))
            for a, title in assignments.items()
        }
    titles = list(assignments.values())
    return {
        a: (title if titles.count(title) == 1 else f"{title} #{a}")
        for a, title in assignments.items()
    }


#: What Canvas's importer takes for its own totals in a header at the file's end, and drops with
#: the column's grades, without a word (`GradebookImporter#strip_non_assignment_columns`, case
#: sensitive): "Final Score role-play" is written "Final score role-play" (an attack, 2026-12-07).
_CANVAS_TOTALS = re.compile(r"\b(Current|Final) (Score|Points|Grade)")


def _not_a_total(found: re.Match[str]) -> str:
    return f"{found[1]} {found[2].lower()}"


def _number(grade: Grade | None, lms: LmsFormat) -> str:
    """The grade; no grade is an empty cell for Canvas (it leaves the cell as it is) and Moodle's
    own "-" (its importer would give a new grade item's empty cell a grade)."""
    if grade is None:
        return "-" if lms is LmsFormat.moodle else ""
    return f"{grade.value:.1f}".removesuffix(".0")
