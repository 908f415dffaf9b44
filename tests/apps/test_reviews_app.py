"""The teacher's Reviews page: the queue, the transcript beside the review, save and release."""

from __future__ import annotations

from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput
from backend.db import unit_of_work
from backend.models import SessionReview
from backend.practice import branch_service, session_service
from backend.reviews import review_service
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app, texts
from tests.apps.test_words_as_typed import visible_text
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

WAITING_LINES = (
    ("What brings you in today?", "Work has been rough."),
    ("It sounds like work is **wearing** you down.", "Yeah."),
    *[("What else is going on?", "The usual, really.")] * 8,  # ten turns: rated
)


def _waiting_review(app_db, teacher, lines=WAITING_LINES):
    """A student's ended conversation of `lines` whose (demo) review waits for the teacher's
    release."""
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        assignment = make_assignment(
            db, teacher=teacher, section=section, clients=[client], title="Week 1"
        )
        assignment_service.update_assignment(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            data=AssignmentInput(
                title="Week 1", client_ids=[client.id], release_reviews="after_teacher_review"
            ),
        )
        session = session_service.create_session(db, actor=student, client_id=client.id)
        for line, reply in lines:
            add_message(db, actor=student, session_id=session.id, content=line)
            add_reply(db, session_id=session.id, content=reply)
        session_service.end_session(db, actor=student, session_id=session.id)
        review_service.create_demo_review(db, actor=student, session_id=session.id)
    return session.id, student


def test_empty_queue_says_what_to_do_next(app, teacher):
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    assert "No reviews are waiting for you" in everything(at)
    assert "Session reviews" in everything(at)
    assert "No figures yet" in everything(at)


def test_teacher_changes_a_score_and_releases(app, app_db, teacher):
    session_id, student = _waiting_review(app_db, teacher)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    assert "Reviews" in texts(at, "title")
    assert at.selectbox(key="review_session_id").value == session_id
    # The transcript is beside the review; cited turns are bordered and labelled.
    assert any(":orange-badge[cited:" in text for text in texts(at))
    # The student's words as typed, asterisks and all (not bold: an attack, 2026-12-07).
    typed = "It sounds like work is **wearing** you down."
    assert any(visible_text(text) == typed for text in texts(at))
    # Cited by the criterion's name, not its key (issue 22, item 13).
    badges = [text for text in texts(at) if ":orange-badge[cited:" in text]
    assert any("Open questions" in text for text in badges), badges
    assert not any("open_questions" in text for text in badges), badges

    score = at.number_input(key=f"score_{session_id}_empathy")
    assert score.value != 2
    score.set_value(2)
    at.text_area(key=f"goal_{session_id}").input("Reflect before every question.")
    at.button(key="release_review").click().run()
    assert_clean(at)
    assert "Released" in everything(at)
    assert "No reviews are waiting for you" in everything(at)

    with unit_of_work(app_db) as db:
        seen_by_teacher = review_service.get_review(db, actor=teacher, session_id=session_id)
        seen = review_service.get_review(db, actor=student, session_id=session_id)
    assert seen_by_teacher.teacher_released_at is not None
    assert seen.by_teacher
    assert {s.criterion: s.score for s in seen.content.scores}["empathy"] == 2
    assert seen.content.goal == "Reflect before every question."


def test_assignment_setting_decides_when_students_see_reviews(app, app_db, teacher):
    _waiting_review(app_db, teacher)
    at = open_page(teacher_app(app), "Sections & assignments")
    assert_clean(at)
    with unit_of_work(app_db) as db:
        section = section_service.list_sections(db, actor=teacher)[0]
        (assignment,) = assignment_service.list_assignments(
            db, actor=teacher, section_id=section.id
        )
    setting = at.selectbox(key=f"assignment_release_{assignment.id}")
    assert setting.value == "after_teacher_review"
    setting.set_value("immediately").run()  # saved when chosen, no button
    assert_clean(at)
    with unit_of_work(app_db) as db:
        saved = assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment.id)
    assert saved.release_reviews.value == "immediately"


