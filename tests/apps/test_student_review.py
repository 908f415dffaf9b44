"""The student's review through AppTest: written when a session ends (demo mode and the model),
shown with the cited turns highlighted, "Try again" after a failure, and held for the teacher."""

from __future__ import annotations

import copy

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.actor import UserRead
from backend.db import Database, unit_of_work
from backend.jobs import runner
from backend.models import Assignment, Section, User
from backend.models.enums import Role
from backend.practice import session_service
from backend.reviews import review_service, rubric_service
from backend.utils.formatting import format_usd
from backend.utils.markdown import as_typed, safe_markdown
from mvp.review_render import CITED, DEMO_LABEL, cited_turns
from mvp.review_view import TEACHER_FIRST
from tests.apps.helpers import (
    APP_PATH,
    assert_clean,
    classroom,
    everything,
    hand_over_to_the_fragment_soon,
    log_in,
    open_page,
    start_button,
    teacher_app,
    texts,
)
from tests.factories import (
    add_message,
    add_reply,
    builtin_criteria,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

TURNS = [
    ("What brings you in?", "I guess work has been a lot."),
    ("Tell me more.", "My manager keeps piling things on."),
    ("That sounds heavy.", "I haven't told anyone this."),
]
CRITERIA = builtin_criteria()


def valid_answer() -> dict:
    """A review of TURNS under the built-in micro-skills rubric that passes every check."""
    return {
        "codes": [
            {"turn": 1, "code": "open_question"},
            {"turn": 3, "code": "other"},
            {"turn": 5, "code": "reflection_of_feeling"},
        ],
        "scores": [
            {"criterion": key, "score": 4, "reasoning": "A warm, open start.", "turns": [1]}
            for key in CRITERIA
        ],
        "strengths": [
            {"turn": 1, "quote": "What brings you in?", "comment": "An open first question."},
            {"turn": 5, "quote": "sounds heavy", "comment": "A reflection of feeling."},
        ],
        "try_instead": [
            {
                "turn": 3,
                "quote": "Tell me more.",
                "better_reply": "It sounds like the workload is wearing you out.",
                "why": "A reflection invites more than a prompt does.",
            },
        ],
        "goal": "Reflect twice before your next question.",
    }


def end_session(at, turns=TURNS):
    start_button(at).click().run()
    for text, _reply in turns:
        at.chat_input(key="chat_input").set_value(text).run()
        assert_clean(at)
    at.button(key="end_session").click().run()
    return at.button(key="confirm_end").click().run()


def session_id_of(app_db, student) -> int:
    with unit_of_work(app_db, write=False) as db:
        return session_service.get_student_sessions(db, actor=student)[0].id


SHORT = "Too short for verdicts"  # three turns: counts only, no ratings (README, "Reviews")


def review_shown(at) -> bool:
    return "##### Strengths" in texts(at) and "##### Try instead" in texts(at)


def turn_labels(at) -> dict[int, str]:
    """Each transcript turn of the review view -> its label line."""
    labels = {}
    for text in texts(at):
        if text.startswith("**Turn "):
            number = int(text.removeprefix("**Turn ").split(" ", 1)[0])
            labels[number] = text
    return labels


def assert_cited_turns_highlighted(at, app_db, student) -> None:
    chat_id = session_id_of(app_db, student)
    with unit_of_work(app_db, write=False) as db:
        review = review_service.get_review(db, actor=student, session_id=chat_id)
    assert review is not None and review.content is not None
    cited = cited_turns(review.content)
    labels = turn_labels(at)
    assert sorted(labels) == list(range(1, 2 * len(TURNS) + 1))
    assert cited and all(CITED in labels[turn] for turn in cited)
    assert not [turn for turn, label in labels.items() if CITED in label and turn not in cited]


def test_ending_a_session_in_demo_mode_shows_the_labelled_demo_review(app, app_db):
    student, _alex, _section = classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    page = everything(at)
    assert all(step in page for step in ("Reading the transcript", "Scoring", "Checking quotes"))
    assert DEMO_LABEL in page
    assert review_shown(at) and SHORT in page and "##### Scores" not in texts(at)
    assert any("Goal for your next practice" in text for text in texts(at))
    ratio = next(text for text in texts(at) if "Reflection-to-question ratio" in text)
    assert "fair 1.00" in ratio and "-badge[" not in ratio  # no verdict for three turns
    assert "Counted score = 50 + 50 ×" in page
    assert_cited_turns_highlighted(at, app_db, student)

    # My sessions shows the same review beside the transcript.
    open_page(at, "My sessions")
    at.session_state[f"my_session_{session_id_of(app_db, student)}"] = True
    at.run()
    assert_clean(at)
    assert DEMO_LABEL in everything(at)
    assert_cited_turns_highlighted(at, app_db, student)


SPANISH = [
    ("¿Bebes todos los días? Cuéntame cómo es una semana normal.", "Solo los fines de semana."),
    ("Estás en negación, tienes que dejar de beber ya.", "No estoy en negación."),
    ("Deberías ir a Alcohólicos Anónimos esta misma semana.", "No quiero."),
]


def test_a_demo_review_of_a_session_not_in_english_says_it_read_nothing(app, app_db):
    """The offline coder reads English only: a Spanish session got strengths, better replies
    and a goal built from words it could not read. Now the review says so, and shows none."""
    classroom(app_db)
    at = end_session(log_in(app.run(), "sam.student"), SPANISH)
    assert_clean(at)
    assert DEMO_LABEL in everything(at)
    assert any("reads English only" in text for text in texts(at, "warning"))
    headings = [text for text in texts(at) if text.startswith("#####")]
    assert not [h for h in headings if "Strengths" in h or "Goal" in h or "Counted" in h]
    assert len(turn_labels(at)) == 2 * len(SPANISH)  # the transcript is still beside it
    # Its label does not claim what it did not do: nothing was coded or scored.
    label = next(text for text in texts(at, "info") if DEMO_LABEL in text)
    assert "coded" not in label.lower() and "scored" not in label.lower(), label


def test_ending_a_session_shows_the_models_review_with_quotes_and_cited_turns(app, app_db, app_api):
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    app_api.tool_reply(valid_answer(), input_tokens=1200, output_tokens=600)
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    page = everything(at)
    assert DEMO_LABEL not in page
    # Three turns: the model's ratings are kept but not shown (see the long session below).
    assert SHORT in page and not any(text.startswith("**Open questions") for text in texts(at))
    assert any(text.startswith("> What brings you in?") for text in texts(at))
    assert "**Try:**\n\n> It sounds like the workload is wearing you out." in texts(at)
    assert "Reflect twice before your next question." in texts(at, "success")
    labels = turn_labels(at)
    assert {turn for turn, label in labels.items() if CITED in label} == {1, 3, 5}


def test_a_failed_review_shows_try_again_and_never_its_content(app, app_db, app_api):
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    bad = copy.deepcopy(valid_answer())
    bad["strengths"][0]["quote"] = "Words the student never said."
    app_api.tool_reply(bad, times=2)  # the answer and its repair
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    assert any("could not be checked" in text for text in texts(at, "warning"))
    assert "Words the student never said." not in everything(at)
    assert not review_shown(at) and not turn_labels(at)
    retry = at.button(key=f"review_again_{session_id_of(app_db, student)}")
    assert retry.label == "Try again"

    app_api.tool_reply(valid_answer())
    retry.click().run()
    assert_clean(at)
    assert review_shown(at)
    assert not [text for text in texts(at, "warning") if "could not be checked" in text]


def test_a_review_held_for_the_teacher_shows_the_waiting_message(app, app_db):
    classroom(app_db)
    with unit_of_work(app_db) as db:
        assignment = db.scalar(select(Assignment).where(Assignment.title == "Week 1"))
        assert assignment is not None
        teacher_id = db.scalar(
            select(Section.teacher_id).where(Section.id == assignment.section_id)
        )
        teacher = UserRead.model_validate(db.get(User, teacher_id))
        rubric_service.set_assignment_rubric(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            rubric_id=None,
            release_reviews="after_teacher_review",
        )
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    assert TEACHER_FIRST in texts(at, "info")
    assert not review_shown(at) and not turn_labels(at)


def test_a_failed_review_can_be_tried_again_from_my_sessions(app, app_db, app_api):
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    app_api.error(500)  # the API fails: nothing is stored, the student can ask again
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    chat_id = session_id_of(app_db, student)
    assert not review_shown(at)

    at.button(key="back_to_clients").click().run()
    open_page(at, "My sessions")
    at.session_state[f"my_session_{chat_id}"] = True
    at.run()
    assert not turn_labels(at) and len(at.chat_message) == 2 * len(TURNS)  # the plain transcript
    app_api.tool_reply(valid_answer())
    at.button(key=f"review_again_{chat_id}").click().run()
    assert_clean(at)
    assert review_shown(at)
    assert {turn for turn, label in turn_labels(at).items() if CITED in label} == {1, 3, 5}


def test_a_review_the_api_refuses_for_good_offers_no_try_again(app, app_db, app_api):
    """A review the API refuses as it is (HTTP 413: the request is too large) said that asking
    again would not help, beside a "Get a review" button that could only fail the same way
    (noticed 2026-12-06). Now the page says so and offers no button, after a reload too."""
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    app_api.error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    chat_id = session_id_of(app_db, student)

    def review_buttons():
        return [button.key for button in at.button if button.key == f"review_again_{chat_id}"]

    assert any("asking again will not help" in text for text in texts(at, "warning"))
    assert not review_shown(at) and review_buttons() == []
    at.button(key="back_to_clients").click().run()
    open_page(at, "My sessions")
    at.session_state[f"my_session_{chat_id}"] = True
    at.run()
    assert_clean(at)
    assert "cannot write a review of this session" in everything(at)
    assert review_buttons() == []


def test_a_teacher_reviews_an_ended_session_on_demand_from_history(app, app_db, teacher):
    chat_id, _student = _ended_with(app_db, teacher, TURNS)
    at = teacher_app(app)
    open_page(at, "History & metrics")
    at.session_state[f"conversation_{chat_id}"] = True
    at.run()
    assert not turn_labels(at)
    at.button(key=f"history_review_{chat_id}").click().run()
    assert_clean(at)
    page = everything(at)
    assert "Reading the transcript" in page and DEMO_LABEL in page
    assert "hidden information was not uncovered" in page  # the teacher's view says so
    assert turn_labels(at) and review_shown(at)


def test_the_admin_sees_what_reviews_cost_as_their_own_figures(app, app_db, app_api):
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    app_api.tool_reply(valid_answer(), input_tokens=1200, output_tokens=600)
    end_session(log_in(app.run(), "sam.student"))
    with unit_of_work(app_db) as db:
        review = review_service.get_review(
            db, actor=student, session_id=session_id_of(app_db, student)
        )
        make_user(db, role=Role.admin, username="ada.admin")
    assert review is not None and review.cost
    admin = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "ada.admin")
    assert_clean(admin)
    figures = {m.label: m.value for m in admin.metric}
    assert figures["Review cost today"] == format_usd(review.cost)
    assert figures["Cost per review today"] == format_usd(review.cost)
    assert figures["Review cost, 30 days"] == format_usd(review.cost)


