"""Institution sign-in: domain rules (admins only) and the mapping of a verified e-mail to a local
account, on both backends."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.accounts import account_service
from backend.accounts import sign_in_domain_service as sign_in
from backend.accounts.sign_in_domain_service import SignInRefused
from backend.db import unit_of_work
from backend.errors import ConflictError, PermissionDeniedError, ValidationError
from backend.models import Event, User
from backend.models.enums import Role
from tests.factories import identity_claims, make_user

ISSUER = "https://login.example.test/tenant-1/v2.0"


def claims(email="ada@school.edu", verified=True, name="Ada Lovelace", **more):
    return identity_claims(email, email_verified=verified, name=name, **more)


@pytest.fixture
def admin(db):
    return make_user(db, role=Role.admin)


def test_only_admins_manage_domain_rules(db, admin):
    teacher = make_user(db, role=Role.teacher)
    for actor in (teacher, None):
        with pytest.raises(PermissionDeniedError):
            sign_in.add_domain(db, actor=actor, domain="school.edu", role=Role.student)
        with pytest.raises(PermissionDeniedError):
            sign_in.list_domains(db, actor=actor)
    rule = sign_in.add_domain(db, actor=admin, domain=" @School.EDU ", role=Role.student)
    assert rule.domain == "school.edu"
    with pytest.raises(PermissionDeniedError):
        sign_in.remove_domain(db, actor=teacher, domain_id=rule.id)
    assert [r.domain for r in sign_in.list_domains(db, actor=admin)] == ["school.edu"]


def test_a_domain_never_gives_the_admin_role_and_must_look_like_a_domain(db, admin):
    with pytest.raises(ValidationError) as refused:
        sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.admin)
    assert "role" in refused.value.field_errors
    for bad in ("", "school", "ada@school.edu", "sch ool.edu", "-x.edu"):
        with pytest.raises(ValidationError):
            sign_in.add_domain(db, actor=admin, domain=bad, role=Role.student)
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    with pytest.raises(ConflictError):
        sign_in.add_domain(db, actor=admin, domain="SCHOOL.edu", role=Role.teacher)


def test_first_sign_in_creates_the_account_with_the_domains_role_later_ones_find_it(db, admin):
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    sign_in.add_domain(db, actor=admin, domain="staff.school.edu", role=Role.teacher)

    student = sign_in.sign_in_with_identity(db, claims=claims(email="Ada@School.edu"))
    assert (student.role, student.email, student.display_name) == (
        Role.student,
        "ada@school.edu",
        "Ada Lovelace",
    )
    assert student.username == "ada"
    again = sign_in.sign_in_with_identity(db, claims=claims(email="ada@school.EDU", name="Other"))
    assert again.id == student.id and again.display_name == "Ada Lovelace"

    teacher = sign_in.sign_in_with_identity(db, claims=claims(email="grace@staff.school.edu"))
    assert teacher.role == Role.teacher
    # The app's own log-in follows, as for passwords: everything downstream is unchanged.
    token = account_service.start_login_session(db, actor=teacher)
    assert account_service.check_login(db, token).id == teacher.id


def test_username_clashes_get_a_number_and_no_password_works_for_the_new_account(db, admin):
    make_user(db, username="ada")
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    user = sign_in.sign_in_with_identity(db, claims=claims())
    assert user.username == "ada2"
    with pytest.raises(Exception, match="Wrong username or password"):
        account_service.authenticate(db, username="ada2", password=sign_in.NO_PASSWORD)


def test_a_new_account_never_shows_the_name_another_account_shows(db, admin):
    """Issue 19, item 11: signing in as the.admin@school.edu made "the.admin2" showing "The
    Admin", the same name as the real admin."""
    make_user(db, username="the.admin", display_name="The Admin", role=Role.admin)
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    lookalike = sign_in.sign_in_with_identity(
        db, claims=claims(email="the.admin@school.edu", name="The Admin")
    )
    assert lookalike.username == "the.admin2"
    assert lookalike.display_name == "The Admin (the.admin@school.edu)"
    # Case and spacing do not make a name different; a name nobody shows is kept as it is.
    quiet = sign_in.sign_in_with_identity(
        db, claims=claims(email="tha@school.edu", name="  the admin ")
    )
    assert quiet.display_name == "the admin (tha@school.edu)"
    ada = sign_in.sign_in_with_identity(db, claims=claims())
    assert ada.display_name == "Ada Lovelace"


def test_an_account_made_by_sign_in_has_no_password_to_change_until_an_admin_sets_one(db, admin):
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    user = sign_in.sign_in_with_identity(db, claims=claims())
    assert user.has_password is False
    with pytest.raises(ConflictError, match="signs in through your institution"):
        account_service.change_password(
            db, actor=user, current_password="", new_password="a long new passphrase 42"
        )
    account_service.reset_password(
        db, actor=admin, user_id=user.id, new_password="a long new passphrase 42"
    )
    assert account_service.authenticate(
        db, username=user.username, password="a long new passphrase 42"
    ).has_password


def test_an_admin_links_an_existing_account_to_its_institution_address(db, admin):
    teacher = make_user(db, role=Role.teacher, username="grace")
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    linked = sign_in.set_account_email(
        db, actor=admin, user_id=teacher.id, email="  Grace@School.EDU "
    )
    assert linked.email == "grace@school.edu"
    # The existing account signs in, keeping its own role (the rule says student).
    signed_in = sign_in.sign_in_with_identity(db, claims=claims(email="grace@school.edu"))
    assert (signed_in.id, signed_in.role) == (teacher.id, Role.teacher)
    # An admin's own account too: a domain never makes an admin, but a link may keep one.
    mine = sign_in.set_account_email(db, actor=admin, user_id=admin.id, email="ivy@school.edu")
    assert sign_in.sign_in_with_identity(db, claims=claims(email=mine.email)).role == Role.admin
    # Unlinking: the address now makes a new student account instead.
    assert sign_in.set_account_email(db, actor=admin, user_id=teacher.id, email="").email is None
    again = sign_in.sign_in_with_identity(db, claims=claims(email="grace@school.edu"))
    assert again.id != teacher.id and again.role == Role.student


