"""The Class progress page's pickers tell apart what shares a name, and agreement figures never
round a disagreement away. (An attack, 2026-12-07.)"""

from __future__ import annotations

from backend.db import unit_of_work
from backend.models.enums import Role
from tests.apps.helpers import assert_clean, log_in, open_page
from tests.factories import make_assignment, make_client, make_section, make_user


def test_two_assignments_of_one_title_can_be_told_apart_on_class_progress(app, app_db):
    """A teacher gives the section two assignments titled "Intake interview" (one per client;
    the gradebook's columns already tell them apart: "Intake interview #3"). Class progress's
    Assignment picker lists "Intake interview" twice: the teacher cannot tell which one's
    distribution, below-fair list and sessions CSV they are reading."""
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username="tina.teacher")
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        dana = make_client(db, teacher=teacher, name="Dana Lee")
        section = make_section(db, teacher=teacher, name="Skills 101")
        for client in (alex, dana):
            make_assignment(
                db, teacher=teacher, section=section, clients=[client], title="Intake interview"
            )
    at = open_page(log_in(app.run(), "tina.teacher"), "Class progress")
    assert_clean(at)
    options = at.selectbox(key=f"progress_assignment_{section.id}").options
    assert len(set(options)) == len(options), f"the Assignment picker offers {options}"


def test_an_admin_can_tell_two_teachers_sections_of_one_name_apart(app, app_db):
    """Two teachers each call their section "Fall 2026". The admin's Class progress picker lists
    "Fall 2026" twice: whichever they pick, they cannot tell whose class's figures they read."""
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        for name in ("tina.teacher", "theo.teacher"):
            teacher = make_user(db, role=Role.teacher, username=name)
            make_section(db, teacher=teacher, name="Fall 2026")
    at = open_page(log_in(app.run(), "ada.admin"), "Class progress")
    assert_clean(at)
    options = at.selectbox(key="progress_section").options
    assert len(set(options)) == len(options), f"the Section picker offers {options}"


def test_agreement_kappa_does_not_round_one_disagreement_into_perfect_agreement(app, app_db):
    """Sixty reviews the teacher saved a version of: the model's empathy score matches theirs
    in 59, one is a point off (98% exact). The Agreement tab's kappa reads "1.00", perfect
    agreement, for 0.9959; the page's own shares never round into all or nothing ('>99%')."""
    from tests.apps.test_admin_app import table
    from tests.factories import make_classroom
    from tests.integration.test_review_queue import _scored_pairs

    pairs = [(score, score) for score in range(1, 6) for _ in range(12)]
    pairs[30] = (3, 4)
    with unit_of_work(app_db) as db:
        room = make_classroom(db)
        _scored_pairs(db, room, pairs)
    at = open_page(log_in(app.run(), room.teacher.username), "Reviews")
    assert_clean(at)
    rows = table(at, "Kappa (quadratic)")
    empathy = rows[rows["Criterion"] == "Empathy"].iloc[0]
    assert (empathy["Pairs"], empathy["Exact agreement"]) == (60, "98%")
    assert empathy["Kappa (quadratic)"] != "1.00", "one disagreement in 60 reads as perfect"
