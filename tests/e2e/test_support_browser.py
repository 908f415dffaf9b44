"""Report a problem in a real browser: a student sends one from the sidebar of a page, and the
admin reads it, with that page, in the error log."""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import create_db_engine, unit_of_work
from backend.models.enums import Role
from tests.e2e.helpers import click, go_to, keyed, log_in, wait_until_idle
from tests.factories import make_user

pytestmark = pytest.mark.browser

REPORT = "The **client** froze after my third message <b>twice</b>"


def test_a_student_reports_a_problem_and_the_admin_reads_it(
    open_page, leave, app_server, tmp_path: Path
):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with unit_of_work(engine) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        make_user(db, role=Role.student, username="sam.student")
    engine.dispose()

    student = open_page()
    log_in(student, app_server, "sam.student")
    go_to(student, "My sessions")
    keyed(student, "report_problem").get_by_text("Report a problem").click()
    # The page idle before typing and before Send: under load a Send pressed while the page's
    # run was still going left the report unsent (CI on 2026-12-07: no answer in 90 s).
    wait_until_idle(student)
    keyed(student, "problem_text").locator("textarea").fill(REPORT)
    wait_until_idle(student)
    click(student, "problem_submit")
    expect(student.get_by_text("your report reached the admins")).to_be_visible()
    expect(keyed(student, "problem_text").locator("textarea")).to_have_value("")
    leave(student)

    admin = open_page()
    log_in(admin, app_server, "ada.admin", lands_on="Figures")
    go_to(admin, "Error log")
    admin.get_by_role("tab", name="Problem reports").click()
    wait_until_idle(admin)
    entry = admin.locator('[data-testid="stExpander"]').filter(has_text="sam.student")
    expect(entry).to_contain_text("My sessions (/my-sessions)")
    entry.get_by_text("sam.student").click()
    expect(entry.locator('[data-testid="stText"]')).to_have_text(REPORT)  # as typed, no markup
    expect(entry.locator("b")).to_have_count(0)