def test_linking_refuses_bad_or_taken_addresses_and_non_admins(db, admin):
    student = make_user(db, username="sam")
    other = make_user(db, username="kim")
    sign_in.set_account_email(db, actor=admin, user_id=other.id, email="kim@school.edu")
    for bad in ("sam", "sam@", "sam@school", "two@@school.edu", "s am@school.edu"):
        with pytest.raises(ValidationError) as refused:
            sign_in.set_account_email(db, actor=admin, user_id=student.id, email=bad)
        assert "email" in refused.value.field_errors
    with pytest.raises(ConflictError, match="'kim' already signs in with kim@school.edu"):
        sign_in.set_account_email(db, actor=admin, user_id=student.id, email="KIM@school.edu")
    for actor in (student, make_user(db, role=Role.teacher), None):
        with pytest.raises(PermissionDeniedError):
            sign_in.set_account_email(db, actor=actor, user_id=student.id, email="s@school.edu")
    assert db.get(User, student.id).email is None
    event = db.scalars(select(Event).where(Event.category == "accounts")).all()[-1]
    assert "kim@school.edu" not in event.message  # the log names the account, not the address


def _user(username: str, email: str) -> User:
    return User(
        username=username,
        email=email,
        display_name=username,
        role=Role.student,
        password_hash="!",
        is_active=True,
    )


@pytest.mark.both_backends  # case-insensitive uniqueness is an index per dialect
def test_email_is_unique_whatever_its_case(db):
    db.add(_user("u1", "x@school.edu"))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(_user("u2", "x@school.edu"))
        db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():  # stored lower-case only
        db.add(_user("u3", "X@school.edu"))
        db.flush()


def test_unverified_email_is_refused_unless_its_issuer_is_trusted(db, admin):
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    for verified in (False, None, "false"):
        with pytest.raises(SignInRefused) as refused:
            sign_in.sign_in_with_identity(db, claims=claims(verified=verified), trusted=[])
        assert refused.value.reason == "unverified"
        assert "has not confirmed" in refused.value.message
    no_claim = claims(iss=ISSUER + "/", name="Ada")
    del no_claim["email_verified"]
    with pytest.raises(SignInRefused):
        sign_in.sign_in_with_identity(db, claims=no_claim, trusted=["https://other/v2.0"])
    user = sign_in.sign_in_with_identity(db, claims=no_claim, trusted=[ISSUER])
    assert user.email == "ada@school.edu"
    # A trusted issuer stands in for a missing claim, never for an explicit "not verified"
    # (issue 19, item 10).
    for said_no in (False, "false", "False"):
        denied = {**no_claim, "email": "bo@school.edu", "email_verified": said_no}
        with pytest.raises(SignInRefused) as refused:
            sign_in.sign_in_with_identity(db, claims=denied, trusted=[ISSUER])
        assert refused.value.reason == "unverified"
    with pytest.raises(SignInRefused) as refused:
        sign_in.sign_in_with_identity(db, claims={"sub": "x", "email_verified": True})
    assert refused.value.reason == "no_email"


def test_refused_domain_is_told_and_logged_without_tokens(committed_engine):
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
        sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    identity = claims(email="eve@elsewhere.org", id_token="secret-id-token")
    with pytest.raises(SignInRefused) as refused, unit_of_work(committed_engine) as db:
        sign_in.sign_in_with_identity(db, claims=identity)
    assert refused.value.reason == "domain"
    assert "elsewhere.org may not sign in here" in refused.value.message
    with unit_of_work(committed_engine) as db:
        event = db.scalars(select(Event).where(Event.category == "auth")).one()
        assert db.scalar(select(User).where(User.email == "eve@elsewhere.org")) is None
    assert event.message == "Institution sign-in refused."
    assert event.details == {"reason": "domain", "domain": "elsewhere.org"}
    assert "secret-id-token" not in repr(event.details) + event.message


def test_removing_a_rule_or_deactivating_stops_the_next_sign_in(db, admin):
    rule = sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)
    user = sign_in.sign_in_with_identity(db, claims=claims())
    account_service.set_active(db, actor=admin, user_id=user.id, active=False)
    with pytest.raises(SignInRefused, match="deactivated"):
        sign_in.sign_in_with_identity(db, claims=claims())
    account_service.set_active(db, actor=admin, user_id=user.id, active=True)
    sign_in.remove_domain(db, actor=admin, domain_id=rule.id)
    with pytest.raises(SignInRefused) as refused:
        sign_in.sign_in_with_identity(db, claims=claims())
    assert refused.value.reason == "domain"


@pytest.mark.parametrize(
    "name", ["Zoe\u0308 Marti\u0301n", "Zo\u200bë Martín"], ids=["accents-apart", "zero-width"]
)
def test_a_name_that_reads_as_another_accounts_is_never_shown_as_it(db, name):
    """The look-alike guard compared raw text: the same name with its accents written apart
    (as some directories send it), or with a zero-width space, was stored as it came and read
    on screen exactly as an existing teacher's. (An attack, 2026-12-07.)"""
    admin = make_user(db, role=Role.admin)
    make_user(db, username="zoe.teacher", display_name="Zoë Martín", role=Role.teacher)
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)

    new = sign_in.sign_in_with_identity(db, claims=identity_claims("zm@school.edu", name=name))

    assert new.display_name == "Zoë Martín (zm@school.edu)"
