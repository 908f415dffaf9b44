"""What the browser tests share: finding keyed widgets, waiting for a run, moving between pages,
logging in, and talking to a client."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None
    PlaywrightTimeout = TimeoutError
    PlaywrightError = Exception

from tests.factories import PASSWORD

RUN_TIMEOUT_MS = 30_000
# A page loading from scratch (Streamlit's script bundle, parsed by Chromium) on a machine whose two
# cores also run the other test worker and, in CI, the Docker stack lane: seen past 30 s.
PAGE_LOAD_TIMEOUT_MS = 90_000
# The app of the browser tests refreshes the admin figures this often (when auto-refresh is on).
DASHBOARD_REFRESH_SECONDS = 2
MESSAGES = '[data-testid="stChatMessage"]'


def wait_until_idle(page, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait for the app to be drawn (at once unless the page is loading) and for its script run
    to finish."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=max(timeout_ms, PAGE_LOAD_TIMEOUT_MS))
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout_ms,
    )
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)


def open_app(page, url: str, timeout_ms: int = PAGE_LOAD_TIMEOUT_MS) -> None:
    """Load the app and wait until it is drawn and idle. A page that lost its document, one of
    its scripts or its stylesheet on the way can never draw the app, so it is reloaded at once,
    as a person would. Chromium fails every request in flight with net::ERR_NETWORK_CHANGED when
    the machine's network changes, as it does when Docker brings a bridge network up or down
    beside the browser tests (the stack lane, in CI): caught on 2026-12-06, when such a page had
    waited 30 s for the app before its reload. A page undrawn for another reason is reloaded
    after RUN_TIMEOUT_MS. RELOADS reloads at most."""
    lost: list[str] = []

    def note_loss(request) -> None:
        if request.frame == page.main_frame and request.resource_type in LOST_PAGE:
            lost.append(f"{request.url}: {request.failure}")

    page.on("requestfailed", note_loss)
    try:
        _load(page.goto, url, timeout_ms)
        for reloads in range(RELOADS + 1):
            if _drawn(page, lost, RUN_TIMEOUT_MS):
                break
            assert reloads < RELOADS, f"the app was never drawn; lost on the way: {lost}"
            lost.clear()
            _load(page.reload, None, timeout_ms)
    finally:
        page.remove_listener("requestfailed", note_loss)
    wait_until_idle(page, timeout_ms)


LOST_PAGE = {"document", "script", "stylesheet"}  # what the app cannot be drawn without
RELOADS = 2
APP = '[data-testid="stApp"]'


def _load(load, url: str | None, timeout_ms: int) -> None:
    """`page.goto(url)` or `page.reload()`; a document lost on the way is noted by `open_app`'s
    listener, not raised."""
    try:
        load(url, timeout=timeout_ms) if url else load(timeout=timeout_ms)
    except PlaywrightError as error:
        if "net::ERR_" not in str(error):
            raise


def _drawn(page, lost: list[str], timeout_ms: int) -> bool:
    """Whether the app appears within `timeout_ms`, looking every half second and giving up at
    once when the page has lost one of its own scripts."""
    waited = 0
    while True:
        try:
            page.wait_for_selector(APP, timeout=max(min(500, timeout_ms - waited), 1))
            return True
        except PlaywrightTimeout:
            waited += 500
            if lost or waited >= timeout_ms:
                return False


def keyed(page, key: str):
    """The element of the widget created with `key=` (Streamlit adds `st-key-<key>`)."""
    return page.locator(f".st-key-{key}")


def heading(page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def fill(page, key: str, value: str) -> None:
    keyed(page, key).locator("input, textarea").first.fill(value)


def click(page, key: str) -> None:
    keyed(page, key).locator("button").first.click()


def choose(page, key: str, *options: str) -> None:
    """Pick options of a selectbox or multiselect by typing them (each pick outside a form is a
    script run: the next waits for it, or its list can be redrawn under the typing)."""
    box = keyed(page, key).locator("input").first
    for option in options:
        box.click()
        box.fill(option)
        page.get_by_role("option", name=re.compile(rf"^{re.escape(option)}")).first.click()
        wait_until_idle(page)
    page.keyboard.press("Escape")


def go_to(page, title: str) -> None:
    """Open a page from the sidebar's navigation, by its title."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=title, exact=True).click()
    expect(heading(page, title)).to_be_visible()
    wait_until_idle(page)


def log_in(page, url: str, username: str, lands_on: str = "Practice") -> None:
    open_app(page, url)
    fill(page, "login_username", username)
    fill(page, "login_password", PASSWORD)
    click(page, "login_submit")
    expect(heading(page, lands_on)).to_be_visible()
    wait_until_idle(page)


def open_client(page, name: str) -> None:
    card = page.locator("[class*='st-key-card_']").filter(has_text=name)
    card.get_by_role("button", name=re.compile("conversation")).click()
    # The conversation's title (h3); the cards' titles (h4) may still be on screen for a moment.
    expect(page.get_by_role("heading", name=name, level=3)).to_be_visible()
    expect(keyed(page, "chat_input").locator("textarea")).to_be_enabled()
    wait_until_idle(page)


def open_first_client(page) -> None:
    """Open the first card's conversation, whichever client it is."""
    page.locator("[class*='st-key-start_']").first.locator("button").click()
    expect(keyed(page, "chat_input").locator("textarea")).to_be_enabled()
    wait_until_idle(page)


def say(page, text: str) -> None:
    """Send a message and wait until the client's reply to it has arrived whole."""
    before = page.locator(MESSAGES).count()
    box = keyed(page, "chat_input").locator("textarea")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(MESSAGES)).to_have_count(before + 2, timeout=RUN_TIMEOUT_MS)
    wait_until_idle(page)  # the run ends once the reply is whole and stored
    expect(page.locator(MESSAGES).last).not_to_contain_text("tokens")  # no cost in a role-play
