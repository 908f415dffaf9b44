"""Accounts: argon2id passwords, case-insensitive usernames, lock-out, first run, sign-up."""

import os
import pty
import select as select_module
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.accounts import account_service
from backend.classes import section_service
from backend.config import PROJECT_ROOT
from backend.db import create_db_engine, unit_of_work
from backend.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
    ValidationError,
)
from backend.models import LoginSession, User
from backend.models.base import utcnow
from backend.models.enums import Role
from backend.ops import demo_service
from backend.utils.rate_limiter import RateLimiter
from tests.factories import PASSWORD, make_section, make_user

NEW_PASSWORD = "a fresh passphrase for spring"

NEW_ADMIN_PASSWORD = "lantern orbit meadow 42"


@pytest.fixture
def limiter():
    return RateLimiter("memory://")


def test_first_run_creates_one_admin_only(db):
    assert not account_service.has_users(db)
    admin = account_service.create_first_admin(
        db, username="Head.Admin", display_name="Head Admin", password=PASSWORD
    )
    assert admin.role == Role.admin and admin.username == "head.admin"
    assert admin.last_login_at is not None  # the setup logs the admin in
    with pytest.raises(PermissionDeniedError, match="Setup is already done"):
        account_service.create_first_admin(
            db, username="second", display_name="x", password=PASSWORD
        )


def test_password_is_stored_as_argon2id_hash(db):
    user = make_user(db, password="my secret words")
    stored = db.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and "my secret words" not in stored


@pytest.mark.both_backends  # case-insensitive uniqueness is an index per dialect
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


def test_an_attackers_browser_hitting_the_limit_does_not_stop_the_owner(db, limiter):
    make_user(db, username="lee")
    for _ in range(limiter.login_browser_limit.amount):
        with pytest.raises(AuthenticationError):
            account_service.authenticate(
                db, username="lee", password="nope nope", browser="attacker", limiter=limiter
            )
    with pytest.raises(
        RateLimitedError, match=r"from this browser.*[Ww]ait \d+ minutes?"
    ) as refusal:
        account_service.authenticate(
            db, username="lee", password=PASSWORD, browser="attacker", limiter=limiter
        )
    assert 0 < refusal.value.retry_after_seconds <= 5 * 60
    # The owner, in their own browser, logs in at once; another username is not affected either.
    assert account_service.authenticate(
        db, username="lee", password=PASSWORD, browser="owner", limiter=limiter
    )
    make_user(db, username="kim")
    assert account_service.authenticate(
        db, username="kim", password=PASSWORD, browser="attacker", limiter=limiter
    )


def test_guesses_from_many_browsers_slow_the_username_down_for_seconds_not_minutes(db, limiter):
    make_user(db, role=Role.admin, username="root.admin")
    for number in range(limiter.login_username_limit.amount):
        with pytest.raises(AuthenticationError):
            account_service.authenticate(
                db,
                username="root.admin",
                password="nope nope",
                browser=f"bot-{number}",
                limiter=limiter,
            )
    with pytest.raises(RateLimitedError, match=r"[Ww]ait \d+ seconds?") as refusal:
        account_service.authenticate(
            db, username="root.admin", password=PASSWORD, browser="owner", limiter=limiter
        )
    assert refusal.value.retry_after_seconds <= 60


def _exhaust_the_username(db, limiter, username: str) -> None:
    """An attacker rotating browser keys until the username's shared limit is full (every
    attempt counts, the owner's own successful ones too)."""
    for number in range(limiter.login_username_limit.amount):
        try:
            account_service.authenticate(
                db,
                username=username,
                password="nope nope",
                browser=f"bot-{number}",
                limiter=limiter,
            )
        except AuthenticationError:
            continue
        except RateLimitedError:
            return
        raise AssertionError("a wrong password was accepted")


