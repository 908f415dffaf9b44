"""Markup from others, in a real browser (issue 19, item 3): a student's message with an image, a
link and HTML reaches the teacher's Reviews page, in labels and quotes, as the characters typed;
the teacher's browser fetches no image and shows no link."""

from __future__ import annotations

import re

import pytest

from tests.factories import builtin_criteria

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from tests.e2e.helpers import (
    RUN_TIMEOUT_MS,
    end_session,
    go_to,
    keyed,
    log_in,
    open_client,
    say,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

HOSTILE = "![p](http://host.invalid/msg.png) [link](http://host.invalid/x) <img src=x> hi"


def review_answer() -> dict:
    return {
        "codes": [{"turn": 1, "code": "other"}],
        "scores": [
            {"criterion": key, "turns": [1], "reasoning": "A start.", "score": 3}
            for key in builtin_criteria()
        ],
        "strengths": [],
        "try_instead": [
            {
                "turn": 1,
                "quote": HOSTILE,
                "better_reply": "What brings you in today?",
                "why": "An open question invites the client's story.",
            }
        ],
        "goal": "Ask an open question first.",
    }


def test_a_students_markup_reaches_the_teachers_reviews_page_as_text(
    open_page, leave, listen, page, app_server, demo, fake_anthropic
):
    fetched: list[str] = []
    log_in(page, app_server, "demo.student")
    open_client(page, "Maya Thompson")
    say(page, HOSTILE)
    fake_anthropic.tool_reply(review_answer())
    end_session(page)
    expect(page.get_by_text("Review ready")).to_be_visible(timeout=RUN_TIMEOUT_MS)

    teacher = open_page()
    listen(teacher, "request", lambda request: fetched.append(request.url))
    try:
        log_in(teacher, app_server, "demo.teacher", lands_on="Clients")
        go_to(teacher, "Reviews")
        keyed(teacher, "queue_all").locator("label").first.click()
        wait_until_idle(teacher)
        # Shown as typed (a word joiner keeps the address from being a link).
        typed = re.compile(r"\[link\]\(http\W?://host\.invalid/x\)")
        expect(teacher.get_by_text(typed).first).to_be_visible()
        assert teacher.locator("img[src*='host.invalid']").count() == 0
        assert teacher.locator("a[href*='host.invalid']").count() == 0
        assert teacher.locator("img[src='x']").count() == 0
        assert not [url for url in fetched if "host.invalid" in url]
    finally:
        leave(teacher)
