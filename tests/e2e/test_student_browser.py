"""Students in a real browser: sign-up, a conversation that survives a reload, end and feedback;
two students at once; and the chat on a phone-sized screen."""

from __future__ import annotations

import re
import time

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.classes import section_service
from backend.classes.read_models import SectionRead
from backend.db import unit_of_work
from backend.models import MessageRating, SessionRating
from backend.models.enums import Role
from backend.ops import demo_service
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import (
    MESSAGES,
    RUN_TIMEOUT_MS,
    click,
    end_session,
    fill,
    keyed,
    log_in,
    open_client,
    say,
    wait_until_idle,
)
from tests.factories import PASSWORD, enroll, make_user

pytestmark = pytest.mark.browser

# Every demo client's hidden information: it must never reach a student's browser.
HIDDEN = [client.hidden_information for client in demo_service.DEMO_CLIENTS]


def assert_nothing_hidden(page) -> None:
    source = page.content()
    assert not [text for text in HIDDEN if text in source]


def test_sign_up_converse_reload_end_and_give_feedback(page, app_server, demo, fake_anthropic):
    engine, seeded = demo
    page.goto(app_server)
    wait_until_idle(page)
    page.get_by_role("tab", name="Student sign-up").click()
    fill(page, "signup_join_code", seeded.join_code)
    fill(page, "signup_username", "riley.student")
    fill(page, "signup_display_name", "Riley Student")
    fill(page, "signup_password", PASSWORD)
    fill(page, "signup_password_again", PASSWORD)
    click(page, "signup_submit")
    expect(page.get_by_text("You have joined your section.")).to_be_visible()
    wait_until_idle(page)
    maya = page.locator("[class*='st-key-card_']").filter(has_text="Maya Thompson")
    expect(maya).to_contain_text("19, she/her, First-year nursing student.")
    expect(page.locator("[class*='st-key-card_']")).to_have_count(3)
    assert_nothing_hidden(page)  # the client cards
    [token] = [c["value"] for c in page.context.cookies() if c["name"] == "counseling_login"]
    assert token not in page.url and token not in page.locator("body").inner_text()  # cookie only

    open_client(page, "Maya Thompson")
    turns = (
        "Hi Maya, what brings you in today?",
        "How long has this been going on?",
        "That sounds like a lot to carry.",
    )
    for text in turns:
        say(page, text)
    assert_nothing_hidden(page)

    # A reload mid-conversation: still logged in, the same conversation, every message.
    page.reload()
    wait_until_idle(page)
    messages = page.locator(MESSAGES)
    expect(messages).to_have_count(6)
    for index, text in enumerate(turns):
        expect(messages.nth(2 * index)).to_contain_text(text)
    expect(page.get_by_role("heading", name="Maya Thompson")).to_be_visible()
    expect(keyed(page, "chat_input").locator("textarea")).to_be_enabled()
    assert_nothing_hidden(page)
    # The session time runs on in the browser, second by second, with no rerun of the page.
    clock = keyed(page, "session_time")
    drawn = clock.inner_text()
    expect(clock).to_contain_text(re.compile(r"Session time: \d+m \d\ds$"))
    expect(clock).not_to_have_text(drawn, timeout=3_000)
    expect(clock).to_contain_text(re.compile(r"Session time: \d+m \d\ds$"))

    # End (it asks first), then the feedback form and a thumb up on one reply.
    end_session(page)
    expect(page.get_by_text("How did it go?")).to_be_visible()
    expect(keyed(page, "chat_input")).to_have_count(0)
    wait_until_idle(page)
    fill(page, "fb_comment", "She felt real.")
    click(page, "fb_submit")
    expect(page.get_by_text("Thank you: your feedback was saved.")).to_be_visible()
    wait_until_idle(page)
    thumbs_up = page.locator("[class*='st-key-thumbs_']").first.get_by_role(
        "radio", name="Thumbs up"
    )
    thumbs_up.click()
    expect(thumbs_up).to_have_attribute("aria-checked", "true")

    def stored_ratings() -> list[bool]:
        with unit_of_work(engine, write=False) as db:
            return [rating.positive for rating in db.query(MessageRating)]

    # The thumb shows at once; its rerun stores it a moment later.
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not stored_ratings() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored_ratings() == [True]
    wait_until_idle(page)
    assert_nothing_hidden(page)
    with unit_of_work(engine, write=False) as db:
        assert db.query(SessionRating).one().comment == "She felt real."


