"""A new teacher's first day on the teacher app (an attack, 2026-12-07): what they typed into a
refused form survives a look at another page, and a refused review names what to fix as the
form names it."""

from __future__ import annotations

from datetime import date, timedelta

from backend.db import unit_of_work
from tests.apps.helpers import everything, open_page, teacher_app, texts
from tests.apps.test_reviews_app import _waiting_review
from tests.factories import make_client, make_section


def test_a_refused_new_client_keeps_what_was_typed_after_a_look_at_help(app, teacher):
    """A first-day teacher fills in the new-client form (name, presenting concern, one trait) and
    presses Save client: refused, "Choose between 2 and 5 personality traits." They open Help to
    read what traits are for and come back to Clients. The form is now empty (name and concern
    gone, after the save had already sent them to the server), yet the refusal still stands under
    the traits and next to Save ("Please correct the highlighted fields."): everything they wrote
    is lost, with a warning about text that is no longer there."""
    at = teacher_app(app)
    at.text_input(key="client_name").input("Jordan Blake")
    at.text_area(key="client_presenting_concern").input("Trouble sleeping since the layoff.")
    at.multiselect(key="client_personality_traits").select("guarded")
    at.button(key="save_client").click().run()
    assert "Choose between 2 and 5 personality traits." in everything(at)

    at = open_page(open_page(at, "Help"), "Clients")
    shown = (
        at.text_input(key="client_name").value,
        at.text_area(key="client_presenting_concern").value,
        at.multiselect(key="client_personality_traits").value,
    )
    assert shown == ("Jordan Blake", "Trouble sleeping since the layoff.", ["guarded"]), (
        f"after a look at Help the refused form shows {shown!r}; still on the page: "
        f"{[t for t in texts(at, 'warning') + texts(at, 'caption') if 'correct' in t or 'traits' in t]}"
    )


def test_a_refused_new_assignment_keeps_what_was_typed_after_a_look_at_another_page(
    app, app_db, teacher
):
    """The teacher writes a new assignment (title, instructions, a client, a due date that turns
    out to be yesterday) and presses Create assignment: refused under the due date, "nothing
    typed lost". They look at Help and come back: the title, the instructions and the chosen
    client are gone, while "Choose a due date in the future" still stands under an empty date."""
    with unit_of_work(app_db) as db:
        alex = make_client(db, teacher=teacher, name="Alex Rivera")
        make_section(db, teacher=teacher, name="Skills 101")
    at = open_page(teacher_app(app), "Sections & assignments")
    at.text_input(key="assignment_title").input("Week 1: open questions")
    at.text_area(key="assignment_instructions").input("Ask at least five open questions.")
    at.multiselect(key="assignment_clients").select(alex.id)
    at.date_input(key="assignment_due").set_value(date.today() - timedelta(days=1))
    at.button(key="create_assignment").click().run()
    assert "Choose a due date in the future (today counts), or leave it empty." in everything(at)

    at = open_page(open_page(at, "Help"), "Sections & assignments")
    shown = (
        at.text_input(key="assignment_title").value,
        at.text_area(key="assignment_instructions").value,
        at.multiselect(key="assignment_clients").value,
    )
    assert shown == ("Week 1: open questions", "Ask at least five open questions.", [alex.id]), (
        f"after a look at Help the refused assignment form shows {shown!r}"
    )


SHORT = (
    ("What brings you in today?", "Work has been rough."),
    ("How so?", "Long hours."),
    ("You should quit.", "Hm."),
)  # too short for automatic ratings: the teacher rates it


def test_a_refused_review_names_the_criteria_as_the_form_does(app, app_db, teacher):
    """A short session's review has no automatic ratings ("rate every criterion with a reason").
    The teacher rates Open questions 4 and presses Save. The refusal reads "This review cannot be
    saved: scores (open_questions): the reasoning is empty. scores: criterion
    'avoiding_premature_advice' has no score. ..." - criterion keys the teacher never sees
    anywhere (the form labels them "Open questions", "Avoiding premature advice"; the rubric
    editor hides keys), in the model's checker language."""
    session_id, _student = _waiting_review(app_db, teacher, lines=SHORT)
    at = open_page(teacher_app(app), "Reviews")
    at.number_input(key=f"score_{session_id}_open_questions").set_value(4)
    at.button(key="save_review").click().run()
    refusal = next((line for line in everything(at).splitlines() if "cannot be saved" in line), "")
    assert refusal, "the save was not refused"
    keys = [k for k in ("open_questions", "avoiding_premature_advice", "pacing") if k in refusal]
    assert not keys and "Avoiding premature advice" in refusal and "reason" in refusal, (
        f"the refusal names criteria by keys {keys} the page never shows: {refusal[:300]}"
    )
