"""What teachers grade and report from names each assignment and student as the page does, one name
per thing whatever is picked, and reaches Canvas whole (an attack, 2026-12-07)."""

from __future__ import annotations

import csv
import io

from backend.models.enums import Role
from backend.practice import history_service
from backend.reviews import gradebook_service, progress_service
from backend.reviews.gradebook_service import GradeRule, LmsFormat
from tests.factories import (
    add_message,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
    start_session,
)
from tests.integration.test_class_figures_hold_up import _reviewed


def two_of_one_title(db, title: str = "Role play"):
    """A section with two assignments of one title (one per client) and a graded session of
    Ann's under each (rated 2 and 5)."""
    teacher = make_user(db, role=Role.teacher)
    alex = make_client(db, teacher=teacher, name="Alex Rivera")
    dana = make_client(db, teacher=teacher, name="Dana Lee")
    section = make_section(db, teacher=teacher, name="Skills 101")
    ann = make_user(db, display_name="Ann")
    enroll(db, section=section, student=ann)
    first = make_assignment(db, teacher=teacher, section=section, clients=[alex], title=title)
    second = make_assignment(db, teacher=teacher, section=section, clients=[dana], title=title)
    _reviewed(db, ann, alex, first, reflections=4, questions=3, score=2)
    _reviewed(db, ann, dana, second, reflections=4, questions=3, score=5)
    return teacher, section, first, second


def _canvas_header(db, teacher, section, assignment_id=None) -> list[str]:
    book = gradebook_service.section_grades(
        db, actor=teacher, section_id=section.id, rule=GradeRule.latest, assignment_id=assignment_id
    )
    text = gradebook_service.grades_csv(book, lms=LmsFormat.canvas)
    return next(csv.reader(io.StringIO(text)))


def test_one_assignments_grades_file_heads_its_column_as_the_whole_sections_file_does(db):
    """Canvas matches a header to its assignment by title. The section has two "Role play"
    assignments; the file of all assignments heads them "Role play #1" and "Role play #2" (as the
    page's picker names them), but the file of the second one alone (the picker's "Role play #2")
    heads its column plain "Role play". A teacher who imported the first one alone ("Role play",
    its grades 40) and then the second one alone sends the second's grades (100) onto the same
    Canvas column "Role play": the first assignment's grades are overwritten by the second's. (An attack, 2026-12-07.)"""
    teacher, section, first, second = two_of_one_title(db)
    everything = _canvas_header(db, teacher, section)
    (choice,) = progress_service.class_choices(db, actor=teacher)
    picked = choice.assignments[second.id]
    alone = _canvas_header(db, teacher, section, assignment_id=second.id)[-1]
    first_alone = _canvas_header(db, teacher, section, assignment_id=first.id)[-1]
    assert picked in everything  # the whole file and the picker agree
    assert alone == picked and first_alone != alone, (
        f"the picker's {picked!r} is headed {alone!r} alone (the first assignment alone: "
        f"{first_alone!r}); in the whole section's file: {everything[6:]}"
    )


def test_one_assignments_sessions_csv_names_it_as_the_picker_does(db):
    """The sessions CSV of the picker's "Role play #2" alone names its assignment "Role play":
    the same words as the other assignment's rows in another download. (An attack, 2026-12-07.)"""
    teacher, section, first, second = two_of_one_title(db)
    (choice,) = progress_service.class_choices(db, actor=teacher)
    progress = progress_service.class_progress(
        db, actor=teacher, section_id=section.id, assignment_id=second.id
    )
    rows = list(csv.DictReader(io.StringIO(progress_service.gradebook_csv(progress))))
    assert [row["assignment"] for row in rows] == [choice.assignments[second.id]]


def _two_sam_lees(db):
    """Two students an admin created with one name (sign-up refuses it; admin-created accounts
    and older ones do not), in one section, each with a graded session (one low, one high)."""
    teacher = make_user(db, role=Role.teacher)
    alex = make_client(db, teacher=teacher, name="Alex Rivera")
    section = make_section(db, teacher=teacher, name="Skills 101")
    week = make_assignment(db, teacher=teacher, section=section, clients=[alex], title="Week 1")
    sams = [make_user(db, display_name="Sam Lee") for _ in range(2)]
    for sam in sams:
        enroll(db, section=section, student=sam)
    _reviewed(db, sams[0], alex, week, reflections=0, questions=0, score=1)
    _reviewed(db, sams[1], alex, week, reflections=4, questions=3, score=5)
    return teacher, section, sams


