"""History & metrics: the review a teacher reads beside a student's conversation is the one the
student reads once the teacher released their own version, and says so when it is a draft."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.practice import session_service
from backend.reviews import review_service, teacher_review_service
from tests.apps.helpers import assert_clean, open_page, teacher_app, texts
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

TEACHER_GOAL = "Ask before you advise, every time."
TEN_TURNS = (
    ("What brings you in today?", "Work has been rough."),
    ("It sounds like work is wearing you down.", "Yeah."),
    *[("What else is going on?", "The usual, really.")] * 8,
)


def demo_reviewed(db, teacher, lines):
    """Sam, in the teacher's section, with an ended conversation of `lines` and its automatic
    review: (Sam, the session, the review)."""
    student = make_user(db, username="sam.student", display_name="Sam Student")
    client = make_client(db, teacher=teacher, name="Alex Rivera")
    section = make_section(db, teacher=teacher, name="Skills 101")
    enroll(db, section=section, student=student)
    make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
    session = session_service.create_session(db, actor=student, client_id=client.id)
    for line, reply in lines:
        add_message(db, actor=student, session_id=session.id, content=line)
        add_reply(db, session_id=session.id, content=reply)
    session_service.end_session(db, actor=student, session_id=session.id)
    return (
        student,
        session,
        review_service.create_demo_review(db, actor=student, session_id=session.id),
    )


def teachers_version(app_db, teacher, lines=TEN_TURNS, *, edit, release: bool):
    """Sam's ended conversation of `lines` with its automatic review, then the teacher's own
    version (`edit(content)` changes the model's, as a dict) saved, and released if `release`;
    returns (the session's id, Sam)."""
    with unit_of_work(app_db) as db:
        student, session, model = demo_reviewed(db, teacher, lines)
        edits = model.content.model_dump(exclude={"demo"})
        edit(edits)
        teacher_review_service.save_teacher_review(
            db, actor=teacher, session_id=session.id, edits=edits
        )
        if release:
            review_service.release_review(db, actor=teacher, session_id=session.id)
    return session.id, student


def _empathy_one_and_my_goal(edits: dict) -> None:
    for item in edits["scores"]:
        if item["criterion"] == "empathy":
            assert item["score"] != 1
            item["score"] = 1
    edits["goal"] = TEACHER_GOAL


def _my_goal(edits: dict) -> None:
    edits["goal"] = TEACHER_GOAL


def _history(app, session_id: int) -> tuple[str, str]:
    """The conversation opened on History & metrics: (everything shown, the review's heading)."""
    at = open_page(teacher_app(app), "History & metrics")
    at.session_state[f"conversation_{session_id}"] = True  # open the conversation's expander
    at.run()
    assert_clean(at)
    shown = "\n".join(texts(at) + texts(at, "success"))
    return shown, next(line for line in shown.splitlines() if line.startswith("##### Review"))


def test_history_shows_the_teachers_released_version_not_the_models_first(app, app_db, teacher):
    session_id, _sam = teachers_version(
        app_db, teacher, edit=_empathy_one_and_my_goal, release=True
    )
    shown, heading = _history(app, session_id)
    empathy = [line for line in shown.splitlines() if line.startswith("**Empathy:")]
    assert TEACHER_GOAL in shown and empathy[0].startswith("**Empathy: 1/5**"), (
        f"History shows the model's first version ({empathy}) while the student reads the "
        "teacher's released one (Empathy 1/5, the teacher's goal)"
    )
    assert "as the student reads it" in heading


def test_history_says_when_the_teachers_version_is_an_unreleased_draft(app, app_db, teacher):
    """The model's review was released at once; the teacher's draft is not what Sam reads."""
    session_id, sam = teachers_version(app_db, teacher, edit=_my_goal, release=False)
    with unit_of_work(app_db) as db:
        read = review_service.get_review(db, actor=sam, session_id=session_id)
    assert read.content.goal != TEACHER_GOAL
    shown, heading = _history(app, session_id)
    assert TEACHER_GOAL in shown  # the draft is drawn
    assert "the teacher's draft, not released to the student" in heading, heading