def test_a_review_being_written_in_a_batch_shows_in_the_queue(app, app_db, teacher):
    """Held reviews are written through the Message Batches API: while the batch runs (a job in
    this or another process follows it), the queue says so, with the job's progress."""
    from backend.jobs import job_service
    from backend.models import ReviewBatch
    from backend.reviews import review_batches

    session_id, student = _waiting_review(app_db, teacher)
    with unit_of_work(app_db) as db:
        db.query(SessionReview).delete()  # its review is not written yet: a batch is writing it
        db.add(
            ReviewBatch(
                session_id=session_id, requested_by_id=student.id, batch_id="b", custom_id="c"
            )
        )
        job, _ = job_service.create(db, kind="review", subject=session_id, owner_id=student.id)
        job_service.mark_running(db, job.id)
        job_service.set_progress(db, job.id, f"{review_batches.BATCH_STEP}: 0 of 1 done", 0.5)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    assert at.selectbox(key="review_session_id").value == session_id
    shown = everything(at)
    assert "being written (batch, usually minutes): 0 of 1 done" in shown
    assert "Reload this page to see its progress" in shown
    assert "This conversation has no finished review" not in shown


# A long, thoughtful open question (about 400 characters): character 300 falls inside a word.
LONG_TURN = (
    "So when you think about everything that has been going on recently, those late shifts, looking "
    "after your mother on the weekends, trying to keep things calm at home with your partner, "
    "and the feeling that nobody notices how hard you are working to hold everything together, "
    "what would you most want to be different a few months from now, and what do you think "
    "would be the very first small step toward that?"
)


def test_a_strength_added_on_a_long_turn_can_be_saved(app, app_db, teacher):
    """The teacher wants to praise the student's best reflection, a long turn, and picks it under
    "Add a strength about", types a comment and presses Save. The page builds the quote itself
    (the turn's first 300 characters, cut in the middle of a word), and the save is refused
    with "the quote ... is not word for word in turn N": a quote the teacher never typed and
    cannot change. So a teacher can never add a strength or a "try instead" on any student turn
    over 300 characters (exactly the considered replies worth praising), whatever they do.
    (An attack, 2026-12-07.)"""
    assert LONG_TURN[299].isalpha() and LONG_TURN[300].isalpha()  # cut inside a word
    lines = (*WAITING_LINES[:9], (LONG_TURN, "Maybe just one evening a week for me."))
    session_id, _student = _waiting_review(app_db, teacher, lines=lines)
    at = open_page(teacher_app(app), "Reviews")
    long_turn = 19  # the tenth student turn (the demo review cites it nowhere)
    at.selectbox(key=f"new_strength_turn_{session_id}").select(long_turn)
    at.text_area(key=f"new_strength_{session_id}").input(
        "A rich reflection of how much she carries: keep doing this."
    )
    at.button(key="save_review").click().run()
    with unit_of_work(app_db) as db:
        saved = review_service.get_review(db, actor=teacher, session_id=session_id)
    refused = [line for line in everything(at).splitlines() if "cannot be saved" in line]
    content = saved.teacher_content
    added = [s for s in (content.strengths if content else []) if s.turn == long_turn]
    assert added, (
        "the teacher's new strength on a long turn was refused: " + " ".join(refused)[:400]
    )


def test_a_practised_moment_waiting_in_the_queue_says_it_is_a_branch(app, app_db, teacher):
    """A student presses "Practise this moment" on their held session, tries the moment once
    and ends the try. Its review waits in the teacher's queue beside the original, labelled
    exactly like a whole session of the assignment ("Sam Student · Alex Rivera · Week 1 ..."):
    nothing says it is a try of one moment whose first 18 turns are copied from the other
    session, as My sessions and History & metrics mark it ("branch of the session of ... at
    turn N"). The teacher reads what looks like the student's second full session, saying the
    same things, and weighs and releases it as one (it gives no grade and is no session of the
    class's). (An attack, 2026-12-07.)"""
    original_id, student = _waiting_review(app_db, teacher)
    with unit_of_work(app_db) as db:
        branch = branch_service.start_branch(db, actor=student, session_id=original_id, turn=19)
        add_message(db, actor=student, session_id=branch.id, content="What matters most to you?")
        add_reply(db, session_id=branch.id, content="Getting some rest, honestly.")
        session_service.end_session(db, actor=student, session_id=branch.id)
        review_service.create_demo_review(db, actor=student, session_id=branch.id)
    at = open_page(teacher_app(app), "Reviews")
    picker = at.selectbox(key="review_session_id")
    assert len(picker.options) == 2, picker.options  # the session and the try of its moment
    branch_label = [text for text in picker.options if "branch" in text.lower()]
    assert branch_label, f"the queue names the try of a moment like any session: {picker.options}"