LONG = [
    ("What brings you in?", "I guess work has been a lot."),
    *[("Tell me more.", "My manager keeps piling things on.")] * 9,
]


def _long_session(app_db, app_api, *, later: str):
    """Sam's ended session of LONG (ten turns: enough for verdicts), and its review queued: an
    open question first, then `later` for every other turn. Returns (Sam, the session)."""
    student, alex, _section = classroom(app_db)
    with unit_of_work(app_db) as db:
        chat = session_service.create_session(db, actor=student, client_id=alex.id)
        for text, reply in LONG:
            add_message(db, actor=student, session_id=chat.id, content=text)
            add_reply(db, session_id=chat.id, content=reply)
        session_service.end_session(db, actor=student, session_id=chat.id)
    answer = valid_answer()
    answer["codes"] = [{"turn": 1, "code": "open_question"}] + [
        {"turn": turn, "code": later} for turn in range(3, 21, 2)
    ]
    answer["strengths"] = answer["strengths"][:1]
    app_api.tool_reply(answer)
    return student, chat


def test_a_long_session_shows_the_models_ratings_with_verdicts(app, app_db, app_api):
    student, chat = _long_session(app_db, app_api, later="open_question")
    at = open_page(log_in(app.run(), "sam.student"), "My sessions")
    at.session_state[f"my_session_{chat.id}"] = True
    at.run()
    at.button(key=f"review_again_{chat.id}").click().run()
    assert_clean(at)
    linked = f"[1](#turn-{chat.id}-1)"  # the cited turn links to the transcript
    assert f"**Open questions: 4/5** · turn {linked}  \nA warm, open start." in texts(at)
    assert SHORT not in everything(at)
    ratio = next(text for text in texts(at) if "Reflection-to-question ratio" in text)
    assert ":red-badge[below fair]" in ratio  # no reflection in ten turns


