"""Every read and write of every service, tried as each kind of caller.

Callers: the session's owner (an enrolled student), another student (not in the section), another
teacher, the section's teacher (who also owns the client), an admin, and nobody (not logged in).
The world is built once per module (and backend) in a transaction rolled back at the end; each
cell's `db` and each call run in savepoints that are rolled back, so every cell starts from it.
Who is expected to succeed comes from the access policy (`backend.access.POLICY`): each row names
the rules its function applies and to which thing of the world, `RELATIONS` says what each caller
is to each thing, and a caller may when every rule lets them. So a rule changes in one place, and
the cells still call the real functions and check what really happens.
Every public service function that takes an `actor` is a row here or is exempt with its reason
(`EXEMPT`); a new one fails `test_every_service_function_with_an_actor_is_in_the_matrix`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from backend import access, event_log
from backend.access import Who
from backend.accounts import account_service, sign_in_domain_service
from backend.actor import UserRead
from backend.checks import check_service
from backend.classes import assignment_service, section_service
from backend.classes.read_models import AssignmentInput
from backend.clients import client_service, student_access_service
from backend.config import get_settings
from backend.drills import attempt_service, drill_service, generation, results_service
from backend.drills.bank import bank_items
from backend.drills.read_models import DrillItemInput
from backend.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from backend.jobs import job_service, runner
from backend.jobs.read_models import JobRead
from backend.models import Base, Rubric, SessionReview, User
from backend.models.base import utcnow
from backend.models.enums import DrillSkill, Role, SessionMode
from backend.models.review import ReviewSource
from backend.monitoring import health_service, metrics_service, problem_report_service
from backend.practice import (
    branch_service,
    conversation_service,
    history_service,
    memory_service,
    memory_writer,
    practice_screen,
    rating_service,
    session_service,
)
from backend.practice.read_models import MessageRead
from backend.reviews import (
    agreement_service,
    gradebook_service,
    progress_service,
    review_screen,
    review_service,
    rubric_service,
    session_screen,
    teacher_review_service,
    try_coding,
)
from backend.reviews.rubrics import load_builtin_rubrics
from tests.factories import (
    PASSWORD,
    add_message,
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
    drill_set_id: int  # the section teacher's set, assigned to the section


@pytest.fixture(scope="module")
def _world_connection(engine) -> Iterator[Connection]:
    """One connection per module whose transaction holds the world and is rolled back at the
    end: the world is built once, not once per cell (it was most of the file's time)."""
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture(scope="module")
def world(_world_connection) -> World:
    """Built once per module inside `_world_connection`'s transaction; every cell's `db` works in
    a savepoint of it that is rolled back, so every cell still starts from this same world."""
    db = Session(
        bind=_world_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        built = _build_world(db)
        db.commit()  # releases the session's savepoint: the world stays in the outer transaction
    finally:
        db.close()
    return built


@pytest.fixture
def db(_world_connection, world) -> Iterator[Session]:
    """This module's `db`: a session on the world's connection, in a savepoint rolled back after
    the test (services' own savepoints still work inside it)."""
    savepoint = _world_connection.begin_nested()
    db = Session(
        bind=_world_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield db
    db.close()
    savepoint.rollback()


def _build_world(db: Session) -> World:
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
    add_message(db, actor=owner, session_id=session.id, content="Hi, I'm your counselor today.")
    spare_section = make_section(db, teacher=teacher, name="Spare section")
    drill_set = drill_service.create_set(db, actor=teacher, title="Open questions")
    # Six items: an assigned set keeps five, so its teacher may remove one.
    keys = [item.key for item in bank_items(DrillSkill.open_question)[:6]]
    drill_service.add_bank_items(db, actor=teacher, set_id=drill_set.id, keys=keys)
    drill_service.assign_set(db, actor=teacher, set_id=drill_set.id, section_id=section.id)
    return World(
        users,
        client.id,
        spare.id,
        section.id,
        spare_section.join_code,
        assignment.id,
        session.id,
        drill_set.id,
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


def _branch(db, w: World) -> int:
    """A branch ("Practise this moment") of the world's conversation at its first turn, opened
    by its owner."""
    owner = w.users["owner"]
    return branch_service.start_branch(db, actor=owner, session_id=w.session_id, turn=1).id


def _continuing(db, w: World) -> int:
    """The world's conversation, its assignment made a continuing client's by its teacher."""
    assignment_service.set_continuing_client(
        db, actor=w.users["section_teacher"], assignment_id=w.assignment_id, continuing=True
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


# A job started in a cell writes through `_InCell` from its worker thread, and so does the runner's
# heartbeat thread whenever it beats while the job runs: their units of work take turns on the
# cell's one Session, and the test waits for both before it uses the session again.
CELL_SESSION = threading.RLock()


class _InCell:
    """A `Database` whose units of work are savepoints of the cell's session: a service that
    opens its own transactions still runs, and is rolled back, inside the cell."""

    def __init__(self, db) -> None:
        self.db = db

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[Session]:
        with CELL_SESSION, self.db.begin_nested():
            yield self.db


def _wait_for_jobs(what: str) -> None:
    """Until no job runs in this process and no unit of work of theirs (a heartbeat's) is open."""
    assert runner.wait_idle(10), f"{what} outlived the cell"
    with CELL_SESSION:
        pass


def _replied(outcome: conversation_service.ReplyOutcome) -> MessageRead | None:
    """The stored reply: a refused or failed one must not pass an allowed cell."""
    assert outcome.ok, outcome.notice
    _wait_for_jobs("the reply job")
    return outcome.message


def _job_of(db, w: World) -> int:
    """A review job the owner started on their conversation, still under way."""
    job, _created = job_service.create(
        db, kind="review", subject=w.session_id, owner_id=w.users["owner"].id
    )
    return job.id


def _ended_job(job: JobRead) -> JobRead:
    """A job started in the cell, once it ended (its worker used the cell's session meanwhile)."""
    _wait_for_jobs("the job")
    return job


#: What each caller is to each thing of the world the rows act on (beyond their role).
RELATIONS: dict[str, dict[str, Who]] = {
    "conversation": {"owner": Who.OWNER, "section_teacher": Who.SECTION_TEACHER},
    # The world's clients (and the spare one): written by the section's teacher, assigned (in a
    # published assignment of the section) to the owner.
    "client": {"owner": Who.STUDENT, "section_teacher": Who.AUTHOR},
    "section": {"owner": Who.STUDENT, "section_teacher": Who.SECTION_TEACHER},
    "rubric": {"section_teacher": Who.AUTHOR},  # the section teacher's own copy
    "built_in_rubric": {"other_teacher": Who.BUILT_IN, "section_teacher": Who.BUILT_IN},
    "account": {"owner": Who.OWNER},  # the owner's account
    "job": {"owner": Who.OWNER},  # a job the owner started
    # The section teacher's drill set, assigned to the section (so to the owner).
    "drill": {"owner": Who.STUDENT, "section_teacher": Who.AUTHOR},
    "": {},  # no thing: a rule about the caller's role only
}
#: What each caller is by their role alone.
ROLE_RELATIONS: dict[str, Who] = {
    "owner": Who.ANY_STUDENT | Who.ANYONE,
    "other_student": Who.ANY_STUDENT | Who.ANYONE,
    "other_teacher": Who.ANY_TEACHER | Who.ANYONE,
    "section_teacher": Who.ANY_TEACHER | Who.ANYONE,
    "admin": Who.ADMIN | Who.ANYONE,
    "nobody": Who(0),
}

Rule = tuple[access.Resource, access.Action, str]  # (resource, action, the world's thing)


def _may(actor: str, rule: Rule) -> bool:
    """What the policy says of this caller and this rule, in the world."""
    resource, action, thing = rule
    held = RELATIONS[thing].get(actor, Who(0)) | ROLE_RELATIONS[actor]
    return bool(access.POLICY[resource, action] & held)


@dataclass(frozen=True)
class Operation:
    """One row of the matrix: the service function it exercises, how, and the policy's rules it
    applies (each to a thing of the world).

    `call(function, db, world, actor)` is handed `function` itself, so the row cannot name one
    function and exercise another. Anyone the rules do not all allow is denied (or, for list
    reads filtered by permission, gets an empty list). `only` narrows a function that serves
    fewer callers than its rules allow (a list of the caller's own conversations)."""

    function: Callable
    call: Callable
    rules: tuple[Rule, ...]
    only: Who | None = None

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(
            actor
            for actor in ACTORS
            if all(_may(actor, rule) for rule in self.rules)
            and (
                self.only is None or bool(self.only & RELATIONS["conversation"].get(actor, Who(0)))
            )
        )


def _op(function: Callable, call: Callable, *rules: Rule, only: Who | None = None) -> Operation:
    return Operation(function, call, rules, only)


def R(resource: access.Resource, action: access.Action, thing: str = "") -> Rule:  # noqa: N802
    """A rule of the policy, applied to a thing of the world (none: the caller's role only)."""
    return (resource, action, thing)


CONVERSATION_READ = R("conversation", "read", "conversation")
CONVERSATION_WRITE = R("conversation", "write", "conversation")
TRANSCRIPT_READ = R("transcript", "read", "conversation")
REVIEW_READ = R("review", "read", "conversation")
REVIEW_REQUEST = R("review", "request", "conversation")
REVIEW_EDIT = R("review", "edit", "conversation")
TEACHING = R("teaching", "use")
ADMINISTRATION = R("administration", "use")
SECTION_MANAGE = R("section", "manage", "section")
CLIENT_READ = R("client", "read", "client")
CLIENT_EDIT = R("client", "edit", "client")
CHECK_READ = R("check", "read", "client")
BUILT_IN_RUBRIC = R("rubric", "read", "built_in_rubric")
OWN_ACCOUNT = R("account", "use")
DRILL_EDIT = R("drill", "edit", "drill")
PRACTICE = R("practice", "use")


def _drill_item_id(db, w: World) -> int:
    return (
        drill_service.get_set(db, actor=w.users["section_teacher"], set_id=w.drill_set_id)
        .items[0]
        .id
    )


def _drill_draft_id(db, w: World) -> int:
    """A draft item in the world's set (as the model would write it), awaiting the teacher."""
    from backend.models import DrillSet

    item = DrillItemInput(
        skill=DrillSkill.open_question, context="Alex, 34.", statement="Fine.", model_answer="How?"
    )
    drill_service.add_drafts(db, db.get_one(DrillSet, w.drill_set_id), [item], "generated")
    teacher = w.users["section_teacher"]
    return drill_service.get_set(db, actor=teacher, set_id=w.drill_set_id).drafts[0].id


def _drill_review():
    from backend.reviews.read_models import ReviewContent

    return ReviewContent.model_validate(
        {"codes": [{"turn": 1, "code": "closed_question"}], "scores": [], "strengths": [],
         "try_instead": [], "goal": "Ask open questions."}
    )  # fmt: skip


def _drill_operations() -> dict[str, Operation]:
    """Drills: a teacher's sets, students' attempts, a section's results."""
    miti = next(r for r in load_builtin_rubrics() if r.key == "miti")
    own = DrillItemInput(
        skill=DrillSkill.reflect, context="Alex, 34.", statement="I'm tired.", model_answer="You're worn out."
    )  # fmt: skip
    return {
        "list_drill_bank": _op(
            drill_service.list_bank, lambda f, db, w, a: f(db, actor=a), R("drill", "create")
        ),
        "create_drill_set": _op(
            drill_service.create_set,
            lambda f, db, w, a: f(db, actor=a, title="Reflections"),
            R("drill", "create"),
        ),
        "list_drill_sets": _op(
            drill_service.list_sets,
            lambda f, db, w, a: [s for s in f(db, actor=a) if s.id == w.drill_set_id],
            DRILL_EDIT,
        ),
        "draft_drill_items": _op(  # demo mode: drafted offline (the model's path: test_drills)
            generation.draft_items,
            lambda f, db, w, a: f(
                _InCell(db), actor=a, set_id=w.drill_set_id, client_id=w.client_id, count=3
            ),
            DRILL_EDIT,
            CLIENT_READ,
        ),
        "get_owned_drill_set": _op(
            drill_service.get_owned,
            lambda f, db, w, a: f(db, a, w.drill_set_id) and "ok",
            DRILL_EDIT,
        ),
        "get_drill_set": _op(
            drill_service.get_set,
            lambda f, db, w, a: f(db, actor=a, set_id=w.drill_set_id),
            DRILL_EDIT,
        ),
        "add_drill_bank_items": _op(
            drill_service.add_bank_items,
            lambda f, db, w, a: f(db, actor=a, set_id=w.drill_set_id, keys=["reflect-01"]),
            DRILL_EDIT,
        ),
        "add_own_drill_item": _op(
            drill_service.add_own_item,
            lambda f, db, w, a: f(db, actor=a, set_id=w.drill_set_id, data=own),
            DRILL_EDIT,
        ),
        "accept_drill_item": _op(
            drill_service.accept_item,
            lambda f, db, w, a: f(
                db, actor=a, set_id=w.drill_set_id, item_id=_drill_draft_id(db, w)
            ),
            DRILL_EDIT,
        ),
        "remove_drill_item": _op(
            drill_service.remove_item,
            lambda f, db, w, a: f(
                db, actor=a, set_id=w.drill_set_id, item_id=_drill_item_id(db, w)
            ),
            DRILL_EDIT,
        ),
        "assign_drill_set": _op(
            drill_service.assign_set,
            lambda f, db, w, a: f(db, actor=a, set_id=w.drill_set_id, section_id=w.section_id),
            DRILL_EDIT,
            SECTION_MANAGE,
        ),
        "unassign_drill_set": _op(
            drill_service.unassign_set,
            lambda f, db, w, a: f(db, actor=a, set_id=w.drill_set_id, section_id=w.section_id),
            DRILL_EDIT,
            SECTION_MANAGE,
        ),
        "drill_sets_of_section": _op(
            drill_service.sets_of_section,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id),
            SECTION_MANAGE,
        ),
        "drill_sets_others_gave": _op(
            drill_service.sets_others_gave,
            lambda f, db, w, a: f(db, actor=a) or "ok",
            TEACHING,
        ),
        "drill_section_results": _op(
            results_service.section_results,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id) or "ok",
            SECTION_MANAGE,
        ),
        "suggest_drill": _op(
            results_service.suggest_drill,
            lambda f, db, w, a: f(db, actor=a, content=_drill_review(), rubric=miti),
            PRACTICE,
        ),
        "assigned_drill_sets": _op(
            attempt_service.assigned_sets,
            lambda f, db, w, a: [s for s in f(db, actor=a) if s.id == w.drill_set_id],
            R("drill", "read", "drill"),
            PRACTICE,
        ),
        "read_drill_set": _op(
            attempt_service.read_set,
            lambda f, db, w, a: f(db, actor=a, set_id=w.drill_set_id),
            R("drill", "read", "drill"),
        ),
        "answer_drill_item": _op(
            attempt_service.answer_item,
            lambda f, db, w, a: f(
                db, actor=a, set_id=w.drill_set_id, item_id=_drill_item_id(db, w), reply="How so?"
            ),
            R("drill", "practise", "drill"),
        ),
        "drill_attempts_in_set": _op(
            attempt_service.attempts_in_set,
            lambda f, db, w, a: f(db, actor=a, set_id=w.drill_set_id) or "ok",
            R("drill", "read", "drill"),
        ),
        "practise_drill_bank_item": _op(
            attempt_service.practise_bank_item,
            lambda f, db, w, a: f(db, actor=a, key="reflect-01", reply="You're worn out."),
            PRACTICE,
        ),
        "drill_bank_attempts": _op(
            attempt_service.bank_attempts,
            lambda f, db, w, a: f(db, actor=a, skill=DrillSkill.reflect) or "ok",
            PRACTICE,
        ),
        "drill_skill_progress": _op(
            attempt_service.skill_progress, lambda f, db, w, a: f(db, actor=a) or "ok", PRACTICE
        ),
    }


def _operations() -> dict[str, Operation]:
    return _drill_operations() | {
        # Reads
        "get_session": _op(
            session_service.get_session,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            CONVERSATION_READ,
        ),
        "get_messages": _op(
            session_service.get_messages,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            TRANSCRIPT_READ,
        ),
        "get_student_sessions": _op(
            session_service.get_student_sessions,
            lambda f, db, w, a: f(db, actor=a, student_id=w.users["owner"].id),
            CONVERSATION_READ,
        ),
        "get_active_session": _op(  # the actor's own, so only the owner finds the world's
            session_service.get_active_session,
            lambda f, db, w, a: [s for s in [f(db, actor=a, client_id=w.client_id)] if s],
            CONVERSATION_WRITE,
        ),
        "active_conversations": _op(  # the actor's own, so only the owner finds the world's
            practice_screen.active_conversations,
            lambda f, db, w, a: [c for c, _assignment in f(db, actor=a) if c == w.client_id],
            CONVERSATION_WRITE,
        ),
        "read_practice_screen": _op(
            practice_screen.read_practice_screen,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            CONVERSATION_READ,
            TRANSCRIPT_READ,
        ),
        "read_session_screen": _op(
            session_screen.read_session_screen,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            CONVERSATION_READ,
            TRANSCRIPT_READ,
        ),
        "get_client_full": _op(
            client_service.get_client,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id),
            CLIENT_READ,
        ),
        "get_owned_client": _op(
            client_service.get_owned,
            lambda f, db, w, a: f(db, a, w.client_id),
            CLIENT_EDIT,
        ),
        "estimate_client_check": _op(
            check_service.estimate_check_cost,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id) or "ok",
            R("check", "run", "client"),
        ),
        "estimate_check_tokens": _op(
            check_service.estimate_check_tokens,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id) or "ok",
            R("check", "run", "client"),
        ),
        "check_allowance": _op(
            check_service.check_allowance,
            lambda f, db, w, a: f(db, actor=a),
            R("teaching", "use"),
        ),
        "latest_scorecard": _op(
            check_service.latest_scorecard,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id) or "ok",
            CHECK_READ,
        ),
        "previous_scorecard": _op(
            check_service.previous_scorecard,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id) or "ok",
            CHECK_READ,
        ),
        "get_client_brief": _op(
            client_service.get_client_brief,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id),
            R("client", "brief", "client"),
        ),
        "list_clients": _op(
            client_service.list_clients,
            lambda f, db, w, a: [c for c in f(db, actor=a) if c.id == w.client_id],
            TEACHING,
            CLIENT_READ,
        ),
        "list_available_clients": _op(
            student_access_service.list_available_clients,
            lambda f, db, w, a: f(db, actor=a),
            R("practice", "use"),
            R("client", "practise", "client"),
        ),
        "get_owned_section": _op(
            section_service.get_owned_section,
            lambda f, db, w, a: f(db, a, w.section_id),
            SECTION_MANAGE,
        ),
        "managed_section": _op(
            progress_service.managed_section,
            lambda f, db, w, a: f(db, a, w.section_id),
            SECTION_MANAGE,
        ),
        "get_roster": _op(
            section_service.get_roster,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id),
            SECTION_MANAGE,
        ),
        "list_sections": _op(
            section_service.list_sections,
            lambda f, db, w, a: [s for s in f(db, actor=a) if s.id == w.section_id],
            R("section", "read", "section"),
        ),
        "get_assignment": _op(
            assignment_service.get_assignment,
            lambda f, db, w, a: f(db, actor=a, assignment_id=w.assignment_id),
            SECTION_MANAGE,
        ),
        "list_assignments": _op(
            assignment_service.list_assignments,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id),
            SECTION_MANAGE,
        ),
        "clients_needing_a_check": _op(
            assignment_service.clients_needing_a_check,
            lambda f, db, w, a: f(db, actor=a, assignment_id=w.assignment_id),
            SECTION_MANAGE,
        ),
        "get_user": _op(
            account_service.get_user,
            lambda f, db, w, a: f(db, actor=a, user_id=w.users["owner"].id),
            R("account", "read", "account"),
        ),
        "list_users": _op(
            account_service.list_users, lambda f, db, w, a: f(db, actor=a), ADMINISTRATION
        ),
        "list_events": _op(
            event_log.list_events, lambda f, db, w, a: f(db, actor=a) or ["ok"], ADMINISTRATION
        ),
        "event_categories": _op(
            event_log.event_categories,
            lambda f, db, w, a: _domain_id(db, w) and f(db, actor=a),
            ADMINISTRATION,
        ),
        "list_domains": _op(
            sign_in_domain_service.list_domains,
            lambda f, db, w, a: _domain_id(db, w) and f(db, actor=a),
            ADMINISTRATION,
        ),
        "get_review": _op(
            review_service.get_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            REVIEW_READ,
        ),
        "get_review_rubric": _op(
            review_service.get_review_rubric,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            REVIEW_READ,
        ),
        "prepare_review": _op(
            review_service.prepare_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_ended(db, w)),
            REVIEW_REQUEST,
        ),
        "teacher_session": _op(
            review_service.teacher_session,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            REVIEW_EDIT,
        ),
        "student_progress": _op(
            progress_service.student_progress,
            lambda f, db, w, a: (
                _reviewed(db, w) and f(db, actor=a, student_id=w.users["owner"].id).points
            ),
            REVIEW_READ,
        ),
        "class_progress": _op(
            progress_service.class_progress,
            lambda f, db, w, a: _reviewed(db, w) and f(db, actor=a, section_id=w.section_id).points,
            SECTION_MANAGE,
        ),
        "gradebook_csv": _op(
            progress_service.class_progress,
            lambda f, db, w, a: progress_service.gradebook_csv(
                f(db, actor=a, section_id=w.section_id, assignment_id=w.assignment_id)
            ),
            SECTION_MANAGE,
        ),
        "section_grades": _op(
            gradebook_service.section_grades,
            lambda f, db, w, a: (
                _reviewed(db, w)
                and gradebook_service.grades_csv(
                    f(db, actor=a, section_id=w.section_id, rule="best"), lms="canvas"
                )
            ),
            SECTION_MANAGE,
        ),
        "class_choices": _op(
            progress_service.class_choices,
            lambda f, db, w, a: [c for c in f(db, actor=a) if c.id == w.section_id],
            TEACHING,
            SECTION_MANAGE,
        ),
        "list_rubrics": _op(
            rubric_service.list_rubrics, lambda f, db, w, a: f(db, actor=a), BUILT_IN_RUBRIC
        ),
        "get_rubric": _op(
            rubric_service.get_rubric,
            lambda f, db, w, a: f(db, actor=a, rubric_id=_own_rubric_id(db, w)),
            R("rubric", "read", "rubric"),
        ),
        "get_session_rating": _op(
            rating_service.get_session_rating,
            lambda f, db, w, a: f(db, actor=a, session_id=_with_feedback(db, w)),
            CONVERSATION_READ,
        ),
        "reply_ratings": _op(
            rating_service.reply_ratings,
            lambda f, db, w, a: list(f(db, actor=a, session_id=_with_feedback(db, w))),
            CONVERSATION_READ,
        ),
        "session_ratings": _op(
            rating_service.session_ratings,
            lambda f, db, w, a: list(f(db, actor=a, session_ids=[_with_feedback(db, w)])),
            TEACHING,
            CONVERSATION_READ,
        ),
        "client_ratings": _op(
            rating_service.client_ratings,
            lambda f, db, w, a: (
                _with_feedback(db, w) and list(f(db, actor=a, client_ids=[w.client_id]))
            ),
            TEACHING,
            R("client", "aggregates", "client"),
        ),
        "rating_shares": _op(
            rating_service.rating_shares,
            lambda f, db, w, a: _with_feedback(db, w) and f(db, actor=a)[1],
            TEACHING,
            R("client", "aggregates", "client"),
        ),
        "rating_shares_this_week": _op(
            rating_service.rating_shares,
            lambda f, db, w, a: (
                _with_feedback(db, w) and f(db, actor=a, since=utcnow() - timedelta(days=7))[1]
            ),
            TEACHING,
            R("client", "aggregates", "client"),
        ),
        "list_conversations": _op(
            history_service.list_conversations,
            lambda f, db, w, a: [r for r in f(db, actor=a) if r.session_id == w.session_id],
            TEACHING,
            CONVERSATION_READ,
        ),
        "list_own_conversations": _op(
            history_service.list_own_conversations,
            lambda f, db, w, a: [r for r in f(db, actor=a) if r.session_id == w.session_id],
            CONVERSATION_READ,
            only=Who.OWNER,
        ),
        "history_metrics_summary": _op(
            history_service.metrics_summary,
            lambda f, db, w, a: (
                [w.session_id] * f(db, actor=a, client_id=w.client_id).conversations
            ),
            TEACHING,
            CONVERSATION_READ,
        ),
        "history_filter_options": _op(
            history_service.filter_options,
            lambda f, db, w, a: [c for c, _name in f(db, actor=a).clients if c == w.client_id],
            TEACHING,
            CONVERSATION_READ,
        ),
        "transcript_markdown": _op(
            history_service.transcript_markdown,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            CONVERSATION_READ,
            TRANSCRIPT_READ,
        ),
        "get_view": _op(
            conversation_service.get_view,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id),
            CONVERSATION_READ,
            TRANSCRIPT_READ,
        ),
        "reply_pending": _op(
            conversation_service.reply_pending,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id) or "ok",
            CONVERSATION_READ,
        ),
        "pending_reply_text": _op(
            conversation_service.pending_reply_text,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id) or "ok",
            CONVERSATION_READ,
        ),
        # The admin's dashboard
        "now_figures": _op(
            metrics_service.now_figures, lambda f, db, w, a: f(db, actor=a), ADMINISTRATION
        ),
        "run_connection_test": _op(
            health_service.run_connection_test,
            lambda f, db, w, a: f(_InCell(db), actor=a).summary,
            ADMINISTRATION,
        ),
        "active_sessions": _op(
            metrics_service.active_sessions,
            lambda f, db, w, a: f(db, actor=a) or "ok",
            ADMINISTRATION,
        ),
        "hourly_usage": _op(
            metrics_service.hourly_usage, lambda f, db, w, a: f(db, actor=a) or "ok", ADMINISTRATION
        ),
        "daily_usage": _op(
            metrics_service.daily_usage, lambda f, db, w, a: f(db, actor=a) or "ok", ADMINISTRATION
        ),
        "breakdowns": _op(
            metrics_service.breakdowns, lambda f, db, w, a: f(db, actor=a), ADMINISTRATION
        ),
        "breakdown": _op(
            metrics_service.breakdown,
            lambda f, db, w, a: f(db, actor=a, by="client") or "ok",
            ADMINISTRATION,
        ),
        "budget_status": _op(
            metrics_service.budget_status,
            lambda f, db, w, a: f(db, get_settings(), actor=a),
            ADMINISTRATION,
        ),
        "review_costs": _op(
            metrics_service.review_costs, lambda f, db, w, a: f(db, actor=a), ADMINISTRATION
        ),
        "purpose_costs": _op(
            metrics_service.purpose_costs, lambda f, db, w, a: f(db, actor=a), ADMINISTRATION
        ),
        "list_problem_reports": _op(
            problem_report_service.list_reports,
            lambda f, db, w, a: f(db, actor=a) or ["ok"],
            R("problem_report", "read"),
        ),
        # Writes
        "report_problem": _op(
            problem_report_service.report_problem,
            lambda f, db, w, a: f(db, actor=a, text="The reply never came.", page="Practice"),
            R("problem_report", "create"),
        ),
        "create_demo_review": _op(
            review_service.create_demo_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_ended(db, w)),
            REVIEW_REQUEST,
        ),
        "create_review": _op(
            review_service.create_review,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=_ended(db, w)),
            REVIEW_REQUEST,
        ),
        "start_review": _op(
            review_service.start_review,
            lambda f, db, w, a: _ended_job(f(_InCell(db), actor=a, session_id=_ended(db, w))),
            REVIEW_REQUEST,
        ),
        "review_job": _op(
            review_service.review_job,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id) or "ok",
            REVIEW_READ,
        ),
        "check_job": _op(
            check_service.check_job,
            lambda f, db, w, a: f(_InCell(db), actor=a, client_id=w.client_id) or "ok",
            CHECK_READ,
        ),
        "cancel_check": _op(
            check_service.cancel_check,
            lambda f, db, w, a: f(_InCell(db), actor=a, client_id=w.client_id) or "ok",
            R("check", "run", "client"),
        ),
        "get_job": _op(
            job_service.get_job,
            lambda f, db, w, a: f(db, actor=a, job_id=_job_of(db, w)),
            R("job", "read", "job"),
        ),
        "cancel_job": _op(
            job_service.cancel_job,
            lambda f, db, w, a: f(db, actor=a, job_id=_job_of(db, w)),
            R("job", "cancel", "job"),
        ),
        "cancel": _op(
            runner.cancel,
            lambda f, db, w, a: f(_InCell(db), actor=a, job_id=_job_of(db, w)),
            R("job", "cancel", "job"),
        ),
        "release_review": _op(
            review_service.release_review,
            lambda f, db, w, a: f(db, actor=a, session_id=_reviewed(db, w)),
            R("review", "release", "conversation"),
        ),
        "save_teacher_review": _op(
            teacher_review_service.save_teacher_review,
            lambda f, db, w, a: f(
                db, actor=a, session_id=w.session_id, edits=_model_version(db, w)
            ),
            REVIEW_EDIT,
        ),
        "review_queue": _op(
            teacher_review_service.review_queue,
            lambda f, db, w, a: [
                item
                for item in f(db, actor=a, include_unreviewed=_reviewed(db, w) > 0)
                if item.session_id == w.session_id
            ],
            TEACHING,
            REVIEW_EDIT,
        ),
        "read_review_screen": _op(  # the world's conversation, asked for by its id
            review_screen.read_review_screen,
            lambda f, db, w, a: [
                screen.review
                for screen in [f(db, actor=a, include_unreviewed=True, session_id=_reviewed(db, w))]
                if screen.chosen == w.session_id
                and screen.review
                and screen.rubric
                and screen.turns
            ],
            TEACHING,
            REVIEW_EDIT,
        ),
        "review_agreement": _op(
            agreement_service.agreement,
            lambda f, db, w, a: _teacher_reviewed(db, w) and f(db, actor=a),
            TEACHING,
            REVIEW_EDIT,
        ),
        "create_rubric": _op(
            rubric_service.create_rubric,
            lambda f, db, w, a: f(db, actor=a, definition=_rubric_definition()),
            R("rubric", "create"),
        ),
        "copy_rubric": _op(
            rubric_service.copy_rubric,
            lambda f, db, w, a: f(db, actor=a, rubric_id=_builtin_id(db)),
            R("rubric", "create"),
            BUILT_IN_RUBRIC,
        ),
        "update_rubric": _op(
            rubric_service.update_rubric,
            lambda f, db, w, a: f(
                db, actor=a, rubric_id=_own_rubric_id(db, w), definition=_rubric_definition()
            ),
            R("rubric", "edit", "rubric"),
        ),
        "require_current_rubric": _op(
            rubric_service.require_current,
            lambda f, db, w, a: f(
                db,
                actor=a,
                rubric_id=_own_rubric_id(db, w),
                version=rubric_service.latest_version(db, _own_rubric_id(db, w)).version,
            ),
            R("rubric", "edit", "rubric"),
        ),
        "set_assignment_rubric": _op(
            rubric_service.set_assignment_rubric,
            lambda f, db, w, a: (
                f(db, actor=a, assignment_id=w.assignment_id, rubric_id=_builtin_id(db)) or "ok"
            ),
            SECTION_MANAGE,
            BUILT_IN_RUBRIC,
        ),
        "set_section_rubric": _op(
            rubric_service.set_section_rubric,
            lambda f, db, w, a: (
                f(db, actor=a, section_id=w.section_id, rubric_id=_builtin_id(db)) or "ok"
            ),
            SECTION_MANAGE,
            BUILT_IN_RUBRIC,
        ),
        "lock_for_turn": _op(
            session_service.lock_for_turn,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            CONVERSATION_WRITE,
        ),
        "end_session": _op(
            session_service.end_session,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id),
            R("conversation", "end", "conversation"),
        ),
        "create_session": _op(
            session_service.create_session,
            lambda f, db, w, a: f(db, actor=a, client_id=w.spare_client_id),
            R("client", "practise", "client"),
        ),
        "start_conversation": _op(
            conversation_service.start_conversation,
            lambda f, db, w, a: f(_InCell(db), actor=a, client_id=w.spare_client_id),
            R("client", "practise", "client"),
        ),
        "start_check_conversation": _op(
            conversation_service.start_conversation,
            lambda f, db, w, a: f(
                _InCell(db), actor=a, client_id=w.client_id, mode=SessionMode.check
            ),
            R("check", "run", "client"),
        ),
        "start_branch": _op(
            branch_service.start_branch,
            lambda f, db, w, a: f(db, actor=a, session_id=w.session_id, turn=1),
            R("conversation", "branch", "conversation"),
        ),
        "branch_origin": _op(
            branch_service.branch_origin,
            lambda f, db, w, a: f(db, actor=a, session_id=_branch(db, w)),
            CONVERSATION_READ,
        ),
        "read_branch_coding": _op(
            try_coding.read_branch_coding,
            lambda f, db, w, a: f(db, actor=a, session_id=_branch(db, w)),
            CONVERSATION_READ,
        ),
        "practised_moments": _op(  # the actor's own, so only the owner finds the world's
            try_coding.practised_moments,
            lambda f, db, w, a: (lambda b: [m for m in f(db, actor=a) if m.session_id == b])(
                _branch(db, w)
            ),
            CONVERSATION_WRITE,
        ),
        "end_conversation": _op(
            conversation_service.end_conversation,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id),
            R("conversation", "end", "conversation"),
        ),
        "start_over": _op(
            conversation_service.start_over,
            lambda f, db, w, a: f(_InCell(db), actor=a, session_id=w.session_id),
            R("conversation", "end", "conversation"),
        ),
        # The reply runs in the service's thread, on the cell's session while the cell waits.
        "submit_message": _op(
            conversation_service.submit_message,
            lambda f, db, w, a: _replied(
                f(_InCell(db), actor=a, session_id=w.session_id, content="Hello?").wait()
            ),
            CONVERSATION_WRITE,
        ),
        "send_message": _op(
            conversation_service.send_message,
            lambda f, db, w, a: _replied(
                f(_InCell(db), actor=a, session_id=w.session_id, content="Hello?")
            ),
            CONVERSATION_WRITE,
        ),
        "request_reply": _op(  # the world's last message still waits for its reply
            conversation_service.request_reply,
            lambda f, db, w, a: _replied(f(_InCell(db), actor=a, session_id=w.session_id).wait()),
            CONVERSATION_WRITE,
        ),
        "submit_session_rating": _op(
            rating_service.submit_session_rating,
            lambda f, db, w, a: f(
                db, actor=a, session_id=_ended(db, w), realism=4, usefulness=5, comment="Real."
            ),
            R("conversation", "rate", "conversation"),
        ),
        "rate_reply": _op(
            rating_service.rate_reply,
            lambda f, db, w, a: f(db, actor=a, message_id=_reply_id(db, w), positive=True) or "ok",
            R("conversation", "rate", "conversation"),
        ),
        "create_client": _op(
            client_service.create_client,
            lambda f, db, w, a: f(db, actor=a, data=client_input()),
            R("client", "create"),
        ),
        "import_clients_json": _op(
            client_service.import_clients_json,
            lambda f, db, w, a: f(db, actor=a, raw=_client_export()),
            R("client", "create"),
        ),
        "update_client": _op(
            client_service.update_client,
            lambda f, db, w, a: f(
                db, actor=a, client_id=w.client_id, data=client_input(name="Changed")
            ),
            CLIENT_EDIT,
        ),
        "archive_client": _op(
            client_service.set_archived,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id, archived=True),
            CLIENT_EDIT,
        ),
        "duplicate_client": _op(
            client_service.duplicate_client,
            lambda f, db, w, a: f(db, actor=a, client_id=w.client_id),
            CLIENT_READ,
            R("client", "create"),
        ),
        "export_clients": _op(
            client_service.export_clients_json,
            lambda f, db, w, a: f(db, actor=a, client_ids=[w.client_id]),
            CLIENT_READ,
        ),
        "create_section": _op(
            section_service.create_section,
            lambda f, db, w, a: f(db, actor=a, name="New"),
            R("section", "create"),
        ),
        "regenerate_join_code": _op(
            section_service.regenerate_join_code,
            lambda f, db, w, a: f(db, actor=a, section_id=w.section_id),
            SECTION_MANAGE,
        ),
        "update_section": _op(
            section_service.update_section,
            lambda f, db, w, a: f(
                db, actor=a, section_id=w.section_id, name="Renamed", seat_limit=40
            ),
            SECTION_MANAGE,
        ),
        "remove_student": _op(
            section_service.remove_student,
            lambda f, db, w, a: f(
                db, actor=a, section_id=w.section_id, student_id=w.users["owner"].id
            ),
            SECTION_MANAGE,
        ),
        "join_section": _op(
            section_service.join_section,
            lambda f, db, w, a: f(db, actor=a, join_code=w.spare_section_code),
            R("section", "join"),
        ),
        "create_assignment": _op(
            assignment_service.create_assignment,
            lambda f, db, w, a: f(
                db,
                actor=a,
                section_id=w.section_id,
                data=AssignmentInput(title="New", client_ids=[w.client_id]),
            ),
            SECTION_MANAGE,
            CLIENT_EDIT,
        ),
        "update_assignment": _op(
            assignment_service.update_assignment,
            lambda f, db, w, a: f(
                db,
                actor=a,
                assignment_id=w.assignment_id,
                data=AssignmentInput(title="Renamed", client_ids=[w.client_id]),
            ),
            SECTION_MANAGE,
            CLIENT_EDIT,
        ),
        "publish_assignment_unchecked": _op(
            assignment_service.set_published,
            lambda f, db, w, a: f(
                db, actor=a, assignment_id=w.assignment_id, published=True, confirm_unchecked=True
            ),
            SECTION_MANAGE,
        ),
        "update_assignment_clients": _op(
            assignment_service.update_clients,
            lambda f, db, w, a: f(
                db, actor=a, assignment_id=w.assignment_id, client_ids=[w.client_id]
            ),
            SECTION_MANAGE,
            CLIENT_EDIT,
        ),
        "update_assignment_details": _op(
            assignment_service.update_details,
            lambda f, db, w, a: f(
                db,
                actor=a,
                assignment_id=w.assignment_id,
                title="Renamed",
                instructions="",
                due_at=None,
            ),
            SECTION_MANAGE,
        ),
        "set_continuing_client": _op(
            assignment_service.set_continuing_client,
            lambda f, db, w, a: f(db, actor=a, assignment_id=w.assignment_id, continuing=True),
            SECTION_MANAGE,
        ),
        "read_memory": _op(
            memory_service.read_memory,
            lambda f, db, w, a: f(db, actor=a, session_id=_continuing(db, w)),
            R("memory", "read", "conversation"),
        ),
        "request_memory": _op(
            memory_writer.request_memory,
            lambda f, db, w, a: _ended_job(
                f(_InCell(db), actor=a, session_id=(_continuing(db, w), _ended(db, w))[1])
            ),
            R("memory", "edit", "conversation"),
        ),
        "save_memory": _op(
            memory_service.save_memory,
            lambda f, db, w, a: f(
                db, actor=a, session_id=_continuing(db, w), summary="You talked about work."
            ),
            R("memory", "edit", "conversation"),
        ),
        "set_release_reviews": _op(
            assignment_service.set_release_reviews,
            lambda f, db, w, a: f(
                db, actor=a, assignment_id=w.assignment_id, release_reviews="after_teacher_review"
            ),
            SECTION_MANAGE,
        ),
        "unpublish_assignment": _op(
            assignment_service.set_published,
            lambda f, db, w, a: f(db, actor=a, assignment_id=w.assignment_id, published=False),
            SECTION_MANAGE,
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
            ADMINISTRATION,
        ),
        "reset_password": _op(
            account_service.reset_password,
            lambda f, db, w, a: (
                f(db, actor=a, user_id=w.users["owner"].id, new_password="another password") or "ok"
            ),
            ADMINISTRATION,
        ),
        "deactivate_user": _op(
            account_service.set_active,
            lambda f, db, w, a: f(db, actor=a, user_id=w.users["owner"].id, active=False),
            ADMINISTRATION,
        ),
        "change_own_password": _op(
            account_service.change_password,
            lambda f, db, w, a: f(
                db, actor=a, current_password=PASSWORD, new_password="another password"
            ),
            OWN_ACCOUNT,
        ),
        "start_login_session": _op(
            account_service.start_login_session, lambda f, db, w, a: f(db, actor=a), OWN_ACCOUNT
        ),
        "remember_device": _op(  # a device token for the caller's own account
            account_service.remember_device, lambda f, db, w, a: f(db, actor=a), OWN_ACCOUNT
        ),
        "add_domain": _op(
            sign_in_domain_service.add_domain,
            lambda f, db, w, a: f(db, actor=a, domain="school.edu", role=Role.student),
            ADMINISTRATION,
        ),
        "remove_domain": _op(
            sign_in_domain_service.remove_domain,
            lambda f, db, w, a: f(db, actor=a, domain_id=_domain_id(db, w)),
            ADMINISTRATION,
        ),
        "set_account_email": _op(
            sign_in_domain_service.set_account_email,
            lambda f, db, w, a: f(
                db, actor=a, user_id=w.users["owner"].id, email="owner@school.edu"
            ),
            ADMINISTRATION,
        ),
    }


