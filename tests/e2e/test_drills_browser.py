"""Drills in a real browser (issue 24's Done-when): the demo teacher builds a set from the
built-in bank and assigns it to the demo section, the demo student answers an item (a miss, then
a hit, each coded at once, the model answer after the try), and the teacher sees the results."""

from __future__ import annotations

import pytest
from sqlalchemy import select

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import unit_of_work
from backend.models import DrillAttempt, DrillSet
from tests.e2e.helpers import choose, click, fill, go_to, keyed, log_in

pytestmark = pytest.mark.browser

BANK = [  # the first five open-question items of the bank, as the picker shows them
    "Open question: I have a few beers",
    "Open question: Everyone here already",
    "Open question: The tablets make me",
    "Open question: My brother says",
    "Open question: I just don't like",
]


def test_a_teacher_assigns_a_drill_set_and_sees_a_students_results(
    page, open_page, leave, app_server, demo
):
    engine, _seed = demo
    log_in(page, app_server, "demo.teacher", lands_on="Clients")
    go_to(page, "Drill sets")
    fill(page, "drill_title", "Open questions")
    choose(page, "drill_skill", "Open question")
    click(page, "create_drill_set")
    expect(page.get_by_text("Created Open questions.")).to_be_visible()
    choose(page, "drill_bank_pick", *BANK)
    click(page, "add_bank_items")
    expect(page.get_by_text("Added 5 items from the bank.")).to_be_visible()
    click(page, "assign_drill_set")
    expect(page.get_by_text("Assigned: its students see it")).to_be_visible()
    with unit_of_work(engine, write=False) as db:
        set_id = db.scalar(select(DrillSet.id))

    student = open_page()
    try:
        log_in(student, app_server, "demo.student")
        go_to(student, "Drills")
        click(student, f"open_drill_{set_id}")
        expect(student.get_by_text("Item 1 of 5")).to_be_visible()
        fill(student, "drill_reply", "Do you drink every day?")
        click(student, "drill_submit")
        feedback = keyed(student, "drill_feedback")
        expect(feedback).to_contain_text("Your reply is a closed question: not yet.")
        expect(feedback).to_contain_text("Model answer: What does a typical evening")
        fill(student, "drill_reply", "What does a typical evening look like for you?")
        click(student, "drill_submit")
        expect(feedback).to_contain_text("Your reply is an open question: that hits the skill.")
    finally:
        leave(student)
    with unit_of_work(engine, write=False) as db:
        assert [a.hit for a in db.scalars(select(DrillAttempt).order_by(DrillAttempt.id))] == [
            False,
            True,
        ]

    go_to(page, "Clients")  # the teacher comes back to the page: it reads the results afresh
    go_to(page, "Drill sets")
    page.get_by_role("tab", name="Results").click()
    summary = keyed(page, "drill_results_summary")
    expect(summary).to_contain_text("Open question: 50% of 2 attempts")
