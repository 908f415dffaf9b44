"""WCAG 2.1 AA in a real browser: axe-core over every page state of every role (the log-in
screen, every navigation page, a conversation mid-chat and ended with its review, the review
queue, a form with a field error, empty and filled states), plus what axe cannot see: the
contrast of quoted words (blockquotes), the live region that announces a finished reply, and
where the focus goes after "End session"."""

from __future__ import annotations

import re

import pytest

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    Axe = expect = None

import tests.e2e.test_teacher_review_browser as reviewed
from backend.db import unit_of_work
from backend.models.enums import Role
from mvp.app import ADMIN_PAGES, HELP_PAGES, STUDENT_PAGES, TEACHER_PAGES
from tests.conftest import require_service
from tests.e2e.helpers import (
    RUN_TIMEOUT_MS,
    click,
    go_to,
    heading,
    keyed,
    log_in,
    open_client,
    say,
    wait_until_idle,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
MIN_CONTRAST = 4.5
# Each blockquote's text colour and the first opaque background behind it, as the browser drew them.
BLOCKQUOTE_COLOURS = """
() => [...document.querySelectorAll('[data-testid="stMain"] blockquote')].map((quote) => {
  let behind = quote, background = "rgba(0, 0, 0, 0)";
  while (behind && /rgba\\(.*, 0\\)$|transparent/.test(background)) {
    background = getComputedStyle(behind).backgroundColor;
    behind = behind.parentElement;
  }
  return [quote.innerText, getComputedStyle(quote.querySelector("p") || quote).color, background];
})
"""


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.1) of a computed `rgb(...)`/`rgba(...)` colour."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", colour)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def live_regions(page) -> list[str]:
    """The text of every polite status region in the accessibility tree: what a screen reader
    is told (the app's region sits in a closed shadow root, out of reach of selectors)."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    by_id = {node["nodeId"]: node for node in nodes}

    def text(node: dict) -> str:
        if node.get("role", {}).get("value") in {"StaticText", "InlineTextBox"}:
            return str(node.get("name", {}).get("value", ""))
        return "".join(text(by_id[child]) for child in node.get("childIds", []) if child in by_id)

    def polite(node: dict) -> bool:
        live = [p for p in node.get("properties", []) if p["name"] == "live"]
        return bool(live) and live[0]["value"]["value"] == "polite"

    return [
        text(node)
        for node in nodes
        if node.get("role", {}).get("value") == "status" and polite(node)
    ]


def expect_announced(page, words: str) -> None:
    """Wait (as long as a run may take) until a polite live region says exactly `words`."""
    for _ in range(RUN_TIMEOUT_MS // 250):
        if words in live_regions(page):
            return
        page.wait_for_timeout(250)
    pytest.fail(f"never announced: {words!r}; the live regions say {live_regions(page)}")


def titles(pages: list[tuple[str, str, str, str]]) -> list[str]:
    return [title for _file, title, _icon, _address in pages]


class Audit:
    """axe-core over page states; every violation found, one line each, with its state."""

    def __init__(self) -> None:
        require_service(Axe is not None, "axe-playwright-python is not installed")
        self.axe = Axe()
        self.found: list[str] = []
        self.states: list[str] = []

    def __call__(self, page, state: str) -> None:
        wait_until_idle(page)
        self.states.append(state)
        # axe-core (570 kB) is loaded once per document: Streamlit's pages share one.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe.axe_script)
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        for violation in results["violations"]:
            for node in violation["nodes"]:
                summary = " ".join(node.get("failureSummary", "").split())[:240]
                self.found.append(f"{state}: {violation['id']} {node['target']} — {summary}")
        # axe accepts vega-embed's own label; a screen reader would hear only "Vega visualization".
        for label in page.locator('[role="graphics-document"]').evaluate_all(
            "charts => charts.map((chart) => chart.getAttribute('aria-label') || '')"
        ):
            if label in {"", "Vega visualization"}:
                self.found.append(f"{state}: a chart without a text alternative ({label!r})")

    def visit_all(self, page, pages: list[str], role: str) -> None:
        more = page.locator('[data-testid="stSidebarNav"]').get_by_role(
            "button", name=re.compile(r"^View \d+ more")
        )
        if more.count():  # more than ten pages: the rest are folded away
            more.click()
        for title in pages:
            go_to(page, title)
            self(page, f"{role} {title}")

    def report(self) -> str:
        return f"{len(self.found)} violations in {len(self.states)} states:\n" + "\n".join(
            self.found
        )


def two_turn_review() -> dict:
    """A valid review of the first two turns of `reviewed.TURNS` (student turns 1 and 3)."""
    answer = reviewed.review_answer()
    answer["codes"] = [code for code in answer["codes"] if code["turn"] <= 3]
    return answer


def logged_out_states(audit: Audit, page, url: str) -> None:
    page.goto(url)
    audit(page, "log-in")
    keyed(page, "login_username").locator("input").fill("nobody")
    keyed(page, "login_password").locator("input").fill("not the password")
    click(page, "login_submit")
    expect(page.locator('[data-testid="stAlert"]')).to_be_visible()
    audit(page, "log-in with an error")
    page.get_by_role("tab", name="Student sign-up").click()
    audit(page, "student sign-up")


def student_states(audit: Audit, page, url: str, fake_anthropic) -> None:
    log_in(page, url, "demo.student")
    audit(page, "student Practice (clients)")
    keyed(page, "student_view").get_by_text("Join a section").click()
    audit(page, "student Practice (join a section)")
    keyed(page, "student_view").get_by_text("Clients").click()
    wait_until_idle(page)
    open_client(page, "Maya Thompson")
    audit(page, "student conversation (empty)")
    for text in reviewed.TURNS[:2]:
        say(page, text)
    audit(page, "student conversation (mid-chat)")
    click(page, "end_session")
    expect(keyed(page, "confirm_end")).to_be_visible()
    audit(page, "student conversation (confirm end)")
    fake_anthropic.tool_reply(two_turn_review())
    click(page, "confirm_end")
    expect(page.get_by_text("Review ready")).to_be_visible()
    audit(page, "student conversation (ended, review)")
    audit.visit_all(page, titles(STUDENT_PAGES)[1:] + titles(HELP_PAGES), "student")
    go_to(page, "My sessions")
    page.locator("[class*='st-key-my_session_']").first.locator("summary").click()
    audit(page, "student My sessions (a session open)")


def teacher_states(audit: Audit, page, url: str) -> None:
    log_in(page, url, "demo.teacher", lands_on="Clients")
    audit(page, "teacher Clients")
    click(page, "new_client")
    click(page, "save_client")
    expect(page.get_by_text("Name is required.")).to_be_visible()
    audit(page, "teacher Clients (new client, field error)")
    click(page, "cancel_client")
    audit.visit_all(page, titles(TEACHER_PAGES)[1:], "teacher")
    go_to(page, "Reviews")
    keyed(page, "queue_all").locator("label").first.click()
    audit(page, "teacher Reviews (every review)")
    page.get_by_role("tab", name="Agreement").click()
    audit(page, "teacher Reviews (agreement)")


def admin_states(audit: Audit, page, url: str) -> None:
    log_in(page, url, "ada.admin", lands_on="Figures")
    audit(page, "admin Figures (now)")
    for tab in ("Usage", "Breakdowns", "Budgets"):
        page.get_by_role("tab", name=tab).click()
        if tab == "Usage":  # the student's conversation is in the last 24 hours
            expect(page.locator('[role="graphics-document"]')).to_have_count(4)
        audit(page, f"admin Figures ({tab})")
    audit.visit_all(page, titles(ADMIN_PAGES)[1:], "admin")
    go_to(page, "Error log")
    page.get_by_role("tab", name="Problem reports").click()
    audit(page, "admin Error log (problem reports)")


def empty_states(audit: Audit, open_page, leave, url: str) -> None:
    """A student in no section and a teacher with nothing yet: every list says what to do."""
    student = open_page()
    try:
        log_in(student, url, "new.student")
        audit(student, "new student Practice (no clients)")
        audit.visit_all(student, titles(STUDENT_PAGES)[1:], "new student")
    finally:
        leave(student)
    teacher = open_page()
    try:
        log_in(teacher, url, "new.teacher", lands_on="Clients")
        audit(teacher, "new teacher Clients (none)")
        audit.visit_all(teacher, titles(TEACHER_PAGES)[1:], "new teacher")
    finally:
        leave(teacher)


def test_every_page_state_of_every_role_meets_wcag_21_aa(
    open_page, leave, app_server, demo, fake_anthropic
):
    engine, _seeded = demo
    with unit_of_work(engine) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        make_user(db, role=Role.teacher, username="new.teacher")
        make_user(db, role=Role.student, username="new.student")
    audit = Audit()
    for states in (
        lambda page: logged_out_states(audit, page, app_server),
        lambda page: student_states(audit, page, app_server, fake_anthropic),
        lambda page: teacher_states(audit, page, app_server),
        lambda page: admin_states(audit, page, app_server),
    ):
        page = open_page()
        try:
            states(page)
        finally:
            leave(page)
    empty_states(audit, open_page, leave, app_server)
    assert not audit.found, audit.report()


def test_replies_and_the_review_are_announced_and_end_session_moves_the_focus(
    page, app_server, demo, fake_anthropic
):
    log_in(page, app_server, "demo.student")
    open_client(page, "Maya Thompson")
    assert "" in live_regions(page)  # there, empty, before anything is said: as readers need
    fake_anthropic.reply("I guess I have been feeling stuck lately.")
    say(page, reviewed.TURNS[0])
    expect_announced(page, "Maya Thompson: I guess I have been feeling stuck lately.")
    say(page, reviewed.TURNS[1])

    click(page, "end_session")  # its button goes: the focus goes to the question, not the body
    expect(keyed(page, "end_confirmation").get_by_role("alert")).to_be_focused()
    click(page, "cancel_end")  # "Keep talking": back to the message box
    expect(keyed(page, "chat_input").locator("textarea")).to_be_focused()
    click(page, "end_session")
    expect(keyed(page, "end_confirmation").get_by_role("alert")).to_be_focused()
    fake_anthropic.tool_reply(two_turn_review())
    click(page, "confirm_end")
    expect(page.get_by_text("Review ready")).to_be_visible()
    expect(heading(page, "Your review")).to_be_focused()
    expect_announced(page, "Review ready")

    # A strength's quote, and a "Try instead" with the student's words and the "Try:" reply.
    expect(page.locator('[data-testid="stMain"] blockquote')).to_have_count(3)
    quotes = page.evaluate(BLOCKQUOTE_COLOURS)
    low = [
        (text, round(contrast(fg, bg), 2))
        for text, fg, bg in quotes
        if contrast(fg, bg) < MIN_CONTRAST
    ]
    assert not low, f"blockquotes under {MIN_CONTRAST}:1: {low}"

    click(page, "fb_submit")
    expect_announced(page, "Thank you: your feedback was saved.")


def say_in_test_chat(page, text: str, reply: str) -> None:
    """Send a message in the teacher's test chat (whose replies show their tokens and cost)."""
    box = keyed(page, "chat_input").locator("textarea")
    box.fill(text)
    box.press("Enter")
    expect(page.locator('[data-testid="stChatMessage"]').last).to_contain_text(
        reply, timeout=RUN_TIMEOUT_MS
    )
    wait_until_idle(page)


