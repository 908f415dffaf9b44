"""A counseling student's first week, as a newcomer walks it (an attack, 2026-12-07): sign-up with
a join code, the empty pages, a conversation and its failures, the end, the review (also one held
for the teacher), a moment practised again, a drill, My progress. What held up is in the report;
these are what did not."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from backend.actor import UserRead
from backend.db import unit_of_work
from backend.models import Assignment, Section, User
from backend.reviews import rubric_service
from tests.apps.helpers import (
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    start_button,
    texts,
)
from tests.factories import PASSWORD

# Three turns the offline coder codes as reflections: a counted score of 100 (every turn reflects).
REFLECTIONS = [
    "It sounds like you feel stuck.",
    "You're feeling worn out by it all.",
    "It sounds like work has been a lot for you.",
]


def end_after(at, turns: list[str]):
    start_button(at).click().run()
    for text in turns:
        at.chat_input(key="chat_input").set_value(text).run()
        assert_clean(at)
    at.button(key="end_session").click().run()
    return at.button(key="confirm_end").click().run()


def statuses(at) -> list[tuple[str, int]]:
    """Every `st.status` box on the page: (label, state)."""
    found: list[tuple[str, int]] = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "status":
            found.append((node.proto.label, node.proto.state))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def announced(at) -> list[str]:
    """What the page asked screen readers to say (`a11y.announce`)."""
    return [
        element.value
        for element in at.get("html")
        if 'class="a11y-announce"' in getattr(element, "value", "")
    ]


def chart_descriptions(at) -> list[str]:
    """The text alternative (`aria-label`) of every chart on the page."""
    found: list[str] = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "vega_lite_chart":
            found.append(json.loads(node.proto.spec).get("description", ""))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def sign_up(at, code: str, username: str = "new.student", name: str = "New Student"):
    at.text_input(key="signup_join_code").input(code)
    at.text_input(key="signup_username").input(username)
    at.text_input(key="signup_display_name").input(name)
    at.text_input(key="signup_password").input(PASSWORD)
    at.text_input(key="signup_password_again").input(PASSWORD)
    return at.button(key="signup_submit").click().run()


# 1. A review held for the teacher is announced as ready ---------------------------------------
def test_a_review_held_for_the_teacher_is_not_announced_as_ready(app, app_db):
    """The assignment's reviews wait for the teacher ("after_teacher_review"). The student ends the
    session and sees a green, ticked "Review ready" box (and a screen reader says "Review ready"),
    right above "Your teacher will review this session first. The review appears here once they
    release it." The review is not ready for them: the two contradict each other, and the first
    is false for the student. (With the API the same box first says "Writing the review…" and
    polls for the minutes a batch takes, for a review the student will not see.)"""
    classroom(app_db)
    with unit_of_work(app_db) as db:
        assignment = db.scalar(select(Assignment).where(Assignment.title == "Week 1"))
        assert assignment is not None
        teacher_id = db.scalar(
            select(Section.teacher_id).where(Section.id == assignment.section_id)
        )
        teacher = UserRead.model_validate(db.get(User, teacher_id))
        rubric_service.set_assignment_rubric(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            rubric_id=None,
            release_reviews="after_teacher_review",
        )
    at = end_after(log_in(app.run(), "sam.student"), ["What brings you in?", "Tell me more."])
    assert_clean(at)
    assert any("teacher will review this session first" in text for text in texts(at, "info"))
    said_ready = [label for label, _state in statuses(at) if "ready" in label.lower()]
    said_ready += [text for text in announced(at) if "Review ready" in text]
    assert not said_ready, f"a held review is announced to the student as ready: {said_ready}"


# 2. A perfect counted score is read out as "1e+02" ---------------------------------------------
def test_a_counted_score_of_100_is_read_out_as_100_not_in_scientific_notation(app, app_db):
    """Three reflections: the review's counted score is **100**. On My progress the chart's text
    alternative (what a screen reader says for the chart) reads "Counted score (reflecting vs.
    telling, 0-100) 1e+02 in session 1": `describe` formats every value with "{:.2g}", which
    turns any value of 100 (or 99.5 and up) into scientific notation."""
    classroom(app_db)
    at = end_after(log_in(app.run(), "sam.student"), REFLECTIONS)
    assert_clean(at)
    assert any("Counted score (reflecting vs. telling, 0-100): **100**" in t for t in texts(at))
    open_page(at, "My progress")
    assert_clean(at)
    [counted] = [text for text in chart_descriptions(at) if text.startswith("Counted score")]
    assert "e+" not in counted and "100" in counted, counted


# 3. A full section of one seat -----------------------------------------------------------------
def test_a_full_section_with_one_seat_does_not_say_all_1_seats_are_taken(app, app_db):
    """A teacher limits a tutorial to one seat; its one student has joined. A second student
    signs up with the code and reads "Skills 101 is full: all 1 seats are taken." The count is
    not made to agree with its noun (the product writes "1 reviewed session", "1 attempt"
    elsewhere)."""
    classroom(app_db)
    with unit_of_work(app_db) as db:
        db.execute(update(Section).where(Section.name == "Skills 101").values(seat_limit=1))
        code = db.scalar(select(Section.join_code).where(Section.name == "Skills 101"))
    at = sign_up(app.run(), code)
    assert_clean(at)
    full = [text for text in texts(at, "warning") if "is full" in text]
    assert full, texts(at, "warning")
    assert "1 seats" not in full[0], full[0]


# 4. "Some are" demo reviews, of one ------------------------------------------------------------
def test_one_demo_reviewed_session_is_not_said_to_be_some_of_several(app, app_db):
    """The student's first and only review is the automatic demo review. My progress heads its
    charts "1 reviewed session (some are automatic demo reviews)": "some" of one session, and
    "some" where every one is. The caption should say it is (or they all are) a demo review."""
    classroom(app_db)
    at = end_after(log_in(app.run(), "sam.student"), REFLECTIONS)
    open_page(at, "My progress")
    assert_clean(at)
    [caption] = [text for text in texts(at, "caption") if "reviewed session" in text]
    assert "some are" not in caption, caption


# 5. The demo banner tells a student the model and the cost ------------------------------------
def test_a_student_in_demo_mode_is_not_told_the_model_and_the_cost(app, app_db):
    """In demo mode every page of the student's app opens with "Demo mode: no Anthropic API key
    is set, so clients answer with short local replies (model `demo`, no cost)." The product's
    own rule is that a student sees no tokens, cost or model (the role-play shows none: the chat,
    the transcript download); this banner names the model and the cost on every student page,
    beside the client's conversation."""
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("What brings you in?").run()
    assert_clean(at)
    page = everything(at)
    assert "model `demo`" not in page and "no cost" not in page, [
        text for text in texts(at, "info") if "Demo mode" in text
    ]


def test_the_student_sign_up_screen_in_demo_mode_names_no_model_or_cost(app, app_db, teacher):
    """A student opens the app to sign up with their teacher's join code (the log-in screen,
    "Your teacher gives you a join code for your section"). In demo mode the banner above it
    reads "no Anthropic API key is set, so clients answer with short local replies (model
    `demo`, no cost)": the fix tells students only that "the clients answer with short sample
    replies", but only once they are logged in - the screen students sign up on still names
    the model and the cost."""
    at = app.run()
    assert_clean(at)
    assert "join code" in everything(at)
    banner = [text for text in texts(at, "info") if "Demo mode" in text]
    assert banner, texts(at, "info")
    assert "model `demo`" not in banner[0] and "no cost" not in banner[0], banner[0]
