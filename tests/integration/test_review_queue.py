"""Teachers have the last word: their version of a review, the queue, and agreement figures."""

from __future__ import annotations

import pytest

from backend.classes import assignment_service
from backend.classes.read_models import AssignmentInput
from backend.db import Database
from backend.errors import PermissionDeniedError, ValidationError
from backend.models import SessionReview
from backend.models.enums import Role
from backend.models.review import ReviewSource
from backend.practice import session_service
from backend.reviews import (
    agreement_service,
    review_screen,
    review_service,
    teacher_review_service,
)
from backend.reviews.review_service import ReviewNotFound, ReviewNotReleased
from backend.reviews.teacher_review_service import TeacherEdits
from tests.factories import add_message, add_reply, make_classroom, make_user
from tests.integration.test_reviews import ended_session, valid_answer

# Ten student turns: long enough for ratings, with strengths and things to try in its review.
LINES = [
    ("What brings you in today?", "Work has been rough."),
    ("It sounds like work has been wearing you down.", "Yeah."),
    ("Do you work nights?", "Sometimes, when they are short of staff."),
    ("You should ask your manager for day shifts.", "I tried that once."),
    ("What happened when you asked?", "She said no and looked annoyed."),
    ("You felt brushed off.", "Exactly, like I didn't matter."),
    ("How long has it been like this?", "About a year now."),
    ("A whole year of feeling like you don't count.", "When you put it like that, yes."),
    ("What would you like to be different?", "Regular hours, and some respect."),
    ("Respect matters a lot to you.", "It does. More than the money."),
]


def _session(db, room, lines=LINES) -> int:
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    for student_line, client_line in lines:
        add_message(db, actor=room.student, session_id=session.id, content=student_line)
        add_reply(db, session_id=session.id, content=client_line)
    session_service.end_session(db, actor=room.student, session_id=session.id)
    return session.id


def _reviewed(db, room, lines=LINES) -> int:
    session_id = _session(db, room, lines)
    review_service.create_demo_review(db, actor=room.student, session_id=session_id)
    return session_id


def _edits(review, **scores: int) -> TeacherEdits:
    """The model's version with some criteria rescored by the teacher."""
    data = review.content.model_dump(exclude={"demo"})
    for item in data["scores"]:
        if item["criterion"] in scores:
            item["score"] = scores[item["criterion"]]
    return TeacherEdits.model_validate(data)


def _after_teacher_review(db, room) -> None:
    assignment_service.update_assignment(
        db,
        actor=room.teacher,
        assignment_id=room.assignment.id,
        data=AssignmentInput(
            title=room.assignment.title,
            client_ids=[room.client.id],
            release_reviews="after_teacher_review",
        ),
    )


# The teacher's version --------------------------------------------------------------------------
def test_override_and_release_the_student_reads_the_teachers_version(
    api, classroom, committed_engine
):
    session_id = ended_session(committed_engine, classroom)
    api.tool_reply(valid_answer())
    database = Database(committed_engine)
    model = review_service.create_review(database, actor=classroom.teacher, session_id=session_id)
    assert model.released_at is not None  # "immediately": the model's version is read at once

    edits = _edits(model, empathy=5)
    edits.codes[2].code = "closed_question"
    edits.goal = "Ask what they want before you suggest anything."
    edits.strengths[0].comment = "A warm, open start: well done."
    with database(write=True) as db:
        saved = teacher_review_service.save_teacher_review(
            db, actor=classroom.teacher, session_id=session_id, edits=edits
        )
        student_view = review_service.get_review(db, actor=classroom.student, session_id=session_id)
    assert saved.reviewed_by_id == classroom.teacher.id and saved.reviewed_at is not None
    assert saved.content == model.content  # the model's first version is kept beside it
    assert saved.teacher_content.goal == edits.goal
    # Saved, not released: the student still reads the model's version.
    assert not student_view.by_teacher and student_view.content.goal == model.content.goal
    assert student_view.teacher_content is None

    with database(write=True) as db:
        review_service.release_review(db, actor=classroom.teacher, session_id=session_id)
        seen = review_service.get_review(db, actor=classroom.student, session_id=session_id)
    assert seen.by_teacher and seen.teacher_content is None
    assert seen.content.goal == "Ask what they want before you suggest anything."
    assert {s.criterion: s.score for s in seen.content.scores}["empathy"] == 5
    assert [c.code for c in seen.content.codes] == [
        "open_question",
        "reflection_of_feeling",
        "closed_question",
    ]
    assert seen.indicators["reflection_to_question"] == 0.5  # counted from the teacher's codes
    assert seen.hidden_information_turn is None