def test_the_teachers_test_chat_keeps_the_focus_when_its_buttons_go(
    page, app_server, demo, fake_anthropic
):
    """End conversation disables itself and Start over's question replaces the chat's controls:
    without a focus move a keyboard or screen-reader user is dropped to the page's body."""
    log_in(page, app_server, "demo.teacher", lands_on="Clients")
    page.locator('[class*="st-key-test_client_"] button').first.click()
    wait_until_idle(page)
    fake_anthropic.reply("Fine, I suppose.")
    say_in_test_chat(page, "Hi, what brings you in today?", "Fine, I suppose.")

    click(page, "start_over")  # it asks first: the focus goes to the question
    expect(keyed(page, "restart_confirmation").get_by_role("alert")).to_be_focused()
    click(page, "cancel_start_over")  # "Keep this conversation": back to the message box
    expect(keyed(page, "chat_input").locator("textarea")).to_be_focused()
    click(page, "start_over")
    click(page, "confirm_start_over")  # a new conversation: ready to type in it
    expect(keyed(page, "chat_input").locator("textarea")).to_be_focused()

    fake_anthropic.reply("Okay.")
    say_in_test_chat(page, "Let's begin again.", "Okay.")
    click(page, "end_conversation")  # it disables itself: the focus goes to Start over
    expect(keyed(page, "start_over").get_by_role("button")).to_be_focused()
