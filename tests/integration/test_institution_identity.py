"""An institution identity is its provider's issuer and subject, not its e-mail address: an
address given to another person opens no one's account, the same person keeps their account
through a new address, and a deactivation holds whatever address they come back with. A sign-in
older than a log-in's hours is over. An account made by sign-in answers a password guess as
slowly as an unknown username. (An attack, 2026-12-07.)"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.accounts import account_service
from backend.accounts import sign_in_domain_service as sign_in
from backend.accounts.sign_in_domain_service import SignInRefused
from backend.errors import AuthenticationError
from backend.models import User
from backend.models.enums import Role
from backend.utils.rate_limiter import RateLimiter
from tests.factories import identity_claims, make_user


@pytest.fixture
def school(db):
    admin = make_user(db, role=Role.admin, username="ivy.admin")
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    return admin


def test_an_address_given_to_another_person_opens_no_ones_account(db, school):
    """The institution gives jo@school.edu to a new person (another subject) after the first Jo
    left: the newcomer is refused and the admin told, not let into the first Jo's sessions,
    reviews and grades."""
    first = sign_in.sign_in_with_identity(db, claims=identity_claims("jo@school.edu", sub="p-1"))
    with pytest.raises(SignInRefused, match="Another account here already signs in with") as no:
        sign_in.sign_in_with_identity(db, claims=identity_claims("jo@school.edu", sub="p-2"))
    assert no.value.reason == "taken"
    assert db.get(User, first.id).email == "jo@school.edu"


def test_an_admin_who_unlinks_the_old_account_lets_the_new_person_in(db, school):
    first = sign_in.sign_in_with_identity(db, claims=identity_claims("jo@school.edu", sub="p-1"))
    sign_in.set_account_email(db, actor=school, user_id=first.id, email=None)
    newcomer = sign_in.sign_in_with_identity(db, claims=identity_claims("jo@school.edu", sub="p-2"))
    assert newcomer.id != first.id
    # The unlinked account no longer signs in with its old identity either.
    back = sign_in.sign_in_with_identity(db, claims=identity_claims("jo2@school.edu", sub="p-1"))
    assert back.id not in (first.id, newcomer.id)
    assert db.get(User, first.id).email is None


def test_a_new_address_keeps_the_same_persons_account(db, school):
    """Same person (same subject), a new address after a change of name: their own account, with
    its sessions, sections and grades, under the new address."""
    jo = sign_in.sign_in_with_identity(db, claims=identity_claims("jo.smith@school.edu", sub="p"))
    again = sign_in.sign_in_with_identity(
        db, claims=identity_claims("jo.jones@school.edu", sub="p")
    )
    assert again.id == jo.id, f"a new empty account '{again.username}' instead of '{jo.username}'"
    assert db.get(User, jo.id).email == "jo.jones@school.edu"


def test_a_deactivated_person_stays_deactivated_under_a_new_address(db, school):
    jo = sign_in.sign_in_with_identity(db, claims=identity_claims("jo.smith@school.edu", sub="p"))
    account_service.set_active(db, actor=school, user_id=jo.id, active=False)
    with pytest.raises(SignInRefused, match="deactivated"):
        sign_in.sign_in_with_identity(db, claims=identity_claims("jo.jones@school.edu", sub="p"))
    assert db.scalar(select(User.id).where(User.email == "jo.jones@school.edu")) is None


def test_an_account_linked_by_an_admin_is_bound_at_its_first_sign_in(db, school):
    """An admin links a password account to an address; its first sign-in binds the identity,
    so another person given that address later is refused."""
    grace = make_user(db, role=Role.teacher, username="grace")
    sign_in.set_account_email(db, actor=school, user_id=grace.id, email="grace@school.edu")
    assert (
        sign_in.sign_in_with_identity(db, claims=identity_claims("grace@school.edu", sub="g")).id
        == grace.id
    )
    with pytest.raises(SignInRefused):
        sign_in.sign_in_with_identity(db, claims=identity_claims("grace@school.edu", sub="h"))


def test_an_identity_without_issuer_or_subject_is_refused(db, school):
    for missing in ("iss", "sub"):
        claims = identity_claims("ada@school.edu")
        del claims[missing]
        with pytest.raises(SignInRefused, match="did not say who you are"):
            sign_in.sign_in_with_identity(db, claims=claims)
    assert db.scalar(select(User.id).where(User.email == "ada@school.edu")) is None


def test_a_sign_in_older_than_a_log_ins_hours_is_over(db, school):
    """Streamlit keeps the identity for 30 days; the app's own log-in lasts
    LOGIN_SESSION_HOURS (12). An identity signed in longer ago than that is refused (the page
    signs it out and asks for a new sign-in), as a password log-in would have ended."""
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    fresh = int((now - timedelta(hours=11)).timestamp())
    stale = int((now - timedelta(hours=13)).timestamp())
    ada = sign_in.sign_in_with_identity(
        db, claims=identity_claims("ada@school.edu", iat=fresh), now=now
    )
    for old in (stale, None, "yesterday", 10**20, float("nan")):  # nonsense too, never a crash
        with pytest.raises(SignInRefused, match="sign in again") as no:
            sign_in.sign_in_with_identity(
                db, claims=identity_claims("ada@school.edu", iat=old), now=now
            )
        assert no.value.reason == "expired"
        assert no.value.event["details"] == {"reason": "expired", "domain": "school.edu"}
    assert ada.username == "ada"


def test_an_institution_account_is_checked_as_slowly_as_an_unknown_username(
    db, school, monkeypatch
):
    """`authenticate` checks a dummy hash for an unknown username so that timing does not tell;
    an account made by sign-in had its marker checked, which fails at once (microseconds
    against about a second), so anyone could list its usernames (the address's local part)."""
    sign_in.sign_in_with_identity(db, claims=identity_claims("ada@school.edu"))
    checked: list[str] = []
    real = account_service._hasher

    class Counting:
        def verify(self, hash_: str, password: str) -> bool:
            checked.append(hash_)
            return real.verify(hash_, password)

        def __getattr__(self, name: str):
            return getattr(real, name)

    monkeypatch.setattr(account_service, "_hasher", Counting())
    limiter = RateLimiter("memory://")
    for username in ("nobody-here", "ada"):
        with pytest.raises(AuthenticationError, match="Wrong username or password"):
            account_service.authenticate(
                db, username=username, password="guess guess", browser=username, limiter=limiter
            )
    unknown, institution_account = checked
    assert unknown.startswith("$argon2id$")
    assert institution_account.startswith("$argon2id$"), (
        f"an institution account was checked against {institution_account!r}"
    )


def test_an_admin_who_saves_the_address_again_lets_its_next_sign_in_in(db, school):
    """Jo's identity changes (the app registered again: Microsoft's subject is per app) and Jo
    is refused as "taken". The admin saves Jo's address again under Change an account: the page
    said Jo "can now sign in", but the same address kept the old binding, so Jo was still
    refused. A save binds whoever signs in with the address next. (An attack on the day's
    fixes, 2026-12-07.)"""
    jo = sign_in.sign_in_with_identity(db, claims=identity_claims("jo@school.edu", sub="old-app"))
    with pytest.raises(SignInRefused):
        sign_in.sign_in_with_identity(db, claims=identity_claims("jo@school.edu", sub="new-app"))
    sign_in.set_account_email(db, actor=school, user_id=jo.id, email="jo@school.edu")
    again = sign_in.sign_in_with_identity(
        db, claims=identity_claims("jo@school.edu", sub="new-app")
    )
    assert again.id == jo.id