def test_a_browser_that_logged_in_before_is_not_locked_out_by_guesses_from_elsewhere(db, limiter):
    """Issue 19, item 8: an attacker rotating browser keys kept the owner out. A browser that has
    logged in to the account before carries a device token; failures elsewhere do not stop it."""
    make_user(db, username="owen")
    owner = account_service.authenticate(
        db, username="owen", password=PASSWORD, browser="laptop", limiter=limiter
    )
    device = account_service.remember_device(db, actor=owner)
    _exhaust_the_username(db, limiter, "owen")
    with pytest.raises(RateLimitedError, match="slowed down"):  # a browser it does not know
        account_service.authenticate(
            db, username="owen", password=PASSWORD, browser="cafe", limiter=limiter
        )
    again = account_service.authenticate(
        db, username="owen", password=PASSWORD, browser="laptop-reloaded", device=device,
        limiter=limiter,
    )  # fmt: skip
    assert again.id == owner.id
    # Its own typos are still counted, for that browser alone, and the message says what to do.
    for _ in range(limiter.login_browser_limit.amount):
        with pytest.raises(AuthenticationError):
            account_service.authenticate(
                db, username="owen", password="typo typo", browser="x", device=device,
                limiter=limiter,
            )  # fmt: skip
    with pytest.raises(RateLimitedError, match="from this browser.*ask an admin"):
        account_service.authenticate(
            db, username="owen", password=PASSWORD, browser="x", device=device, limiter=limiter
        )


def test_a_device_token_is_bound_to_its_account_and_password(db, limiter, configure):
    make_user(db, username="vic")
    make_user(db, username="wes")
    vic = account_service.authenticate(db, username="vic", password=PASSWORD, limiter=limiter)
    device = account_service.remember_device(db, actor=vic)
    _exhaust_the_username(db, limiter, "wes")
    with pytest.raises(RateLimitedError):  # vic's browser is no key to wes's account
        account_service.authenticate(
            db, username="wes", password=PASSWORD, device=device, limiter=limiter
        )
    tampered = device[:-1] + ("0" if device[-1] != "0" else "1")
    _exhaust_the_username(db, limiter, "vic")
    with pytest.raises(RateLimitedError):
        account_service.authenticate(
            db, username="vic", password=PASSWORD, device=tampered, limiter=limiter
        )
    account_service.change_password(
        db, actor=vic, current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    with pytest.raises(RateLimitedError):  # a new password forgets every browser
        account_service.authenticate(
            db, username="vic", password=NEW_PASSWORD, device=device, limiter=limiter
        )


def test_an_attempt_refused_by_one_limit_does_not_use_up_another(db, limiter):
    make_user(db, username="uma")
    _exhaust_the_username(db, limiter, "uma")
    for _ in range(limiter.login_browser_limit.amount + 2):  # refused: the username is slowed
        with pytest.raises(RateLimitedError, match="slowed down"):
            account_service.authenticate(
                db, username="uma", password=PASSWORD, browser="desk", limiter=limiter
            )
    limiter.clear_failed_logins("uma")  # (an admin's reset lifts the slow-down)
    assert account_service.authenticate(
        db, username="uma", password=PASSWORD, browser="desk", limiter=limiter
    )  # the desk's own allowance was never spent


def test_a_successful_log_in_clears_the_browsers_own_count(db, limiter):
    make_user(db, username="ola")
    for _ in range(2):
        for _ in range(limiter.login_browser_limit.amount - 1):
            with pytest.raises(AuthenticationError):
                account_service.authenticate(
                    db, username="ola", password="typo typo", browser="laptop", limiter=limiter
                )
        assert account_service.authenticate(
            db, username="ola", password=PASSWORD, browser="laptop", limiter=limiter
        )


def test_admin_reset_lifts_the_lock(db, limiter):
    admin = make_user(db, role=Role.admin)
    user = make_user(db, username="pat")
    for number in range(limiter.login_username_limit.amount):
        with pytest.raises(AuthenticationError):
            account_service.authenticate(
                db, username="pat", password="bad bad bad", browser=f"bot-{number}", limiter=limiter
            )
    account_service.reset_password(
        db, actor=admin, user_id=user.id, new_password="kettle orbit saffron", limiter=limiter
    )
    assert account_service.authenticate(
        db, username="pat", password="kettle orbit saffron", browser="owner", limiter=limiter
    )


def test_a_reset_while_redis_is_down_says_so_and_keeps_the_old_password(committed_engine):
    """With REDIS_URL set and Redis down, a reset is refused with the message log-ins get, and
    nothing changes (it raised redis' own ConnectionError, which the Accounts page shows as a
    crash)."""
    with unit_of_work(committed_engine) as db:
        admin = make_user(db, role=Role.admin)
        user = make_user(db, username="pat")
        old_hash = db.get(User, user.id).password_hash
    with (
        pytest.raises(ServiceUnavailableError, match="Password reset is unavailable right now"),
        unit_of_work(committed_engine) as db,
    ):
        account_service.reset_password(
            db,
            actor=admin,
            user_id=user.id,
            new_password="kettle orbit saffron",
            limiter=RateLimiter("redis://127.0.0.1:1/0"),
        )
    with unit_of_work(committed_engine, write=False) as db:
        assert db.get(User, user.id).password_hash == old_hash


def test_deactivated_account_cannot_log_in(db, limiter):
    admin = make_user(db, role=Role.admin)
    user = make_user(db)
    account_service.set_active(db, actor=admin, user_id=user.id, active=False)
    with pytest.raises(AuthenticationError, match="deactivated"):
        account_service.authenticate(db, username=user.username, password=PASSWORD, limiter=limiter)
    with pytest.raises(ConflictError):
        account_service.set_active(db, actor=admin, user_id=admin.id, active=False)


def test_change_password_needs_the_current_one(db, limiter):
    user = make_user(db)
    with pytest.raises(AuthenticationError, match="current password"):
        account_service.change_password(
            db, actor=user, current_password="guess", new_password="brand new pass"
        )
    with pytest.raises(ValidationError, match="at least 8"):
        account_service.change_password(
            db, actor=user, current_password=PASSWORD, new_password="short"
        )
    account_service.change_password(
        db, actor=user, current_password=PASSWORD, new_password="brand new pass"
    )
    assert account_service.authenticate(
        db, username=user.username, password="brand new pass", limiter=limiter
    )


def test_bad_account_input_names_each_field(db):
    with pytest.raises(ValidationError) as error:
        account_service.create_first_admin(db, username="a!", display_name=" ", password="x")
    assert set(error.value.field_errors) == {"username", "display_name", "password"}


def test_student_signs_up_with_join_code_and_is_enrolled(db):
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher, name="Ethics")
    with pytest.raises(ValidationError, match="join code does not match"):
        account_service.sign_up_student(
            db, join_code="WRONG123", username="newbie", display_name="New", password=PASSWORD
        )
    student = account_service.sign_up_student(
        db,
        join_code=section.join_code.lower(),
        username="newbie",
        display_name="New",
        password=PASSWORD,
    )
    assert student.role == Role.student
    roster = section_service.get_roster(db, actor=teacher, section_id=section.id)
    assert [entry.username for entry in roster] == ["newbie"]


