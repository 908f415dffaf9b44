"""Every read and write of every service, tried as each kind of caller.

Callers: the session's owner (an enrolled student), another student (not in the section), another
teacher, the section's teacher (who also owns the client), an admin, and nobody (not logged in).
Each call runs in a savepoint that is rolled back, so every cell starts from the same world.
Every public service function that takes an `actor` is a row here or is exempt with its reason
(`EXEMPT`); a new one fails `test_every_service_function_with_an_actor_is_in_the_matrix`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import event_log, permissions
from backend.accounts import account_service, sign_in_domain_service
from backend.actor import UserRead
from backend.checks import check_service
from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput
from backend.clients import client_service, student_access_service
from backend.config import get_settings
from backend.errors import NotFoundError, PermissionDeniedError
from backend.jobs import job_service, runner
from backend.jobs.read_models import JobRead
from backend.models import Rubric, SessionReview
from backend.models.base import utcnow
from backend.models.enums import Role, SessionMode
from backend.models.review import ReviewSource
from backend.monitoring import metrics_service
from backend.practice import (
    conversation_service,
    history_service,
    practice_screen,
    rating_service,
    session_service,
)
from backend.practice.read_models import MessageRead
from backend.reviews import (
    agreement_service,
    progress_service,
    review_service,
    rubric_service,
    session_screen,
    teacher_review_service,
)
from backend.reviews.rubrics import load_builtin_rubrics
from tests.factories import (
    PASSWORD,
    add_reply,
    builtin_criteria,
    client_input,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)

ACTORS = ("owner", "other_student", "other_teacher", "section_teacher", "admin", "nobody")


@dataclass
class World:
    users: dict[str, UserRead | None]
    client_id: int
    spare_client_id: int
    section_id: int
    spare_section_code: str
    assignment_id: int
    session_id: int


@pytest.fixture
def world(db) -> World:
    teacher = make_user(db, role=Role.teacher, username="section.teacher")
    owner = make_user(db, role=Role.student, username="owner.student")
    users = {
        "owner": owner,
        "other_student": make_user(db, role=Role.student, username="other.student"),
        "other_teacher": make_user(db, role=Role.teacher, username="other.teacher"),
        "section_teacher": teacher,
        "admin": make_user(db, role=Role.admin, username="the.admin"),
        "nobody": None,
    }
    client = make_client(db, teacher=teacher)
    spare = make_client(db, teacher=teacher, name="Spare client")
    section = make_section(db, teacher=teacher)
    enroll(db, section=section, student=owner)
    assignment = make_assignment(db, teacher=teacher, section=section, clients=[client, spare])
    session = session_service.create_session(db, actor=owner, client_id=client.id)
    session_service.add_message(
        db, actor=owner, session_id=session.id, content="Hi, I'm your counselor today."
    )
    spare_section = make_section(db, teacher=teacher, name="Spare section")
    return World(
        users, client.id, spare.id, section.id, spare_section.join_code, assignment.id, session.id
    )


def _outcome(db, call, actor) -> str:
    savepoint = db.begin_nested()
    try:
        result = call(actor)
        outcome = "empty" if result == [] else "ok"
    except (PermissionDeniedError, NotFoundError):  # someone else's conversation reads as missing
        outcome = "denied"
    finally:
        savepoint.rollback()
    return outcome


def _ended(db, w: World) -> int:
    """The world's conversation, ended by its owner (inside the cell's savepoint)."""
    session_service.end_session(db, actor=w.users["owner"], session_id=w.session_id)
    return w.session_id


def _reviewed(db, w: World) -> int:
    """The world's conversation, ended and given its (demo) review by its owner."""
    review_service.create_demo_review(db, actor=w.users["owner"], session_id=_ended(db, w))
    return w.session_id


def _model_version(db, w: World) -> dict:
    """The world's review (as if the model had written it), as a teacher's edits start from."""
    row = db.query(SessionReview).filter_by(session_id=_reviewed(db, w)).one()
    row.source = ReviewSource.model
    # A short session's demo review has no ratings; the model's here rates every criterion.
    row.content = {
        **row.content,
        "scores": [
            {"criterion": key, "turns": [1], "reasoning": "Rated.", "score": 3}
            for key in builtin_criteria()
        ],
    }
    db.flush()
    return {key: value for key, value in row.content.items() if key != "demo"}