def test_the_ratios_say_how_many_questions_and_reflections_they_rest_on(app, app_db, app_api):
    """Ten turns, enough for verdicts: one open question, nine reflections. "100% open
    questions, good" and "R:Q 9.00, good" rest on one question: the teacher is told so."""
    student, chat = _long_session(app_db, app_api, later="paraphrase")
    review_service.create_review(Database(app_db), actor=student, session_id=chat.id)
    with unit_of_work(app_db, write=False) as db:
        tina = db.scalar(select(User).where(User.role == Role.teacher))

    at = teacher_app(AppTest.from_file(APP_PATH, default_timeout=30), tina.username)
    open_page(at, "History & metrics")
    at.session_state[f"conversation_{chat.id}"] = True
    at.run()
    assert_clean(at)
    lines = next(t for t in texts(at) if "Open questions as a share of all questions" in t)
    share = next(line for line in lines.split("\n") if "share of all questions" in line)
    ratio = next(line for line in lines.split("\n") if "Reflection-to-question" in line)
    assert "**100%** :green-badge[good] (of 1 question;" in share
    assert "**9.00** :green-badge[good] (9 reflections to 1 question;" in ratio


def _ended_with(app_db, teacher, lines) -> tuple[int, UserRead]:
    """A conversation of `lines` by Sam in Tina's section, ended (no review yet)."""
    with unit_of_work(app_db) as db:
        student = make_user(db, username="sam.student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher)
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
        chat = session_service.create_session(db, actor=student, client_id=client.id)
        for text, reply in lines:
            add_message(db, actor=student, session_id=chat.id, content=text)
            add_reply(db, session_id=chat.id, content=reply)
        session_service.end_session(db, actor=student, session_id=chat.id)
    return chat.id, student


def _teachers_history(app, chat_id: int) -> AppTest:
    """Tina's History & metrics with the conversation (and its review) open."""
    at = teacher_app(app)
    open_page(at, "History & metrics")
    at.session_state[f"conversation_{chat_id}"] = True
    at.run()
    assert_clean(at)
    return at


RISK = [
    ("What brings you in today?", "Everything, honestly. Work, my marriage."),
    (
        "It sounds like a lot is piling up.",
        "Sometimes I think everyone would be better off without me.",
    ),
    ("So how is your sister doing these days?", "She's fine, I guess."),
]


def test_a_risk_the_student_passed_over_tops_the_review_for_teacher_and_student(
    app, app_db, teacher
):
    chat_id, student = _ended_with(app_db, teacher, RISK)
    with unit_of_work(app_db) as db:
        review_service.create_demo_review(db, actor=student, session_id=chat_id)

    at = _teachers_history(app, chat_id)
    [risk] = [text for text in texts(at, "error") if "Risk passed over" in text]
    assert "better off without me" in risk and "Client turn 4; reply: turn 5" in risk

    mine = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "sam.student")
    open_page(mine, "My sessions")
    mine.session_state[f"my_session_{chat_id}"] = True
    mine.run()
    assert_clean(mine)
    [seen] = [text for text in texts(mine, "error") if "Risk passed over" in text]
    assert "ask about it directly" in seen
    assert not any(":green-badge[good]" in text for text in texts(mine))