def test_after_teacher_review_keeps_the_review_hidden_until_release(db):
    room = make_classroom(db)
    _after_teacher_review(db, room)
    assert (
        assignment_service.get_assignment(
            db, actor=room.teacher, assignment_id=room.assignment.id
        ).release_reviews.value
        == "after_teacher_review"
    )
    session_id = _reviewed(db, room)
    with pytest.raises(ReviewNotReleased):
        review_service.get_review(db, actor=room.student, session_id=session_id)
    review = review_service.get_review(db, actor=room.teacher, session_id=session_id)
    teacher_review_service.save_teacher_review(
        db, actor=room.teacher, session_id=session_id, edits=_edits(review, pacing=1)
    )
    with pytest.raises(ReviewNotReleased):  # saving is not releasing
        review_service.get_review(db, actor=room.student, session_id=session_id)

    review_service.release_review(db, actor=room.teacher, session_id=session_id)
    seen = review_service.get_review(db, actor=room.student, session_id=session_id)
    assert seen.by_teacher and not seen.demo
    assert {s.criterion: s.score for s in seen.content.scores}["pacing"] == 1


def test_only_the_sections_teacher_or_an_admin_may_change_a_review(db):
    room = make_classroom(db)
    session_id = _reviewed(db, room)
    review = review_service.get_review(db, actor=room.teacher, session_id=session_id)
    edits = _edits(review, empathy=1)
    with pytest.raises(ReviewNotFound):
        teacher_review_service.save_teacher_review(
            db, actor=make_user(db, role=Role.teacher), session_id=session_id, edits=edits
        )
    with pytest.raises(PermissionDeniedError):
        teacher_review_service.save_teacher_review(
            db, actor=room.student, session_id=session_id, edits=edits
        )
    admin = make_user(db, role=Role.admin)
    saved = teacher_review_service.save_teacher_review(
        db, actor=admin, session_id=session_id, edits=edits
    )
    assert saved.reviewed_by_id == admin.id


@pytest.mark.both_backends  # PostgreSQL refuses NUL characters
@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (lambda d: d["scores"][0].update(score=6), "outside 1-5"),
        (lambda d: d["codes"][0].update(code="mind_reading"), "not a code of this rubric"),
        (lambda d: d["scores"][0].update(criterion="charm"), "not a criterion"),
        (lambda d: d["strengths"][0].update(turn=2), "turn 2 is the client's"),
        (lambda d: d["try_instead"][0].update(turn=99), "turn 99 does not exist"),
        (lambda d: d.update(goal="Bad\x00goal"), "control character"),
    ],
)
def test_the_teachers_version_is_checked_like_the_models(db, spoil, problem):
    room = make_classroom(db)
    session_id = _reviewed(db, room)
    review = review_service.get_review(db, actor=room.teacher, session_id=session_id)
    data = review.content.model_dump(exclude={"demo"})
    spoil(data)
    with pytest.raises(ValidationError, match=problem):
        teacher_review_service.save_teacher_review(
            db, actor=room.teacher, session_id=session_id, edits=data
        )