def _teacher_reviewed(db, w: World) -> int:
    """The world's model review with a version saved by the section's teacher."""
    teacher_review_service.save_teacher_review(
        db, actor=w.users["section_teacher"], session_id=w.session_id, edits=_model_version(db, w)
    )
    return w.session_id


def _builtin_id(db) -> int:
    rubric_service.seed_builtin_rubrics(db)
    return db.scalar(select(Rubric.id).where(Rubric.owner_id.is_(None)).limit(1))


def _own_rubric_id(db, w: World) -> int:
    """The section's teacher's own copy of a built-in rubric."""
    teacher = w.users["section_teacher"]
    return rubric_service.copy_rubric(db, actor=teacher, rubric_id=_builtin_id(db)).id


def _rubric_definition() -> dict:
    definition = load_builtin_rubrics()[0].model_dump(mode="json")
    return definition | {"name": "A rubric of my own"}


def _client_export() -> str:
    """What Download JSON gives a colleague to import."""
    return json.dumps({"clients": [client_input(name="Imported").model_dump(mode="json")]})


def _domain_id(db, w: World) -> int:
    """An institution sign-in rule (the admin's, which also logs an event)."""
    rule = sign_in_domain_service.add_domain(
        db, actor=w.users["admin"], domain="rule.example.edu", role=Role.teacher
    )
    return rule.id


def _reply_id(db, w: World) -> int:
    """A client reply in the world's conversation, stored the way the product stores one."""
    return add_reply(db, session_id=w.session_id, content="I don't know where to start.").id


def _with_feedback(db, w: World) -> int:
    """The world's conversation with a reply its owner rated and, once ended, their form."""
    owner = w.users["owner"]
    rating_service.rate_reply(db, actor=owner, message_id=_reply_id(db, w), positive=True)
    rating_service.submit_session_rating(
        db, actor=owner, session_id=_ended(db, w), realism=4, usefulness=5, comment="It felt real."
    )
    return w.session_id


class _InCell:
    """A `Database` whose units of work are savepoints of the cell's session: a service that
    opens its own transactions still runs, and is rolled back, inside the cell."""

    def __init__(self, db) -> None:
        self.db = db

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[Session]:
        with self.db.begin_nested():
            yield self.db


def _replied(outcome: conversation_service.ReplyOutcome) -> MessageRead | None:
    """The stored reply: a refused or failed one must not pass an allowed cell."""
    assert outcome.ok, outcome.notice
    assert runner.wait_idle(10), "the reply job outlived the cell"
    return outcome.message


def _job_of(db, w: World) -> int:
    """A review job the owner started on their conversation, still under way."""
    job, _created = job_service.create(
        db, kind="review", subject=w.session_id, owner_id=w.users["owner"].id
    )
    return job.id


def _ended_job(job: JobRead) -> JobRead:
    """A job started in the cell, once it ended (its worker used the cell's session meanwhile)."""
    assert runner.wait_idle(10), "the job outlived the cell"
    return job


@dataclass(frozen=True)
class Operation:
    """One row of the matrix: the service function it exercises, how, and who may do it.

    `call(function, db, world, actor)` is handed `function` itself, so the row cannot name one
    function and exercise another. Anyone not in `allowed` is denied (or, for list reads
    filtered by permission, gets an empty list)."""

    function: Callable
    call: Callable
    allowed: frozenset[str]


def _op(function: Callable, call: Callable, allowed: set[str]) -> Operation:
    return Operation(function, call, frozenset(allowed))


ANYONE = set(ACTORS) - {"nobody"}
READERS = {"owner", "section_teacher", "admin"}  # of the owner's conversation
# Who may start a conversation with the spare client: the student it is assigned to, its teacher
# (a test conversation) and an admin.
ASSIGNED_OR_OWNED = {"owner", "section_teacher", "admin"}
TEACHERS = {"other_teacher", "section_teacher", "admin"}
SECTION = {"section_teacher", "admin"}  # the section's (and its clients') teacher, or an admin
ADMIN = {"admin"}


