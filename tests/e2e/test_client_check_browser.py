"""The client check in a real browser: run it from the card, read the scorecard, turn a finding into
a principle, re-run and compare."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import RUN_TIMEOUT_MS, click, go_to, heading, log_in, wait_until_idle
from tests.e2e.test_admin_browser import screenshot_whole_page
from tests.fakes.anthropic_server import DEFAULT_REPLY
from tests.fakes.misbehave import judge_answers, misbehave, passing_judgement

pytestmark = pytest.mark.browser

AI_REPLY = "As an AI language model, I cannot share my feelings."
PRINCIPLE = "Asked if you are an AI, you are puzzled: you are a person in counseling."


def scorecard_heading(page):
    return page.get_by_role("heading", name=re.compile(r"^Scorecard"))


def test_a_teacher_checks_a_client_adds_a_principle_and_reruns(
    page, app_server, demo, fake_anthropic
):
    misbehave(fake_anthropic, when_student_says="Are you an AI", reply=AI_REPLY)
    judge_answers(fake_anthropic, passing_judgement())
    log_in(page, app_server, "demo.teacher", lands_on="Clients")

    # From the first client card to its check.
    page.locator("[class*='st-key-check_client_']").first.locator("button").first.click()
    expect(heading(page, "Client check")).to_be_visible()
    wait_until_idle(page)
    run = page.locator(".st-key-run_check button")
    expect(run).to_contain_text(re.compile(r"Run the check \(about \$[\d.]+\)"))
    run.click()
    expect(page.get_by_text(re.compile(r"^Checked .+: fail$"))).to_be_visible(
        timeout=RUN_TIMEOUT_MS
    )
    wait_until_idle(page)
    expect(scorecard_heading(page)).to_contain_text("fail")
    # Quoted where it says so: the output guard stops the reply there.
    expect(page.get_by_text("As an AI").first).to_be_visible()
    expect(page.get_by_text("Staying in character")).to_be_visible()

    # The finding becomes a principle, edited and saved in the client's form.
    page.locator("[class*='st-key-principle_']").first.locator("button").first.click()
    expect(heading(page, "Clients")).to_be_visible()
    wait_until_idle(page)
    draft = page.locator("[class*='st-key-client_principle_'] input").last
    expect(draft).to_have_value(re.compile(r"^Avoid replies like"))
    draft.fill(PRINCIPLE)
    click(page, "save_client")
    expect(page.get_by_text(re.compile(r"^Saved "))).to_be_visible()
    wait_until_idle(page)

    # The client behaves now: the re-run passes, beside the failing scorecard.
    fake_anthropic.set_default_reply(DEFAULT_REPLY)
    go_to(page, "Client check")
    expect(page.get_by_text(re.compile("This scorecard is out of date"))).to_be_visible()
    page.locator(".st-key-run_check button").click()
    expect(page.get_by_text(re.compile(r"^Checked .+: pass$"))).to_be_visible(
        timeout=RUN_TIMEOUT_MS
    )
    wait_until_idle(page)
    expect(scorecard_heading(page)).to_contain_text("pass")
    expect(heading(page, "Before and after")).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot_whole_page(page, ARTIFACTS / "client_check.png")