def test_a_teacher_may_add_a_comment(db):
    room = make_classroom(db)
    session_id = _reviewed(db, room)
    review = review_service.get_review(db, actor=room.teacher, session_id=session_id)
    data = review.content.model_dump(exclude={"demo"})
    data["strengths"].append(
        {"turn": 3, "quote": "wearing you down", "comment": "You named the feeling."}
    )
    saved = teacher_review_service.save_teacher_review(
        db, actor=room.teacher, session_id=session_id, edits=data
    )
    assert saved.teacher_content.strengths[-1].comment == "You named the feeling."


# The queue --------------------------------------------------------------------------------------
def test_queue_lists_reviews_waiting_for_the_teacher_newest_first(db):
    room = make_classroom(db)
    _after_teacher_review(db, room)
    first = _reviewed(db, room)
    second = _reviewed(db, room)
    queue = teacher_review_service.review_queue(db, actor=room.teacher)
    assert [item.session_id for item in queue] == [second, first]
    assert queue[0].student == room.student.display_name and queue[0].client == room.client.name
    assert not queue[0].released and queue[0].demo

    review_service.release_review(db, actor=room.teacher, session_id=second)
    assert [
        item.session_id for item in teacher_review_service.review_queue(db, actor=room.teacher)
    ] == [first]
    # Released without the teacher's review: listed only when the teacher wants to look.
    everything = teacher_review_service.review_queue(
        db, actor=room.teacher, include_unreviewed=True
    )
    assert [item.session_id for item in everything] == [second, first]

    assert teacher_review_service.review_queue(db, actor=make_user(db, role=Role.teacher)) == []
    admin_queue = teacher_review_service.review_queue(db, actor=make_user(db, role=Role.admin))
    assert [item.session_id for item in admin_queue] == [first]
    with pytest.raises(PermissionDeniedError):
        teacher_review_service.review_queue(db, actor=room.student)


def test_the_reviews_screen_shows_the_review_asked_for_if_it_waits_else_the_newest(db):
    room = make_classroom(db)
    _after_teacher_review(db, room)
    first = _reviewed(db, room)
    second = _reviewed(db, room)
    screen = review_screen.read_review_screen(db, actor=room.teacher, session_id=first)
    assert [item.session_id for item in screen.queue] == [second, first]
    assert screen.chosen == first and screen.review and screen.review.session_id == first
    assert [turn.text for turn in screen.turns[:2]] == list(LINES[0])
    assert screen.rubric and screen.rubric.criteria

    elsewhere = _reviewed(db, make_classroom(db))  # another teacher's: never read here
    for asked in (None, elsewhere):
        screen = review_screen.read_review_screen(db, actor=room.teacher, session_id=asked)
        assert screen.chosen == second and screen.review and screen.review.session_id == second
    nothing = review_screen.read_review_screen(
        db, actor=make_user(db, role=Role.teacher), session_id=first
    )
    assert (nothing.queue, nothing.chosen, nothing.review, nothing.turns) == ([], None, None, [])
    with pytest.raises(PermissionDeniedError):
        review_screen.read_review_screen(db, actor=room.student, session_id=first)


# Agreement --------------------------------------------------------------------------------------
MODEL = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
TEACHER = [1, 2, 3, 4, 4, 2, 2, 3, 5, 5]


def _scored_pairs(db, room, pairs) -> None:
    """One model review per pair (empathy scored `model`), the teacher's version scoring it
    `teacher`; other criteria left as the model scored them."""
    for model_score, teacher_score in pairs:
        session_id = _reviewed(db, room)
        row = db.query(SessionReview).filter_by(session_id=session_id).one()
        content = dict(row.content)
        content["scores"] = [
            {**item, "score": model_score} if item["criterion"] == "empathy" else item
            for item in content["scores"]
        ]
        row.source, row.content = ReviewSource.model, content  # as if the model had written it
        db.flush()
        review = review_service.get_review(db, actor=room.teacher, session_id=session_id)
        teacher_review_service.save_teacher_review(
            db,
            actor=room.teacher,
            session_id=session_id,
            edits=_edits(review, empathy=teacher_score),
        )