def test_only_admins_create_accounts(db):
    teacher = make_user(db, role=Role.teacher)
    with pytest.raises(PermissionDeniedError):
        account_service.create_user(
            db, actor=teacher, username="x123", display_name="X", password=PASSWORD, role=Role.admin
        )
    with pytest.raises(PermissionDeniedError, match="log in"):
        account_service.create_user(
            db, actor=None, username="x123", display_name="X", password=PASSWORD, role=Role.teacher
        )


def test_login_session_survives_a_reload_until_logout_or_expiry(db, configure):
    user = make_user(db)
    token = account_service.start_login_session(db, actor=user)
    assert account_service.resume_login_session(db, token).id == user.id
    assert account_service.resume_login_session(db, token + "x") is None
    assert token not in str(
        db.execute(__import__("sqlalchemy").text("SELECT token_hash FROM login_sessions")).all()
    )  # only the hash is stored
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
    account_service.reset_password(
        db, actor=admin, user_id=user.id, new_password="fresh password", limiter=limiter
    )
    assert account_service.resume_login_session(db, token) is None
    token = account_service.start_login_session(db, actor=user)
    account_service.set_active(db, actor=admin, user_id=user.id, active=False)
    assert account_service.resume_login_session(db, token) is None


# Password policy (issue 9, point 10) -------------------------------------------------------------
WEAK_PASSWORDS = ["password", "12345678", "{username}", "{username}123", "Jordan Quill 2024"]