def _operations() -> dict[str, Operation]:
    return {
        # Reads
        "get_session": _op(
            session_service.get_session,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            READERS,
        ),
        "get_messages": _op(
            session_service.get_messages,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            READERS,
        ),
        "get_student_sessions": _op(
            session_service.get_student_sessions,
            lambda f, db, w, a: f(db, actor=a, student_id=w.users["owner"].id),
            READERS,
        ),
        "get_active_session": _op(  # the actor's own, so only the owner finds the world's
            session_service.get_active_session,
            lambda f, db, w, a: [s for s in [f(db, actor=a, client_id=w.client_id)] if s],
            {"owner"},
        ),
        "active_client_ids": _op(  # the actor's own, so only the owner finds the world's
            practice_screen.active_client_ids,
            lambda f, db, w, a: [c for c in f(db, actor=a) if c == w.client_id],
            {"owner"},
        ),
        "read_practice_screen": _op(
            practice_screen.read_practice_screen,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            READERS,
        ),
        "read_session_screen": _op(
            session_screen.read_session_screen,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            READERS,
        ),
        "get_client_full": _op(
            client_service.get_client,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id),
            SECTION,
        ),
        "get_owned_client": _op(
            client_service.get_owned,
            lambda f, db, w, a: f(db, a, w.client_id),
            SECTION,
        ),
        "estimate_client_check": _op(
            check_service.estimate_check_cost,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id) or "ok",
            SECTION,
        ),
        "latest_scorecard": _op(
            check_service.latest_scorecard,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id) or "ok",
            SECTION,
        ),
        "previous_scorecard": _op(
            check_service.previous_scorecard,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id) or "ok",
            SECTION,
        ),
        "clients_needing_a_check": _op(
            check_service.clients_needing_a_check,
            lambda f, db, w, a: f(db, actor=a, assignment_id=w.assignment_id),
            SECTION,
        ),
        "get_client_brief": _op(
            client_service.get_client_brief,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id),
            READERS,
        ),
        "list_clients": _op(
            client_service.list_clients,
            lambda f, db, w, a: [c for c in f(db, actor=a) if c.id == w.client_id],
            SECTION,
        ),
        "list_available_clients": _op(
            student_access_service.list_available_clients,
            lambda f, db, w, a: f(db, actor=a),
            {"owner"},
        ),
        "get_owned_section": _op(
            section_service.get_owned_section,
            lambda f, db, w, a: f(db, a, w.section_id),
            SECTION,
        ),
        "get_roster": _op(
            section_service.get_roster,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id),
            SECTION,
        ),
        "list_sections": _op(
            section_service.list_sections,
            lambda f, db, w, a: [s for s in f(db, actor=a) if s.id == w.section_id],
            READERS,
        ),
        "get_assignment": _op(
            assignment_service.get_assignment,
            lambda f, db, w, a: f(db, actor=a, assignment_id=w.assignment_id),
            SECTION,
        ),
        "list_assignments": _op(
            assignment_service.list_assignments,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id),
            SECTION,
        ),
        "get_user": _op(
            account_service.get_user,
            lambda f, db, w, a: f(db, actor=a, user_id=w.users["owner"].id),
            {"owner", "admin"},
        ),
        "list_users": _op(account_service.list_users, lambda f, db, w, a: f(db, actor=a), ADMIN),
        "list_events": _op(
            event_log.list_events, lambda f, db, w, a: f(db, actor=a) or ["ok"], ADMIN
        ),
        "event_categories": _op(
            event_log.event_categories,
            lambda f, db, w, a: _domain_id(db, w) and f(db, actor=a),
            ADMIN,
        ),
        "list_domains": _op(
            sign_in_domain_service.list_domains,
            lambda f, db, w, a: _domain_id(db, w) and f(db, actor=a),
            ADMIN,
        ),
        "get_review": _op(
            review_service.get_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            READERS,
        ),
        "get_review_rubric": _op(
            review_service.get_review_rubric,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            READERS,
        ),
        "prepare_review": _op(
            review_service.prepare_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_ended(db, w)),
            READERS,
        ),
        "teacher_session": _op(
            review_service.teacher_session,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            SECTION,
        ),
        "student_progress": _op(
            progress_service.student_progress,
            lambda f, db, w, a: (
                _reviewed(db, w) and f(db, actor=a, student_id=w.users["owner"].id).points
            ),
            READERS,
        ),
        "class_progress": _op(
            progress_service.class_progress,
            lambda f, db, w, a: _reviewed(db, w) and f(db, actor=a, section_id=w.section_id).points,
            SECTION,
        ),
        "gradebook_csv": _op(
            progress_service.class_progress,
            lambda f, db, w, a: progress_service.gradebook_csv(
                f(db, actor=a, section_id=w.section_id, assignment_id=w.assignment_id)
            ),
            SECTION,
        ),
        "class_choices": _op(
            progress_service.class_choices,
            lambda f, db, w, a: [c for c in f(db, actor=a) if c.id == w.section_id],
            SECTION,
        ),
        "list_rubrics": _op(
            rubric_service.list_rubrics, lambda f, db, w, a: f(db, actor=a), TEACHERS
        ),
        "get_rubric": _op(
            rubric_service.get_rubric,
            lambda f, db, w, a: f(db, actor=a, rubric_id=_own_rubric_id(db, w)),
            SECTION,
        ),
        "get_session_rating": _op(
            rating_service.get_session_rating,
            lambda f, db, w, a: f(db, actor=a, session_id=_with_feedback(db, w)),
            READERS,
        ),
        "reply_ratings": _op(
            rating_service.reply_ratings,
            lambda f, db, w, a: list(f(db, actor=a, session_id=_with_feedback(db, w))),
            READERS,
        ),
        "session_ratings": _op(
            rating_service.session_ratings,
            lambda f, db, w, a: list(f(db, actor=a, session_ids=[_with_feedback(db, w)])),
            SECTION,
        ),
        "client_ratings": _op(
            rating_service.client_ratings,
            lambda f, db, w, a: (
                _with_feedback(db, w) and list(f(db, actor=a, client_ids=[w.client_id]))
            ),
            SECTION,
        ),
        "rating_shares": _op(
            rating_service.rating_shares,
            lambda f, db, w, a: _with_feedback(db, w) and f(db, actor=a)[1],
            SECTION,
        ),
        "rating_shares_this_week": _op(
            rating_service.rating_shares,
            lambda f, db, w, a: (
                _with_feedback(db, w) and f(db, actor=a, since=utcnow() - timedelta(days=7))[1]
            ),
            SECTION,
        ),
        "list_conversations": _op(
            history_service.list_conversations,
            lambda f, db, w, a: [r for r in f(db, actor=a) if r.session_id == w.session_id],
            SECTION,
        ),
        "list_own_conversations": _op(
            history_service.list_own_conversations,
            lambda f, db, w, a: [r for r in f(db, actor=a) if r.session_id == w.session_id],
            {"owner"},
        ),
        "history_metrics_summary": _op(
            history_service.metrics_summary,
            lambda f, db, w, a: (
                [w.session_id] * f(db, actor=a, client_id=w.client_id).conversations
            ),
            SECTION,
        ),
        "history_filter_options": _op(
            history_service.filter_options,
            lambda f, db, w, a: [c for c, _name in f(db, actor=a).clients if c == w.client_id],
            SECTION,
        ),
        "transcript_markdown": _op(
            history_service.transcript_markdown,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            READERS,
        ),
        "get_view": _op(
            conversation_service.get_view,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id),
            READERS,
        ),
        "reply_pending": _op(
            conversation_service.reply_pending,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id) or "ok",
            READERS,
        ),
        "pending_reply_text": _op(
            conversation_service.pending_reply_text,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id) or "ok",
            READERS,
        ),
        # The admin's dashboard
        "now_figures": _op(metrics_service.now_figures, lambda f, db, w, a: f(db, actor=a), ADMIN),
        "active_sessions": _op(
            metrics_service.active_sessions, lambda f, db, w, a: f(db, actor=a) or "ok", ADMIN
        ),
        "hourly_usage": _op(
            metrics_service.hourly_usage, lambda f, db, w, a: f(db, actor=a) or "ok", ADMIN
        ),
        "daily_usage": _op(
            metrics_service.daily_usage, lambda f, db, w, a: f(db, actor=a) or "ok", ADMIN
        ),
        "breakdowns": _op(metrics_service.breakdowns, lambda f, db, w, a: f(db, actor=a), ADMIN),
        "breakdown": _op(
            metrics_service.breakdown,
            lambda f, db, w, a: f(db, actor=a, by="client") or "ok",
            ADMIN,
        ),
        "budget_status": _op(
            metrics_service.budget_status,
            lambda f, db, w, a: f(db, get_settings(), actor=a),
            ADMIN,
        ),
        "review_costs": _op(
            metrics_service.review_costs, lambda f, db, w, a: f(db, actor=a), ADMIN
        ),
        # Writes
        "create_demo_review": _op(
            review_service.create_demo_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_ended(db, w)),
            READERS,
        ),
        "create_review": _op(
            review_service.create_review,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=_ended(db, w)),
            READERS,
        ),
        "start_review": _op(
            review_service.start_review,
            lambda f, db, w, a: _ended_job(f(_InCell(db), actor=a, session_id=_ended(db, w))),
            READERS,
        ),
        "review_job": _op(
            review_service.review_job,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id) or "ok",
            READERS,
        ),
        "check_job": _op(
            check_service.check_job,
            lambda f, db, w, a: f(_InCell(db), actor=a, client_id=w.client_id) or "ok",
            SECTION,
        ),
        "get_job": _op(
            job_service.get_job,
            lambda f, db, w, a: f(db, actor=a, job_id=_job_of(db, w)),
            {"owner", "admin"},
        ),
        "cancel_job": _op(
            job_service.cancel_job,
            lambda f, db, w, a: f(db, actor=a, job_id=_job_of(db, w)),
            {"owner", "admin"},
        ),
        "cancel": _op(
            runner.cancel,
            lambda f, db, w, a: f(_InCell(db), actor=a, job_id=_job_of(db, w)),
            {"owner", "admin"},
        ),
        "release_review": _op(
            review_service.release_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            SECTION,
        ),
        "save_teacher_review": _op(
            teacher_review_service.save_teacher_review,
            lambda f, db, w, a: f(
                db, actor=a, session_id=w.session_id, edits=_model_version(db, w)
            ),
            SECTION,
        ),
        "review_queue": _op(
            teacher_review_service.review_queue,
            lambda f, db, w, a: [
                item
                for item in f(db, actor=a, include_unreviewed=_reviewed(db, w) > 0)
                if item.session_id == w.session_id
            ],
            SECTION,
        ),
        "review_agreement": _op(
            agreement_service.agreement,
            lambda f, db, w, a: _teacher_reviewed(db, w) and f(db, actor=a),
            SECTION,
        ),
        "create_rubric": _op(
            rubric_service.create_rubric,
            lambda f, db, w, a: f(db, actor=a, definition=_rubric_definition()),
            TEACHERS,
        ),
        "copy_rubric": _op(
            rubric_service.copy_rubric,
            lambda f, db, w, a: f(db, actor=a, rubric_id=_builtin_id(db)),
            TEACHERS,
        ),
        "update_rubric": _op(
            rubric_service.update_rubric,
            lambda f, db, w, a: f(
                db, actor=a, rubric_id=_own_rubric_id(db, w), definition=_rubric_definition()
            ),
            SECTION,
        ),
        "set_assignment_rubric": _op(
            rubric_service.set_assignment_rubric,
            lambda f, db, w, a: (
                f(db, actor=a, assignment_id=w.assignment_id, rubric_id=_builtin_id(db)) or "ok"
            ),
            SECTION,
        ),
        "set_section_rubric": _op(
            rubric_service.set_section_rubric,
            lambda f, db, w, a: (
                f(db, actor=a, section_id=w.section_id, rubric_id=_builtin_id(db)) or "ok"
            ),
            SECTION,
        ),
        "add_message": _op(
            session_service.add_message,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id, content="Hello?"),
            {"owner"},
        ),
        "lock_for_turn": _op(
            session_service.lock_for_turn,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            {"owner"},
        ),
        "end_session": _op(
            session_service.end_session,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            {"owner", "admin"},
        ),
        "create_session": _op(
            session_service.create_session,
            lambda f, db, w, a: f(db, actor=a, client_id=w.spare_client_id),
            ASSIGNED_OR_OWNED,
        ),
        "start_conversation": _op(
            conversation_service.start_conversation,
            lambda f, db, w, a: f(_InCell(db), actor=a, client_id=w.spare_client_id),
            ASSIGNED_OR_OWNED,
        ),
        "start_check_conversation": _op(
            conversation_service.start_conversation,
            lambda f, db, w, a: f(
                _InCell(db), actor=a, client_id=w.client_id, mode=SessionMode.check
            ),
            SECTION,
        ),
        "end_conversation": _op(
            conversation_service.end_conversation,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id),
            {"owner", "admin"},
        ),
        # The reply runs in the service's thread, on the cell's session while the cell waits.
        "submit_message": _op(
            conversation_service.submit_message,
            lambda f, db, w, a: _replied(
                f(_InCell(db), actor=a, session_id=w.session_id, content="Hello?").wait()
            ),
            {"owner"},
        ),
        "send_message": _op(
            conversation_service.send_message,
            lambda f, db, w, a: _replied(
                f(_InCell(db), actor=a, session_id=w.session_id, content="Hello?")
            ),
            {"owner"},
        ),
        "request_reply": _op(  # the world's last message still waits for its reply
            conversation_service.request_reply,
            lambda f, db, w, a: _replied(f(_InCell(db), actor=a, session_id=w.session_id).wait()),
            {"owner"},
        ),
        "submit_session_rating": _op(
            rating_service.submit_session_rating,
            lambda f, db, w, a: f(
                db, actor=a, session_id=_ended(db, w), realism=4, usefulness=5, comment="Real."
            ),
            {"owner"},
        ),
        "rate_reply": _op(
            rating_service.rate_reply,
            lambda f, db, w, a: f(db, actor=a, message_id=_reply_id(db, w), positive=True) or "ok",
            {"owner"},
        ),
        "create_client": _op(
            client_service.create_client,
            lambda f, db, w, a: f(db, actor=a, data=client_input()),
            TEACHERS,
        ),
        "import_clients_json": _op(
            client_service.import_clients_json,
            lambda f, db, w, a: f(db, actor=a, raw=_client_export()),
            TEACHERS,
        ),
        "update_client": _op(
            client_service.update_client,
            lambda f, db, w, a: f(
                db, actor=a, client_id=w.client_id, data=client_input(name="Changed")
            ),
            SECTION,
        ),
        "archive_client": _op(
            client_service.set_archived,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id, archived=True),
            SECTION,
        ),
        "duplicate_client": _op(
            client_service.duplicate_client,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id),
            SECTION,
        ),
        "export_clients": _op(
            client_service.export_clients_json,
            lambda f, db, w, a: f(db, actor=a, client_ids=[w.client_id]),
            SECTION,
        ),
        "create_section": _op(
            section_service.create_section,
            lambda f, db, w, a: f(db, actor=a, name="New"),
            TEACHERS,
        ),
        "regenerate_join_code": _op(
            section_service.regenerate_join_code,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id),
            SECTION,
        ),
        "update_section": _op(
            section_service.update_section,
            lambda f, db, w, a: f(
                db, actor=a, section_id=w.section_id, name="Renamed", seat_limit=40
            ),
            SECTION,
        ),
        "remove_student": _op(
            section_service.remove_student,
            lambda f, db, w, a: f(
                db, actor=a, section_id=w.section_id, student_id=w.users["owner"].id
            ),
            SECTION,
        ),
        "join_section": _op(
            section_service.join_section,
            lambda f, db, w, a: f(db, actor=a, join_code=w.spare_section_code),
            {"owner", "other_student"},
        ),
        "create_assignment": _op(
            assignment_service.create_assignment,
            lambda f, db, w, a: f(
                db,
                actor=a,
                section_id=w.section_id,
                data=AssignmentInput(title="New", client_ids=[w.client_id]),
            ),
            SECTION,
        ),
        "update_assignment": _op(
            assignment_service.update_assignment,
            lambda f, db, w, a: f(
                db,
                actor=a,
                assignment_id=w.assignment_id,
                data=AssignmentInput(title="Renamed", client_ids=[w.client_id]),
            ),
            SECTION,
        ),
        "publish_assignment_unchecked": _op(
            assignment_service.set_published,
            lambda f, db, w, a: f(
                db, actor=a, assignment_id=w.assignment_id, published=True, confirm_unchecked=True
            ),
            SECTION,
        ),
        "unpublish_assignment": _op(
            assignment_service.set_published,
            lambda f, db, w, a: f(db, actor=a, assignment_id=w.assignment_id, published=False),
            SECTION,
        ),
        "create_user": _op(
            account_service.create_user,
            lambda f, db, w, a: f(
                db,
                actor=a,
                username="brand.new",
                display_name="New",
                password=PASSWORD,
                role=Role.teacher,
            ),
            ADMIN,
        ),
        "reset_password": _op(
            account_service.reset_password,
            lambda f, db, w, a: (
                f(db, actor=a, user_id=w.users["owner"].id, new_password="another password") or "ok"
            ),
            ADMIN,
        ),
        "deactivate_user": _op(
            account_service.set_active,
            lambda f, db, w, a: f(db, actor=a, user_id=w.users["owner"].id, active=False),
            ADMIN,
        ),
        "change_own_password": _op(
            account_service.change_password,
            lambda f, db, w, a: f(
                db, actor=a, current_password=PASSWORD, new_password="another password"
            ),
            ANYONE,
        ),
        "start_login_session": _op(
            account_service.start_login_session, lambda f, db, w, a: f(db, actor=a), ANYONE
        ),
        "remember_device": _op(  # a device token for the caller's own account
            account_service.remember_device, lambda f, db, w, a: f(db, actor=a), ANYONE
        ),
        "add_domain": _op(
            sign_in_domain_service.add_domain,
            lambda f, db, w, a: f(db, actor=a, domain="school.edu", role=Role.student),
            ADMIN,
        ),
        "remove_domain": _op(
            sign_in_domain_service.remove_domain,
            lambda f, db, w, a: f(db, actor=a, domain_id=_domain_id(db, w)),
            ADMIN,
        ),
        "set_account_email": _op(
            sign_in_domain_service.set_account_email,
            lambda f, db, w, a: f(
                db, actor=a, user_id=w.users["owner"].id, email="owner@school.edu"
            ),
            ADMIN,
        ),
    }


