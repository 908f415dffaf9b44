"""A student's review in a real browser: ending a session writes it, the one transcript beside it
marks every turn the review cites (a bordered, labelled turn), and "turn 5" leads there."""

from __future__ import annotations

import pytest

from tests.factories import builtin_criteria

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import (
    MESSAGES,
    RUN_TIMEOUT_MS,
    end_session,
    log_in,
    open_client,
    say,
    wait_until_idle,
)
from tests.e2e.test_admin_browser import screenshot_whole_page

pytestmark = pytest.mark.browser

TURNS = (
    "Hi Maya, what brings you in today?",
    "Tell me more.",
    "That sounds like a lot to carry.",
)
CRITERIA = builtin_criteria()


def review_answer() -> dict:
    """A valid review of TURNS under the built-in micro-skills rubric (turns 1, 3, 5 cited)."""
    return {
        "codes": [
            {"turn": 1, "code": "open_question"},
            {"turn": 3, "code": "other"},
            {"turn": 5, "code": "reflection_of_feeling"},
        ],
        "scores": [
            {"criterion": key, "score": 4, "reasoning": "A warm start.", "turns": [1]}
            for key in CRITERIA
        ],
        "strengths": [
            {"turn": 1, "quote": "what brings you in today?", "comment": "An open question."},
            {"turn": 5, "quote": "a lot to carry", "comment": "A reflection of feeling."},
        ],
        "try_instead": [
            {
                "turn": 3,
                "quote": "Tell me more.",
                "better_reply": "It sounds like starting college has been a big change.",
                "why": "A reflection invites more than a prompt does.",
            },
        ],
        "goal": "Reflect twice before your next question.",
    }


def converse_and_end(page, app_server: str, fake_anthropic) -> None:
    """The demo student says TURNS to Maya Thompson and ends the session: its review is shown."""
    log_in(page, app_server, "demo.student")
    open_client(page, "Maya Thompson")
    for text in TURNS:
        say(page, text)
    fake_anthropic.tool_reply(review_answer(), input_tokens=1200, output_tokens=600)
    end_session(page)
    expect(page.get_by_text("Review ready")).to_be_visible(timeout=RUN_TIMEOUT_MS)


def test_a_student_ends_a_session_and_sees_the_review_with_cited_turns_highlighted(
    page, app_server, demo, fake_anthropic
):
    converse_and_end(page, app_server, fake_anthropic)
    wait_until_idle(page)
    expect(page.get_by_text("Reflect twice before your next question.")).to_be_visible()
    expect(
        page.get_by_text("It sounds like starting college has been a big change.")
    ).to_be_visible()

    cited = page.locator("[class*='st-key-turn_'][class*='_cited']")
    expect(cited).to_have_count(3)
    for index, text in enumerate(TURNS):
        turn = cited.nth(index)
        expect(turn).to_contain_text(f"Turn {2 * index + 1} · You")
        expect(turn).to_contain_text("cited")
        expect(turn).to_contain_text(text)
        # Highlighted: a visible border, which the uncited turns do not have.
        assert turn.evaluate("el => getComputedStyle(el).borderTopStyle") != "none"
    plain = page.locator("[class*='st-key-turn_']:not([class*='_cited'])")
    expect(plain).to_have_count(3)  # the client's replies
    assert plain.first.evaluate("el => getComputedStyle(el).borderTopStyle") in ("none", "")
    expect(page.get_by_text("Automatic demo review")).to_have_count(0)

    # One transcript (the one beside the review), and its replies carry the thumbs.
    expect(page.get_by_role("heading", name="Transcript")).to_have_count(1)
    expect(page.locator(MESSAGES)).to_have_count(0)
    expect(page.locator("[class*='st-key-turn_'] [data-testid='stFeedback']")).to_have_count(3)
    # "turn 5" under a strength leads to turn 5 of the transcript: it scrolls to the top.
    page.get_by_role("link", name="turn 5", exact=True).click()
    target = cited.nth(2)
    expect(target).to_be_in_viewport()
    top = target.evaluate("el => el.getBoundingClientRect().top")
    assert -40 <= top <= 200, top  # the anchor sits inside the border
    assert page.evaluate("() => location.hash").endswith("-5")

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot_whole_page(page, ARTIFACTS / "student_review.png")