@pytest.mark.parametrize("weak", WEAK_PASSWORDS)
def test_sign_up_refuses_common_and_user_derived_passwords(db, weak):
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    with pytest.raises(ValidationError) as refusal:
        account_service.sign_up_student(
            db,
            join_code=section.join_code,
            username="jordan.quill",
            display_name="Jordan Quill",
            password=weak.format(username="jordan.quill"),
        )
    message = refusal.value.field_errors["password"]
    assert "Choose" in message or "Use" in message  # it says what to do, not only what is wrong


@pytest.mark.parametrize("weak", WEAK_PASSWORDS)
def test_admin_created_accounts_password_changes_and_resets_refuse_weak_passwords(db, weak):
    admin = make_user(db, role=Role.admin)
    with pytest.raises(ValidationError) as refusal:
        account_service.create_user(
            db,
            actor=admin,
            username="jordan.quill",
            display_name="Jordan Quill",
            role=Role.teacher,
            password=weak.format(username="jordan.quill"),
        )
    assert "password" in refusal.value.field_errors
    user = make_user(db, username="jordan.quill", display_name="Jordan Quill")
    with pytest.raises(ValidationError) as refusal:
        account_service.change_password(
            db,
            actor=user,
            current_password=PASSWORD,
            new_password=weak.format(username="jordan.quill"),
        )
    assert "new_password" in refusal.value.field_errors
    with pytest.raises(ValidationError) as refusal:
        account_service.reset_password(
            db,
            actor=admin,
            user_id=user.id,
            new_password=weak.format(username="jordan.quill"),
            limiter=RateLimiter("memory://"),
        )
    assert "new_password" in refusal.value.field_errors


def test_a_good_passphrase_passes_the_policy(db):
    admin = make_user(db, role=Role.admin)
    created = account_service.create_user(
        db,
        actor=admin,
        username="jordan.quill",
        display_name="Jordan Quill",
        role=Role.teacher,
        password="kettle orbit saffron",
    )
    assert created.username == "jordan.quill"


# Typed input that the database would refuse (issue 9, point 20, the account fields) -------------
@pytest.mark.both_backends  # PostgreSQL refuses NUL characters
def test_control_characters_in_sign_up_fields_get_field_messages(db):
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    with pytest.raises(ValidationError) as refusal:
        account_service.sign_up_student(
            db,
            join_code=section.join_code,
            username="nul\x00user",
            display_name="Nul\x00 Name",
            password="kettle\x00 orbit x",
        )
    assert set(refusal.value.field_errors) == {"username", "display_name", "password"}
    assert "control character" in refusal.value.field_errors["display_name"]
    with pytest.raises(ValidationError) as refusal:
        account_service.sign_up_student(
            db,
            join_code="AB\x00CD",
            username="fine.user",
            display_name="Fine",
            password="kettle orbit saffron",
        )
    assert "join_code" in refusal.value.field_errors


@pytest.mark.both_backends  # PostgreSQL refuses NUL characters
def test_log_in_with_a_nul_or_huge_username_gets_a_field_message_and_no_huge_event(
    committed_engine, limiter
):
    from sqlalchemy import select

    from backend.db import unit_of_work
    from backend.models import Event

    for username in ("lee\x00", "x" * 1_000_000):
        with pytest.raises(ValidationError) as refusal:
            with unit_of_work(committed_engine) as db:
                account_service.authenticate(
                    db, username=username, password="whatever it is", limiter=limiter
                )
        assert "username" in refusal.value.field_errors
    with pytest.raises(AuthenticationError), unit_of_work(committed_engine) as db:
        account_service.authenticate(
            db, username="y" * 64, password="whatever it is", limiter=limiter
        )
    with unit_of_work(committed_engine, write=False) as db:
        stored = [(event.message, event.details) for event in db.scalars(select(Event))]
    assert stored and all(len(str(row)) < 1000 for row in stored)


# Log-ins end where they should (issue 9, point 7) ----------------------------------------------
def test_changing_the_password_ends_every_log_in_and_starts_a_fresh_one(db):
    user = make_user(db)
    this_tab = account_service.start_login_session(db, actor=user)
    other_device = account_service.start_login_session(db, actor=user)
    fresh = account_service.change_password(
        db, actor=user, current_password=PASSWORD, new_password="a brand new passphrase"
    )
    assert account_service.resume_login_session(db, this_tab) is None
    assert account_service.resume_login_session(db, other_device) is None
    assert fresh not in (this_tab, other_device)
    assert account_service.resume_login_session(db, fresh).id == user.id


