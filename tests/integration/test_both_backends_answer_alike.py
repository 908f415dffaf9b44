"""What SQLite lets through and PostgreSQL refuses gets one answer on both, a stored value or a
sentence: a display name NFC makes longer, a long institution address, a course file with
values the app could not have written (an attack, 2026-12-07)."""

from __future__ import annotations

import json
import unicodedata

import pytest
from sqlalchemy import select

from backend.accounts import account_service
from backend.accounts import sign_in_domain_service as sign_in
from backend.db import create_db_engine
from backend.errors import ValidationError
from backend.models import User
from backend.models.enums import Role
from backend.ops.backup_service import BadCourseFile
from tests.factories import PASSWORD, identity_claims, make_user
from tests.integration.test_backup_roundtrip import _counts, import_text, small_export  # noqa: F401

pytestmark = pytest.mark.both_backends

# Precomposed letters that NFC takes apart (Unicode's composition exclusions): "फ़" (Devanagari
# FA, as Hindi keyboards type it) becomes two code points, "שּׁ" (a Hebrew presentation form,
# as text copied from a PDF holds it) three.
DEVANAGARI_FA = "\u095e"
HEBREW_SHIN = "\ufb2c"


def test_a_display_name_within_the_limit_never_breaks_sign_up(db):
    """The display name is checked at 120 characters, then put in NFC (`as_shown`), which can
    make it longer. On SQLite the account is stored with a 240-character name; PostgreSQL's
    VARCHAR(120) raises a DataError: the form shows an internal error instead of a field
    message. (An attack, 2026-12-07.)"""
    name = (DEVANAGARI_FA + "ातिमा ") * 17  # 119 characters typed, 136 after NFC
    assert len(name.strip()) <= 120 < len(unicodedata.normalize("NFC", name.strip()))
    try:
        user = account_service._insert_user(
            db, username="fatima.z", display_name=name, password=PASSWORD, role=Role.student
        )
    except ValidationError as refused:  # a field message is a fine answer
        assert "display_name" in refused.field_errors
        return
    stored = db.scalar(select(User.display_name).where(User.id == user.id))
    assert stored == user.display_name and len(stored) <= 120  # SQLite had stored 135


def test_a_namesake_with_a_long_institution_address_can_sign_in(db):
    """A first institution sign-in whose name another account shows gets "name (address)",
    the name cut to `120 - len(email) - 3`: a negative cut for an address over 117 characters
    (addresses up to 254 are accepted), so the name is longer than 120. PostgreSQL refuses
    it (DataError, the person cannot sign in at all); SQLite stores " (address)", the name
    cut away entirely. (An attack, 2026-12-07.)"""
    admin = make_user(db, role=Role.admin)
    domain = (
        "students.school-of-psychology-counselling-and-social-work.faculty-of-health-sciences."
        "university-of-example.ac.uk"
    )
    sign_in.add_domain(db, actor=admin, domain=domain, role=Role.student)
    make_user(db, display_name="Sam Lee")
    email = f"samuel.alexander.lee-johnson@{domain}"
    assert 117 < len(email) <= 254
    user = sign_in.sign_in_with_identity(db, claims=identity_claims(email, name="Sam Lee"))
    # SQLite: " (samuel...)", 144 characters, the name itself cut away to nothing.
    assert len(user.display_name) <= 120 and user.display_name.startswith("Sam")
    assert user.display_name != "Sam Lee"


def _spoiled(content: str, table: str, **changes) -> str:
    """The export with the first row of `table` edited (a hand-edited or forged course file)."""
    header, *items = (json.loads(line) for line in content.splitlines())
    done = False
    edited = []
    for item in items:
        if not done and item.get("table") == table:
            item = {**item, "row": {**item["row"], **changes}}
            done = True
        edited.append(item)
    assert done
    return "".join(json.dumps(line) + "\n" for line in [header, *edited])


@pytest.mark.parametrize(
    ("table", "changes"),
    [
        ("sections", {"name": "S" * 500}),  # VARCHAR(120)
        ("client_profiles", {"name": "Alex " * 60}),  # VARCHAR(100)
        ("messages", {"latency_ms": 2**40}),  # INTEGER (32 bits on PostgreSQL)
    ],
    ids=["long-section-name", "long-client-name", "huge-integer"],
)
def test_a_course_file_the_app_could_not_have_written_is_refused_with_a_sentence(
    small_export,  # noqa: F811
    fresh_database,
    tmp_path,
    backend_name,
    table,
    changes,
):
    """`import_course` checks every field of a course file as untrusted input and answers a bad
    one with a `BadCourseFile` sentence (the CLI prints only `AppError`s). It never checks a
    text's length or an integer's range: SQLite imports these rows as they are (a 500-character
    section name the app refuses to create); PostgreSQL raises a raw DataError out of `_insert`
    (which catches only IntegrityError), so the operator gets a traceback. (An attack, 2026-12-07.)"""
    spoiled = _spoiled(small_export[2], table, **changes)
    target = create_db_engine(fresh_database(backend_name, tmp_path))
    try:
        try:
            import_text(target, spoiled)  # SQLite: imported as it is
        except BadCourseFile:
            assert not any(_counts(target).values())  # refused with a sentence: a fine answer
        except Exception as error:  # what the CLI does not catch: a traceback
            pytest.fail(f"{backend_name}: a raw {type(error).__name__}: {error}"[:300])
    finally:
        target.dispose()
