"""Text someone else wrote is shown as typed on every page of every role (issue 19, item 3).

Streamlit renders Markdown in widget labels, `help`, captions, alerts, headings, expander, tab and
status labels, metric values and the options of radios and button groups. A student's message
or name, a client profile, a rubric, a review and an event message all carry markup that would
load an image, show a link, or colour and typeset text; every page of every role is walked and
each of those strings is checked. (`st.selectbox` and `st.multiselect` options and input values
are plain text in Streamlit 1.67, so they are left out.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import (
    AlertBase,
    ButtonGroup,
    HeadingBase,
    Markdown,
    Metric,
    Radio,
    SelectSlider,
    Toast,
)

from backend import event_log
from backend.classes import assignment_service
from backend.classes.read_models import AssignmentInput
from backend.db import unit_of_work
from backend.models.enums import Role
from backend.practice import rating_service, session_service
from backend.reviews import review_service, rubric_service, teacher_review_service
from backend.reviews.rubric_schema import RubricDefinition
from tests.apps.helpers import APP_PATH, FIGURE_TABS, assert_clean, log_in, open_page
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

MVP = Path(APP_PATH).parent
HOSTILE = (
    "![p](http://host/m.png) [link](http://host/x) <img src=x onerror=alert(1)> "
    ":red[red] $x^2$ **bold**"
)
# What the hostile text would do if it reached the browser's Markdown unescaped.
LIVE = {
    "image": re.compile(r"!\["),
    "link": re.compile(r"(?<!\\)\]\(\s*http"),
    "bare address": re.compile(r"http://host"),  # GitHub-flavoured Markdown links it by itself
    "html": re.compile(r"(?<!\\)<\s*(img|a\s|script)", re.I),
    "directive": re.compile(r":red\[red"),
    "math": re.compile(r"(?<!\\)\$x\^2\$"),
}
MARKDOWN_BODIES = (Markdown, AlertBase, HeadingBase, Toast, Metric)
MARKDOWN_OPTIONS = (Radio, ButtonGroup, SelectSlider)
# Labels and help that carry someone else's text: the walk must find them (escaped).
SHOWN_IN_LABELS = {
    ("teacher · Reviews", "number_input label"),  # a criterion's name
    ("teacher · Reviews", "number_input help"),  # its anchors
    ("teacher · Reviews", "selectbox label"),  # a code's student turn
    ("teacher · Reviews", "text_area label"),  # a strength's quote
    ("teacher · Rubrics (own copy)", "expander label"),
    ("teacher · History & metrics", "expander label"),
    ("teacher · Client check (scorecard)", "status label"),
    ("student · My sessions", "expander label"),
    ("admin · Error log (API errors)", "expander label"),
}
STUDENT_LINES = [
    f"What brings you in today? {HOSTILE}",
    f"It sounds like work is wearing you down. {HOSTILE}",
    f"You should just quit. {HOSTILE}",
    *[f"What else is going on? {HOSTILE}"] * 7,  # ten turns: the review rates them
]


def rendered(at: AppTest) -> Iterator[tuple[str, str]]:
    """(where, text) for every string of the page that the browser renders as Markdown."""
    for node in at._tree:
        kind = getattr(node, "type", type(node).__name__)
        if isinstance(node, MARKDOWN_BODIES):
            yield kind, str(node.value)
        for part in ("label", "help"):
            try:
                text = getattr(node, part)
            except AttributeError:
                continue
            if isinstance(text, str) and text:
                yield f"{kind} {part}", text
        if isinstance(node, MARKDOWN_OPTIONS):
            for option in node.options:
                yield f"{kind} option", str(option)


def live_markup(at: AppTest, page: str) -> list[str]:
    """Every rendered string still carrying hostile markup, named by page, place and kind."""
    assert_clean(at)
    found = []
    for where, text in rendered(at):
        kinds = [what for what, pattern in LIVE.items() if pattern.search(text)]
        if kinds:
            found.append(f"{page} · {where} ({', '.join(kinds)}): {text[:100]!r}")
    return found


def _hostile_rubric(db, teacher) -> int:
    """The teacher's own copy of the default rubric, every text of it hostile."""
    builtin = next(r for r in rubric_service.list_rubrics(db, actor=teacher) if r.builtin)
    copy = rubric_service.copy_rubric(db, actor=teacher, rubric_id=builtin.id, name=HOSTILE)
    definition = RubricDefinition.model_validate(copy.definition).model_dump()
    definition["description"] = HOSTILE
    for index, criterion in enumerate(definition["criteria"]):
        criterion["name"] = f"C{index} {HOSTILE}"
        criterion["meaning"] = HOSTILE
        criterion["anchors"] = {score: f"{score} {HOSTILE}" for score in criterion["anchors"]}
    for index, code in enumerate(definition["codes"]):
        code.update(name=f"K{index} {HOSTILE}", definition=HOSTILE, example=HOSTILE)
    for index, indicator in enumerate(definition["indicators"]):
        indicator.update(name=f"I{index} {HOSTILE}", source=HOSTILE)
    rubric_service.update_rubric(db, actor=teacher, rubric_id=copy.id, definition=definition)
    return copy.id