# "module.function" -> why it is not a row of the matrix.
EXEMPT = {
    # Bound to the caller's own live log-in token: with none (every cell here) they keep and read
    # nothing; add, remove and clear ask the policy's conversation "write" (the owner) first, and
    # tests/integration/test_unsent_words.py and tests/apps/test_unsent_after_reload.py try them.
    "unsent_service.kept": "reads only the caller's own log-in's words (its token)",
    **{
        f"unsent_service.{name}": "writes only with the caller's own live log-in (its token)"
        for name in ("add", "remove", "clear")
    },
    "account_service.live_login_id": "asks about the caller's own log-in, by its token",
    **{
        f"access.{name}": "the policy itself, asked by every cell"
        for name in ("signed_in", "require", "allows", "where")
    },
    # Runs its probes on up to four worker threads at once, each opening its own transactions, so
    # it cannot share a cell's session. Its only check is get_client (get_client_full here);
    # test_client_check.py::test_only_the_owner_or_an_admin_runs_a_check tries every caller.
    "check_service.run_check": "concurrent worker threads; see test_client_check.py",
    # The check inside read_memory, save_memory and request_memory, whose rows try every caller.
    "memory_service.session_for": "the check of read_memory, save_memory, request_memory",
    # Starts run_check as a job; its check (the policy's check run) comes before the job starts, and
    # test_client_check.py::test_only_the_owner_or_an_admin_starts_a_check tries every caller.
    "check_service.start_check": "a job on concurrent worker threads; see test_client_check.py",
    # A step inside a review's job, with its own transactions around a network batch; the job's
    # start applies the review's rules (review_service rows above), and the asker it records is
    # checked signed in. test_review_batches.py runs it through the job.
    "review_batches.batch_answer": "a step of the review job; see test_review_batches.py",
    # Starts review jobs through start_review (its row) for who asked, else for this actor: the
    # policy's review "request" check refuses anyone else; see test_review_batches.py.
    "review_service.resume_held_reviews": "calls start_review, whose row covers the check",
}


