"""The teacher's Rubrics page (copy, edit as a new version, validation) and choosing a rubric for
a section and an assignment on the Sections page."""

from __future__ import annotations

import pytest

from backend.classes import assignment_service, section_service
from backend.db import unit_of_work
from backend.models import PracticeSession
from backend.models.enums import SessionMode
from backend.practice import session_service
from backend.reviews import rubric_service
from backend.reviews.indicators import count_indicators
from backend.reviews.rubric_schema import RubricDefinition
from mvp.teacher.rubric_picker import DEFAULT_RUBRIC
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app, texts
from tests.factories import enroll, make_assignment, make_client, make_section, make_user


def _rubrics(app_db, teacher):
    with unit_of_work(app_db) as db:
        return rubric_service.list_rubrics(db, actor=teacher)


def _builtin(app_db, teacher, key: str):
    return next(r for r in _rubrics(app_db, teacher) if r.key == key and r.builtin)


def _field(rubric, *path) -> str:
    return "rubric_edit_" + "_".join(str(part) for part in (rubric.id, rubric.version, *path))


def test_empty_state_says_what_to_do_next(app, teacher):
    at = open_page(teacher_app(app), "Rubrics")
    assert_clean(at)
    assert "Rubrics" in texts(at, "title")
    assert "You have no rubrics of your own yet" in everything(at)
    assert "Make a copy" in everything(at)
    # A built-in rubric is shown read-only, anchors and code examples included.
    assert "Built-in rubrics cannot be edited" in everything(at)
    assert any(text.startswith("**5** ·") for text in texts(at))
    assert any(text.startswith("Example:") for text in texts(at, "caption"))
    assert not [button for button in at.button if button.key.startswith("save_rubric_")]


def test_copy_edit_threshold_and_anchor_saves_version_2(app, app_db, teacher):
    at = open_page(teacher_app(app), "Rubrics")
    builtin = _builtin(app_db, teacher, "miti")
    at.selectbox(key="rubric_id").set_value(builtin.id).run()
    at.button(key="copy_rubric").click().run()
    assert_clean(at)
    assert "Made your copy" in everything(at)
    copy = next(r for r in _rubrics(app_db, teacher) if r.name == f"{builtin.name} (copy)")
    assert at.selectbox(key="rubric_id").value == copy.id
    assert copy.version == 1

    at.number_input(key=_field(copy, "indicators", 0, "good")).set_value(3.0)
    at.text_input(key=_field(copy, "criteria", 0, "anchors", 5)).input("Masterful, every time.")
    at.button(key=f"save_rubric_{copy.id}").click().run()
    assert_clean(at)
    assert "Saved as version 2; reviews already made keep the version they used." in everything(at)
    assert "version 2" in at.selectbox(key="rubric_id").format_func(copy.id)

    with unit_of_work(app_db) as db:
        saved = rubric_service.get_rubric(db, actor=teacher, rubric_id=copy.id)
        first = rubric_service.latest_version(db, builtin.id)
    assert saved.version == 2
    assert saved.definition["indicators"][0]["good"] == 3.0
    assert saved.definition["criteria"][0]["anchors"]["5"] == "Masterful, every time."
    assert first.version == 1  # the built-in one is untouched


@pytest.mark.parametrize("builtin_key", ["miti", "micro_skills"])
def test_saving_an_edit_keeps_what_the_form_does_not_show(app, app_db, teacher, builtin_key):
    """The form had rebuilt the rubric from its fields and dropped each code's MI adherence and
    each threshold's source: one changed anchor, saved, and version 2 no longer counted a
    confrontation as MI-non-adherent (its counted score rose from 0 to 50), nor cited where its
    thresholds come from. (An attack, 2026-12-07.)"""
    builtin = _builtin(app_db, teacher, builtin_key)
    at = open_page(teacher_app(app), "Rubrics")
    at.selectbox(key="rubric_id").set_value(builtin.id).run()
    at.button(key="copy_rubric").click().run()
    copy = next(r for r in _rubrics(app_db, teacher) if not r.builtin)
    at.text_input(key=_field(copy, "criteria", 0, "anchors", 5)).input("Masterful, every time.")
    at.button(key=f"save_rubric_{copy.id}").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        saved = rubric_service.get_rubric(db, actor=teacher, rubric_id=copy.id)
    assert saved.version == 2

    before, after = copy.definition, saved.definition
    assert [code.get("adherence") for code in after["codes"]] == [
        code.get("adherence") for code in before["codes"]
    ]
    assert [indicator.get("source") for indicator in after["indicators"]] == [
        indicator.get("source") for indicator in before["indicators"]
    ]
    if builtin_key == "miti":
        v1, v2 = (
            count_indicators(["confront"], RubricDefinition.model_validate(definition))
            for definition in (before, after)
        )
        assert (
            (v2["mi_non_adherent"], v2["counted_score"])
            == (1, 0)
            == (
                v1["mi_non_adherent"],
                v1["counted_score"],
            )
        )


