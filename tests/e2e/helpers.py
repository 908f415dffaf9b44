"""What the browser tests share: finding keyed widgets, waiting for a run, moving between pages,
logging in, and talking to a client."""

from __future__ import annotations

import re
import weakref

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None
    PlaywrightTimeout = TimeoutError
    PlaywrightError = Exception

from tests.factories import PASSWORD

# How long one script run may take. Read when a wait starts: the stack lane's tests wait longer
# (tests/stack/conftest.py).
RUN_TIMEOUT_MS = 30_000
# A page loading from scratch (Streamlit's script bundle, parsed by Chromium) on a machine whose two
# cores also run the other test worker and, in CI, the Docker stack lane: seen past 30 s.
PAGE_LOAD_TIMEOUT_MS = 90_000
# The app of the browser tests refreshes the admin figures this often (when auto-refresh is on).
DASHBOARD_REFRESH_SECONDS = 2
MESSAGES = '[data-testid="stChatMessage"]'


def wait_until_idle(page, timeout_ms: int | None = None) -> None:
    """Wait for the app to be drawn (at once unless the page is loading) and for its script run
    to finish. A page that lost some of its own scripts on the way, before it drew the app or
    after (Streamlit loads a widget's script when it first shows one, so such a loss may come
    after this wait and be seen by the next), is reloaded: see `watch_losses`."""
    timeout_ms = timeout_ms or RUN_TIMEOUT_MS
    drawn_in = max(timeout_ms, PAGE_LOAD_TIMEOUT_MS)
    for _ in range(RELOADS + 1):
        assert drawn(page, drawn_in), f"the app was not drawn within {drawn_in} ms"
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stApp\"]')"
            "?.getAttribute('data-test-script-state') === 'notRunning'",
            timeout=timeout_ms,
        )
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)
        if not _losses.get(page):
            return
    raise AssertionError(f"the page kept losing its own files: {_losses[page]}")


def open_app(page, url: str, timeout_ms: int | None = None) -> None:
    """Load the app and wait until it is drawn and idle. A page that stays undrawn without having
    lost anything on the way (seen now and then on 2026-12-05, cause not found) is reloaded once
    after RUN_TIMEOUT_MS, as a person would."""
    timeout_ms = timeout_ms or PAGE_LOAD_TIMEOUT_MS
    watch_losses(page)
    _load(page.goto, url, timeout_ms)
    if not drawn(page, RUN_TIMEOUT_MS):
        _load(page.reload, None, timeout_ms)
    wait_until_idle(page, timeout_ms)


# What the app cannot be drawn without.
OWN_FILES = {"document", "script", "stylesheet"}
# Reloads of a page that lost some of them, for one wait: the Docker lane beside the tests changes
# the network several times in a row (a rolling upgrade); two reloads were once not enough
# (a page lost its files three times in a row in CI on 2026-12-06).
RELOADS = 5
APP = '[data-testid="stApp"]'
_losses: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # page -> what it lost


def watch_losses(page) -> None:
    """Note, from now on, what `page` loses of its own document, scripts and stylesheet, until
    it loads another document. Such a page can never draw the app, so `drawn` reloads it at once.
    Chromium fails every request in flight with net::ERR_NETWORK_CHANGED when the machine's
    network changes, as it does when Docker brings a bridge network up or down beside the
    browser tests (the stack lane, in CI): caught on 2026-12-06, when pages that lost their
    scripts so had waited 30 s before a reload, or failed their test after 90 s."""
    if page in _losses:
        return
    lost: list[str] = []
    _losses[page] = lost

    def loaded(frame) -> None:
        if frame == page.main_frame and not frame.url.startswith("chrome-error:"):
            lost.clear()

    def failed(request) -> None:
        # A new load cancels what the last document still loaded (net::ERR_ABORTED): no loss.
        if (
            request.frame == page.main_frame
            and request.resource_type in OWN_FILES
            and request.failure != "net::ERR_ABORTED"
        ):
            lost.append(f"{request.url}: {request.failure}")

    page.on("framenavigated", loaded)
    page.on("requestfailed", failed)