def _hostile_version(content) -> dict:
    """The teacher's version of a review: every comment hostile, every quote the whole turn."""
    data = content.model_dump(exclude={"demo"})
    for score in data["scores"]:
        score["reasoning"] = HOSTILE
    for item in data["strengths"]:
        item.update(quote=STUDENT_LINES[item["turn"] // 2], comment=HOSTILE)
    for item in data["try_instead"]:
        item.update(quote=STUDENT_LINES[item["turn"] // 2], better_reply=HOSTILE, why=HOSTILE)
    data["goal"] = HOSTILE
    return data


def hostile_world(app_db) -> tuple[int, int]:
    """Names, a client profile, a section, an assignment, a rubric, a conversation, its review
    (the model's, then the teacher's version), feedback and an event: all hostile."""
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username="tina.teacher", display_name=HOSTILE)
        student = make_user(db, username="sam.student", display_name=HOSTILE)
        make_user(db, role=Role.admin, username="ada.admin", display_name=HOSTILE)
        client = make_client(
            db,
            teacher=teacher,
            name=HOSTILE,
            gender="x",
            occupation=HOSTILE,
            cultural_background=HOSTILE,
            background=HOSTILE,
            presenting_concern=HOSTILE,
            challenges=HOSTILE,
            learning_goals=HOSTILE,
            hidden_information=HOSTILE,
            opening_line=HOSTILE,
            principles=[HOSTILE],
        )
        section = make_section(db, teacher=teacher, name=HOSTILE)
        enroll(db, section=section, student=student)
        assignment = make_assignment(
            db, teacher=teacher, section=section, clients=[client], title=HOSTILE
        )
        assignment_service.update_assignment(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            data=AssignmentInput(
                title=HOSTILE,
                instructions=HOSTILE,
                client_ids=[client.id],
                release_reviews="after_teacher_review",
            ),
        )
        rubric_id = _hostile_rubric(db, teacher)
        rubric_service.set_assignment_rubric(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            rubric_id=rubric_id,
            release_reviews="after_teacher_review",
        )
        session = session_service.create_session(db, actor=student, client_id=client.id)
        for line in STUDENT_LINES:
            add_message(db, actor=student, session_id=session.id, content=line)
            add_reply(db, session_id=session.id, content=f"Maybe. {HOSTILE}")
        session_service.end_session(db, actor=student, session_id=session.id)
        rating_service.submit_session_rating(
            db, actor=student, session_id=session.id, realism=2, usefulness=4, comment=HOSTILE
        )
        review_service.create_demo_review(db, actor=student, session_id=session.id)
        review = review_service.get_review(db, actor=teacher, session_id=session.id)
        assert review is not None and review.content is not None and review.content.try_instead
        review_service.release_review(db, actor=teacher, session_id=session.id)
        # Saved after the release: the student reads it at once, the teacher's queue keeps it.
        teacher_review_service.save_teacher_review(
            db, actor=teacher, session_id=session.id, edits=_hostile_version(review.content)
        )
        event_log.record(
            db,
            "error",
            "api_unknown",
            HOSTILE,
            user_id=student.id,
            session_id=session.id,
            details={"status": 500, "request_id": "req_1", "detail": HOSTILE},
        )
    return session.id, rubric_id


def teacher_pages(session_id: int, rubric_id: int) -> Iterator[tuple[str, AppTest]]:
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=60).run(), "tina.teacher")
    yield "Clients", at
    at.button(key=next(b.key for b in at.button if b.key.startswith("edit_client_"))).click()
    yield "Clients (editing)", at.run()
    yield "Try a client", open_page(at, "Try a client")
    at.button(key="start_test").click().run()
    yield "Try a client (conversation)", at
    yield "Client check", open_page(at, "Client check")
    at.button(key="run_check").click().run()
    yield "Client check (scorecard)", at
    open_page(at, "History & metrics")
    at.session_state[f"conversation_{session_id}"] = True
    yield "History & metrics", at.run()
    yield "Reviews", open_page(at, "Reviews")
    at.toggle(key="queue_all").set_value(True).run()
    yield "Reviews (all)", at
    yield "Sections & assignments", open_page(at, "Sections & assignments")
    open_page(at, "Rubrics")
    at.selectbox(key="rubric_id").set_value(rubric_id).run()
    yield "Rubrics (own copy)", at
    yield "Class progress", open_page(at, "Class progress")


def student_pages(session_id: int) -> Iterator[tuple[str, AppTest]]:
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=60).run(), "sam.student")
    yield "Practice", at
    at.segmented_control(key="student_view").set_value("Join a section").run()
    yield "Practice (join a section)", at
    at.session_state["student_session_id"] = session_id
    yield "Practice (ended conversation)", at.run()
    open_page(at, "My sessions")
    at.session_state[f"my_session_{session_id}"] = True
    yield "My sessions", at.run()
    yield "My progress", open_page(at, "My progress")


