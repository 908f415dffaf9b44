"""A new teacher's first day on the teacher app (an attack, 2026-12-07): what they typed into a
refused form survives a look at another page, and a refused review names what to fix as the
form names it."""

from __future__ import annotations

from datetime import date, timedelta

from backend.clients import client_service
from backend.db import unit_of_work
from tests.apps.helpers import assert_clean, everything, open_page, teacher_app, texts
from tests.apps.test_client_check_app import add_client, check_from_card, run_check
from tests.apps.test_reviews_app import _waiting_review
from tests.factories import make_client, make_section
from tests.fakes.misbehave import judge_answers, misbehave, passing_judgement


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


AI_REPLY = "As an AI language model, I cannot share my feelings."


def test_a_refused_edit_is_not_replaced_by_a_principle_drafted_from_the_check(
    app, app_db, teacher, app_api
):
    """The teacher edits Alex: the occupation becomes "Head barista" and one trait is taken
    away, and Save is refused ("Choose between 2 and 5 personality traits."). The form now keeps
    that typing across a look at another page. The teacher runs Alex's client check and presses
    "Make this a principle" on a finding: back on Clients the form is Alex's stored version plus
    the principle - "Head barista" is gone, with no word. Edit and Copy on a card never replace an
    open form ("press Save or Cancel first"); the check's way into the form does, silently."""
    alex = add_client(app_db, teacher, name="Alex Rivera", occupation="Barista")
    misbehave(app_api, when_student_says="Are you an AI", reply=AI_REPLY)
    judge_answers(app_api, passing_judgement())
    at = teacher_app(app)
    at.button(key=f"edit_client_{alex.id}").click().run()
    at.text_input(key="client_occupation").input("Head barista")
    traits = at.multiselect(key="client_personality_traits").value
    at.multiselect(key="client_personality_traits").set_value(traits[:1])
    at.button(key="save_client").click().run()
    assert "Choose between 2 and 5 personality traits." in everything(at)

    at = run_check(check_from_card(at, alex.id))
    buttons = [b for b in at.button if b.key and b.key.startswith("principle_")]
    assert buttons, "the check found nothing to make a principle of"
    buttons[0].click().run()
    assert_clean(at)
    assert "Clients" in texts(at, "title")
    occupation = at.text_input(key="client_occupation").value
    assert occupation == "Head barista" or "not saved" in everything(at), (
        f"the refused typing (occupation 'Head barista') was replaced silently by the stored "
        f"client: the form shows {occupation!r}; the page says: {everything(at)[:300]}"
    )


def test_an_untouched_edit_form_shows_the_client_as_saved_since_after_another_page(
    app, app_db, teacher
):
    """The teacher opens Edit on Alex and types nothing. They look at Help; meanwhile (another tab)
    Alex's occupation is saved as "Head barista" (version 2). Back on Clients, the card below says
    "Version 2" while the untouched form still shows "Barista" - the values it was filled with,
    kept now at every run though nothing was typed or refused (before, a form whose widgets were
    forgotten was filled again from the stored client). A Save of anything then warns of a
    change by someone else, and Save again puts "Barista" back over the teacher's own edit."""
    alex = add_client(app_db, teacher, name="Alex Rivera", occupation="Barista")
    at = teacher_app(app)
    at.button(key=f"edit_client_{alex.id}").click().run()
    assert at.text_input(key="client_occupation").value == "Barista"
    at = open_page(at, "Help")
    with unit_of_work(app_db) as db:  # another tab
        data = client_service.get_client(db, actor=teacher, client_id=alex.id).model_dump()
        data["occupation"] = "Head barista"
        client_service.update_client(db, actor=teacher, client_id=alex.id, data=data)
    at = open_page(at, "Clients")
    assert_clean(at)
    shown = at.text_input(key="client_occupation").value
    assert shown == "Head barista", (
        f"the untouched form shows the stale occupation {shown!r} after a look at Help, while "
        "the stored client says 'Head barista'"
    )


