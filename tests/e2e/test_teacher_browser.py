"""A teacher's first session in a real browser: setup, a client, a streamed test chat, export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import choose, click, fill, go_to, heading, keyed, log_out, wait_until_idle

pytestmark = pytest.mark.browser

REPLY = "I don't really know where to start. Work has been a lot lately, and I barely sleep."


def test_teacher_sets_up_writes_a_client_test_chats_it_and_exports(
    page, app_server, fake_anthropic
):
    fake_anthropic.set_chunk_delay(0.08)
    fake_anthropic.reply(REPLY, input_tokens=1000, output_tokens=20, chunk_delay=0.5)
    page.goto(app_server)
    wait_until_idle(page)

    # First run: the admin account (no demo data this time).
    expect(page.get_by_text("Welcome: set up the practice platform")).to_be_visible()
    fill(page, "setup_username", "ada.admin")
    fill(page, "setup_display_name", "Ada Admin")
    fill(page, "setup_password", "admin password 1")
    fill(page, "setup_password_again", "admin password 1")
    keyed(page, "setup_demo").get_by_role("checkbox").uncheck(force=True)
    click(page, "setup_submit")
    expect(page.get_by_text("Welcome, Ada Admin. Your admin account is ready.")).to_be_visible()
    wait_until_idle(page)

    # The admin creates a teacher on the Accounts page, then logs out.
    go_to(page, "Accounts")
    fill(page, "account_username", "tina.teacher")
    fill(page, "account_display_name", "Tina Teacher")
    choose(page, "account_role", "Teacher")
    fill(page, "account_password", "teacher password 1")
    click(page, "create_account")
    expect(page.get_by_text("Created the teacher account 'tina.teacher'.")).to_be_visible()
    wait_until_idle(page)
    log_out(page)

    # The teacher logs in and writes a client.
    fill(page, "login_username", "tina.teacher")
    fill(page, "login_password", "teacher password 1")
    click(page, "login_submit")
    expect(heading(page, "Clients")).to_be_visible()
    wait_until_idle(page)
    fill(page, "client_name", "Jordan Blake")
    fill(page, "client_age", "27")
    choose(page, "client_personality_traits", "guarded", "irritable")
    fill(page, "client_presenting_concern", "Trouble sleeping since the layoff.")
    fill(page, "client_hidden_information", "Has not told his partner about the layoff.")
    click(page, "save_client")
    card = page.locator(".st-key-client_card_1")
    expect(card).to_contain_text("Jordan Blake")
    expect(card).to_contain_text("0 conversations")
    wait_until_idle(page)

    # A test conversation: the reply streams in, then shows its tokens and cost.
    click(page, "test_client_1")
    chat_box = keyed(page, "chat_input").locator("textarea")
    expect(chat_box).to_be_enabled()
    wait_until_idle(page)
    chat_box.fill("Hi Jordan, what brings you in today?")
    chat_box.press("Enter")
    reply = page.locator('[data-testid="stChatMessage"]').nth(1)
    expect(reply).to_contain_text("I don't really know", timeout=15_000)
    partial = reply.inner_text()
    expect(reply).to_contain_text("I barely sleep.")
    assert "I barely sleep." not in partial  # seen mid-stream, before the whole reply arrived
    expect(reply).to_contain_text("1,020 tokens (1,000 in · 20 out) · cost $0.001100")
    expect(
        page.get_by_text(re.compile(r"Session total: 1,020 tokens · \$0\.001100"))
    ).to_be_visible()
    wait_until_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "teacher_chat.png"), full_page=True)

    # Export the transcript.
    with page.expect_download() as download_info:
        click(page, "export_test_transcript")
    download = download_info.value
    assert download.suggested_filename.endswith(".md")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("# Conversation with Jordan Blake")
    assert "> Hi Jordan, what brings you in today?" in text and f"> {REPLY}" in text
    assert "cost $0.001100" in text and "- **Total tokens:** 1,020" in text
    assert len(fake_anthropic.messages_requests()) == 1