def test_two_students_of_one_name_are_told_apart_in_the_below_fair_list(db):
    """Class progress lists who is below fair by display name only: with two "Sam Lee"s the
    teacher reads "Sam Lee ... below fair" and cannot tell which of the two needs help (the page
    tells apart two sections or assignments of one name, not two students). (An attack, 2026-12-07.)"""
    teacher, section, _sams = _two_sam_lees(db)
    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)
    below = {item.student_id: item.student for item in progress.below_fair}
    assert len(below) == 1  # one of the two is below fair
    (shown,) = below.values()
    assert shown != "Sam Lee", "the below-fair list names the student only 'Sam Lee' (two have it)"


def test_the_history_filters_tell_apart_two_students_or_sections_of_one_name(db):
    """History & metrics filters by Student and Section from `filter_options`: names only. Two
    students who show one name (sign-up allows it) or two sections of one name (a course run
    each term) are two identical entries in the picker, and the conversations table shows the
    name alone, so the teacher cannot tell which "Sam Lee" they are reading (the progress page's
    section picker already tells sections apart, `told_apart`). (An attack, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    spring = make_section(db, teacher=teacher, name="Counseling 101")
    autumn = make_section(db, teacher=teacher, name="Counseling 101")
    first = make_user(db, username="sam.lee", display_name="Sam Lee")
    second = make_user(db, username="sam.lee.2", display_name="Sam Lee")
    for section, student in ((spring, first), (autumn, second)):
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
        session = start_session(db, user=student, client=client)
        add_message(db, actor=student, session_id=session.id, content="Hello, I'm listening.")

    options = history_service.filter_options(db, actor=teacher)

    people = [label for _id, label in options.people]
    sections = [label for _id, label in options.sections]
    assert len(set(people)) == 2, f"the Student filter offers {people}"
    assert len(set(sections)) == 2, f"the Section filter offers {sections}"


def test_canvas_cannot_match_two_students_of_one_name_to_one_canvas_student(db):
    """Canvas's importer finds a student by ID (empty here), SIS User ID (empty), SIS Login ID
    (the username here: unknown to Canvas unless its login is the same), then by the name in
    "Student", taking the first Canvas student of that name. Two rows "Sam Lee" therefore both
    land on one Canvas Sam Lee: one student gets the other's grade (20 or 100) and the other none.
    A name that reaches Canvas told apart would be left unmatched for the teacher to map. (An attack, 2026-12-07.)"""
    teacher, section, _sams = _two_sam_lees(db)
    book = gradebook_service.section_grades(db, actor=teacher, section_id=section.id)
    text = gradebook_service.grades_csv(book, lms=LmsFormat.canvas)
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["Student"] != "Points Possible"]
    names = [row["Student"] for row in rows]
    assert len(set(names)) == len(names), f"Canvas reads two rows by the name {names}"


def test_canvas_keeps_the_column_of_an_assignment_titled_final_score(db):
    """Canvas's importer drops trailing header columns that read like its own totals
    (`while row.last =~ /Current Score|Current Points|Final Score|Final Points|Final Grade/`,
    GradebookImporter#strip_non_assignment_columns). The section's last assignment is "Final
    Score role-play" (Canvas's pattern is case-sensitive; "Final Grade practice" meets it too):
    it is the file's last
    column, so Canvas throws its header away and imports none of its grades, without a word. (An attack, 2026-12-07.)"""
    import re

    teacher = make_user(db, role=Role.teacher)
    alex = make_client(db, teacher=teacher, name="Alex Rivera")
    section = make_section(db, teacher=teacher, name="Skills 101")
    ann = make_user(db, display_name="Ann")
    enroll(db, section=section, student=ann)
    final = make_assignment(
        db, teacher=teacher, section=section, clients=[alex], title="Final Score role-play"
    )
    _reviewed(db, ann, alex, final, reflections=4, questions=3, score=4)
    header = _canvas_header(db, teacher, section)
    canvas_totals = re.compile(r"Current Score|Current Points|Final Score|Final Points|Final Grade")
    kept = list(header[6:])  # after Student, ID, SIS User ID, SIS Login ID, Section, Notes
    while kept and canvas_totals.search(kept[-1]):
        kept.pop()
    assert kept, f"Canvas strips every assignment column of {header}"
