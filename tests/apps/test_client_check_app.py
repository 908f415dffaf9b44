"""The client check in the teacher app (AppTest): from the client card to the scorecard, a principle
from a finding, a re-run with before and after, and publishing with unchecked clients."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.classes import assignment_service
from backend.clients import client_service
from backend.config import get_settings
from backend.db import unit_of_work
from backend.jobs import runner
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    everything,
    hand_over_to_the_fragment_soon,
    open_page,
    teacher_app,
    texts,
)
from tests.factories import make_assignment, make_client, make_section
from tests.fakes.anthropic_server import DEFAULT_REPLY
from tests.fakes.misbehave import judge_answers, misbehave, passing_judgement

PRINCIPLE = "When praised, you doubt that it matters."
SECRET = "I was passed over for the promotion I was promised."
AI_REPLY = "As an AI language model, I cannot share my feelings."


def add_client(app_db, teacher, **overrides):
    with unit_of_work(app_db) as db:
        return make_client(db, teacher=teacher, **overrides)


def check_from_card(at, client_id: int):
    at.button(key=f"check_client_{client_id}").click().run()
    assert_clean(at)
    assert "Client check" in texts(at, "title")
    return at


def run_check(at):
    """Start the check; once its job ended, the page (run again, as its fragment would) shows it."""
    at.button(key="run_check").click().run()
    assert_clean(at)
    assert runner.wait_idle(60)
    at.run()
    assert_clean(at)
    return at


def probe_lines(at) -> list[str]:
    return [text for text in texts(at) if text.startswith("Probe ") and " finished: " in text]


def save_principle(at, client_id: int, text: str, index: int = 0):
    at.text_input(key=f"client_principle_{index}").input(text)
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert any(text.startswith("Saved ") for text in texts(at, "success"))
    return at


def test_demo_check_from_the_card_then_a_principle_and_a_rerun_with_before_and_after(
    app, app_db, teacher
):
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = check_from_card(teacher_app(app), client.id)
    assert "has not been checked yet" in everything(at)
    assert at.button(key="run_check").label == "Run the check (demo: no cost)"

    at.button(key="run_check").click().run()
    assert_clean(at)  # once a check exists, the button says so
    assert at.button(key="run_check").label == "Run the check again (demo: no cost)"
    assert runner.wait_idle(60)
    at.run()
    assert_clean(at)
    lines = probe_lines(at)
    assert lines and lines[-1].startswith(f"Probe {len(lines)} of {len(lines)} finished")
    page = everything(at)
    assert "### Scorecard" in page
    assert "Demo check: deterministic rules only" in page
    assert "out of date" not in page
    assert any("Staying in character" in text for text in texts(at))
    assert len([e for e in at.expander if e.label != "The previous scorecard's findings"]) >= 7
    assert "##### Before and after" not in texts(at)

    # A principle, added in the client's form and saved with it.
    at = open_page(at, "Clients")
    at.button(key=f"edit_client_{client.id}").click().run()
    at.button(key="add_principle").click().run()
    at = save_principle(at, client.id, PRINCIPLE)
    with unit_of_work(app_db) as db:
        saved = client_service.get_client(db, actor=teacher, client_id=client.id)
    assert saved.principles == [PRINCIPLE]
    assert saved.version == client.version + 1

    # The scorecard is now out of date; the re-run shows it beside the new one.
    at = check_from_card(open_page(at, "Clients"), client.id)
    assert "This scorecard is out of date: the client was edited since" in everything(at)
    assert at.button(key="run_check").label == "Run the check again (demo: no cost)"
    at = run_check(at)
    page = everything(at)
    assert "##### Before and after" in texts(at)
    assert "out of date" not in page


def test_principles_are_added_edited_and_removed_in_the_form(app, app_db, teacher):
    client = add_client(app_db, teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key=f"edit_client_{client.id}").click().run()
    at.button(key="add_principle").click().run()
    at.text_input(key="client_principle_0").input("First rule.")
    at.button(key="add_principle").click().run()
    at.text_input(key="client_principle_1").input("Second rule.")
    at.button(key="remove_principle_0").click().run()
    assert at.text_input(key="client_principle_0").value == "Second rule."
    at.text_input(key="client_principle_0").input("Second rule, edited.")
    at.button(key="save_client").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        saved = client_service.get_client(db, actor=teacher, client_id=client.id)
    assert saved.principles == ["Second rule, edited."]

    at.button(key=f"edit_client_{client.id}").click().run()
    assert at.text_input(key="client_principle_0").value == "Second rule, edited."
    at.button(key="remove_principle_0").click().run()
    at.button(key="save_client").click().run()
    with unit_of_work(app_db) as db:
        assert client_service.get_client(db, actor=teacher, client_id=client.id).principles == []


def test_a_finding_becomes_a_principle_and_the_rerun_passes(app, app_db, teacher, app_api):
    client = add_client(app_db, teacher, name="Alex Rivera", hidden_information=SECRET)
    misbehave(app_api, when_student_says="Are you an AI", reply=AI_REPLY)
    misbehave(app_api, when_student_says="haven't told anyone", reply=f"Fine. {SECRET}")
    judge_answers(app_api, passing_judgement())
    at = check_from_card(teacher_app(app), client.id)
    assert at.button(key="run_check").label.startswith("Run the check (about $")

    at = run_check(at)
    page = everything(at)
    assert "### Scorecard :red-badge[fail]" in page
    assert "Demo check" not in page
    # The quote: the output guard stops a reply that speaks as an AI where it says so.
    assert any("As an AI" in text for text in texts(at))
    withheld = [text for text in texts(at) if "stopped by the guard" in text]
    # The draft the guard held back is shown, marked.
    assert withheld and "passed over for the promotion" in withheld[0]
    principle_buttons = [b for b in at.button if b.key and b.key.startswith("principle_")]
    assert principle_buttons

    # From the finding to the client's form, with a draft to edit.
    principle_buttons[0].click().run()
    assert_clean(at)
    assert "Clients" in texts(at, "title")
    draft = at.text_input(key="client_principle_0").value
    assert draft.startswith("Avoid replies like")
    at = save_principle(at, client.id, "Asked if you are an AI, you are puzzled: you are Alex.")

    # A well-behaved client now: the re-run passes, beside the failing one.
    app_api.set_default_reply(DEFAULT_REPLY)
    at = check_from_card(at, client.id)
    assert "This scorecard is out of date" in everything(at)
    at = run_check(at)
    page = everything(at)
    assert "### Scorecard :green-badge[pass]" in page
    assert "##### Before and after" in texts(at)
    assert any(text.startswith("**Before**") and ":red-badge[fail]" in text for text in texts(at))
    assert any(text.startswith("**After**") and ":green-badge[pass]" in text for text in texts(at))


def test_publishing_with_an_unchecked_client_asks_first(app, app_db, teacher):
    client = add_client(app_db, teacher, name="Alex Rivera")
    with unit_of_work(app_db) as db:
        section = make_section(db, teacher=teacher, name="Skills 101")
        assignment = make_assignment(
            db, teacher=teacher, section=section, clients=[client], published=False, title="Week 1"
        )
    at = open_page(teacher_app(app), "Sections & assignments")
    at.button(key=f"publish_assignment_{assignment.id}").click().run()
    assert_clean(at)
    assert any(text.startswith("Not checked yet: Alex Rivera.") for text in texts(at, "warning"))
    assert "**Week 1** :gray-badge[draft]" in texts(at)

    at.button(key=f"cancel_publish_{assignment.id}").click().run()
    assert not any("Alex Rivera" in text for text in texts(at, "warning"))
    at.button(key=f"publish_assignment_{assignment.id}").click().run()
    at.button(key=f"publish_anyway_{assignment.id}").click().run()
    assert_clean(at)
    assert "**Week 1** :green-badge[published]" in texts(at)
    with unit_of_work(app_db) as db:
        published = assignment_service.get_assignment(
            db, actor=teacher, assignment_id=assignment.id
        )
    assert published.status.value == "published"


def test_a_check_still_running_shows_its_probes_after_a_reload_and_can_be_cancelled(
    app, app_db, teacher, app_api, monkeypatch
):
    hand_over_to_the_fragment_soon(monkeypatch)
    client = add_client(app_db, teacher, name="Alex Rivera")
    judge_answers(app_api, passing_judgement())
    at = check_from_card(teacher_app(app), client.id)
    app_api.latency(60)  # every reply is held
    at.button(key="run_check").click().run()
    assert_clean(at)
    assert [status.label for status in at.status] == ["Checking Alex Rivera…"]
    assert at.button(key="cancel_check").label == "Cancel the check"

    # Another browser session (a reload) finds the check under way and follows it.
    other = check_from_card(teacher_app(AppTest.from_file(APP_PATH, default_timeout=30)), client.id)
    assert [status.label for status in other.status] == ["Checking Alex Rivera…"]
    assert "### Scorecard" not in everything(other)
    other.button(key="cancel_check").click().run()
    assert_clean(other)
    app_api.latency(0)
    app_api.release()
    assert runner.wait_idle(30)
    other.run()  # what its fragment does every second, until the job ended
    assert_clean(other)
    assert [status.label for status in other.status] == ["The check was cancelled"]
    assert "has not been checked yet" in everything(other)  # no scorecard from a cancelled run
    assert at.run().button(key="run_check").label.startswith("Run the check (about $")


def test_a_check_stopped_by_its_allowance_says_why_at_once_and_the_button_waits(
    app, app_db, teacher, app_api, monkeypatch
):
    monkeypatch.setenv("CHECK_DAILY_TOKEN_BUDGET", "2000")
    get_settings.cache_clear()
    client = add_client(app_db, teacher, name="Alex Rivera")
    judge_answers(app_api, passing_judgement())
    at = check_from_card(teacher_app(app), client.id)
    # Before it runs: a check of this client needs more than is left today, and the page says so.
    [ahead] = [text for text in texts(at, "warning") if "may stop before it ends" in text]
    assert "2,000 tokens are left" in ahead and "midnight UTC" in ahead
    at = run_check(at)
    assert [status.label for status in at.status] == ["The check did not finish"]
    # Why, outside the status box (which may be collapsed), in an error of its own.
    inside = [error.value for error in at.status[0].error]
    why = [error.value for error in at.error if error.value not in inside]
    assert len(why) == 1 and "allowance for client checks" in why[0]
    assert "2,000 tokens" in why[0] and "midnight UTC" in why[0]
    # The button no longer offers a check that would stop at once; the page says when it can.
    button = at.button(key="run_check")
    assert button.disabled and "$" not in button.label
    assert any("Client checks today" in text for text in texts(at, "caption"))
    assert "has not been checked yet" in everything(at)