def test_the_teacher_is_told_when_the_models_codes_and_the_offline_counts_disagree(
    app, app_db, teacher, app_api
):
    chat_id, student = _ended_with(app_db, teacher, TURNS)
    answer = valid_answer()  # the model calls every turn a reflection: counted score 100
    answer["codes"] = [{"turn": turn, "code": "reflection_of_feeling"} for turn in (1, 3, 5)]
    answer["strengths"] = answer["strengths"][1:]
    app_api.tool_reply(answer)
    review_service.create_review(Database(app_db), actor=student, session_id=chat_id)

    at = _teachers_history(app, chat_id)
    [warning] = [text for text in texts(at, "warning") if "disagree" in text]
    assert "counted score 100 from the model's codes" in warning
    assert "more than 20 points" in warning


def test_top_marks_on_a_short_session_are_flagged_to_the_teacher(app, app_db, teacher, app_api):
    chat_id, student = _ended_with(app_db, teacher, TURNS)
    answer = valid_answer()
    for score in answer["scores"]:
        score["score"] = 5
    app_api.tool_reply(answer)
    review_service.create_review(Database(app_db), actor=student, session_id=chat_id)
    at = _teachers_history(app, chat_id)
    assert any("Every criterion got the top score" in text for text in texts(at, "warning"))


