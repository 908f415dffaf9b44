"""Sign in with the institution in a real browser, against a real OpenID Connect provider
(`oidc-provider-mock`, a Flask app, run in a thread on 127.0.0.1): an allowed domain lands as a
student who joins a section by code, a teacher domain on the teacher pages, a refused domain is
told why and signed out of the provider's session, and signing out stays signed out on reload.

The provider's authorize page lets the tester type the subject; its claims (e-mail, whether it
is verified, name) are registered beforehand through the provider's `PUT /users/<sub>`.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.request
from urllib.parse import quote

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.accounts import sign_in_domain_service
from backend.db import create_db_engine, unit_of_work
from backend.models.enums import Role
from backend.ops import demo_service
from tests.e2e.conftest import _free_port, app_environment, running_app
from tests.e2e.helpers import click, fill, heading, keyed, wait_until_idle
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser
INSTITUTION = "Westbrook University"
SIGN_IN = f"Sign in with {INSTITUTION}"
# Each step here is a full page load and a new Streamlit session (after the provider's redirect):
# on a busy machine these take longer than a rerun.
LOAD_MS = 90_000


@pytest.fixture(scope="module")
def oidc_provider():
    """The mock OpenID provider on a free port of 127.0.0.1 (one for this module's tests, each
    with subjects of its own); yields its base URL."""
    import oidc_provider_mock
    import werkzeug.serving

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on the loopback only
        server = werkzeug.serving.make_server(
            "127.0.0.1", 0, oidc_provider_mock.app(), threaded=True
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def register(provider: str, sub: str, **claims) -> None:
    """Tell the provider which claims the subject `sub` signs in with."""
    request = urllib.request.Request(
        f"{provider}/users/{quote(sub)}",
        data=json.dumps(claims).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


@pytest.fixture(scope="module")
def institution_process(
    warm_tabs, fake_anthropic_server, oidc_provider, tmp_path_factory, sqlite_template
):
    """`streamlit run mvp/app.py` with an `[auth]` secrets file pointing at the provider (kept
    outside the repository: `--secrets.files`), one for this module's tests."""
    logs = tmp_path_factory.mktemp("institution_app")
    port = _free_port()
    url = f"http://localhost:{port}"  # the redirect URI's host: the browser must use it too
    secrets_file = logs / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "counseling-practice"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n'
    )
    env = {
        **app_environment(fake_anthropic_server),
        "INSTITUTION_NAME": INSTITUTION,
        "AUTHLIB_INSECURE_TRANSPORT": "1",
    }
    with running_app(
        warm_tabs,
        env,
        logs,
        sqlite_template,
        "--secrets.files",
        str(secrets_file),
        port=port,
        host="localhost",
    ) as app:
        yield app


@pytest.fixture
def institution_app(institution_process, oidc_provider, tmp_path, fake_anthropic, sqlite_template):
    """The module's app serving a new database with the demo data and two domain rules; yields
    (app URL, provider URL, join code)."""
    database_url = institution_process.serve(tmp_path / "app.db", sqlite_template)
    engine = create_db_engine(database_url)
    with unit_of_work(engine) as db:
        demo = demo_service.seed_demo(db, password=PASSWORD)
        admin = make_user(db, role=Role.admin, username="ivy.admin")
        sign_in_domain_service.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
        sign_in_domain_service.add_domain(
            db, actor=admin, domain="staff.school.edu", role=Role.teacher
        )
    engine.dispose()
    return institution_process.url, oidc_provider, demo.join_code


def sign_in_at_provider(page, url: str, sub: str) -> None:
    """From the app's log-in page through the provider's authorize page and back."""
    page.goto(url)
    wait_until_idle(page, LOAD_MS)
    page.get_by_role("button", name=SIGN_IN).click(timeout=LOAD_MS)
    page.get_by_placeholder("sub").fill(sub, timeout=LOAD_MS)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**", timeout=LOAD_MS)


def end_provider_session(page, url: str) -> None:
    """The provider asks before ending its session; then it sends the browser back."""
    page.get_by_role("button", name="End session").click(timeout=LOAD_MS)
    page.wait_for_url(f"{url}/**", timeout=LOAD_MS)
    wait_until_idle(page, LOAD_MS)


def expect_log_in_page(page) -> None:
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible(timeout=LOAD_MS)
    expect(keyed(page, "login_username").locator("input")).to_be_visible()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)


def test_student_domain_lands_as_a_student_who_joins_by_code_and_signs_out(page, institution_app):
    url, provider, join_code = institution_app
    register(provider, "ada", email="Ada@School.edu", email_verified=True, name="Ada Student")
    sign_in_at_provider(page, url, "ada")
    expect(heading(page, "Practice")).to_be_visible(timeout=LOAD_MS)
    expect(page.get_by_text("Welcome, Ada Student.")).to_be_visible()
    wait_until_idle(page)
    keyed(page, "student_view").get_by_text("Join a section").click()
    wait_until_idle(page)
    fill(page, "join_code", join_code)
    click(page, "join_submit")
    expect(page.get_by_text("You joined")).to_be_visible()
    wait_until_idle(page)

    click(page, "logout")
    end_provider_session(page, url)
    expect_log_in_page(page)
    page.reload()
    wait_until_idle(page, LOAD_MS)
    expect_log_in_page(page)
    expect(heading(page, "Practice")).to_have_count(0)

    # The next sign-in finds the same account (still in the section).
    sign_in_at_provider(page, url, "ada")
    expect(heading(page, "Practice")).to_be_visible(timeout=LOAD_MS)
    wait_until_idle(page)
    keyed(page, "student_view").get_by_text("Join a section").click()
    expect(page.get_by_text("Your sections: Demo section")).to_be_visible()


def test_teacher_domain_lands_on_the_teacher_pages(page, institution_app):
    url, provider, _ = institution_app
    register(provider, "grace", email="grace@staff.school.edu", email_verified=True, name="Grace")
    sign_in_at_provider(page, url, "grace")
    expect(heading(page, "Clients")).to_be_visible(timeout=LOAD_MS)
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link", name="Sections & assignments")).to_be_visible()
    expect(nav.get_by_role("link", name="Practice")).to_have_count(0)


def test_refused_domain_is_told_why_and_signed_out_of_the_provider(page, institution_app):
    url, provider, _ = institution_app
    register(provider, "eve", email="eve@elsewhere.org", email_verified=True, name="Eve")
    sign_in_at_provider(page, url, "eve")
    # The refusal signs the identity out: through the provider's own sign-out page.
    end_provider_session(page, url)
    expect(page.get_by_text("Accounts from elsewhere.org may not sign in here")).to_be_visible(
        timeout=LOAD_MS
    )
    expect_log_in_page(page)
    page.reload()
    wait_until_idle(page, LOAD_MS)
    expect_log_in_page(page)
    expect(page.get_by_text("may not sign in here")).to_have_count(0)  # said once


def test_unverified_email_is_refused(page, institution_app):
    url, provider, _ = institution_app
    register(provider, "mallory", email="mallory@school.edu", email_verified=False)
    sign_in_at_provider(page, url, "mallory")
    end_provider_session(page, url)
    expect(page.get_by_text("has not confirmed that account's e-mail address")).to_be_visible(
        timeout=LOAD_MS
    )
    expect_log_in_page(page)
