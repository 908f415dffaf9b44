"""Institution sign-in through AppTest: the button shows only when `[auth]` is configured, a
signed-in identity becomes the app's own log-in, a refusal is shown and signs the identity out,
logging out ends both, and the admin's domain rules on the Accounts page.

AppTest cannot reach a provider: `at.user` stands in for what `st.user` holds after the
provider's callback (an `[auth]` section makes it carry `is_logged_in`). The browser tests
(tests/e2e/test_institution_sign_in_browser.py) run the real flow.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from backend.accounts import sign_in_domain_service
from backend.config import get_settings
from backend.db import unit_of_work
from backend.models import LoginSession, SignInDomain, User
from backend.models.enums import Role
from tests.apps.helpers import assert_clean, everything, log_in, open_page, texts
from tests.factories import identity_claims, make_user

SIGNED_OUT = {"is_logged_in": False}


def identity(email: str, **claims) -> dict:
    return {"is_logged_in": True, **identity_claims(email, name="Ada", **claims)}


@pytest.fixture
def rules(app_db, monkeypatch):
    monkeypatch.setenv("INSTITUTION_NAME", "Westbrook University")
    get_settings.cache_clear()
    with unit_of_work(app_db) as db:
        admin = make_user(db, role=Role.admin, username="ivy.admin")
        sign_in_domain_service.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    yield
    get_settings.cache_clear()


def buttons(at) -> list[str]:
    return [button.label for button in at.button]


def test_without_auth_configured_the_log_in_page_is_unchanged(app, rules):
    app.run()
    assert_clean(app)
    assert not [label for label in buttons(app) if label.startswith("Sign in with")]
    assert app.text_input(key="login_username")


def test_with_auth_configured_the_log_in_page_offers_the_institution(app, rules):
    app.user = SIGNED_OUT
    app.run()
    assert_clean(app)
    assert app.button(key="institution_sign_in").label == "Sign in with Westbrook University"
    assert app.text_input(key="login_username")  # passwords stay


def test_an_allowed_identity_lands_as_a_student_with_the_join_form(app, app_db, rules):
    app.user = identity("Ada@school.edu")
    app.run()
    assert_clean(app)
    assert "Practice" in texts(app, "title")
    assert "Welcome, Ada." in everything(app)
    with unit_of_work(app_db) as db:
        user = db.scalar(select(User).where(User.email == "ada@school.edu"))
    assert user is not None and user.role == Role.student
    app.segmented_control(key="student_view").set_value("Join a section").run()
    assert app.text_input(key="join_code")


def test_an_account_made_by_sign_in_is_not_offered_a_password_it_does_not_have(app, app_db, rules):
    app.user = identity("ada@school.edu")
    app.run()
    assert_clean(app)
    assert "current_password" not in [box.key for box in app.text_input]  # none it could know
    assert "You sign in with Westbrook University" in everything(app)


def test_a_refused_domain_is_told_why_and_signed_out(app, app_db, rules):
    app.user = identity("eve@elsewhere.org")
    app.run()
    assert_clean(app)
    assert "Accounts from elsewhere.org may not sign in here" in everything(app)
    assert "Practice" not in texts(app, "title")
    app.button(key="institution_sign_out").click().run()  # the page clicks it itself
    assert app.user.get("is_logged_in") is False
    with unit_of_work(app_db) as db:
        assert db.scalar(select(User).where(User.email == "eve@elsewhere.org")) is None


def test_log_out_ends_the_app_log_in_and_the_institution_session(app, app_db, rules):
    app.user = identity("ada@school.edu")
    app.run()
    app.button(key="logout").click().run()
    assert_clean(app)
    assert app.user.get("is_logged_in") is False  # Streamlit now reloads the page
    with unit_of_work(app_db) as db:
        login = db.scalars(select(LoginSession)).one()
    assert login.revoked_at is not None
    app.run()
    assert app.text_input(key="login_username")
    assert "Practice" not in texts(app, "title")


def test_admin_adds_and_removes_domain_rules_on_the_accounts_page(app, app_db, rules):
    with unit_of_work(app_db) as db:
        db.query(SignInDomain).delete()
    app.run()
    log_in(app, "ivy.admin")
    open_page(app, "Accounts")
    assert "No domain may sign in with the institution yet" in everything(app)
    app.text_input(key="domain_name").input("@Staff.School.edu")
    app.selectbox(key="domain_role").set_value("teacher")
    app.button(key="add_domain").click().run()
    assert_clean(app)
    assert "@staff.school.edu address can now sign in" in everything(app)
    assert any("`@staff.school.edu` signs in as **teacher**" in text for text in texts(app))

    app.text_input(key="domain_name").input("not a domain")
    app.button(key="add_domain").click().run()
    assert "Type the part of the e-mail address after the @" in everything(app)

    remove = next(button for button in app.button if button.key.startswith("remove_domain_"))
    remove.click().run()
    assert "staff.school.edu can no longer sign in" in everything(app)
    assert "No domain may sign in with the institution yet" in everything(app)


def test_admin_links_an_account_to_an_institution_address_on_the_accounts_page(app, app_db, rules):
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.teacher, username="grace")
    app.run()
    log_in(app, "ivy.admin")
    open_page(app, "Accounts")
    app.selectbox(key="manage_account").set_value("grace").run()
    app.text_input(key="account_email").input("not an address")
    app.button(key="save_account_email").click().run()
    assert "Type the whole address" in everything(app)
    app.text_input(key="account_email").input("Grace@School.edu")
    app.button(key="save_account_email").click().run()
    assert_clean(app)
    assert "'grace' can now sign in with Westbrook University as grace@school.edu" in everything(
        app
    )
    with unit_of_work(app_db) as db:
        assert db.scalar(select(User.email).where(User.username == "grace")) == "grace@school.edu"


def test_a_sign_in_from_days_ago_does_not_log_in_the_next_person(app, app_db, rules):
    """Ada signed in on a lab computer three days ago and closed the browser without logging
    out: her app log-in ended after LOGIN_SESSION_HOURS, but Streamlit keeps the identity for
    30 days, and it had become a fresh log-in for whoever opened the app next. Now the identity
    is over, as her log-in is: signed out, with a word on why. (An attack, 2026-12-07.)"""
    app.user = identity("ada@school.edu", iat=int(time.time()) - 3 * 24 * 3600)
    app.run()
    assert_clean(app)
    assert "Practice" not in texts(app, "title")
    assert "Your sign-in with Westbrook University has ended" in everything(app)
    with unit_of_work(app_db) as db:
        assert db.scalars(select(LoginSession)).all() == []
    app.button(key="institution_sign_out").click().run()  # the page clicks it itself
    assert app.user.get("is_logged_in") is False


@pytest.mark.parametrize(
    ("missing", "reason", "told"),
    [
        ("sub", "no_subject", "did not say who you are"),
        ("email", "no_email", "did not tell us your e-mail address"),
    ],
)
def test_a_refusal_only_the_admin_can_help_with_says_so_after_the_sign_out(
    app, rules, browser_cookies, missing, reason, told
):
    """An identity without a subject (or an e-mail address) is refused, and the page signs it
    out at once: what the person reads is the notice kept for after the reload, which had said
    "That account cannot sign in here. Try another one." (every account of that provider lacks
    it; only the admin can help). (An attack on the day's fixes, 2026-12-07.)"""
    claims = identity("ada@school.edu")
    del claims[missing]
    app.user = claims
    app.run()
    assert told in everything(app)
    # The page's script writes the notice cookie, then clicks the sign-out; the log-in page
    # after the reload reads it.
    browser_cookies["counseling_sign_in_notice"] = reason + (":school.edu" * (missing == "sub"))
    app.button(key="institution_sign_out").click().run()
    assert_clean(app)
    shown = texts(app, "warning")
    assert not [w for w in shown if "Try another one" in w], shown
    assert any("admin" in warning for warning in shown), shown
