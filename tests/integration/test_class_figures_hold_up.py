"""What teachers see about their class holds up against classes built with known data: class
progress, the sessions CSV and the gradebook. (An attack, 2026-12-07.)"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from backend.models import Rubric, SessionReview
from backend.models.enums import Role
from backend.models.review import ReviewSource
from backend.practice import session_service
from backend.reviews import indicators as counted
from backend.reviews import progress_service, review_service, rubric_service
from backend.reviews.rubric_schema import RubricDefinition
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)
from tests.integration.test_review_queue import LINES  # ten student turns: long enough

STUDENT_TURNS = list(range(1, 20, 2))  # the student's turns of LINES, as reviews number them


def _reviewed(
    db, student, client, assignment, *, reflections: int, questions: int, score=4, lines=LINES
):
    """An ended conversation of LINES under `assignment`, its model review coding `reflections`
    reflections of feeling and `questions` open questions (the other turns 'other') and rating
    every criterion `score`."""
    session = session_service.create_session(
        db, actor=student, client_id=client.id, assignment_id=assignment.id
    )
    for student_line, client_line in lines:
        add_message(db, actor=student, session_id=session.id, content=student_line)
        add_reply(db, session_id=session.id, content=client_line)
    session_service.end_session(db, actor=student, session_id=session.id)
    review_service.create_demo_review(db, actor=student, session_id=session.id)
    row = db.scalar(select(SessionReview).where(SessionReview.session_id == session.id))
    kinds = ["reflection_of_feeling"] * reflections + ["open_question"] * questions
    turns = STUDENT_TURNS[: len(lines)]
    kinds += ["other"] * (len(turns) - len(kinds))
    codes = [{"turn": t, "code": c} for t, c in zip(turns, kinds, strict=True)]
    rubric = RubricDefinition.model_validate(
        db.scalar(
            select(rubric_service.RubricVersion.definition).where(
                rubric_service.RubricVersion.id == row.rubric_version_id
            )
        )
    )
    scores = [
        {"criterion": item.key, "score": score, "reasoning": "As rated.", "turns": [1]}
        for item in rubric.criteria
    ]
    content = dict(row.content) | {"demo": False, "codes": codes, "scores": scores}
    row.source, row.content = ReviewSource.model, content  # as the model wrote it
    row.indicators = dict(row.indicators) | counted.count_indicators(kinds, rubric)
    db.flush()
    return session.id


def test_a_session_is_judged_below_fair_by_its_own_rubric_not_by_another_assignments(db):
    """A section's week 1 uses the built-in micro-skills rubric (reflection-to-question ratio fair
    from 1.0); for week 5 the teacher copied it and raised the bar to 2.0. Ann did only week 1,
    at 1.5 reflections per question: fair by her review's rubric (her review says so). Class
    progress, on its default "All assignments", lists Ann as below fair on that ratio, "Fair
    from 2.0": a threshold from a rubric her session was never reviewed with (the most recent
    rubric's threshold is applied to every session)."""
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    section = make_section(db, teacher=teacher, name="Skills 101")
    ann = make_user(db, display_name="Ann")
    bob = make_user(db, display_name="Bob")
    for student in (ann, bob):
        enroll(db, section=section, student=student)
    week1 = make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
    week5 = make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 5")
    rubric_service.seed_builtin_rubrics(db)
    builtin = db.scalar(
        select(Rubric.id).where(Rubric.key == "micro_skills", Rubric.owner_id.is_(None))
    )
    copy = rubric_service.copy_rubric(db, actor=teacher, rubric_id=builtin, name="Week 5 bar")
    definition = rubric_service.definition_of(rubric_service.latest_version(db, copy.id))
    raised = [
        item.model_copy(update={"fair": 2.0, "good": 3.0})
        if item.key == "reflection_to_question"
        else item
        for item in definition.indicators
    ]
    rubric_service.update_rubric(
        db,
        actor=teacher,
        rubric_id=copy.id,
        definition=definition.model_copy(update={"indicators": raised}).model_dump(),
    )
    rubric_service.set_assignment_rubric(
        db, actor=teacher, assignment_id=week5.id, rubric_id=copy.id
    )
    ann_session = _reviewed(db, ann, client, week1, reflections=3, questions=2)  # R:Q 1.5
    _reviewed(db, bob, client, week5, reflections=5, questions=2)  # R:Q 2.5, later

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)
    ann_point = next(p for p in progress.points if p.session_id == ann_session)
    assert ann_point.indicators["reflection_to_question"] == 1.5
    assert ann_point.rubric.startswith("Core counseling micro-skills")  # fair from 1.0 there
    flagged = [
        (item.student, item.measure, item.value, item.fair)
        for item in progress.below_fair
        if item.student == "Ann"
    ]
    assert flagged == [], (
        "Ann's week-1 session (reflection-to-question 1.5, fair from 1.0 in its rubric) is "
        f"listed below fair: {flagged}"
    )


