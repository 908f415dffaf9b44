"""Sections and assignments: join codes, rosters, and what a student may see."""

import pytest

from backend.errors import ConflictError, PermissionDeniedError, ValidationError
from backend.models.enums import Role
from backend.schemas.sections import AssignmentInput
from backend.services import assignment_service, client_service, section_service
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
    mine, theirs = make_section(db, teacher=teacher, name="Mine"), make_section(db, teacher=teacher,
                                                                                name="Theirs")
    enroll(db, section=mine, student=student)
    published = make_client(db, teacher=teacher, name="Published Pat")
    draft = make_client(db, teacher=teacher, name="Draft Dee")
    elsewhere = make_client(db, teacher=teacher, name="Elsewhere Ed")
    make_assignment(db, teacher=teacher, section=mine, clients=[published])
    make_assignment(db, teacher=teacher, section=mine, clients=[draft], published=False)
    make_assignment(db, teacher=teacher, section=theirs, clients=[elsewhere])
    available = assignment_service.list_available_clients(db, actor=student)
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
    assert len(assignment_service.list_available_clients(db, actor=student)) == 1
    assignment_service.set_published(db, actor=teacher, assignment_id=assignment.id, published=False)
    assert assignment_service.list_available_clients(db, actor=student) == []
    empty = assignment_service.create_assignment(
        db, actor=teacher, section_id=section.id, data=AssignmentInput(title="Empty"))
    with pytest.raises(ValidationError, match="Attach at least one client"):
        assignment_service.set_published(db, actor=teacher, assignment_id=empty.id, published=True)


def test_teacher_cannot_attach_another_teachers_client(db):
    teacher, other = make_user(db, role=Role.teacher), make_user(db, role=Role.teacher)
    section = make_section(db, teacher=teacher)
    foreign = make_client(db, teacher=other)
    with pytest.raises(PermissionDeniedError):
        assignment_service.create_assignment(
            db, actor=teacher, section_id=section.id,
            data=AssignmentInput(title="Sneaky", client_ids=[foreign.id]))


def test_archived_client_disappears_for_students(db):
    teacher = make_user(db, role=Role.teacher)
    student = make_user(db)
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=student)
    client = make_client(db, teacher=teacher)
    make_assignment(db, teacher=teacher, section=section, clients=[client])
    client_service.set_archived(db, actor=teacher, client_id=client.id, archived=True)
    assert assignment_service.list_available_clients(db, actor=student) == []