def test_a_refused_review_names_a_codes_problem_as_the_editor_does(app, app_db, teacher):
    """A student turn that does two things ("It sounds like ... What else ...?") has two codes in
    the editor, each a drop-down labelled by the code's name ("Turn 2: ...", "Turn 2 (its next
    code): ..."). The teacher sets the second to the same code as the first and presses Save. The
    refusal reads "codes: turn 2 has the code 'reflection' twice." - the review tool's field
    name and the rubric's key, the language the fix took out of every other refusal."""
    lines = (
        ("What brings you in today?", "Work has been rough."),
        (
            "It sounds like work is wearing you down. What else is going on?",
            "The usual, really.",
        ),
        *[("What else is going on?", "The usual, really.")] * 8,
    )
    session_id, _student = _waiting_review(app_db, teacher, lines=lines)
    at = open_page(teacher_app(app), "Reviews")
    boxes = [box for box in at.selectbox if box.key and box.key.startswith(f"code_{session_id}_")]
    by_turn: dict[str, list] = {}
    for box in boxes:
        turn = box.label.split(":")[0].replace(" (its next code)", "")
        by_turn.setdefault(turn, []).append(box)
    pair = next((pair for pair in by_turn.values() if len(pair) >= 2), None)
    assert pair, f"no turn has two codes: {[box.label for box in boxes]}"
    pair[1].set_value(pair[0].value)
    at.button(key="save_review").click().run()
    refusal = next((line for line in everything(at).splitlines() if "cannot be saved" in line), "")
    assert refusal, "the save was not refused"
    assert "codes:" not in refusal and repr(pair[0].value) not in refusal, (
        f"the refusal speaks the tool's field names and the code's key: {refusal[:300]}"
    )


def _principles(at) -> list[str]:
    return [
        box.value for box in at.text_input if box.key and box.key.startswith("client_principle_")
    ]


def test_a_principle_from_another_clients_check_is_not_dropped_unsaid(
    app, app_db, teacher, app_api
):
    """The teacher pressed Edit on Bailey's card and typed nothing. They run Alex's client check
    and press "Make this a principle" on a finding. Back on Clients: Bailey's form, no principle,
    no word - the draft is gone (the check's way into the form refuses any open form, even an
    untouched one, and its warning is a flash, shown only at the next click). At that next click
    the warning reads "The form is open for the new client, and anything typed there is not
    saved": it is Bailey's form, and nothing was typed (the form's widgets were forgotten on the
    check page, so the name is read as empty)."""
    alex = add_client(app_db, teacher, name="Alex Rivera")
    bailey = add_client(app_db, teacher, name="Bailey Chen")
    misbehave(app_api, when_student_says="Are you an AI", reply=AI_REPLY)
    judge_answers(app_api, passing_judgement())
    at = teacher_app(app)
    at.button(key=f"edit_client_{bailey.id}").click().run()
    assert at.text_input(key="client_name").value == "Bailey Chen"

    at = run_check(check_from_card(at, alex.id))
    buttons = [b for b in at.button if b.key and b.key.startswith("principle_")]
    assert buttons, "the check found nothing to make a principle of"
    buttons[0].click().run()
    assert_clean(at)
    assert "Clients" in texts(at, "title")
    drafted = any(text.startswith("Avoid replies like") for text in _principles(at))
    warned = [text for text in texts(at, "warning") if "Bailey" in text]
    shown = (at.text_input(key="client_name").value, _principles(at), texts(at, "warning"))
    at.run()  # the teacher's next click
    later = [text for text in texts(at, "warning") if "form is open" in text]
    assert drafted or warned, (
        f"the check's principle vanished without a word: the page shows {shown!r}; at the next "
        f"click it says {later!r}"
    )


def test_a_principle_from_another_clients_check_waits_for_a_refused_edit_to_be_saved_or_cancelled(
    app, app_db, teacher, app_api
):
    """The other side of it: Bailey's form holds a refused edit (sent, not saved). The principle
    from Alex's check waits, said at once and naming Bailey; after Cancel it goes into Alex's
    form. (An attack on the day's fixes, 2026-12-07.)"""
    alex = add_client(app_db, teacher, name="Alex Rivera")
    bailey = add_client(app_db, teacher, name="Bailey Chen", occupation="Barista")
    misbehave(app_api, when_student_says="Are you an AI", reply=AI_REPLY)
    judge_answers(app_api, passing_judgement())
    at = teacher_app(app)
    at.button(key=f"edit_client_{bailey.id}").click().run()
    at.text_input(key="client_occupation").input("Head barista")
    at.multiselect(key="client_personality_traits").set_value([])
    at.button(key="save_client").click().run()
    assert "Choose between 2 and 5 personality traits." in everything(at)

    at = run_check(check_from_card(at, alex.id))
    [button, *_] = [b for b in at.button if b.key and b.key.startswith("principle_")]
    button.click().run()
    assert_clean(at)
    assert any("Bailey Chen" in text and "not saved" in text for text in texts(at, "warning"))
    assert at.text_input(key="client_occupation").value == "Head barista"
    at.button(key="cancel_client").click().run()
    assert at.text_input(key="client_name").value == "Alex Rivera"
    assert any(text.startswith("Avoid replies like") for text in _principles(at))
