"""Hardening seen from a real browser: user-written text loads nothing and links nowhere, the
favicon and every request stay on the app's own host, XSRF protection is on, and a page address
typed by hand leads through the log-in to that page."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.llm.usage import Usage
from backend.models.enums import Role
from backend.practice import rating_service, session_service
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import go_to, keyed, log_out, wait_until_idle
from tests.factories import (
    PASSWORD,
    add_message,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
    start_session,
)

pytestmark = pytest.mark.browser

EVIL = "e.vil"
PAYLOAD = "![x](http://e.vil/p.png) [click](http://e.vil) <http://e.vil/a> www.e.vil m@e.vil"


@pytest.fixture
def engine(tmp_path, app_server):
    url = f"sqlite:///{Path(tmp_path) / 'app.db'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def seed_payloads(engine) -> int:
    """Every kind of text a person writes carries links, images and autolinks."""
    with unit_of_work(engine) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        teacher = make_user(
            db, role=Role.teacher, username="tina.teacher", display_name="Tina Teacher"
        )
        student = make_user(db, username="sam.student", display_name=f"Sam {PAYLOAD}")
        client = make_client(
            db,
            teacher=teacher,
            name="Alex [x](http://e.vil)",
            presenting_concern=PAYLOAD,
            learning_goals=PAYLOAD,
        )
        section = make_section(db, teacher=teacher, name="Group [a](http://e.vil)")
        enroll(db, section=section, student=student)
        make_assignment(
            db,
            teacher=teacher,
            section=section,
            clients=[client],
            title="Week ![t](http://e.vil/t.png)",
        )
        session = start_session(db, user=student, client=client)
        add_message(db, actor=student, session_id=session.id, content=PAYLOAD)
        locked = session_service.lock_for_turn(db, actor=student, session_id=session.id)
        claim = session_service.claim_reply(
            db, session_id=locked.id, seconds=60, reserve_tokens=0, reserve_cost=Decimal(0)
        )
        session_service.store_reply(
            db,
            session_id=session.id,
            claim_id=claim,
            content=f"Fine. {PAYLOAD}",
            usage=Usage(input_tokens=10, output_tokens=3),
            cost=Decimal("0.00003"),
            model="claude-haiku-4-5",
            counted=Usage(),
            counted_cost=None,
        )
        session_service.end_session(db, actor=student, session_id=session.id)
        rating_service.submit_session_rating(
            db, actor=student, session_id=session.id, realism=3, usefulness=3, comment=PAYLOAD
        )
    return session.id


def log_in(page, username: str) -> None:
    keyed(page, "login_username").locator("input").fill(username)
    keyed(page, "login_password").locator("input").fill(PASSWORD)
    keyed(page, "login_submit").locator("button").click()
    page.locator('[data-testid="stSidebar"]').wait_for()
    wait_until_idle(page)


def assert_nothing_links_out(page, requests: list[str], where: str) -> None:
    assert page.locator(f'img[src*="{EVIL}"]').count() == 0, where
    assert page.locator(f'a[href*="{EVIL}"], a[href^="mailto:"]').count() == 0, where
    assert not [url for url in requests if EVIL in url], where
    page.screenshot(path=str(ARTIFACTS / f"hardening-{where}.png"), full_page=True)


def test_user_text_loads_no_image_and_shows_no_link_anywhere(page, listen, app_server, engine):
    ARTIFACTS.mkdir(exist_ok=True)
    chat_id = seed_payloads(engine)
    requests: list[str] = []
    listen(page, "request", lambda request: requests.append(request.url))
    page.goto(app_server)
    wait_until_idle(page)

    log_in(page, "tina.teacher")
    shown_as_typed = re.compile(r"Alex \[x\]\(http\W?://e\.vil\)")  # (an invisible joiner)
    expect(
        page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=shown_as_typed).first
    ).to_be_visible()
    assert_nothing_links_out(page, requests, "teacher-clients")
    go_to(page, "History & metrics")
    keyed(page, f"conversation_{chat_id}").locator("summary").click()
    wait_until_idle(page)
    expect(page.get_by_text("Fine.", exact=False).first).to_be_visible()
    assert_nothing_links_out(page, requests, "teacher-history")
    go_to(page, "Sections & assignments")
    assert_nothing_links_out(page, requests, "teacher-sections")

    log_out(page)
    log_in(page, "sam.student")
    assert_nothing_links_out(page, requests, "student-cards")
    go_to(page, "My sessions")
    page.locator('[data-testid="stExpander"] summary').first.click()
    wait_until_idle(page)
    assert_nothing_links_out(page, requests, "student-sessions")

    # Every request of the whole visit stayed on the app's own host: no fonts or icons from
    # elsewhere (the favicon is the app's own file).
    assert not [
        url for url in requests if not url.startswith(app_server) and not url.startswith("data:")
    ]
    icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
    assert icon and (not icon.startswith("http") or icon.startswith(app_server))


def test_xsrf_protection_is_on(page, app_server):
    page.goto(app_server)
    wait_until_idle(page)
    assert "_streamlit_xsrf" in {cookie["name"] for cookie in page.context.cookies()}


def test_a_page_address_typed_by_hand_leads_through_the_log_in_to_that_page(
    page, app_server, engine
):
    with unit_of_work(engine) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        make_user(db, username="sam.student")
    page.goto(f"{app_server}/practice")
    wait_until_idle(page)
    expect(keyed(page, "login_username")).to_be_visible()
    assert page.get_by_text("Page not found").count() == 0
    log_in(page, "sam.student")
    expect(page.get_by_role("heading", name="Practice")).to_be_visible()
    assert page.get_by_text("Page not found").count() == 0

    # An admin's second page (not the default one) is where the typed address leads.
    log_out(page)
    page.goto(f"{app_server}/teacher")
    wait_until_idle(page)
    log_in(page, "ada.admin")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    assert page.url.rstrip("/").endswith("/teacher")
    assert page.get_by_text("Page not found").count() == 0