def test_a_refused_password_change_ends_no_log_in(db):
    user = make_user(db)
    token = account_service.start_login_session(db, actor=user)
    with pytest.raises(AuthenticationError):
        account_service.change_password(
            db, actor=user, current_password="wrong guess", new_password="a brand new passphrase"
        )
    assert account_service.resume_login_session(db, token).id == user.id


@pytest.mark.parametrize(
    "how, reason",
    [
        ("log_out", "logged out"),
        ("change", "password was changed"),
        ("reset", "admin reset your password"),
        ("deactivate", "deactivated"),
        ("expire", "expired"),
        ("unknown", "ended"),
    ],
)
def test_an_ended_log_in_says_why(db, how, reason):
    admin = make_user(db, role=Role.admin)
    user = make_user(db)
    token = account_service.start_login_session(db, actor=user)
    if how == "log_out":
        account_service.end_login_session(db, token)
    elif how == "change":
        account_service.change_password(
            db, actor=user, current_password=PASSWORD, new_password="a brand new passphrase"
        )
    elif how == "reset":
        account_service.reset_password(
            db,
            actor=admin,
            user_id=user.id,
            new_password="a brand new passphrase",
            limiter=RateLimiter("memory://"),
        )
    elif how == "deactivate":
        account_service.set_active(db, actor=admin, user_id=user.id, active=False)
    elif how == "expire":
        db.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    else:
        token = "not-a-token-anyone-was-given"
    with pytest.raises(account_service.LoginEnded, match=reason):
        account_service.check_login(db, token)
    assert account_service.resume_login_session(db, token) is None


def test_a_live_log_in_is_checked_against_the_current_account(db):
    user = make_user(db, display_name="Before")
    token = account_service.start_login_session(db, actor=user)
    db.execute(update(User).where(User.id == user.id).values(display_name="After"))
    assert account_service.check_login(db, token).display_name == "After"


# First-run setup is a database fact (points 8 and 25) ------------------------------------------
def test_setup_is_offered_only_on_a_database_without_accounts(db):
    """Issue 19, item 13: after seed-demo or a restore (accounts, no admin yet) anyone who opened
    the site could make themselves admin. Then only the operator can, with create-admin."""
    assert account_service.needs_setup(db)
    demo_service.seed_demo(db)  # a teacher and a student, no admin
    assert not account_service.needs_setup(db)
    with pytest.raises(PermissionDeniedError, match="create-admin"):
        account_service.create_first_admin(
            db, username="head.admin", display_name="Head Admin", password=PASSWORD
        )
    assert not account_service.has_admin(db)
    admin = account_service.create_admin_by_operator(
        db, username="head.admin", display_name="Head Admin", password=PASSWORD
    )
    assert admin.role == Role.admin and account_service.has_admin(db)


def test_setup_is_done_once(db):
    account_service.create_first_admin(
        db, username="head.admin", display_name="Head Admin", password=PASSWORD
    )
    with pytest.raises(PermissionDeniedError, match="Setup is already done"):
        account_service.create_first_admin(
            db, username="second.admin", display_name="Second", password=PASSWORD
        )


def test_a_refused_setup_leaves_setup_open(db):
    with pytest.raises(ValidationError):
        account_service.create_first_admin(db, username="a!", display_name="A", password=PASSWORD)
    assert account_service.needs_setup(db)
    assert (
        account_service.create_first_admin(
            db, username="head.admin", display_name="Head", password=PASSWORD
        ).role
        == Role.admin
    )