def test_the_below_fair_average_rounds_a_half_up_as_the_class_mean_does(db):
    """Cat's two sessions have reflection-to-question ratios 0.125 (1 to 8) and 1.0 (1 to 1):
    averaged, 0.5625, below fair (1.0). The Below fair table shows 0.562 (Python's `round`, a half
    to the even digit); by hand, and as the app rounds every other figure (the criterion Mean,
    the grades: `round_half_up`), it is 0.563."""
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    section = make_section(db, teacher=teacher)
    cat = make_user(db, display_name="Cat")
    enroll(db, section=section, student=cat)
    week1 = make_assignment(db, teacher=teacher, section=section, clients=[client])
    _reviewed(db, cat, client, week1, reflections=1, questions=8)
    _reviewed(db, cat, client, week1, reflections=1, questions=1)

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)
    (ratio,) = [item for item in progress.below_fair if item.measure.startswith("Reflection-to")]
    assert ratio.sessions == 2
    assert ratio.value == 0.563, f"the Average column shows {ratio.value} for 0.5625"


def test_the_sessions_csv_tells_which_sessions_the_pages_figures_leave_out(db):
    """Dan's ten-turn session is rated 4 on every criterion; his three-turn session 1 (too short
    for ratings: his review shows none, the grade leaves it out), and an automatic demo review
    rated his third by rule. The page's Mean for Empathy is 4.0, "2 left out of the averages".
    The sessions CSV ("with every rating") gives all three rows the same way, the short one's 1
    and the demo's rule-made ratings beside the real 4, and nothing says which two the page left
    out: the teacher's spreadsheet average is not the page's, and ratings the student never saw
    read as real ones."""
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    section = make_section(db, teacher=teacher)
    dan = make_user(db, display_name="Dan")
    enroll(db, section=section, student=dan)
    week1 = make_assignment(db, teacher=teacher, section=section, clients=[client])
    _reviewed(db, dan, client, week1, reflections=5, questions=3, score=4)
    short = _reviewed(db, dan, client, week1, reflections=1, questions=1, score=1, lines=LINES[:3])
    demo = session_service.create_session(
        db, actor=dan, client_id=client.id, assignment_id=week1.id
    )
    for student_line, client_line in LINES:
        add_message(db, actor=dan, session_id=demo.id, content=student_line)
        add_reply(db, session_id=demo.id, content=client_line)
    session_service.end_session(db, actor=dan, session_id=demo.id)
    review_service.create_demo_review(db, actor=dan, session_id=demo.id)

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)
    empathy = next(d for d in progress.distribution if d.criterion == "empathy")
    assert empathy.mean == 4.0 and progress.left_out == 2  # what the page shows
    rows = {
        row["session_id"]: row
        for row in csv.DictReader(io.StringIO(progress_service.gradebook_csv(progress)))
    }
    assert len(rows) == 3
    marks = [k for k in next(iter(rows.values())) if "left_out" in k or "counts" in k]
    for session_id in (short, demo.id):
        row = rows[str(session_id)]
        assert row["empathy"] == "" or any(row[k] for k in marks), (
            f"session {session_id}, left out on the page, reads in the CSV as rated "
            f"{row['empathy']} on Empathy, with nothing saying it is left out: {row}"
        )


def test_the_sessions_csv_tells_apart_two_assignments_of_one_title(db):
    """The section has two assignments titled "Intake interview" (one per client). The Class
    progress picker now tells them apart ("Intake interview #3", "Intake interview #4"), as the
    grades file's columns do; the sessions CSV of "All assignments" still writes "Intake
    interview" in both sessions' assignment column: the teacher's spreadsheet cannot tell whose
    session belongs to which assignment, and the CSV's names match none of the picker's. (An attack on the
    day's fixes, 2026-12-07.)"""
    import csv
    import io

    from backend.reviews import progress_service
    from tests.integration.test_grades_name_things_as_the_page_does import two_of_one_title

    teacher, section, _first, _second = two_of_one_title(db, "Intake interview")

    (choice,) = progress_service.class_choices(db, actor=teacher)
    picker = set(choice.assignments.values())
    assert len(picker) == 2  # the fix: the picker tells them apart
    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)
    rows = list(csv.DictReader(io.StringIO(progress_service.gradebook_csv(progress))))
    in_csv = [row["assignment"] for row in rows]
    assert len(set(in_csv)) == 2, (
        f"the sessions CSV names both sessions' assignments {in_csv}; the picker: {picker}"
    )