def drawn(page, timeout_ms: int) -> bool:
    """Whether the app is drawn within `timeout_ms`, looking every half second; a page that lost
    its own files on the way (`watch_losses`) is reloaded at once, RELOADS times at most."""
    lost = _losses.get(page, [])
    reloads = waited = 0
    while True:
        if lost:
            assert reloads < RELOADS, f"the page kept losing its own files: {lost}"
            reloads += 1
            lost.clear()
            _load(page.reload, None, PAGE_LOAD_TIMEOUT_MS)
            continue
        try:
            page.wait_for_selector(APP, timeout=max(min(500, timeout_ms - waited), 1))
            return True
        except PlaywrightTimeout:
            waited += 500
        if not lost and waited >= timeout_ms:
            return False


def _load(load, url: str | None, timeout_ms: int) -> None:
    """`page.goto(url)` or `page.reload()`; a document lost on the way is noted by
    `watch_losses`, not raised."""
    try:
        load(url, timeout=timeout_ms) if url else load(timeout=timeout_ms)
    except PlaywrightError as error:
        if "net::ERR_" not in str(error):
            raise


def keyed(page, key: str):
    """The element of the widget created with `key=` (Streamlit adds `st-key-<key>`)."""
    return page.locator(f".st-key-{key}")


def heading(page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def fill(page, key: str, value: str) -> None:
    keyed(page, key).locator("input, textarea").first.fill(value)


def click(page, key: str) -> None:
    keyed(page, key).locator("button").first.click()


#: How long a typed option may take to show in the list before the typing is done again.
OPTION_TIMEOUT_MS = 10_000


def choose(page, key: str, *options: str) -> None:
    """Pick options of a selectbox or multiselect by typing them (each pick outside a form is a
    script run: the next waits for it, or its list can be redrawn under the typing). Typing
    that went into a box the run had just redrawn opens no list: it is done again, as a person
    would (seen in CI on 2026-12-06: the second of five picks waited 30 s for a list that never
    opened)."""
    box = keyed(page, key).locator("input").first
    for option in options:
        listed = page.get_by_role("option", name=re.compile(rf"^{re.escape(option)}")).first
        for attempt in range(3):
            box.click()
            box.fill(option)
            try:
                listed.click(timeout=OPTION_TIMEOUT_MS)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                page.keyboard.press("Escape")
                wait_until_idle(page)
        wait_until_idle(page)
    page.keyboard.press("Escape")


def end_session(page) -> None:
    """End the open session as a person does: "End session", then, once the question is drawn
    (its run over), "Yes, end the session" (clicked mid-run, the confirmation was seen lost in
    a busy CI run on 2026-12-06)."""
    click(page, "end_session")
    expect(keyed(page, "confirm_end")).to_be_visible()
    wait_until_idle(page)
    click(page, "confirm_end")


def go_to(page, title: str) -> None:
    """Open a page from the sidebar's navigation, by its title."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=title, exact=True).click()
    expect(heading(page, title)).to_be_visible()
    wait_until_idle(page)


def log_in(page, url: str, username: str, lands_on: str = "Practice") -> None:
    open_app(page, url)
    # The page is drawn and idle: a missing form fails here, with what the page shows instead
    # (once in CI on 2026-12-06 a drawn page had no form for 90 s, and `fill` said only that).
    expect(keyed(page, "login_username")).to_be_visible()
    fill(page, "login_username", username)
    fill(page, "login_password", PASSWORD)
    click(page, "login_submit")
    expect(heading(page, lands_on)).to_be_visible()
    wait_until_idle(page)


def log_out(page) -> None:
    """Press Log out and wait for the log-in form: the log-in has ended in the database then.
    A wait for an idle page alone can return before the click's run starts, and a page loaded
    meanwhile brought the log-in back from its cookie (a CI failure on 2026-12-06: a student
    still logged in at a teacher's address, with no log-in form for 90 s)."""
    click(page, "logout")
    expect(keyed(page, "login_username")).to_be_visible()
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