def admin_pages() -> Iterator[tuple[str, AppTest]]:
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=60).run(), "ada.admin")
    for tab in FIGURE_TABS:
        yield tab, open_page(at, tab)
    for page in ("Service health", "Error log", "Review agreement", "Reviews", "Accounts"):
        yield page, open_page(at, page)
        if page == "Error log":  # the check's guard events come first
            at.multiselect(key="log_category").set_value(["api_unknown"]).run()
            yield "Error log (API errors)", at
    at.selectbox(key="manage_account").set_value("sam.student").run()
    yield "Accounts (sam.student)", at


def test_no_page_renders_markup_that_someone_else_wrote(app_db):
    session_id, rubric_id = hostile_world(app_db)
    roles = {
        "teacher": teacher_pages(session_id, rubric_id),
        "student": student_pages(session_id),
        "admin": admin_pages(),
    }
    found: list[str] = []
    shown: set[tuple[str, str]] = set()  # where the hostile text is drawn (escaped)
    for role, pages in roles.items():
        for page, at in pages:
            found += live_markup(at, f"{role} · {page}")
            shown |= {(f"{role} · {page}", where) for where, text in rendered(at) if "host" in text}
    assert not found, "\n".join(found)
    assert shown >= SHOWN_IN_LABELS, SHOWN_IN_LABELS - shown  # the walk reached them


def test_pages_escape_with_the_one_helper():
    """Others' text goes through `ui.safe_markdown`; a student's own words, sent or not, through
    `ui.as_typed` (no page escapes on its own), and no reply streams past the helper."""
    pages = {str(path.relative_to(MVP)): path.read_text() for path in MVP.rglob("*.py")}
    assert not {name for name, text in pages.items() if "escape_markdown(" in text}
    assert "ui.as_typed(message) for message in messages" in pages["chat_unsent.py"]  # Not sent
    assert not [name for name, text in pages.items() if "st.write_stream(" in text]
