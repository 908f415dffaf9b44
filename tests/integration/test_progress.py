"""Progress over time: a student's released reviews, the class distribution and the gradebook CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from backend.db import Database, unit_of_work
from backend.errors import PermissionDeniedError
from backend.models import SessionReview
from backend.models.enums import Role
from backend.practice import branch_service, session_service
from backend.reviews import progress_service, review_service, rubric_service
from backend.reviews.progress_service import SectionNotFound
from tests.factories import add_message, add_reply, enroll, hold_reviews, make_user
from tests.integration.test_reviews import LINES, ended_session, valid_answer


def answer(score: int, *, try_line: str = "What have you thought about doing so far?") -> dict:
    data = valid_answer()
    for item in data["scores"]:
        item["score"] = score
    data["try_instead"][0]["better_reply"] = try_line
    return data


# Ten student turns: long enough for verdicts (a session of LINES, three turns, is not).
LONG_LINES = [
    ("It sounds like work has been wearing you down.", "It has. I'm tired all the time."),
    *[("What else has been going on?", "Mostly the same things, really.")] * 9,
]


def long_answer(score: int) -> dict:
    """A valid review of LONG_LINES: every student turn coded, `score` on every criterion."""
    data = answer(score)
    data["codes"] = [{"turn": 1, "code": "reflection_of_feeling"}] + [
        {"turn": turn, "code": "open_question"} for turn in range(3, 20, 2)
    ]
    data["strengths"] = [
        {"turn": 1, "quote": "wearing you down", "comment": "A reflection of feeling."}
    ]
    data["try_instead"] = [
        {
            "turn": 3,
            "quote": "What else has been going on?",
            "better_reply": "You're tired all the time.",
            "why": "Reflect before the next question.",
        }
    ]
    return data


def reviewed(api, engine, room, score: int, *, student=None, long=False, **kwargs) -> int:
    """An ended conversation of LINES (or LONG_LINES) with a model review scoring `score` on
    every criterion."""
    lines = LONG_LINES if long else LINES
    session_id = ended_session(engine, room, lines, actor=student or room.student)
    data = long_answer(score) if long else answer(score, **kwargs)
    api.tool_reply(data, input_tokens=900, output_tokens=400)
    review_service.create_review(
        Database(engine), actor=student or room.student, session_id=session_id
    )
    return session_id


def test_student_sees_scores_indicators_thresholds_and_try_instead_items(
    api, classroom, committed_engine
):
    first = reviewed(api, committed_engine, classroom, 2, try_line="Tell me more about work.")
    second = reviewed(api, committed_engine, classroom, 4)

    with unit_of_work(committed_engine) as db:
        progress = progress_service.student_progress(db, actor=classroom.student)

    assert [point.session_id for point in progress.points] == [first, second]
    assert [point.scores["empathy"] for point in progress.points] == [2, 4]
    # Counted from the codes: one reflection, one open question, one advice.
    assert progress.points[0].indicators["reflection_to_question"] == 1.0
    assert progress.points[0].indicators["student_turns"] == 3
    by_key = {threshold.key: threshold for threshold in progress.indicators}
    assert (by_key["reflection_to_question"].fair, by_key["reflection_to_question"].good) == (
        1.0,
        2.0,
    )
    assert {c.key for c in progress.criteria} >= {"empathy", "pacing"}
    assert all((c.fair, c.good) == (3.0, 4.0) for c in progress.criteria)
    # Newest first, two items per review.
    assert len(progress.try_instead) == 4
    assert progress.try_instead[0].session_id == second
    assert "Tell me more about work." in [item.better_reply for item in progress.try_instead]


def test_unreleased_reviews_stay_out_of_the_students_progress(api, classroom, committed_engine):
    with unit_of_work(committed_engine) as db:
        hold_reviews(db, classroom)
    session_id = reviewed(api, committed_engine, classroom, 3)

    with unit_of_work(committed_engine) as db:
        assert progress_service.student_progress(db, actor=classroom.student).points == []
        # The teacher still sees it in the class view (to review and release it).
        assert (
            len(
                progress_service.class_progress(
                    db, actor=classroom.teacher, section_id=classroom.section.id
                ).points
            )
            == 1
        )
        review_service.release_review(db, actor=classroom.teacher, session_id=session_id)
        assert len(progress_service.student_progress(db, actor=classroom.student).points) == 1


def test_the_teachers_version_wins_once_released_and_at_once_in_the_class_view(
    api, classroom, committed_engine
):
    session_id = reviewed(api, committed_engine, classroom, 2)
    edited = answer(5) | {"demo": False}
    with unit_of_work(committed_engine) as db:
        db.execute(
            update(SessionReview)
            .where(SessionReview.session_id == session_id)
            .values(teacher_content=edited)
        )
        mine = progress_service.student_progress(db, actor=classroom.student).points[0]
        seen = progress_service.class_progress(
            db, actor=classroom.teacher, section_id=classroom.section.id
        ).points[0]
        assert (mine.teacher_reviewed, mine.scores["empathy"]) == (False, 2)  # a draft
        assert (seen.teacher_reviewed, seen.scores["empathy"]) == (True, 5)
        review_service.release_review(db, actor=classroom.teacher, session_id=session_id)
        mine = progress_service.student_progress(db, actor=classroom.student).points[0]
    assert mine.teacher_reviewed and mine.scores["empathy"] == 5


def test_class_progress_distribution_below_fair_and_gradebook(api, classroom, committed_engine):
    with unit_of_work(committed_engine) as db:
        tricky = make_user(db, role=Role.student, display_name='=HYPERLINK("http://x")')
        enroll(db, section=classroom.section, student=tricky)
    reviewed(api, committed_engine, classroom, 4, long=True)
    low = reviewed(api, committed_engine, classroom, 2, student=tricky, long=True)
    # Too short for verdicts: in the gradebook, not in the averages or the below-fair list.
    short = reviewed(api, committed_engine, classroom, 1)

    with unit_of_work(committed_engine) as db:
        progress = progress_service.class_progress(
            db,
            actor=classroom.teacher,
            section_id=classroom.section.id,
            assignment_id=classroom.assignment.id,
        )
        choices = progress_service.class_choices(db, actor=classroom.teacher)

    assert [choice.id for choice in choices] == [classroom.section.id]
    assert choices[0].assignments == {classroom.assignment.id: classroom.assignment.title}
    empathy = next(d for d in progress.distribution if d.criterion == "empathy")
    assert empathy.counts == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0} and empathy.mean == 3.0
    assert progress.left_out == 1
    below = {(item.student_id, item.measure) for item in progress.below_fair}
    assert (tricky.id, "Empathy") in below
    assert (classroom.student.id, "Empathy") not in below  # scored 4
    # One reflection to nine questions: below fair on the counted ratio for both.
    assert (classroom.student.id, "Reflection-to-question ratio") in below

    rows = list(csv.DictReader(io.StringIO(progress_service.gradebook_csv(progress))))
    assert len(rows) == 3 and str(short) in {row["session_id"] for row in rows}
    row = next(row for row in rows if row["session_id"] == str(low))
    assert row["student"] == '\'=HYPERLINK("http://x")'  # shown as typed, never run
    assert row["section"] == classroom.section.name
    assert row["assignment"] == classroom.assignment.title
    assert row["rubric"].endswith(" v1")
    assert row["empathy"] == "2" and row["reflection_to_question"] == "0.111"
    # 50 + 50 × (1 reflection − 0.8 for the four questions beyond five) ÷ 10 coded utterances.
    assert row["counted_score"] == "51" and row["mi_non_adherent"] == "0"
    assert row["date_utc"] and row["username"] == tricky.username


def test_progress_permissions(api, classroom, committed_engine):
    reviewed(api, committed_engine, classroom, 3)
    with unit_of_work(committed_engine) as db:
        other_student = make_user(db, role=Role.student)
        other_teacher = make_user(db, role=Role.teacher)
        admin = make_user(db, role=Role.admin)
    with unit_of_work(committed_engine) as db:
        with pytest.raises(PermissionDeniedError):
            progress_service.student_progress(
                db, actor=other_student, student_id=classroom.student.id
            )
        with pytest.raises(PermissionDeniedError):
            progress_service.class_progress(
                db, actor=classroom.student, section_id=classroom.section.id
            )
        with pytest.raises(SectionNotFound):
            progress_service.class_progress(
                db, actor=other_teacher, section_id=classroom.section.id
            )
        assert (
            progress_service.student_progress(
                db, actor=other_teacher, student_id=classroom.student.id
            ).points
            == []
        )
        assert progress_service.class_choices(db, actor=other_teacher) == []
        for reader in (classroom.teacher, admin):
            seen = progress_service.student_progress(
                db, actor=reader, student_id=classroom.student.id
            )
            assert len(seen.points) == 1
        assert (
            len(
                progress_service.class_progress(
                    db, actor=admin, section_id=classroom.section.id
                ).points
            )
            == 1
        )


def test_a_practised_moments_review_stays_on_the_students_own_progress(
    api, classroom, committed_engine
):
    """*My progress* collects every "try instead" item of the student's reviews, a practised
    moment's too (on its own turns: those on the turns it copied are the original's again),
    while grades and class progress leave branches out."""
    original = reviewed(api, committed_engine, classroom, 4, long=True)
    with unit_of_work(committed_engine) as db:
        branch = branch_service.start_branch(
            db, actor=classroom.student, session_id=original, turn=5
        )
        add_message(db, actor=classroom.student, session_id=branch.id, content="Go on.")
        add_reply(db, session_id=branch.id, content="Mostly the same things, really.")
        session_service.end_session(db, actor=classroom.student, session_id=branch.id)
    moment = long_answer(1)
    moment["codes"] = moment["codes"][:2] + [{"turn": 5, "code": "open_question"}]
    moment["try_instead"][0].update(
        turn=5, quote="Go on.", better_reply="The same things keep wearing you down."
    )
    api.tool_reply(moment)
    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=branch.id
    )
    with unit_of_work(committed_engine, write=False) as db:
        progress = progress_service.student_progress(db, actor=classroom.student)
    assert "The same things keep wearing you down." in [
        item.better_reply for item in progress.try_instead
    ]


def test_a_rename_does_not_relabel_reviews_made_under_the_old_version(
    api, classroom, committed_engine
):
    """Class progress labels each review "<rubric> v<N>": a review made under version 1,
    "Week 1 rubric", had read "Week 5 rubric v1" once version 2 renamed the rubric, a name
    version 1 never had. (An attack, 2026-12-07.)"""
    with unit_of_work(committed_engine) as db:
        micro = next(
            rubric
            for rubric in rubric_service.list_rubrics(db, actor=classroom.teacher)
            if rubric.key == "micro_skills"
        )
        own = rubric_service.copy_rubric(
            db, actor=classroom.teacher, rubric_id=micro.id, name="Week 1 rubric"
        )
        rubric_service.set_section_rubric(
            db, actor=classroom.teacher, section_id=classroom.section.id, rubric_id=own.id
        )
    first = reviewed(api, committed_engine, classroom, 3)
    with unit_of_work(committed_engine) as db:
        rubric_service.update_rubric(
            db,
            actor=classroom.teacher,
            rubric_id=own.id,
            definition=dict(own.definition, name="Week 5 rubric"),
        )
    second = reviewed(api, committed_engine, classroom, 4)
    with unit_of_work(committed_engine) as db:
        progress = progress_service.class_progress(
            db, actor=classroom.teacher, section_id=classroom.section.id
        )

    labels = {point.session_id: point.rubric for point in progress.points}
    assert labels == {first: "Week 1 rubric v1", second: "Week 5 rubric v2"}


def test_a_sessions_try_instead_items_keep_the_order_of_its_turns(api, classroom, committed_engine):
    """ "Try instead, newest first" reversed every item, so within one session its turn 5 came
    before its turn 1: the student read their session's suggestions backwards. Sessions are
    newest first; a session's items in the order of its turns. (An attack, 2026-12-07.)"""
    ids = []
    for score in (2, 4):
        session_id = ended_session(committed_engine, classroom, LINES)
        data = answer(score)
        data["try_instead"].sort(key=lambda item: item["turn"])  # the review names turn 1 first
        api.tool_reply(data)
        review_service.create_review(
            Database(committed_engine), actor=classroom.student, session_id=session_id
        )
        ids.append(session_id)
    first, second = ids
    with unit_of_work(committed_engine) as db:
        progress = progress_service.student_progress(db, actor=classroom.student)
    by_session = [(item.session_id, item.turn) for item in progress.try_instead]
    assert [session for session, _turn in by_session] == [second, second, first, first]
    for session in (first, second):
        turns = [turn for sid, turn in by_session if sid == session]
        assert turns == sorted(turns), by_session
