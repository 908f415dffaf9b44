"""Accounts hold against a stranger at a logged-in tab and a class signing up at once, and people
who show one name are told apart (an attack, 2026-12-07)."""

from __future__ import annotations

import pytest

from backend.accounts import account_service
from backend.accounts import sign_in_domain_service as sign_in
from backend.errors import AuthenticationError, RateLimitedError, ValidationError
from backend.models.enums import Role
from tests.factories import identity_claims, make_section, make_user

GOOD_PASSWORD = "kettle orbit saffron lantern"
WEAK_PASSWORD = "password1"


@pytest.mark.parametrize(
    ("teacher_shows", "student_types"),
    [
        ("Dana Rivera", "Dana  Rivera"),  # (An attack, 2026-12-07.)
        ("Élodie Martin", "Élodie Martin"),  # SQLite's lower() lowers ASCII only (a second look)
        ("Dana Rivera", "D\u0430na Rivera"),  # a Cyrillic а (An attack, 2026-12-07.)
    ],
    ids=["spacing", "accented-capital", "look-alike"],
)
def test_a_student_cannot_sign_up_showing_the_name_their_teacher_shows(
    db, teacher_shows, student_types
):
    """Institution sign-in never lets a new account show the name another account shows (Issue
    19, item 11: it gets its address after it), but the self-service sign-up form took any
    display name: a student who has the join code signed up as "Dana Rivera", the teacher's own
    name (or a classmate's), and the roster, History and Class progress showed two of them; a
    first fix missed "Élodie Martin" (compared by SQLite's ASCII-only lower()) and look-alike
    letters. (An attack, and one on the day's fixes, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher, username="the.teacher", display_name=teacher_shows)
    section = make_section(db, teacher=teacher, name="Counseling 101")
    with pytest.raises(ValidationError) as refused:
        account_service.sign_up_student(
            db,
            join_code=section.join_code,
            username="not.the.teacher",
            display_name=student_types,
            password=GOOD_PASSWORD,
            browser="lab-pc-1",
        )
    assert "display_name" in refused.value.field_errors


def test_guessing_the_current_password_on_change_password_is_throttled(db):
    """Log-in guesses are counted before any hash is checked (5 per browser per 5 minutes), but
    the Change password form checks "Current password" with no count at all: whoever finds a
    logged-in tab (a lab computer left open) can try the owner's password as fast as the server
    hashes, then take the account over for good. (An attack, 2026-12-07.)"""
    victim = make_user(db, username="left.logged.in")
    answers = []
    for guess in range(20):
        try:
            account_service.change_password(
                db,
                actor=victim,
                current_password=f"guess number {guess}",
                new_password="attacker owns this now",
            )
        except RateLimitedError:
            answers.append("throttled")
            break
        except AuthenticationError:
            answers.append("wrong")
    assert answers[-1] == "throttled", (
        f"{len(answers)} wrong current passwords were all checked, none refused: {answers[-1]!r}"
    )


def test_refused_sign_ups_do_not_lock_a_class_out_of_its_join_code(db):
    """A class signs up in its first lesson, each student on their own computer. The password
    policy refuses a first try that is too weak (nothing about usernames is told then), and the
    student picks a stronger one. Those refusals count against the join code's 60-per-10-minutes
    allowance ("room for a class signing up in one lesson"), so from the 31st student on the
    code is refused: "Many people are signing up with this join code right now. Wait 10 minutes". (An attack, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher, name="Counseling 101")
    refused_at = None
    for number in range(1, 36):
        fields = {
            "join_code": section.join_code,
            "username": f"student.{number}",
            "display_name": f"Student {number}",
            "browser": f"lab-pc-{number}",
        }
        try:
            with pytest.raises(ValidationError) as weak:
                account_service.sign_up_student(db, password=WEAK_PASSWORD, **fields)
            assert set(weak.value.field_errors) == {"password"}
            account_service.sign_up_student(db, password=GOOD_PASSWORD, **fields)
        except RateLimitedError as error:
            refused_at = (number, error.message)
            break
    assert refused_at is None, f"student {refused_at[0]} of 35 was refused: {refused_at[1]}"


@pytest.mark.parametrize(
    "name",
    ["\uff3aoe Mart\u00edn", "Z\u043ee Mart\u00edn"],  # a fullwidth Z; a Cyrillic o
    ids=["fullwidth", "cyrillic"],
)
def test_institution_sign_in_never_shows_a_homoglyph_of_a_teachers_name(db, name):
    """The look-alike guard (`_shown_already`) compares names after NFC, case and spacing only:
    "Ｚoe Martín" (fullwidth Z, which NFKC folds) or "Zоe Martín" (a Cyrillic о) reads on screen as
    teacher "Zoe Martín" and is stored as it came, without the address that tells it apart.
    (An attack, 2026-12-07.)"""
    admin = make_user(db, role=Role.admin)
    make_user(db, username="zoe.teacher", display_name="Zoe Mart\u00edn", role=Role.teacher)
    sign_in.add_domain(db, actor=admin, domain="school.edu", role=Role.student)

    new = sign_in.sign_in_with_identity(db, claims=identity_claims("zm@school.edu", name=name))

    assert new.display_name == f"{name} (zm@school.edu)"
