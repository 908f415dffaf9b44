"""Accounts: argon2id passwords, case-insensitive usernames, lock-out, first run, sign-up."""

import pytest

from backend.errors import (
    AuthenticationError, ConflictError, PermissionDeniedError, RateLimitedError, ValidationError,
)
from backend.models import User
from backend.models.enums import Role
from backend.services import account_service, section_service
from backend.utils.rate_limiter import RateLimiter
from tests.factories import PASSWORD, make_section, make_user


@pytest.fixture
def limiter():
    return RateLimiter("memory://")


def test_first_run_creates_one_admin_only(db):
    assert not account_service.has_users(db)
    admin = account_service.create_first_admin(
        db, username="Head.Admin", display_name="Head Admin", password=PASSWORD)
    assert admin.role == Role.admin and admin.username == "head.admin"
    with pytest.raises(PermissionDeniedError, match="Setup is already done"):
        account_service.create_first_admin(db, username="second", display_name="x",
                                           password=PASSWORD)


def test_password_is_stored_as_argon2id_hash(db):
    user = make_user(db, password="my secret words")
    stored = db.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and "my secret words" not in stored


def test_username_is_case_insensitive_and_unique(db, limiter):
    make_user(db, username="Jamie")
    with pytest.raises(ConflictError, match="taken"):
        make_user(db, username="JAMIE")
    user = account_service.authenticate(db, username=" jAmIe ", password=PASSWORD, limiter=limiter)
    assert user.username == "jamie" and user.last_login_at is not None


def test_wrong_password_and_unknown_user_get_the_same_message(db, limiter):
    make_user(db, username="sam")
    for name in ("sam", "nobody-here"):
        with pytest.raises(AuthenticationError, match="Wrong username or password"):
            account_service.authenticate(db, username=name, password="wrong pass", limiter=limiter)


def test_five_failures_lock_the_username_even_for_the_right_password(db, limiter):
    make_user(db, username="lee")
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            account_service.authenticate(db, username="lee", password="nope nope", limiter=limiter)
    with pytest.raises(RateLimitedError, match="locked for 15 more minutes") as refusal:
        account_service.authenticate(db, username="lee", password=PASSWORD, limiter=limiter)
    assert 800 < refusal.value.retry_after_seconds <= 900
    # Another username is not affected.
    make_user(db, username="kim")
    assert account_service.authenticate(db, username="kim", password=PASSWORD, limiter=limiter)


def test_admin_reset_lifts_the_lock(db, limiter):
    admin = make_user(db, role=Role.admin)
    user = make_user(db, username="pat")
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            account_service.authenticate(db, username="pat", password="bad bad bad", limiter=limiter)
    account_service.reset_password(db, actor=admin, user_id=user.id, new_password="new password 1",
                                   limiter=limiter)
    assert account_service.authenticate(db, username="pat", password="new password 1",
                                        limiter=limiter)


def test_deactivated_account_cannot_log_in(db, limiter):
    admin = make_user(db, role=Role.admin)
    user = make_user(db)
    account_service.set_active(db, actor=admin, user_id=user.id, active=False)
    with pytest.raises(AuthenticationError, match="deactivated"):
        account_service.authenticate(db, username=user.username, password=PASSWORD,
                                     limiter=limiter)
    with pytest.raises(ConflictError):
        account_service.set_active(db, actor=admin, user_id=admin.id, active=False)


def test_change_password_needs_the_current_one(db, limiter):
    user = make_user(db)
    with pytest.raises(AuthenticationError, match="current password"):
        account_service.change_password(db, actor=user, current_password="guess",
                                        new_password="brand new pass")
    with pytest.raises(ValidationError, match="at least 8"):
        account_service.change_password(db, actor=user, current_password=PASSWORD,
                                        new_password="short")
    account_service.change_password(db, actor=user, current_password=PASSWORD,
                                    new_password="brand new pass")
    assert account_service.authenticate(db, username=user.username, password="brand new pass",
                                        limiter=limiter)


def test_bad_account_input_names_each_field(db):
    with pytest.raises(ValidationError) as error:
        account_service.create_first_admin(db, username="a!", display_name=" ", password="x")
    assert set(error.value.field_errors) == {"username", "display_name", "password"}


def test_student_signs_up_with_join_code_and_is_enrolled(db):
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher, name="Ethics")
    with pytest.raises(ValidationError, match="join code does not match"):
        account_service.sign_up_student(db, join_code="WRONG123", username="newbie",
                                        display_name="New", password=PASSWORD)
    student = account_service.sign_up_student(
        db, join_code=section.join_code.lower(), username="newbie", display_name="New",
        password=PASSWORD)
    assert student.role == Role.student
    roster = section_service.get_roster(db, actor=teacher, section_id=section.id)
    assert [entry.username for entry in roster] == ["newbie"]


def test_only_admins_create_accounts(db):
    teacher = make_user(db, role=Role.teacher)
    with pytest.raises(PermissionDeniedError):
        account_service.create_user(db, actor=teacher, username="x123", display_name="X",
                                    password=PASSWORD, role=Role.admin)
    with pytest.raises(PermissionDeniedError, match="log in"):
        account_service.create_user(db, actor=None, username="x123", display_name="X",
                                    password=PASSWORD, role=Role.teacher)


def test_login_session_survives_a_reload_until_logout_or_expiry(db, configure):
    user = make_user(db)
    token = account_service.start_login_session(db, actor=user)
    assert account_service.resume_login_session(db, token).id == user.id
    assert account_service.resume_login_session(db, token + "x") is None
    assert token not in str(db.execute(__import__("sqlalchemy").text(
        "SELECT token_hash FROM login_sessions")).all())  # only the hash is stored
    account_service.end_login_session(db, token)
    assert account_service.resume_login_session(db, token) is None
    configure(login_session_hours=0.0000001)
    expired = account_service.start_login_session(db, actor=user)
    import time

    time.sleep(0.01)
    assert account_service.resume_login_session(db, expired) is None


def test_deactivation_and_password_reset_end_login_sessions(db, limiter):
    admin = make_user(db, role=Role.admin)
    user = make_user(db)
    token = account_service.start_login_session(db, actor=user)
    account_service.reset_password(db, actor=admin, user_id=user.id, new_password="fresh password",
                                   limiter=limiter)
    assert account_service.resume_login_session(db, token) is None
    token = account_service.start_login_session(db, actor=user)
    account_service.set_active(db, actor=admin, user_id=user.id, active=False)
    assert account_service.resume_login_session(db, token) is None
