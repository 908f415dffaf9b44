"""What one run of a screen costs the database: its reads in one transaction, and a statement count
that does not grow with the rows it lists (counted over the whole app run, log-in check included)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.jobs import runner
from backend.models.enums import Role
from backend.practice import session_service
from backend.reviews import review_service, rubric_service
from tests.apps.helpers import APP_PATH, assert_clean, log_in, open_page, start_button, texts
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

LOGIN_CHECK = 1  # every run checks the log-in in a transaction of its own (mvp/auth.py)


@dataclass
class Counts:
    transactions: int = 0
    statements: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.transactions} transactions, {len(self.statements)} statements"


@contextmanager
def counted() -> Iterator[Counts]:
    """Transactions begun and statements run on any engine while the block runs."""
    counts = Counts()

    def on_statement(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SELECT PG_")):
            counts.statements.append(statement)

    def on_begin(_conn: object) -> None:
        counts.transactions += 1

    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "begin", on_begin)
    try:
        yield counts
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)
        event.remove(Engine, "begin", on_begin)


def rerun(at: AppTest) -> Counts:
    """One more run of the screen as it stands, counted. Background work the last run started (a
    reply streaming in a job) is over first: its heartbeat, on a timer of its own, once landed in
    the count of a live conversation's rerun (3 transactions, one an `UPDATE jobs`)."""
    assert runner.wait_idle(10), "a job the screen started outlived it"
    with counted() as counts:
        at.run()
    assert_clean(at)
    return counts


def school(app_db, clients: int, name: str = "a") -> list[int]:
    """Teacher `name`.teacher with `clients` published clients assigned to an enrolled student,
    `name`.student, who has one ended conversation with each (its demo review held for the
    teacher). Returns those conversations."""
    with unit_of_work(app_db) as db:
        teacher = make_user(db, role=Role.teacher, username=f"{name}.teacher")
        student = make_user(db, username=f"{name}.student", display_name=f"Student {name}")
        section = make_section(db, teacher=teacher, name=f"Skills {name}")
        enroll(db, section=section, student=student)
        made = [make_client(db, teacher=teacher, name=f"Client {n}") for n in range(clients)]
        assignment = make_assignment(
            db, teacher=teacher, section=section, clients=made, title="Week 1"
        )
        rubric_service.set_assignment_rubric(
            db,
            actor=teacher,
            assignment_id=assignment.id,
            rubric_id=None,
            release_reviews="after_teacher_review",
        )
        sessions = []
        for client in made:
            session = session_service.create_session(db, actor=student, client_id=client.id)
            add_message(db, actor=student, session_id=session.id, content="What brings you in?")
            add_reply(db, session_id=session.id, content="Work has been a lot.")
            session_service.end_session(db, actor=student, session_id=session.id)
            review_service.create_demo_review(db, actor=student, session_id=session.id)
            sessions.append(session.id)
    return sessions


def test_an_ended_sessions_page_reads_in_one_transaction(app: AppTest, app_db) -> None:
    sessions = school(app_db, 2)
    at = log_in(app.run(), "a.student")
    at.session_state["student_session_id"] = sessions[0]
    first = rerun(at)
    again = rerun(at)
    print(f"\nended session: first run {first}, rerun {again}")
    assert any(i.value.startswith("Your teacher will review this session first.") for i in at.info)
    assert again.transactions <= LOGIN_CHECK + 1


def test_a_live_conversations_page_reads_in_one_transaction(app: AppTest, app_db) -> None:
    school(app_db, 2)
    at = log_in(app.run(), "a.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("Hello there.").run()
    assert_clean(at)
    again = rerun(at)
    print(f"\nlive conversation: rerun {again}")
    # The session time runs in the browser: no fragment of its own checks the log-in again.
    assert again.transactions <= LOGIN_CHECK + 1


def page_at(username: str, page: str | None = None) -> AppTest:
    """The app on the page `username` sees after logging in (or on `page`)."""
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), username)
    if page is not None:
        open_page(at, page)
    assert_clean(at)
    return at


def page_run(app_db, username: str, page: str | None = None) -> Counts:
    """A rerun of the page `username` sees after logging in (or of `page`)."""
    return rerun(page_at(username, page))


def small_and_large(app_db, username: str, page: str | None = None) -> dict[int, Counts]:
    school(app_db, 2, "a")
    school(app_db, 20, "b")
    return {
        2: page_run(app_db, f"a.{username}", page),
        20: page_run(app_db, f"b.{username}", page),
    }


def test_the_students_client_list_costs_the_same_for_2_and_20_clients(app_db) -> None:
    counts = small_and_large(app_db, "student")
    print(f"\nstudent's clients: 2 clients {counts[2]}, 20 clients {counts[20]}")
    assert len(counts[20].statements) == len(counts[2].statements)
    assert counts[20].transactions <= LOGIN_CHECK + 1


def test_the_teachers_client_list_costs_the_same_for_2_and_20_clients(app_db) -> None:
    counts = small_and_large(app_db, "teacher")
    print(f"\nteacher's clients: 2 clients {counts[2]}, 20 clients {counts[20]}")
    assert len(counts[20].statements) == len(counts[2].statements)
    assert counts[20].transactions <= LOGIN_CHECK + 1


def test_the_review_queue_costs_the_same_for_2_and_20_reviews_waiting(app_db) -> None:
    """The queue, the chosen review (the oldest, not the first shown) with its transcript and
    rubric, and the agreement tab: one transaction."""
    waiting = {2: school(app_db, 2, "a"), 20: school(app_db, 20, "b")}
    counts = {}
    for number, name in ((2, "a"), (20, "b")):
        at = page_at(f"{name}.teacher", "Reviews")
        chosen = waiting[number][0]
        at.session_state["review_session_id"] = chosen
        counts[number] = rerun(at)
        assert at.selectbox(key="review_session_id").value == chosen
        assert at.text_area(key=f"goal_{chosen}")  # its review's editor
        assert any("What brings you in?" in text for text in texts(at))  # its transcript
    print(f"\nreview queue: 2 waiting {counts[2]}, 20 waiting {counts[20]}")
    assert len(counts[20].statements) == len(counts[2].statements)
    assert counts[20].transactions <= LOGIN_CHECK + 1