def test_two_students_at_once_see_only_their_own_conversation(
    open_page, app_server, demo, fake_anthropic
):
    engine, seeded = demo
    with unit_of_work(engine) as db:
        other = make_user(db, role=Role.student, username="other.student")
        section = SectionRead.model_validate(
            section_service.find_section_by_code(db, seeded.join_code)
        )
        enroll(db, section=section, student=other)
    fake_anthropic.set_default_reply(lambda body: "Reply to: " + _last_text(body))
    pages = []
    for username in ("demo.student", "other.student"):
        pages.append(open_page(width=1200, height=900))
        log_in(pages[-1], app_server, username)
    for page in pages:
        open_client(page, "Maya Thompson")  # the same client, two conversations
    say(pages[0], "I am the demo student.")
    say(pages[1], "I am the other student.")
    say(pages[0], "Second line from demo.")
    for page in pages:  # and after a reload too
        page.reload()
        wait_until_idle(page)
    expect(pages[0].locator(MESSAGES)).to_have_count(4)
    expect(pages[1].locator(MESSAGES)).to_have_count(2)
    first, second = ("\n".join(page.locator(MESSAGES).all_inner_texts()) for page in pages)
    assert "I am the demo student." in first and "Second line from demo." in first
    assert "other student" not in first
    assert "I am the other student." in second and "demo student" not in second


def test_phone_sized_screen_shows_the_input_and_the_last_reply(
    browser, app_server, demo, fake_anthropic
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, app_server, "demo.student")
        open_client(page, "Maya Thompson")
        # Enough turns to fill the screen, so "in view" means the chat followed the newest.
        for text, reply in (
            ("Hi Maya, I'm glad you came in.", "I'm fine, really. It's just exams."),
            (
                "What has the last week been like?",
                "I guess I haven't been sleeping much. Maybe four hours a night, if that.",
            ),
            (
                "What keeps you awake?",
                "I go over the anatomy notes in my head. Over and over. It doesn't stop.",
            ),
            (
                "That sounds exhausting. What do you do when the notes start going round?",
                "I get up and read them again. My roommate thinks I'm crazy. Maybe she's right.",
            ),
            (
                "It sounds like part of you wonders whether this is more than exam stress.",
                "I don't know. My mum always said worrying is just what our family does.",
            ),
            (
                "What would your mum say if she saw you now?",
                "She'd tell me to eat something. And to stop being dramatic.",
            ),
            (
                "And what would you say back to her?",
                "Probably nothing. I'd just nod. That's what I always do, I guess.",
            ),
            (
                "How are you feeling about your exams?",
                "Honestly, I'm fine. It's just exams. Everyone is stressed, right?",
            ),
        ):
            fake_anthropic.reply(reply)
            say(page, text)
        expect(page.locator(MESSAGES).first).not_to_be_in_viewport()
        last = page.locator(MESSAGES).last
        expect(last).to_contain_text("Everyone is stressed, right?")
        expect(last).to_be_in_viewport()  # without scrolling: the newest reply stays in view
        expect(keyed(page, "chat_input").locator("textarea")).to_be_in_viewport()
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "student_phone.png"))
        assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    finally:
        context.close()


def _last_text(body: dict) -> str:
    content = body["messages"][-1]["content"]
    text = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
    return re.sub(r"\s+", " ", text.split("\n\n")[-1])
