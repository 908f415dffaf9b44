"""Sections and assignments: join codes, rosters, and what a student may see."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput
from backend.clients import client_service, student_access_service
from backend.errors import ConflictError, PermissionDeniedError, ValidationError
from backend.models import Assignment, Section
from backend.models.base import utcnow
from backend.models.enums import Role
from tests.factories import enroll, make_assignment, make_client, make_section, make_user


def test_join_code_is_unambiguous_and_unique(db):
    teacher = make_user(db, role=Role.teacher)
    codes = {make_section(db, teacher=teacher, name=f"S{i}").join_code for i in range(10)}
    assert len(codes) == 10
    assert all(len(code) == 8 and not set(code) & set("0O1IL") for code in codes)


def test_student_joins_another_section_once(db):
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db)
    section = make_section(db, teacher=teacher, name="Group work")
    joined = section_service.join_section(db, actor=student, join_code=f" {section.join_code} ")
    assert joined.name == "Group work" and joined.join_code == ""
    with pytest.raises(ConflictError, match="already in Group work"):
        section_service.join_section(db, actor=student, join_code=section.join_code)
    assert [s.name for s in section_service.list_sections(db, actor=student)] == ["Group work"]


def test_roster_and_removal_keep_to_the_sections_teacher(db):
    teacher, other = make_user(db, role=Role.teacher), make_user(db, role=Role.teacher)
    student = make_user(db)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    with pytest.raises(PermissionDeniedError):
        section_service.get_roster(db, actor=other, section_id=section.id)
    section_service.remove_student(db, actor=teacher, section_id=section.id, student_id=student.id)
    assert section_service.get_roster(db, actor=teacher, section_id=section.id) == []


def test_student_sees_only_published_clients_of_their_sections(db):
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db)
    mine, theirs = (
        make_section(db, teacher=teacher, name="Mine"),
        make_section(db, teacher=teacher, name="Theirs"),
    )
    enroll(db, section=mine, student=student)
    published = make_client(db, teacher=teacher, name="Published Pat")
    draft = make_client(db, teacher=teacher, name="Draft Dee")
    elsewhere = make_client(db, teacher=teacher, name="Elsewhere Ed")
    make_assignment(db, teacher=teacher, section=mine, clients=[published])
    make_assignment(db, teacher=teacher, section=mine, clients=[draft], published=False)
    make_assignment(db, teacher=teacher, section=theirs, clients=[elsewhere])
    available = student_access_service.list_available_clients(db, actor=student)
    assert [item.client.name for item in available] == ["Published Pat"]
    assert not hasattr(available[0].client, "hidden_information")
    with pytest.raises(PermissionDeniedError, match="not assigned to you"):
        client_service.get_client_brief(db, actor=student, client_id=draft.id)


def test_unpublish_hides_clients_and_publish_needs_a_client(db):
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    client = make_client(db, teacher=teacher)
    assignment = make_assignment(db, teacher=teacher, section=section, clients=[client])
    assert len(student_access_service.list_available_clients(db, actor=student)) == 1
    assignment_service.set_published(
        db, actor=teacher, assignment_id=assignment.id, published=False
    )
    assert student_access_service.list_available_clients(db, actor=student) == []
    empty = assignment_service.create_assignment(
        db, actor=teacher, section_id=section.id, data=AssignmentInput(title="Empty")
    )
    with pytest.raises(ValidationError, match="Attach at least one client"):
        assignment_service.set_published(db, actor=teacher, assignment_id=empty.id, published=True)


def test_an_assignment_whose_clients_are_all_archived_is_not_published(db):
    """A teacher archives the only client of a draft assignment, then presses Publish: it went
    through ("students in the section can now practise"), and students saw nothing (an attack,
    2026-12-07). It is refused, naming the client; with one client still in use it publishes."""
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    rita = make_client(db, teacher=teacher, name="Rita Retired")
    week = make_assignment(db, teacher=teacher, section=section, clients=[rita], published=False)
    client_service.set_archived(db, actor=teacher, client_id=rita.id, archived=True)
    with pytest.raises(ValidationError, match="Rita Retired") as refused:
        assignment_service.set_published(
            db, actor=teacher, assignment_id=week.id, published=True, confirm_unchecked=True
        )
    assert "archived" in refused.value.message and "restore" in refused.value.message.lower()
    assert student_access_service.list_available_clients(db, actor=student) == []
    still = assignment_service.get_assignment(db, actor=teacher, assignment_id=week.id)
    assert still.published_at is None


def test_teacher_cannot_attach_another_teachers_client(db):
    teacher, other = make_user(db, role=Role.teacher), make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    foreign = make_client(db, teacher=other)
    with pytest.raises(PermissionDeniedError):
        assignment_service.create_assignment(
            db,
            actor=teacher,
            section_id=section.id,
            data=AssignmentInput(title="Sneaky", client_ids=[foreign.id]),
        )


def test_archived_client_disappears_for_students(db):
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    client = make_client(db, teacher=teacher)
    make_assignment(db, teacher=teacher, section=section, clients=[client])
    client_service.set_archived(db, actor=teacher, client_id=client.id, archived=True)
    assert student_access_service.list_available_clients(db, actor=student) == []


# Join codes: seats, expiry, rotation and throttling (issue 9, points 5 and 23) -------------------
def _sign_up(db, code: str, name: str, **options):
    from backend.accounts import account_service

    return account_service.sign_up_student(
        db,
        join_code=code,
        username=name,
        display_name=name.title(),
        password="kettle orbit saffron",
        **options,
    )


@pytest.mark.both_backends  # the seat limit is a row lock
def test_seat_limit_holds_under_thirty_concurrent_sign_ups(committed_engine):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from backend.db import unit_of_work

    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        section = section_service.create_section(
            db, actor=teacher, name="Small group", seat_limit=5
        )
    barrier = Barrier(30)

    def sign_up(number: int):
        barrier.wait()
        try:
            with unit_of_work(committed_engine) as db:
                return _sign_up(
                    db, section.join_code, f"student{number:02}", browser=f"browser-{number}"
                )
        except ConflictError as error:
            return error

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(sign_up, range(30)))
    refusals = [r for r in results if isinstance(r, ConflictError)]
    assert len(refusals) == 25
    assert all("full" in r.message and "ask your teacher" in r.message.lower() for r in refusals)
    with unit_of_work(committed_engine, write=False) as db:
        roster = section_service.get_roster(db, actor=teacher, section_id=section.id)
        from backend.accounts import account_service

        students = account_service.list_users(db, actor=make_admin(db), role=Role.student)
    assert len(roster) == 5
    assert len(students) == 5  # a refused sign-up leaves no account behind


def make_admin(db):
    return make_user(db, role=Role.admin)


def test_a_full_section_refuses_joining_too_and_says_what_to_do(db):
    teacher = make_user(db, role=Role.teacher)
    section = section_service.create_section(db, actor=teacher, name="Pair", seat_limit=1)
    _sign_up(db, section.join_code, "first.one")
    with pytest.raises(ConflictError, match=r"(?i)full.*ask your teacher"):
        _sign_up(db, section.join_code, "second.one")
    student = make_user(db)
    with pytest.raises(ConflictError, match="(?i)full"):
        section_service.join_section(db, actor=student, join_code=section.join_code)
    updated = section_service.update_section(
        db, actor=teacher, section_id=section.id, name="Pair", seat_limit=2
    )
    assert updated.seat_limit == 2
    section_service.join_section(db, actor=student, join_code=section.join_code)


def test_an_expired_code_is_refused_with_what_to_do(db):
    from datetime import timedelta

    from backend.models import Section
    from backend.models.base import utcnow

    teacher = make_user(db, role=Role.teacher)
    section = section_service.create_section(
        db, actor=teacher, name="Week one", join_code_expires_at=utcnow() + timedelta(days=7)
    )
    assert section.join_code_expires_at is not None
    _sign_up(db, section.join_code, "early.bird")
    db.get(Section, section.id).join_code_expires_at = utcnow() - timedelta(minutes=1)
    db.flush()
    with pytest.raises(ValidationError, match="(?i)expired.*ask your teacher for a new code") as e:
        _sign_up(db, section.join_code, "late.comer")
    assert "join_code" in e.value.field_errors
    with pytest.raises(ValidationError, match="(?i)expired"):
        section_service.join_section(db, actor=make_user(db), join_code=section.join_code)
    # A new code works again: rotating clears an expiry that has passed.
    rotated = section_service.regenerate_join_code(db, actor=teacher, section_id=section.id)
    assert rotated.join_code_expires_at is None
    _sign_up(db, rotated.join_code, "late.comer")


def test_a_rotated_code_stops_working_at_once(db):
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    rotated = section_service.regenerate_join_code(db, actor=teacher, section_id=section.id)
    assert rotated.join_code != section.join_code
    with pytest.raises(ValidationError, match="(?i)ask your teacher for the current code") as e:
        _sign_up(db, section.join_code, "old.code")
    assert "join_code" in e.value.field_errors
    _sign_up(db, rotated.join_code, "new.code")
    other = make_user(db, role=Role.teacher)
    with pytest.raises(PermissionDeniedError):
        section_service.regenerate_join_code(db, actor=other, section_id=section.id)


def test_teacher_sets_and_edits_seat_limit_and_expiry_with_checks(db):
    from datetime import timedelta

    from backend.models.base import utcnow

    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    assert section.seat_limit is None and section.join_code_expires_at is None
    for student in (make_user(db), make_user(db)):
        enroll(db, section=section, student=student)
    with pytest.raises(ValidationError) as refusal:
        section_service.update_section(
            db, actor=teacher, section_id=section.id, name="A", seat_limit=1
        )
    assert "2 students" in refusal.value.field_errors["seat_limit"]
    with pytest.raises(ValidationError) as refusal:
        section_service.update_section(
            db,
            actor=teacher,
            section_id=section.id,
            name="A",
            join_code_expires_at=utcnow() - timedelta(days=1),
        )
    assert "join_code_expires_at" in refusal.value.field_errors
    with pytest.raises(ValidationError) as refusal:
        section_service.create_section(db, actor=teacher, name="B", seat_limit=0)
    assert "seat_limit" in refusal.value.field_errors
    later = utcnow() + timedelta(days=3)
    updated = section_service.update_section(
        db,
        actor=teacher,
        section_id=section.id,
        name="Renamed",
        seat_limit=30,
        join_code_expires_at=later,
    )
    assert (updated.name, updated.seat_limit, updated.join_code_expires_at) == (
        "Renamed",
        30,
        later,
    )
    cleared = section_service.update_section(
        db, actor=teacher, section_id=section.id, name="Renamed"
    )
    assert cleared.seat_limit is None and cleared.join_code_expires_at is None
    with pytest.raises(PermissionDeniedError):
        section_service.update_section(
            db, actor=make_user(db, role=Role.teacher), section_id=section.id, name="Mine now"
        )


def test_sign_ups_are_throttled_per_code_and_per_browser(db, configure):
    from backend.errors import RateLimitedError

    configure(signup_code_rate_limit="3/minute", signup_browser_rate_limit="2/minute")
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    other = make_section(db, teacher=teacher, name="Other")
    _sign_up(db, section.join_code, "one.browser", browser="lab-pc-1")
    with pytest.raises(ConflictError, match="taken"):  # the taken-name answer counts too
        _sign_up(db, section.join_code, "one.browser", browser="lab-pc-1")
    with pytest.raises(RateLimitedError, match=r"this browser.*[Ww]ait \d+ seconds?") as refusal:
        _sign_up(db, other.join_code, "probe.name", browser="lab-pc-1")
    assert 0 < refusal.value.retry_after_seconds <= 60
    _sign_up(db, section.join_code, "two.browser", browser="lab-pc-2")
    with pytest.raises(RateLimitedError, match=r"(?i)this join code.*wait \d+ seconds?"):
        _sign_up(db, section.join_code, "three.browser", browser="lab-pc-3")
    _sign_up(db, other.join_code, "three.browser", browser="lab-pc-3")  # another code is free


@pytest.mark.both_backends  # PostgreSQL refuses a NUL in a text column deep inside a flush
@pytest.mark.parametrize("field", ["title", "instructions"])
def test_a_control_character_in_an_assignment_gets_a_field_message_and_stores_nothing(db, field):
    """Pasted text with an invisible character: the teacher reads which field to retype (on
    PostgreSQL it was an unexplained DataError; on SQLite it was stored, and the instructions
    went on into every review prompt of the assignment)."""
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    values = {"title": "Week 1", "instructions": "Open questions only."}
    pasted = {**values, field: values[field][:4] + "\x00" + values[field][4:]}
    with pytest.raises(ValidationError, match="control character") as refused:
        assignment_service.create_assignment(
            db, actor=teacher, section_id=section.id, data=AssignmentInput(**pasted)
        )
    assert field in refused.value.field_errors
    assert assignment_service.list_assignments(db, actor=teacher, section_id=section.id) == []

    stored = assignment_service.create_assignment(
        db, actor=teacher, section_id=section.id, data=AssignmentInput(**values)
    )
    with pytest.raises(ValidationError, match="control character"):
        assignment_service.update_assignment(
            db, actor=teacher, assignment_id=stored.id, data=AssignmentInput(**pasted)
        )
    [kept] = assignment_service.list_assignments(db, actor=teacher, section_id=section.id)
    assert (kept.title, kept.instructions) == (values["title"], values["instructions"])


def test_a_published_assignment_keeps_at_least_one_client(db):
    """Publishing refuses an assignment without clients; saving a published one without any
    left it published and empty, its students with nothing to practise."""
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    alex = make_client(db, teacher=teacher, name="Alex Rivera")
    week = make_assignment(db, teacher=teacher, section=section, clients=[alex])
    emptied = AssignmentInput(title=week.title, instructions=week.instructions, client_ids=[])
    with pytest.raises(ValidationError, match="needs at least one client.*unpublish it first"):
        assignment_service.update_assignment(db, actor=teacher, assignment_id=week.id, data=emptied)
    kept = assignment_service.get_assignment(db, actor=teacher, assignment_id=week.id)
    assert (kept.status.value, kept.client_ids) == ("published", [alex.id])
    assignment_service.set_published(db, actor=teacher, assignment_id=week.id, published=False)
    draft = assignment_service.update_assignment(
        db, actor=teacher, assignment_id=week.id, data=emptied
    )
    assert draft.client_ids == []


def test_an_assignment_stored_with_a_control_character_can_still_have_its_clients_changed(db):
    """Text stored before typed text was checked is kept as it is: saving the clients (which
    sends the title and instructions unchanged) must not ask to retype a field the page does
    not show."""
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    alex = make_client(db, teacher=teacher, name="Alex Rivera")
    blake = make_client(db, teacher=teacher, name="Blake Moss")
    week = make_assignment(db, teacher=teacher, section=section, clients=[alex])
    db.execute(
        update(Assignment).where(Assignment.id == week.id).values(instructions="Line\x0bbreak")
    )
    data = AssignmentInput(
        title=week.title, instructions="Line\x0bbreak", client_ids=[alex.id, blake.id]
    )
    saved = assignment_service.update_assignment(
        db, actor=teacher, assignment_id=week.id, data=data
    )
    assert saved.client_ids == sorted([alex.id, blake.id])


@pytest.mark.both_backends  # where NULLs sort is the dialect's
def test_an_assignment_due_tomorrow_comes_before_one_without_a_due_date(db):
    """ "Soonest due first": on SQLite, whose ORDER BY puts NULLs first, an assignment without
    a due date had been listed before one due tomorrow (PostgreSQL put it last).
    (An attack, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db, role=Role.student)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    for title, name, due in (
        ("Practise any time", "Open Ended", None),
        ("Due tomorrow", "Urgent", utcnow() + timedelta(days=1)),
    ):
        created = assignment_service.create_assignment(
            db,
            actor=teacher,
            section_id=section.id,
            data=AssignmentInput(
                title=title, client_ids=[make_client(db, teacher=teacher, name=name).id], due_at=due
            ),
        )
        assignment_service.set_published(
            db, actor=teacher, assignment_id=created.id, published=True, confirm_unchecked=True
        )

    cards = student_access_service.list_available_clients(db, actor=student)

    assert [card.assignment_title for card in cards] == ["Due tomorrow", "Practise any time"]


