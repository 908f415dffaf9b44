"""A student's first week holds up: a Retry that fails again keeps its notice and Retry, Help says
when a review comes, an empty "Try instead" says so, a past due date reads as past (an attack,
2026-12-07)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from backend.db import unit_of_work
from backend.models import Assignment
from tests.apps.helpers import (
    assert_clean,
    classroom,
    log_in,
    open_page,
    start_button,
    texts,
)

LEAK = "Honestly, I was recently passed over for promotion at work."  # the hidden information


def shown_in_order(at) -> list[str]:
    """The main area's markdown and captions, top to bottom."""
    found: list[str] = []

    def walk(node) -> None:
        kind = getattr(node, "type", None)
        if kind in ("markdown", "caption"):
            found.append(node.value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def end_with(at, turns: list[str]):
    start_button(at).click().run()
    for text in turns:
        at.chat_input(key="chat_input").set_value(text).run()
        assert_clean(at)
    at.button(key="end_session").click().run()
    return at.button(key="confirm_end").click().run()


# 1. A Retry that fails again ---------------------------------------------------------------------
@pytest.mark.parametrize("failure", ["guard", "overloaded"])
def test_a_retry_that_fails_again_keeps_its_notice_and_retry(app, app_db, app_api, failure):
    """The client's reply is held back by the guard (or the API is overloaded); the student
    presses Retry and it fails once more. They should read the notice again with a Retry beside
    it, not "Something went wrong on our side" with no Retry left. (An attack, 2026-12-07.)"""
    classroom(app_db)
    if failure == "guard":
        app_api.reply(LEAK, times=4)  # the reply and the guard's own ask, twice
    else:
        app_api.overloaded(times=2)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("What brings you in?").run()
    assert_clean(at)
    assert at.button(key="retry_reply")
    at.button(key="retry_reply").click().run()
    errors = texts(at, "error")
    assert not [e for e in errors if "went wrong" in e], f"Retry failing again crashed: {errors}"
    assert [b for b in at.button if b.key == "retry_reply"], "no Retry after a second failure"


# 2. The Help page's word on reviews --------------------------------------------------------------
def test_help_does_not_say_every_review_waits_for_the_teacher(app, app_db):
    """By default (an assignment's reviews shown at once) the review is on the Practice page as
    soon as the session ends; the Help page tells every student it comes "once your teacher
    releases it", in My sessions. (An attack, 2026-12-07.)"""
    classroom(app_db)
    at = end_with(log_in(app.run(), "sam.student"), ["What brings you in?", "Tell me more."])
    assert "##### Strengths" in texts(at)  # the review is here already, no teacher involved
    open_page(at, "Help")
    step = next(text for text in texts(at) if "**Read your review**" in text)
    assert "once your teacher releases it" not in step, step


# 3. An empty "Try instead" -----------------------------------------------------------------------
def test_a_review_without_better_replies_says_so_under_try_instead(app, app_db):
    """Three good turns: the demo review offers no better reply. "Try instead" stands as a bare
    heading with nothing under it (Strengths says "No clear strength…" when it has none). (An attack, 2026-12-07.)"""
    classroom(app_db)
    at = end_with(
        log_in(app.run(), "sam.student"),
        ["What brings you in?", "Tell me more.", "That sounds heavy."],
    )
    assert_clean(at)
    order = shown_in_order(at)
    heading = order.index("##### Try instead")
    assert order[heading + 1] != "##### Goal for your next practice", (
        "an empty 'Try instead' heading, nothing under it"
    )


# 4. A due date that has passed -------------------------------------------------------------------
def test_a_card_whose_due_date_has_passed_says_so(app, app_db):
    """An assignment due two days ago is listed first, its card reading "**due <date>**" exactly
    as one due next week: nothing says the date has passed. (An attack, 2026-12-07.)"""
    classroom(app_db)
    with unit_of_work(app_db) as db:
        db.execute(
            update(Assignment)
            .where(Assignment.title == "Week 1")
            .values(due_at=datetime.now(UTC) - timedelta(days=2))
        )
    at = log_in(app.run(), "sam.student")
    assert_clean(at)
    caption = next(text for text in texts(at, "caption") if text.startswith("Week 1"))
    assert any(word in caption.lower() for word in ("overdue", "passed", "was due", "past")), (
        caption
    )
