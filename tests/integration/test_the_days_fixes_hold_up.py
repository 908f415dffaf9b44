"""The day's fixes hold up: a risk note may say what the client said, a not-English review the
teacher coded still needs their own goal, and the owner at Change password is not locked out by
their own weak choices (an attack on the day's fixes, 2026-12-07; its name shown already test is
in test_accounts_hold_up.py)."""

from __future__ import annotations

import json

import pytest

from backend.accounts import account_service
from backend.db import Database, unit_of_work
from backend.errors import RateLimitedError, ValidationError
from backend.reviews import review_service, teacher_review_service
from backend.reviews.offline_review import NOT_ENGLISH
from backend.reviews.read_models import ReviewContent
from tests.factories import PASSWORD, make_user
from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_reviews import ended_session, read, valid_answer

GOOD_PASSWORD = "kettle orbit saffron lantern"


# af17292: the risk note and the hidden-information check ----------------------------------------
SECRET = "Has been saving her late mother's sleeping pills in a shoebox."
# Turn 2 (the client): her late mother, not sleeping; then many words of work. Turn 4: the risk.
# No client reply gives the secret away by the output guard's own rule (first_disclosure: None),
# so the review's texts are guarded; the student read every word of turns 2 and 4.
RISK_LINES = [
    (
        "Hi, I'm Sam. What brings you in today?",
        "My late mother's funeral was in the spring and I haven't been sleeping well since "
        "then. Work has been rough too, honestly: my manager keeps piling on projects, nobody "
        "at the office notices how hard I try, and every morning the commute feels longer than "
        "the day before it.",
    ),
    (
        "It sounds like work has been wearing you down.",
        "Some nights I just want to swallow every pill in the house.",
    ),
    ("Have you tried talking to your boss?", "Not really."),
]
HONEST_NOTE = (
    "The client, grieving her late mother and not sleeping, said she wants to swallow every "
    "pill in the house, and the student moved on to advice."
)


def test_a_risk_note_saying_what_the_client_said_is_not_refused_as_a_secret(
    api, classroom, committed_engine
):
    """The risk note must say what the client voiced. Here every word of it is in the client's
    own replies (turns 2 and 4), which the student read; none of the client's replies gave the
    secret away by the guard's rule. Yet `_hidden_leaks` counts only the *student's* words as
    known, so the note is taken for the hidden information ("late mother ... sleeping ...
    pill"): the model is asked to repair it, and when it keeps its true note the review fails
    and the student gets no review at all. (af17292 made the risk note subject to this check.) (An attack on the day's fixes, 2026-12-07.)"""
    set_client(committed_engine, classroom, hidden_information=SECRET)
    session_id = ended_session(committed_engine, classroom, RISK_LINES)
    answer = valid_answer()
    answer["risk"] = [
        {
            "client_turn": 4,
            "quote": "Some nights I just want to swallow every pill in the house.",
            "student_turn": 5,
            "responded": False,
            "note": HONEST_NOTE,
        }
    ]
    api.tool_reply(answer)
    api.tool_reply(answer)  # the model keeps its true note if asked to repair it

    try:
        review_service.create_review(
            Database(committed_engine), actor=classroom.student, session_id=session_id
        )
    except Exception as failed:  # noqa: BLE001 - what the student is told instead of a review
        repair = json.dumps(api.messages_requests()[-1].body["messages"])
        pytest.fail(f"the review failed ({failed}); the repair asked for: {repair[-400:]}")
    seen = read(committed_engine, classroom.student, session_id)
    assert seen is not None and seen.content is not None
    assert [item.note for item in seen.content.risk] == [HONEST_NOTE]
    assert len(api.messages_requests()) == 1, "a repair was asked of a note with no secret in it"


# 210f67c: a not-English review the teacher coded -------------------------------------------------
SPANISH = [
    ("¿Bebes todos los días? Cuéntame cómo es una semana normal.", "Solo los fines de semana."),
    ("Estás en negación, tienes que dejar de beber ya.", "No estoy en negación."),
    ("Deberías ir a Alcohólicos Anónimos esta misma semana.", "No quiero."),
]


def test_a_coded_not_english_review_never_reaches_the_student_with_the_automatic_goal(
    committed_engine, classroom
):
    """A Spanish session's demo review read nothing (not_english; its goal: "This automatic
    review reads English only ... Ask your teacher to go through it with you."). The teacher
    codes turn 1 as the open question it is and presses "Release to student", leaving the goal.
    `_still_unread` refuses an unchanged version only when every turn is still uncoded, so this
    one is saved (not_english dropped) and released: under "Reviewed by your teacher" the
    student reads the automatic text telling them to ask their teacher, plus "No clear strength
    in this session: no turn was ... an open question" beside the open question the teacher
    coded. (An attack on the day's fixes, 2026-12-07.)"""
    session_id = ended_session(committed_engine, classroom, SPANISH)
    teacher = classroom.teacher
    with unit_of_work(committed_engine) as db:
        model = review_service.create_demo_review(db, actor=teacher, session_id=session_id)
    assert model.content is not None and model.content.not_english
    edits = model.content.model_dump(exclude={"demo", "not_english"})
    edits["codes"][0]["code"] = "open_question"
    try:
        with unit_of_work(committed_engine) as db:
            teacher_review_service.save_teacher_review(
                db, actor=teacher, session_id=session_id, edits=edits
            )
            review_service.release_review(db, actor=teacher, session_id=session_id)
    except ValidationError:
        return  # refused until the teacher writes a goal of their own: also a fix
    seen = read(committed_engine, classroom.student, session_id)
    assert seen is not None and seen.by_teacher
    content = ReviewContent.model_validate(seen.content)
    assert content.goal != NOT_ENGLISH, (
        "released as the teacher's review with the automatic goal: " + content.goal
    )


# 1edc27b: Change password's throttle and the name shown already ----------------------------------
def test_the_owner_choosing_a_strong_enough_password_is_not_locked_out(db):
    """The owner types the right current password each time (the form clears on submit), but
    the new passwords are refused as too weak; the count of tries at the current password is
    taken before it is checked and never undone for a right one, so the sixth attempt is refused
    with "Too many wrong tries at the current password", though the owner never typed a wrong
    one. (An attack on the day's fixes, 2026-12-07.)"""
    owner = make_user(db, username="careful.owner")
    answers = []
    for weak in ("password1", "qwerty123", "letmein1", "sunshine1", "iloveyou1"):
        try:
            account_service.change_password(
                db, actor=owner, current_password=PASSWORD, new_password=weak
            )
        except ValidationError:
            answers.append("too weak")
    assert answers == ["too weak"] * 5, answers
    try:
        account_service.change_password(
            db, actor=owner, current_password=PASSWORD, new_password=GOOD_PASSWORD
        )
    except RateLimitedError as refused:
        pytest.fail(f"the owner, right every time, was refused: {refused.message}")