def test_a_section_whose_code_expired_can_be_renamed_and_its_code_stays_expired(db):
    """Sign-ups closed by an expiry that has passed: the settings form sends that date back
    with a new name, and the save had been refused ("Choose a date in the future"), leaving
    only ways that reopen the code to anyone holding it. (An attack, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher, name="Skills 101")
    expired = utcnow() - timedelta(days=2)
    db.execute(update(Section).where(Section.id == section.id).values(join_code_expires_at=expired))
    db.expire_all()
    stored = section_service.list_sections(db, actor=teacher)[0]
    assert stored.join_code_expired

    saved = section_service.update_section(
        db,
        actor=teacher,
        section_id=section.id,
        name="Skills 101 (spring)",
        seat_limit=30,
        join_code_expires_at=stored.join_code_expires_at,
    )

    assert (saved.name, saved.seat_limit) == ("Skills 101 (spring)", 30)
    assert saved.join_code_expired and saved.join_code_expires_at == stored.join_code_expires_at
    with pytest.raises(ValidationError) as refused:  # another day in the past is still refused
        section_service.update_section(
            db,
            actor=teacher,
            section_id=section.id,
            name="Skills 101 (spring)",
            join_code_expires_at=expired - timedelta(days=1),
        )
    assert "Choose a date in the future" in refused.value.field_errors["join_code_expires_at"]


def test_a_published_assignment_keeps_a_client_students_can_meet(db):
    """Week 1 is published with Alex and Blake; Blake was archived since. The teacher took
    Alex out and saved: "Saved the clients", still published, and students had no one to
    practise with, which Publish itself refuses (an attack, 2026-12-07)."""
    teacher = make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    alex = make_client(db, teacher=teacher, name="Alex Rivera")
    blake = make_client(db, teacher=teacher, name="Blake Archived")
    week = make_assignment(db, teacher=teacher, section=section, clients=[alex, blake])
    client_service.set_archived(db, actor=teacher, client_id=blake.id, archived=True)
    with pytest.raises(ValidationError, match="Blake Archived") as refused:
        assignment_service.update_assignment(
            db,
            actor=teacher,
            assignment_id=week.id,
            data=AssignmentInput(title=week.title, client_ids=[blake.id]),
        )
    assert "archived" in refused.value.message and "unpublish" in refused.value.message
    kept = assignment_service.get_assignment(db, actor=teacher, assignment_id=week.id)
    assert kept.client_ids == sorted([alex.id, blake.id])
