"""The output guard, in a real browser (issue 19, item 1): a model that repeats a short hidden
fact ("She is secretly pregnant.") never gets a word of it onto the student's screen; the reply
is asked for again and the student reads the second one."""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import create_db_engine, unit_of_work, upgrade_database
from backend.models.enums import Role
from tests.e2e.helpers import MESSAGES, log_in, open_client, say
from tests.factories import enroll, make_assignment, make_client, make_section, make_user

pytestmark = pytest.mark.browser

SECRET = "She is secretly pregnant."


@pytest.fixture
def classroom(tmp_path, app_server):
    url = f"sqlite:///{Path(tmp_path) / 'app.db'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    with unit_of_work(engine) as db:
        teacher = make_user(db, role=Role.teacher, username="tina.teacher")
        student = make_user(db, username="sam.student")
        client = make_client(db, teacher=teacher, name="Nora Hale", hidden_information=SECRET)
        section = make_section(db, teacher=teacher)
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
    yield engine
    engine.dispose()


def test_a_short_secret_never_reaches_the_students_screen(
    page, app_server, classroom, fake_anthropic
):
    fake_anthropic.reply("Fine. She is secretly pregnant.")  # the model gives it away
    fake_anthropic.reply("I'd rather not get into that today.")  # asked again with a reminder
    log_in(page, app_server, "sam.student")
    open_client(page, "Nora Hale")
    say(page, "Is there anything else going on at home?")
    expect(page.locator(MESSAGES).last).to_contain_text("I'd rather not get into that today.")
    expect(page.get_by_text("pregnant")).to_have_count(0)
    assert fake_anthropic.request_count == 2
