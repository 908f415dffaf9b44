"""Teachers have the last word, in a real browser: the teacher overrides a score of a review the
student already read and releases it; the student then reads the teacher's version."""

from __future__ import annotations

import pytest

from tests.factories import builtin_criteria

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from tests.e2e.helpers import (
    RUN_TIMEOUT_MS,
    click,
    end_session,
    go_to,
    keyed,
    log_in,
    open_client,
    say,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

# Ten student turns: long enough for ratings and verdicts (shorter sessions show counts only).
TURNS = (
    "Hi Maya, what brings you in today?",
    "That sounds like a lot to carry.",
    *(f"Tell me more about that, part {n}." for n in range(1, 9)),
)
CRITERIA = builtin_criteria()


def review_answer() -> dict:
    """A valid review of TURNS (student turns 1 and 3) under the micro-skills rubric."""
    return {
        "codes": [
            {"turn": 1, "code": "open_question"},
            {"turn": 3, "code": "reflection_of_feeling"},
            *({"turn": turn, "code": "open_question"} for turn in range(5, 21, 2)),
        ],
        "scores": [
            {"criterion": key, "score": 4, "reasoning": "A warm start.", "turns": [1, 3]}
            for key in CRITERIA
        ],
        "strengths": [
            {"turn": 3, "quote": "a lot to carry", "comment": "A reflection of feeling."},
        ],
        "try_instead": [
            {
                "turn": 1,
                "quote": "Hi Maya, what brings you in today?",
                "better_reply": "Where would you like to start today?",
                "why": "Hands the client the lead.",
            },
        ],
        "goal": "Reflect twice before your next question.",
    }


def test_teacher_overrides_a_score_and_releases_and_the_student_reads_it(
    open_page, leave, page, app_server, demo, fake_anthropic
):
    log_in(page, app_server, "demo.student")
    open_client(page, "Maya Thompson")
    for text in TURNS:
        say(page, text)
    fake_anthropic.tool_reply(review_answer())
    end_session(page)
    expect(page.get_by_text("Review ready")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    wait_until_idle(page)
    expect(page.get_by_text("Empathy: 4/5")).to_be_visible()

    teacher = open_page()
    try:
        log_in(teacher, app_server, "demo.teacher", lands_on="Clients")
        go_to(teacher, "Reviews")
        expect(teacher.get_by_text("No reviews are waiting for you")).to_be_visible()
        keyed(teacher, "queue_all").locator("label").first.click()  # already read by the student
        wait_until_idle(teacher)
        cited = teacher.locator("[class*='st-key-review_turn_'][class*='_cited']")
        expect(cited).to_have_count(2)
        assert cited.first.evaluate("el => getComputedStyle(el).borderTopStyle") != "none"
        score = teacher.locator("[class*='st-key-score_'][class*='_empathy'] input")
        score.fill("2")
        goal = teacher.locator("[class*='st-key-goal_'] textarea")
        goal.fill("Name the feeling before you ask anything else.")
        click(teacher, "release_review")
        wait_until_idle(teacher)
        expect(teacher.get_by_text("Released")).to_be_visible()
    finally:
        leave(teacher)

    go_to(page, "My sessions")
    page.locator("[class*='st-key-my_session_']").first.locator("summary").click()
    wait_until_idle(page)
    expect(page.get_by_text("Reviewed by your teacher.")).to_be_visible()
    expect(page.get_by_text("Empathy: 2/5")).to_be_visible()
    expect(page.get_by_text("Name the feeling before you ask anything else.")).to_be_visible()
