"""What a review shows of the student's words is what they typed, and a not-English session's
review says nothing the teacher did not write (an attack, 2026-12-07)."""

from __future__ import annotations

import copy

from tests.apps.helpers import (
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    teacher_app,
    texts,
)
from tests.apps.test_reviews_app import _waiting_review
from tests.apps.test_student_review import end_session, valid_answer
from tests.apps.test_words_as_typed import _emphasis_or_structure, visible_text

PRODUCT = "So 3*4*5 hours a week?"
PICKED_TYPED = "So 3*4*5 hours a week?"
OWN_GOAL = "Next time, ask how a normal week goes before you name what you think it is."
TURNS = [
    ("What brings you in?", "I guess work has been a lot."),
    (PRODUCT, "Yes, more or less."),
    ("That sounds heavy.", "I haven't told anyone this."),
]


def _answer_quoting(quote: str) -> dict:
    answer = copy.deepcopy(valid_answer())
    answer["try_instead"][0] = {
        "turn": 3,
        "quote": quote,
        "better_reply": "It sounds like the hours are wearing you out.",
        "why": "A reflection invites more than a closed question does.",
    }
    return answer


def test_the_try_instead_quote_shows_the_students_words_as_typed(app, app_db, app_api):
    """The transcript beside the review shows "So 3*4*5 hours a week?" as typed (as_typed), but
    the review's own "You said:" quote of the same words goes through safe_markdown: the
    student reads "So 345 hours a week?" with "4" in italics, words they never wrote. (An attack, 2026-12-07.)"""
    classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply)
    app_api.tool_reply(_answer_quoting(PRODUCT))
    at = end_session(log_in(app.run(), "sam.student"), TURNS)
    assert_clean(at)
    [said] = [text for text in texts(at) if text.startswith("You said")]
    quote = said.split("\n\n", 1)[1]
    assert _emphasis_or_structure(quote) == [], quote
    assert visible_text(quote) == PRODUCT, visible_text(quote)


def test_a_quote_in_other_letters_than_the_student_typed_is_not_shown_as_theirs(
    app, app_db, app_api
):
    """Quotes are checked "word for word" ignoring case, and the page shows the model's quote,
    not the student's words: "You said: > I THINK YOU SHOULD QUIT" for "I think you should
    quit" passes every check and is shown under "You said". (An attack, 2026-12-07.)"""
    turns = [
        ("What brings you in?", "I guess work has been a lot."),
        ("I think you should quit.", "Maybe."),
        ("That sounds heavy.", "I haven't told anyone this."),
    ]
    classroom(app_db)
    for _text, reply in turns:
        app_api.reply(reply)
    app_api.tool_reply(_answer_quoting("I THINK YOU SHOULD QUIT."), times=2)
    at = end_session(log_in(app.run(), "sam.student"), turns)
    assert_clean(at)
    assert "I THINK YOU SHOULD QUIT" not in everything(at)


def test_the_reviews_page_transcript_shows_the_students_words_as_typed(app, app_db, teacher):
    """History shows a student's words as typed (as_typed); the teacher's Reviews page, where
    the teacher grades them, puts the same words through safe_markdown: two lines typed with
    Shift+Enter run together and "3*4*5" loses its asterisks to emphasis. (An attack, 2026-12-07.)"""
    typed = "You work 3*4*5 hours?\nThat sounds like a lot."
    lines = (("What brings you in today?", "Work has been rough."), (typed, "It is."))
    session_id, _student = _waiting_review(app_db, teacher, lines)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    assert at.selectbox(key="review_session_id").value == session_id
    [shown] = [text for text in texts(at) if "hours" in text and "Turn" not in text]
    assert _emphasis_or_structure(shown) == [], shown
    assert visible_text(shown) == typed, visible_text(shown)


def test_a_not_english_review_is_released_with_the_teachers_own_words_only(app, app_db, teacher):
    """A Spanish session's automatic review reads nothing (not_english) and waits for the
    teacher. The teacher presses "Release to student" on the Reviews page without changing it:
    the saved teacher's version drops `not_english`, so Sam reads "Reviewed by your teacher"
    over "No clear strength in this session: no turn was a reflection, an open question ...",
    of a session that opened with an open question, and a goal telling them to ask their
    teacher (who has just 'reviewed' it). Now a release with nothing of the teacher's own is
    refused, and what is released says only what the teacher wrote. (An attack, 2026-12-07.)"""
    from streamlit.testing.v1 import AppTest

    from backend.db import unit_of_work
    from backend.reviews import review_service
    from tests.apps.helpers import APP_PATH
    from tests.apps.test_student_review import SPANISH

    session_id, _sam = _waiting_review(app_db, teacher, SPANISH)
    with unit_of_work(app_db) as db:
        model = review_service.get_review(db, actor=teacher, session_id=session_id)
    assert model.content.not_english
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    at.button(key="release_review").click().run()
    assert "write a goal for the student" in everything(at)  # nothing of the teacher's yet
    at.text_area(key=f"goal_{session_id}").input(OWN_GOAL)
    at.button(key="release_review").click().run()
    assert_clean(at)
    assert "Released" in everything(at)

    sam = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "sam.student")
    sam = open_page(sam, "My sessions")
    sam.session_state[f"my_session_{session_id}"] = True
    sam.run()
    assert_clean(sam)
    shown = everything(sam)
    assert "Reviewed by your teacher" in shown
    assert OWN_GOAL in shown
    assert "no turn was a reflection, an open question" not in shown, shown
    assert "0 questions" not in shown  # the automatic counts read nothing
    assert "Ask your teacher to go through it" not in shown


def test_the_editors_code_picker_shows_the_students_words_as_typed(app, app_db, teacher):
    """The teacher codes each student turn in the review editor: "Turn 3: <the turn>". The
    transcript beside it and the strength/"try instead" captions now show the words as typed
    (`ui.as_typed`), but the code picker's label still goes through `safe_markdown`, so the
    teacher codes "So 345 hours a week?" with "4" in italics, words the student never wrote. (An attack on the day's fixes, 2026-12-07.)"""
    lines = (("What brings you in today?", "Work has been rough."), (PICKED_TYPED, "It is."))
    session_id, _student = _waiting_review(app_db, teacher, lines)
    at = open_page(teacher_app(app), "Reviews")
    assert_clean(at)
    labels = [box.label for box in at.selectbox if str(box.key).startswith(f"code_{session_id}_")]
    label = next(label for label in labels if "hours" in label)
    assert _emphasis_or_structure(label) == [], label
    assert visible_text(label).endswith(PICKED_TYPED), visible_text(label)