BACKEND = Path(__file__).resolve().parents[2] / "backend"
DOMAINS = (
    "accounts",
    "drills",
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
    modules = [event_log, access, job_service, runner] + [
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


def test_a_cells_session_is_used_by_one_thread_at_a_time(db):
    """A job started in a cell writes through `_InCell` from its worker thread, and so does the
    runner's heartbeat thread, at any moment while the job runs: a unit of work another thread
    asks for waits until the one open has ended (one Session, never two threads at once)."""
    cell, entered, order = _InCell(db), threading.Event(), []

    def other_thread() -> None:
        entered.wait(5)
        with cell(write=True):
            order.append("other")

    thread = threading.Thread(target=other_thread)
    thread.start()
    with cell(write=True):
        entered.set()
        thread.join(0.3)  # the other thread's unit of work, had it not waited
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]


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


# A stale actor --------------------------------------------------------------------------------------
def _snapshot(db) -> dict[str, list]:
    """Every row of every table, to see that a refused call changed nothing."""
    db.flush()
    return {
        table.name: sorted(db.execute(select(table)).all(), key=repr)
        for table in Base.metadata.sorted_tables
    }


@pytest.mark.parametrize("operation", sorted(_operations()))
def test_a_deactivated_account_is_refused_by_every_service(db, world, operation):
    """The page's copy of the account still says active; the database says otherwise. Every
    caller the policy would let through is refused, by the service itself, and nothing is
    written (the others are refused anyway)."""
    row = _operations()[operation]
    for name in sorted(row.allowed):
        actor = world.users[name]
        assert actor is not None and actor.is_active
        savepoint = db.begin_nested()
        changes: list[tuple[dict, dict]] = []

        def stale(*args, _user_id=actor.id, _changes=changes, **kwargs):
            # The cell's own preparations (ending the conversation, a review) ran already:
            # only the call itself meets the deactivated account.
            db.get_one(User, _user_id).is_active = False
            before = _snapshot(db)
            try:
                return row.function(*args, **kwargs)
            finally:
                _changes.append((before, _snapshot(db)))

        try:
            with pytest.raises((PermissionDeniedError, AuthenticationError)):
                row.call(stale, db, world, actor)
        finally:
            savepoint.rollback()
        assert changes, f"{operation} as {name}: the service was never called"
        before, after = changes[0]
        assert before == after, f"{operation} as {name} changed the database"


def test_a_deleted_account_is_refused(db, world):
    gone = make_user(db, role=Role.teacher, username="gone.teacher")
    db.delete(db.get_one(User, gone.id))
    db.flush()
    for call in (
        lambda: client_service.list_clients(db, actor=gone),
        lambda: client_service.create_client(db, actor=gone, data=client_input()),
        lambda: section_service.create_section(db, actor=gone, name="Ghost section"),
        lambda: history_service.list_conversations(db, actor=gone),
    ):
        with pytest.raises(PermissionDeniedError, match="deactivated"):
            call()