def test_invalid_edit_shows_the_message_next_to_the_field(app, app_db, teacher):
    at = open_page(teacher_app(app), "Rubrics")
    at.button(key="copy_rubric").click().run()
    copy = next(rubric for rubric in _rubrics(app_db, teacher) if not rubric.builtin)
    at.text_input(key=_field(copy, "criteria", 0, "anchors", 3)).input("   ")
    at.text_area(key=_field(copy, "criteria", 1, "meaning")).input("")
    fair = at.number_input(key=_field(copy, "indicators", 0, "fair")).value
    at.number_input(key=_field(copy, "indicators", 0, "good")).set_value(fair - 1)
    at.button(key=f"save_rubric_{copy.id}").click().run()
    assert_clean(at)
    assert "Not saved: fix the fields marked in red below." in everything(at)
    captions = texts(at, "caption")
    assert any("every anchor needs a description" in text for text in captions)
    assert any("This cannot be empty." in text for text in captions)
    assert any("'good' must be beyond 'fair'" in text for text in captions)
    with unit_of_work(app_db) as db:
        assert rubric_service.get_rubric(db, actor=teacher, rubric_id=copy.id).version == 1


def test_choosing_rubrics_for_a_section_and_an_assignment_is_stored(app, app_db, teacher):
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        assignment = make_assignment(
            db, teacher=teacher, section=section, clients=[client], title="Week 1"
        )
        own = rubric_service.copy_rubric(
            db,
            actor=teacher,
            rubric_id=rubric_service.list_rubrics(db, actor=teacher)[0].id,
            name="My rubric",
        )
    miti = _builtin(app_db, teacher, "miti")
    at = open_page(teacher_app(app), "Sections & assignments")
    assert_clean(at)
    section_box = at.selectbox(key=f"section_rubric_{section.id}")
    assert section_box.value == DEFAULT_RUBRIC
    # The default is shown by its name, not as an empty "Choose an option".
    assert section_box.index == 0 and section_box.options[0].startswith("Core counseling")
    assert "My rubric (yours)" in section_box.options
    section_box.set_value(miti.id).run()
    assert_clean(at)
    assert "Saved the section's rubric" in everything(at)

    assignment_box = at.selectbox(key=f"assignment_rubric_{assignment.id}")
    assert assignment_box.value == DEFAULT_RUBRIC and assignment_box.index == 0
    assert assignment_box.format_func(DEFAULT_RUBRIC) == "Section default"
    with unit_of_work(app_db) as db:
        session = session_service.create_session(db, actor=student, client_id=client.id)
        assert session.mode != SessionMode.teacher_test
        stored = db.get(PracticeSession, session.id)
        assert rubric_service.rubric_for_session(db, stored).rubric_id == miti.id

    assignment_box.set_value(own.id).run()
    assert_clean(at)
    assert "Saved the assignment's rubric" in everything(at)
    with unit_of_work(app_db) as db:
        read = assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment.id)
        assert read.rubric_id == own.id
        assert read.release_reviews.value == "immediately"  # unchanged
        assert (
            rubric_service.rubric_for_session(db, db.get(PracticeSession, session.id)).rubric_id
            == own.id
        )
        sections = section_service.list_sections(db, actor=teacher)
    assert sections[0].rubric_id == miti.id


def test_a_control_character_is_refused_next_to_its_field(app, app_db, teacher):
    at = open_page(teacher_app(app), "Rubrics")
    at.button(key="copy_rubric").click().run()
    copy = next(rubric for rubric in _rubrics(app_db, teacher) if not rubric.builtin)
    at.text_input(key=_field(copy, "codes", 0, "example")).input("Pasted\x00 text")
    at.button(key=f"save_rubric_{copy.id}").click().run()
    assert_clean(at)
    assert any("control character" in text for text in texts(at, "caption"))
    with unit_of_work(app_db) as db:
        assert rubric_service.get_rubric(db, actor=teacher, rubric_id=copy.id).version == 1


