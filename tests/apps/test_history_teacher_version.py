"""History & metrics: the review a teacher reads beside a student's conversation must be the one
the student reads, once the teacher released their own version."""

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


def _released_teacher_version(app_db, teacher) -> int:
    """A ten-turn conversation with its automatic review, then the teacher's own version (empathy
    1 of 5, their goal) saved and released: the student reads the teacher's version."""
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
        session = session_service.create_session(db, actor=student, client_id=client.id)
        for line, reply in (
            ("What brings you in today?", "Work has been rough."),
            ("It sounds like work is wearing you down.", "Yeah."),
            *[("What else is going on?", "The usual, really.")] * 8,
        ):
            add_message(db, actor=student, session_id=session.id, content=line)
            add_reply(db, session_id=session.id, content=reply)
        session_service.end_session(db, actor=student, session_id=session.id)
        model = review_service.create_demo_review(db, actor=student, session_id=session.id)
        edits = model.content.model_dump(exclude={"demo"})
        for item in edits["scores"]:
            if item["criterion"] == "empathy":
                assert item["score"] != 1
                item["score"] = 1
        edits["goal"] = TEACHER_GOAL
        teacher_review_service.save_teacher_review(
            db, actor=teacher, session_id=session.id, edits=edits
        )
        review_service.release_review(db, actor=teacher, session_id=session.id)
        seen = review_service.get_review(db, actor=student, session_id=session.id)
    assert seen.by_teacher and seen.content.goal == TEACHER_GOAL  # what the student reads
    return session.id


def test_history_shows_the_teachers_released_version_not_the_models_first(app, app_db, teacher):
    session_id = _released_teacher_version(app_db, teacher)
    at = open_page(teacher_app(app), "History & metrics")
    at.session_state[f"conversation_{session_id}"] = True  # open the conversation's expander
    at.run()
    assert_clean(at)

    shown = "\n".join(texts(at) + texts(at, "success"))
    assert "Empathy" in shown  # the review is drawn beside the transcript
    empathy = [line for line in shown.splitlines() if line.startswith("**Empathy:")]
    assert TEACHER_GOAL in shown and empathy[0].startswith("**Empathy: 1/5**"), (
        f"History shows the model's first version ({empathy}) while the student reads the "
        "teacher's released one (Empathy 1/5, the teacher's goal)"
    )


DRAFT_GOAL = "Ask before you advise, every time."


def _draft_beside_a_released_model_review(app_db, teacher) -> int:
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
        session = session_service.create_session(db, actor=student, client_id=client.id)
        for line, reply in (
            ("What brings you in today?", "Work has been rough."),
            ("It sounds like work is wearing you down.", "Yeah."),
            *[("What else is going on?", "The usual, really.")] * 8,
        ):
            add_message(db, actor=student, session_id=session.id, content=line)
            add_reply(db, session_id=session.id, content=reply)
        session_service.end_session(db, actor=student, session_id=session.id)
        model = review_service.create_demo_review(db, actor=student, session_id=session.id)
        edits = model.content.model_dump(exclude={"demo"})
        edits["goal"] = DRAFT_GOAL
        teacher_review_service.save_teacher_review(  # saved, not released
            db, actor=teacher, session_id=session.id, edits=edits
        )
        seen = review_service.get_review(db, actor=student, session_id=session.id)
    assert seen.content.goal != DRAFT_GOAL  # the student reads the model's released version
    return session.id


def test_history_says_when_the_teachers_version_is_an_unreleased_draft(app, app_db, teacher):
    session_id = _draft_beside_a_released_model_review(app_db, teacher)
    at = open_page(teacher_app(app), "History & metrics")
    at.session_state[f"conversation_{session_id}"] = True
    at.run()
    assert_clean(at)
    shown = "\n".join(texts(at) + texts(at, "success"))
    heading = next(line for line in shown.splitlines() if line.startswith("##### Review"))
    assert DRAFT_GOAL in shown  # the draft is drawn
    assert "not released" in heading, (
        f"{heading!r}: the teacher's unreleased draft is shown as the review, with nothing "
        "saying the student reads another version"
    )