@pytest.mark.both_backends  # concurrent writers: each backend locks differently
def test_simultaneous_first_run_setups_make_exactly_one_admin(committed_engine):
    attempts = 6
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []

    def set_up(number: int) -> None:
        barrier.wait()
        try:
            with unit_of_work(committed_engine) as db:
                account_service.create_first_admin(
                    db,
                    username=f"admin.{number}",
                    display_name=f"Admin {number}",
                    password=PASSWORD,
                )
            outcomes.append("created")
        except PermissionDeniedError as refusal:
            outcomes.append(refusal.message)

    threads = [threading.Thread(target=set_up, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") == 1
    assert sorted(set(outcomes) - {"created"}) == [account_service.SETUP_DONE]
    with unit_of_work(committed_engine, write=False) as db:
        assert db.scalar(select(func.count()).select_from(User).where(User.role == Role.admin)) == 1
        assert not account_service.needs_setup(db)


def test_the_operator_adds_an_admin_whatever_exists(db):
    demo_service.seed_demo(db)
    first = account_service.create_admin_by_operator(
        db, username="ops.admin", display_name="Ops", password=PASSWORD
    )
    assert first.role == Role.admin and not account_service.needs_setup(db)
    second = account_service.create_admin_by_operator(
        db, username="ops.second", display_name="Ops 2", password=PASSWORD
    )
    assert second.role == Role.admin
    with pytest.raises(ConflictError, match="taken"):
        account_service.create_admin_by_operator(
            db, username="ops.admin", display_name="Again", password=PASSWORD
        )


# `python -m backend.cli create-admin` (point 25) -----------------------------------------------
def test_cli_creates_an_admin_after_seed_demo_from_a_password_file(tmp_path, run_cli):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert run_cli(url, "seed-demo").returncode == 0  # before the first launch: no admin
    secret = tmp_path / "admin-password"
    secret.write_text(NEW_ADMIN_PASSWORD + "\n")
    done = run_cli(
        url,
        "create-admin",
        "--username",
        "Ops.Admin",
        "--display-name",
        "Ops Admin",
        "--password-file",
        str(secret),
    )
    assert done.returncode == 0, done.stderr
    assert "ops.admin" in done.stdout
    assert NEW_ADMIN_PASSWORD not in done.stdout + done.stderr
    engine = create_db_engine(url)
    try:
        with unit_of_work(engine) as db:
            assert not account_service.needs_setup(db)
            admin = account_service.authenticate(
                db,
                username="ops.admin",
                password=NEW_ADMIN_PASSWORD,
                limiter=RateLimiter("memory://"),
            )
            assert admin.role == Role.admin
    finally:
        engine.dispose()
    again = run_cli(
        url,
        "create-admin",
        "--username",
        "ops.admin",
        "--display-name",
        "Again",
        "--password-file",
        str(secret),
    )
    assert again.returncode == 1 and "taken" in again.stderr


def test_cli_create_admin_reads_the_password_from_the_environment(tmp_path, monkeypatch, run_cli):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("ADMIN_PASSWORD", NEW_ADMIN_PASSWORD)
    done = run_cli(url, "create-admin", "--username", "env.admin", "--display-name", "Env")
    assert done.returncode == 0, done.stderr
    assert NEW_ADMIN_PASSWORD not in done.stdout + done.stderr
    monkeypatch.setenv("ADMIN_PASSWORD", "short")
    refused = run_cli(url, "create-admin", "--username", "weak.admin", "--display-name", "Weak")
    assert refused.returncode == 1 and "password" in refused.stderr.lower()


def test_cli_create_admin_with_a_password_file_it_cannot_read_says_so(tmp_path, run_cli):
    """A mistyped path: a sentence naming the file, no traceback, no account."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    missing = tmp_path / "no-such-file"
    done = run_cli(url, "create-admin", "--username", "ops.admin", "--password-file", str(missing))
    assert done.returncode == 1
    assert f"Cannot read {missing}" in done.stderr and "nothing was created" in done.stderr
    engine = create_db_engine(url)
    try:
        with unit_of_work(engine) as db:
            assert account_service.needs_setup(db)
    finally:
        engine.dispose()


def test_cli_create_admin_prompts_twice_and_never_echoes_the_password(tmp_path):
    """The real `python -m backend.cli` in a process of its own, on a terminal (the suite's one
    subprocess run of the command line: the others call its `main` in this process)."""
    url = f"sqlite:///{tmp_path / 'tty.db'}"
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, with the pseudo-terminal as its terminal
        os.chdir(PROJECT_ROOT)
        os.execve(
            sys.executable,
            [
                sys.executable,
                "-m",
                "backend.cli",
                "create-admin",
                "--username",
                "tty.admin",
                "--display-name",
                "Tty",
            ],
            {**os.environ, "ENV_FILE": os.devnull, "DATABASE_URL": url},
        )
    screen = b""

    def read_until(marker: bytes) -> None:
        nonlocal screen
        while marker not in screen:
            ready, _, _ = select_module.select([terminal], [], [], 60)
            assert ready, screen
            screen += os.read(terminal, 1024)

    read_until(b"Password")
    os.write(terminal, NEW_ADMIN_PASSWORD.encode() + b"\r")
    read_until(b"Repeat")
    os.write(terminal, NEW_ADMIN_PASSWORD.encode() + b"\r")
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, screen
    assert NEW_ADMIN_PASSWORD.encode() not in screen and b"tty.admin" in screen


def test_the_reset_the_lock_out_message_advises_lets_the_owner_in(db, limiter):
    """Five wrong tries: "Wait 5 minutes and try again, or ask an admin to reset your
    password." The admin reset it at once, and the new password typed in the same tab was still
    refused for minutes: the reset lifted only the username's shared slow-down, not this
    browser's count. A browser's count now starts again with a new password. (An attack,
    2026-12-07.)"""
    admin = make_user(db, role=Role.admin)
    student = make_user(db, username="sam")
    for _ in range(limiter.login_browser_limit.amount):
        with pytest.raises(AuthenticationError):
            account_service.authenticate(
                db, username="sam", password="wrong guess here", browser="tab", limiter=limiter
            )
    with pytest.raises(RateLimitedError, match="ask an admin to reset your password"):
        account_service.authenticate(
            db, username="sam", password="still wrong", browser="tab", limiter=limiter
        )

    account_service.reset_password(
        db, actor=admin, user_id=student.id, new_password=NEW_PASSWORD, limiter=limiter
    )

    user = account_service.authenticate(
        db, username="sam", password=NEW_PASSWORD, browser="tab", limiter=limiter
    )
    assert user.id == student.id


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u3164", "\u2800\u2800"])
def test_a_display_name_that_shows_nothing_is_refused(db, name):
    """A name of zero-width spaces, a Hangul filler or Braille blanks had made an account whose
    name the roster, the review queue and drill results showed blank. (An attack, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    with pytest.raises(ValidationError) as refused:
        account_service.sign_up_student(
            db,
            join_code=section.join_code,
            username="blank.name",
            display_name=name,
            password=NEW_PASSWORD,
        )
    assert refused.value.field_errors["display_name"] == "Enter the name other people will see."


@pytest.mark.both_backends  # concurrent writers: each backend locks differently
def test_two_admins_deactivating_each_other_at_once_leave_one_admin(committed_engine):
    """Each of the last two admins deactivated the other at the same moment: both had
    succeeded (each read itself active), leaving nobody to open the Accounts page. (An attack,
    2026-12-07.)"""
    with unit_of_work(committed_engine) as db:
        ann = make_user(db, role=Role.admin, username="ann")
        bob = make_user(db, role=Role.admin, username="bob")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def deactivate(actor, target) -> None:
        barrier.wait()
        try:
            with unit_of_work(committed_engine) as db:
                account_service.set_active(db, actor=actor, user_id=target.id, active=False)
            outcomes.append("deactivated")
        except (ConflictError, PermissionDeniedError) as refusal:
            outcomes.append(refusal.message)

    threads = [
        threading.Thread(target=deactivate, args=(ann, bob)),
        threading.Thread(target=deactivate, args=(bob, ann)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("deactivated") == 1, outcomes
    with unit_of_work(committed_engine, write=False) as db:
        active = db.scalar(
            select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active)
        )
    assert active == 1


def test_the_last_active_admin_cannot_be_deactivated(db):
    """Deactivating yourself was refused; deactivating the only other admin while you are
    deactivated is refused too: one admin always remains."""
    ann = make_user(db, role=Role.admin, username="ann")
    bob = make_user(db, role=Role.admin, username="bob")
    db.execute(update(User).where(User.id == ann.id).values(is_active=False))
    with pytest.raises((ConflictError, PermissionDeniedError)):
        account_service.set_active(db, actor=ann, user_id=bob.id, active=False)
    assert db.get(User, bob.id).is_active