def test_review_setting_and_rubric_each_save_at_once_and_both_survive_a_reload(
    app, app_db, teacher
):
    """Issue 22, item 8: "Session reviews" saves when chosen (no Save button), and choosing a
    rubric afterwards does not write back the release mode the card was drawn with."""
    from streamlit.testing.v1 import AppTest

    from tests.apps.helpers import APP_PATH

    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        assignment = make_assignment(db, teacher=teacher, section=section, clients=[client])
    miti = _builtin(app_db, teacher, "miti")
    at = open_page(teacher_app(app), "Sections & assignments")
    at.selectbox(key=f"assignment_release_{assignment.id}").set_value("after_teacher_review").run()
    assert_clean(at)
    assert "Saved: students see reviews after you release them" in everything(at)
    at.selectbox(key=f"assignment_rubric_{assignment.id}").set_value(miti.id).run()
    assert_clean(at)

    with unit_of_work(app_db) as db:
        saved = assignment_service.get_assignment(db, actor=teacher, assignment_id=assignment.id)
    assert saved.release_reviews.value == "after_teacher_review"
    assert saved.rubric_id == miti.id

    fresh = open_page(
        teacher_app(AppTest.from_file(APP_PATH, default_timeout=30)), "Sections & assignments"
    )
    assert fresh.selectbox(key=f"assignment_release_{assignment.id}").value == (
        "after_teacher_review"
    )
    assert fresh.selectbox(key=f"assignment_rubric_{assignment.id}").value == miti.id


def _copied_then_saved_in_another_tab(app, app_db, teacher):
    """This tab shows the teacher's copy at version 1; another tab has saved version 2."""
    at = open_page(teacher_app(app), "Rubrics")
    at.button(key="copy_rubric").click().run()
    mine = next(r for r in _rubrics(app_db, teacher) if r.owner_id == teacher.id)
    with unit_of_work(app_db) as db:
        rubric_service.update_rubric(
            db,
            actor=teacher,
            rubric_id=mine.id,
            definition=dict(mine.definition, description="Rewritten in the other tab."),
        )
    return at, mine


def test_a_save_never_silently_undoes_what_another_tab_saved(app, app_db, teacher):
    """Another tab saved version 2 (a rewritten anchor); this tab, still showing version 1,
    renamed the rubric and read "Saved as version 3", which had put the old anchor back without
    a word. (An attack, 2026-12-07.)"""
    at, mine = _copied_then_saved_in_another_tab(app, app_db, teacher)

    at.text_input(key=_field(mine, "name")).input("Week 3 rubric")
    at.button(key=f"save_rubric_{mine.id}").click().run()

    shown = everything(at)
    assert "changed by someone else since you opened it" in shown, shown
    assert "Saved as version 3" not in shown
    with unit_of_work(app_db) as db:
        latest = rubric_service.get_rubric(db, actor=teacher, rubric_id=mine.id)
    assert (latest.version, latest.definition["description"]) == (2, "Rewritten in the other tab.")
    # The page now shows version 2: saving from it works.
    at.text_input(key=_field(latest, "name")).input("Week 3 rubric")
    at.button(key=f"save_rubric_{mine.id}").click().run()
    assert "Saved as version 3" in everything(at)


def test_a_stale_form_with_a_field_to_fix_says_the_rubric_changed(app, app_db, teacher):
    """The same, with a field left empty: the page had said "fix the fields marked in red" and
    shown the other tab's version, the rename gone and nothing said. (An attack, 2026-12-07.)"""
    at, mine = _copied_then_saved_in_another_tab(app, app_db, teacher)

    at.text_input(key=_field(mine, "name")).input("Week 3 rubric")
    at.text_input(key=_field(mine, "criteria", 0, "name")).input("")
    at.button(key=f"save_rubric_{mine.id}").click().run()

    shown = everything(at)
    assert "changed by someone else since you opened it" in shown, shown
    assert "fix the fields marked in red" not in shown and "This cannot be empty" not in shown