# "module.function" -> why it is not a row of the matrix.
EXEMPT = {
    **{
        f"permissions.{name}": "the checks themselves, exercised by every cell"
        for name in (
            "require_user",
            "require_role",
            "require_teacher",
            "require_admin",
            "require_student",
            "load_owned",
        )
    },
    # A WHERE clause for a caller already checked by `require_user`/`require_teacher` (it takes no
    # database and no `None`): what it admits is checked by the rows of its callers,
    # get_student_sessions, list_conversations, history_metrics_summary, history_filter_options,
    # session_feedback, client_ratings and rating_shares.
    "session_service.readable_sessions_filter": "a query filter, checked through its callers",
    # Runs its probes on up to four worker threads at once, each opening its own transactions, so
    # it cannot share a cell's session. Its only check is get_client (get_client_full here);
    # test_client_check.py::test_only_the_owner_or_an_admin_runs_a_check tries every caller.
    "check_service.run_check": "concurrent worker threads; see test_client_check.py",
    # Starts run_check as a job; its check (get_client) runs before the job starts, and
    # test_client_check.py::test_only_the_owner_or_an_admin_starts_a_check tries every caller.
    "check_service.start_check": "a job on concurrent worker threads; see test_client_check.py",
}


BACKEND = Path(__file__).resolve().parents[2] / "backend"
DOMAINS = (
    "accounts",
    "clients",
    "classes",
    "practice",
    "reviews",
    "checks",
    "usage",
    "monitoring",
    "ops",
)


