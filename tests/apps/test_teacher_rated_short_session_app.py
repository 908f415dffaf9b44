"""A teacher's own ratings of a short session: the Reviews editor invites them ("Leave them
empty, or rate every criterion with a reason"), so once released the student must read them."""

from __future__ import annotations

from backend.db import unit_of_work
from backend.practice import session_service
from backend.reviews import review_service, teacher_review_service
from tests.apps.helpers import assert_clean, log_in, open_page, texts
from tests.factories import (
    add_message,
    add_reply,
    builtin_criteria,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)


def test_ratings_a_teacher_gives_a_short_session_reach_the_student_once_released(
    app, app_db, teacher
):
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
        session = session_service.create_session(db, actor=student, client_id=client.id)
        for line, reply in (
            ("What brings you in today?", "Work has been rough."),
            ("It sounds like work is wearing you down.", "Yeah, it is."),
            ("What would you like to be different?", "More time for myself."),
        ):
            add_message(db, actor=student, session_id=session.id, content=line)
            add_reply(db, session_id=session.id, content=reply)
        session_service.end_session(db, actor=student, session_id=session.id)
        automatic = review_service.create_demo_review(db, actor=student, session_id=session.id)
        assert automatic.content.scores == []  # too short for automatic ratings
        # The teacher rates every criterion with a reason, as the editor offers, and releases.
        edits = automatic.content.model_dump(exclude={"demo"})
        edits["scores"] = [
            {"criterion": key, "score": 5, "reasoning": "Excellent pacing for a first talk.",
             "turns": [3]}
            for key in builtin_criteria()
        ]  # fmt: skip
        teacher_review_service.save_teacher_review(
            db, actor=teacher, session_id=session.id, edits=edits
        )
        review_service.release_review(db, actor=teacher, session_id=session.id)
        seen = review_service.get_review(db, actor=student, session_id=session.id)
    assert seen.by_teacher and {s.score for s in seen.content.scores} == {5}

    at = open_page(log_in(app.run(), "sam.student"), "My sessions")
    at.session_state[f"my_session_{session.id}"] = True
    at.run()
    assert_clean(at)
    shown = "\n".join(texts(at) + texts(at, "info") + texts(at, "success"))
    assert "Reviewed by your teacher" in shown
    assert "**Empathy: 5/5**" in shown, (
        "the teacher's released ratings are not shown to the student; the page says: "
        + next((line for line in texts(at, "info") if "Too short" in line), "")
    )