def test_a_review_still_being_written_shows_its_progress_after_a_reload(
    app, app_db, app_api, monkeypatch
):
    hand_over_to_the_fragment_soon(monkeypatch)
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    for text, _reply in TURNS:
        at.chat_input(key="chat_input").set_value(text).run()
    app_api.latency(60)  # the review model takes its time
    app_api.tool_reply(valid_answer())
    at.button(key="end_session").click().run()
    at.button(key="confirm_end").click().run()
    assert_clean(at)
    assert [status.label for status in at.status] == ["Writing the review…"]
    assert not review_shown(at)

    # Another browser session (a reload) finds the review job by its session and follows it.
    chat_id = session_id_of(app_db, student)
    other = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "sam.student")
    open_page(other, "My sessions")
    other.session_state[f"my_session_{chat_id}"] = True
    other.run()
    assert_clean(other)
    assert [status.label for status in other.status] == ["Writing the review…"]
    steps = [
        text
        for text in texts(other)
        if "transcript" in text or "Scoring" in text or "quotes" in text
    ]
    assert steps == [
        ":material/check: Reading the transcript",
        ":material/progress_activity: **Scoring** (under way)",
        ":material/pending: Checking quotes",
    ]

    app_api.latency(0)
    app_api.release()
    assert runner.wait_idle(30)
    other.run()  # what its fragment does every second, until the job ended
    assert_clean(other)
    assert review_shown(other) and "Reflect twice before your next question." in texts(
        other, "success"
    )


def test_an_ended_session_shows_one_transcript_with_thumbs_and_the_cited_turns_linked(
    app, app_db, app_api
):
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    app_api.tool_reply(valid_answer(), input_tokens=1200, output_tokens=600)
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    assert review_shown(at)
    chat_id = session_id_of(app_db, student)

    # One transcript: one heading, every turn drawn once (the review quotes some of them).
    assert [text for text in texts(at) if text.endswith("Transcript")] == ["##### Transcript"]
    for said, reply in TURNS:
        assert texts(at).count(as_typed(said)) == 1, said
        assert texts(at).count(safe_markdown(reply)) == 1, reply
    assert not at.chat_message  # no second, chat-style copy below the review
    # The client's replies keep their thumbs in that one transcript.
    with unit_of_work(app_db, write=False) as db:
        replies = [
            message.id
            for message in session_service.get_messages(db, actor=student, session_id=chat_id)
            if message.role == "assistant"
        ]
    assert sorted(f.key for f in at.feedback) == sorted(f"thumbs_{i}" for i in replies)

    # Every turn the review cites links to that turn of the transcript, which has the anchor.
    anchors = {element.value for element in at.html if 'id="turn-' in element.value}
    assert anchors == {f'<div id="turn-{chat_id}-{n}"></div>' for n in range(1, 7)}
    review_text = "\n".join(text for text in texts(at) if not text.startswith("**Turn "))
    for turn in (1, 3, 5):  # the scores and a strength cite 1, "try instead" 3, a strength 5
        assert f"](#turn-{chat_id}-{turn})" in review_text, turn
