"""Students in a real browser: sign-up, a conversation that survives a reload, end and feedback;
two students at once; and the chat on a phone-sized screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.models.enums import Role
from backend.services import demo_service
from tests.e2e.conftest import ARTIFACTS, RUN_TIMEOUT_MS, keyed, wait_until_idle
from tests.factories import PASSWORD, enroll, make_user

pytestmark = pytest.mark.browser

# Every demo client's hidden information: it must never reach a student's browser.
HIDDEN = [client.hidden_information for client in demo_service.DEMO_CLIENTS]


@pytest.fixture
def demo(tmp_path, app_server):
    """The demo data in the running app's database; (join code, section id)."""
    url = f"sqlite:///{Path(tmp_path) / 'app.db'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        result = demo_service.seed_demo(session, password=PASSWORD)
    yield engine, result
    engine.dispose()


def fill(page, key: str, value: str) -> None:
    keyed(page, key).locator("input, textarea").first.fill(value)


def click(page, key: str) -> None:
    keyed(page, key).locator("button").first.click()


def log_in(page, url: str, username: str) -> None:
    page.goto(url)
    wait_until_idle(page)
    fill(page, "login_username", username)
    fill(page, "login_password", PASSWORD)
    click(page, "login_submit")
    expect(page.get_by_role("heading", name="Practice")).to_be_visible()
    wait_until_idle(page)


def open_first_client(page) -> None:
    page.locator("[class*='st-key-start_']").first.locator("button").click()
    expect(keyed(page, "chat_input").locator("textarea")).to_be_enabled()
    wait_until_idle(page)


def say(page, text: str) -> None:
    """Send a message and wait until the client's reply to it has arrived whole."""
    before = page.locator('[data-testid="stChatMessage"]').count()
    box = keyed(page, "chat_input").locator("textarea")
    box.fill(text)
    box.press("Enter")
    expect(page.locator('[data-testid="stChatMessage"]')).to_have_count(before + 2,
                                                                        timeout=RUN_TIMEOUT_MS)
    expect(page.locator('[data-testid="stChatMessage"]').last).to_contain_text("tokens")
    wait_until_idle(page)


def test_sign_up_converse_reload_end_and_give_feedback(page, app_server, demo, fake_anthropic):
    _engine, seeded = demo
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
    expect(page.get_by_text("Maya Thompson, 19")).to_be_visible()
    assert not [text for text in HIDDEN if text in page.content()]  # the client cards

    open_first_client(page)
    for text in ("Hi Maya, what brings you in today?", "How long has this been going on?",
                 "That sounds like a lot to carry."):
        say(page, text)
    assert page.locator('[data-testid="stChatMessage"]').count() == 6

    page.reload()
    wait_until_idle(page)
    messages = page.locator('[data-testid="stChatMessage"]')
    expect(messages).to_have_count(6)
    expect(messages.first).to_contain_text("Hi Maya, what brings you in today?")
    expect(messages.nth(4)).to_contain_text("That sounds like a lot to carry.")
    assert not [text for text in HIDDEN if text in page.content()]

    click(page, "end_session")
    click(page, "confirm_end")
    expect(page.get_by_text("How did it go?")).to_be_visible()
    wait_until_idle(page)
    fill(page, "fb_comment", "She felt real.")
    click(page, "fb_submit")
    expect(page.get_by_text("Thank you: your feedback was saved.")).to_be_visible()
    assert not [text for text in HIDDEN if text in page.content()]


def test_two_students_at_once_see_only_their_own_conversation(browser, app_server, demo,
                                                              fake_anthropic):
    engine, seeded = demo
    with unit_of_work(engine) as session:
        other = make_user(session, role=Role.student, username="other.student")
        enroll(session, section=_section(session, seeded.join_code), student=other)
    fake_anthropic.set_default_reply(lambda body: "Reply to: " + _last_text(body))
    pages = []
    for username in ("demo.student", "other.student"):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.set_default_timeout(RUN_TIMEOUT_MS)
        pages.append(context.new_page())
        log_in(pages[-1], app_server, username)
    for page in pages:
        open_first_client(page)
    say(pages[0], "I am the demo student.")
    say(pages[1], "I am the other student.")
    say(pages[0], "Second line from demo.")
    first, second = ("\n".join(page.locator('[data-testid="stChatMessage"]').all_inner_texts())
                     for page in pages)
    assert "I am the demo student." in first and "Second line from demo." in first
    assert "other student" not in first
    assert "I am the other student." in second and "demo student" not in second
    for page in pages:
        page.context.close()


def test_phone_sized_screen_shows_the_input_and_the_last_reply(browser, app_server, demo,
                                                               fake_anthropic):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    log_in(page, app_server, "demo.student")
    open_first_client(page)
    fake_anthropic.reply("Honestly, I'm fine. It's just exams. Everyone is stressed, right?")
    say(page, "How are you feeling about your exams?")
    last = page.locator('[data-testid="stChatMessage"]').last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    expect(keyed(page, "chat_input").locator("textarea")).to_be_in_viewport()
    no_sideways = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "student_phone.png"))
    context.close()
    assert no_sideways, "the page scrolls sideways on a 390 px wide screen"


def _section(session, join_code: str):
    from backend.schemas.sections import SectionRead
    from backend.services.section_service import find_section_by_code

    return SectionRead.model_validate(find_section_by_code(session, join_code))


def _last_text(body: dict) -> str:
    content = body["messages"][-1]["content"]
    text = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
    return re.sub(r"\s+", " ", text.split("\n\n")[-1])