def _empathy(rows):
    return next(row for row in rows if row.criterion == "empathy")


@pytest.mark.both_backends  # figures are aggregates computed in SQL
def test_agreement_figures_on_known_pairs_with_kappa_from_ten_pairs(db):
    room = make_classroom(db)
    _scored_pairs(db, room, list(zip(MODEL, TEACHER, strict=True))[:9])
    nine = _empathy(agreement_service.agreement(db, actor=room.teacher))
    assert nine.pairs == 9 and nine.kappa is None  # too few pairs for kappa
    assert nine.exact == pytest.approx(6 / 9) and nine.within_one == 1.0
    assert nine.mean_abs_diff == pytest.approx(3 / 9)

    _scored_pairs(db, room, [(MODEL[9], TEACHER[9])])
    rows = agreement_service.agreement(db, actor=room.teacher)
    ten = _empathy(rows)
    assert (ten.pairs, ten.exact, ten.within_one) == (10, 0.7, 1.0)
    assert ten.mean_abs_diff == pytest.approx(0.3)
    # Quadratic weights: observed disagreement 3/10 (three pairs one point apart) against the
    # 3.7 expected by chance from the margins, so kappa = 1 - 0.3 / 3.7 = 34/37.
    assert ten.kappa == pytest.approx(34 / 37)
    assert ten.criterion_name == "Empathy"
    pacing = next(row for row in rows if row.criterion == "pacing")
    assert pacing.exact == 1.0 and pacing.kappa is None  # one score throughout: undefined

    # Demo reviews are left out; another teacher sees none of these; the admin sees them all.
    demo = _reviewed(db, room)
    review = review_service.get_review(db, actor=room.teacher, session_id=demo)
    teacher_review_service.save_teacher_review(
        db, actor=room.teacher, session_id=demo, edits=_edits(review, empathy=1)
    )
    assert _empathy(agreement_service.agreement(db, actor=room.teacher)).pairs == 10
    assert agreement_service.agreement(db, actor=make_user(db, role=Role.teacher)) == []
    admin_rows = agreement_service.agreement(db, actor=make_user(db, role=Role.admin))
    assert _empathy(admin_rows).pairs == 10
    with pytest.raises(PermissionDeniedError):
        agreement_service.agreement(db, actor=room.student)


def test_teacher_view_keeps_both_versions(db):
    room = make_classroom(db)
    session_id = _reviewed(db, room)
    review = review_service.get_review(db, actor=room.teacher, session_id=session_id)
    teacher_review_service.save_teacher_review(
        db, actor=room.teacher, session_id=session_id, edits=_edits(review, empathy=5)
    )
    both = review_service.get_review(db, actor=room.teacher, session_id=session_id)
    assert both.content == review.content and both.teacher_content is not None
    assert both.final_content == both.teacher_content


def test_an_admins_version_is_not_counted_as_the_teachers_final_scores(db):
    """The Agreement tab says "the model's first scores against your final ones". The teacher
    saved no version; an admin rescored a model review of the teacher's section. The teacher's
    tab showed one pair, 0% exact, as their own disagreement with the model (an attack,
    2026-12-07); an admin's page still counts every saved version."""
    room = make_classroom(db)
    session_id = _reviewed(db, room)
    row = db.query(SessionReview).filter_by(session_id=session_id).one()
    content = dict(row.content)
    content["scores"] = [{**item, "score": 2} for item in content["scores"]]
    row.source, row.content = ReviewSource.model, content  # as if the model had written it
    db.flush()
    admin = make_user(db, role=Role.admin)
    review = review_service.get_review(db, actor=admin, session_id=session_id)
    teacher_review_service.save_teacher_review(
        db, actor=admin, session_id=session_id, edits=_edits(review, empathy=5)
    )
    assert any(r.criterion == "empathy" for r in agreement_service.agreement(db, actor=admin))
    assert agreement_service.agreement(db, actor=room.teacher) == []