def _name(function: Callable) -> str:
    return f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"


def _service_functions() -> set[str]:
    """Every public function defined in a domain package's module, or the event log, that takes an
    `actor`."""
    found = set()
    modules = [event_log, permissions, job_service, runner] + [
        importlib.import_module(f"backend.{domain}.{module_info.name}")
        for domain in DOMAINS
        for module_info in pkgutil.iter_modules([str(BACKEND / domain)])
    ]
    for module in modules:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if (
                not name.startswith("_")
                and function.__module__ == module.__name__
                and "actor" in inspect.signature(function).parameters
            ):
                found.add(_name(function))
    return found


def test_every_service_function_with_an_actor_is_in_the_matrix():
    functions = _service_functions()
    covered = {_name(operation.function) for operation in _operations().values()}
    missing = sorted(functions - covered - EXEMPT.keys())
    assert not missing, f"Add a row to the matrix (or an exemption with its reason) for {missing}"
    assert covered <= functions, f"rows of no such function: {sorted(covered - functions)}"
    assert not covered & EXEMPT.keys(), "a function is both a row and exempt"
    assert EXEMPT.keys() <= functions, f"stale exemptions: {sorted(EXEMPT.keys() - functions)}"


@pytest.mark.parametrize("operation", sorted(_operations()))
def test_authorization_matrix(db, world, operation):
    row = _operations()[operation]
    outcomes = {
        name: _outcome(db, lambda a: row.call(row.function, db, world, a), world.users[name])
        for name in ACTORS
    }
    expected = {name: "ok" if name in row.allowed else outcomes[name] for name in ACTORS}
    assert outcomes == expected, f"{operation}: {outcomes}"
    refused = {name: outcomes[name] for name in ACTORS if name not in row.allowed}
    assert all(outcome in {"denied", "empty"} for outcome in refused.values()), refused
    assert outcomes["nobody"] == "denied"
