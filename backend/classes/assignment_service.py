"""Assignments: a teacher attaches clients and publishes; students see published ones only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.checks import check_service
from backend.classes import section_service
from backend.classes.read_models import AssignmentInput, AssignmentRead
from backend.clients import client_service
from backend.db import made_moments_ago
from backend.errors import ConflictError, NotFoundError, ValidationError
from backend.models import Assignment, AssignmentClient, ClientProfile
from backend.models.base import utcnow
from backend.models.enums import AssignmentStatus
from backend.models.review import ReviewRelease
from backend.utils.text import clean_text


class UncheckedClients(ConflictError):
    """Publishing needs confirmation: some clients have no current check, or a failing one."""

    def __init__(self, gaps: list[tuple[str, str]]) -> None:
        """`gaps`: (client name, why) pairs from `check_service.check_gaps`."""
        self.names = [name for name, _why in gaps]
        by_reason: dict[str, list[str]] = {}
        for name, why in gaps:
            by_reason.setdefault(why, []).append(name)
        reasons = " ".join(f"{why}: {', '.join(names)}." for why, names in by_reason.items())
        super().__init__(f"{reasons} Check these clients first, or confirm to publish anyway.")


class AssignmentNotFound(NotFoundError):
    def __init__(self, assignment_id: int) -> None:
        super().__init__(f"No assignment with id {assignment_id}.")


def _client_ids(db: Session, assignment_id: int) -> list[int]:
    return list(
        db.scalars(
            select(AssignmentClient.client_id)
            .where(AssignmentClient.assignment_id == assignment_id)
            .order_by(AssignmentClient.client_id)
        )
    )


def _read(db: Session, assignment: Assignment) -> AssignmentRead:
    read = AssignmentRead.model_validate(assignment)
    clients = db.execute(
        select(ClientProfile.id, ClientProfile.name, ClientProfile.archived)
        .join(AssignmentClient, AssignmentClient.client_id == ClientProfile.id)
        .where(AssignmentClient.assignment_id == assignment.id)
        .order_by(ClientProfile.id)
    ).all()
    read.client_ids = [client.id for client in clients]
    read.client_labels = {
        client.id: f"{client.name} (archived)" if client.archived else client.name
        for client in clients
    }
    return read


def _get_owned(db: Session, actor: UserRead | None, assignment_id: int) -> Assignment:
    access.require(db, actor, "section", "manage")
    assignment = db.get(Assignment, assignment_id)
    if assignment is None:
        raise AssignmentNotFound(assignment_id)
    section_service.get_owned_section(db, actor, assignment.section_id)
    return assignment


def _set_clients(
    db: Session, actor: UserRead | None, assignment: Assignment, client_ids: list[int]
) -> None:
    """The assignment's clients become `client_ids`. Only a client being added must be the
    actor's own and not archived: one already in it stays as it is (an admin may have added a
    colleague's, its teacher may have archived one since), so that saving the title is never
    refused over it."""
    wanted = set(client_ids)
    current = set(_client_ids(db, assignment.id))
    for client_id in [client_id for client_id in client_ids if client_id not in current]:
        client = client_service.get_owned(db, actor, client_id)
        if client.archived:
            raise ValidationError(f"{client.name} is archived; restore it before assigning it.")
    for client_id in current - wanted:
        db.delete(db.get(AssignmentClient, (assignment.id, client_id)))
    for client_id in sorted(wanted - current):
        db.add(AssignmentClient(assignment_id=assignment.id, client_id=client_id))
    db.flush()


def _typed_text(data: AssignmentInput, stored: Assignment | None = None) -> tuple[str, str]:
    """The title and instructions as typed, checked (the instructions go into review prompts);
    text sent back unchanged is kept as stored (saving the clients sends both)."""

    def checked(name: str, label: str, required: bool) -> str:
        value = str(getattr(data, name))
        if stored is not None and value == getattr(stored, name):
            return value
        return clean_text(value, field=name, label=label, required=required)

    return checked("title", "The title", True), checked(
        "instructions", "The text of the instructions", False
    )


def _checked_due(due_at: datetime | None, stored: datetime | None = None) -> datetime | None:
    """A due date set now is not already past (students would see it overdue from the start);
    one kept as stored stays, past or not. The form sends a day's end: a due date on the stored
    one's day (UTC) keeps the stored instant (a title fixed alone had been refused as past, or
    moved a 09:00 due time to the day's end: a review of the day's fixes, 2026-12-07)."""
    if due_at is not None and stored is not None and _day(due_at) == _day(stored):
        return stored
    if due_at is not None and due_at <= utcnow():
        problem = "Choose a due date in the future (today counts), or leave it empty."
        raise ValidationError(problem, {"due_at": problem})
    return due_at


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def create_assignment(
    db: Session,
    *,
    actor: UserRead | None,
    section_id: int,
    data: AssignmentInput,
    once: bool = False,
) -> AssignmentRead:
    """A draft: students see it only once it is published. `once`: a form's Create, which a
    double click presses twice (`db.made_moments_ago`)."""
    section_service.get_owned_section(db, actor, section_id)
    title, instructions = _typed_text(data)
    same = {
        "section_id": section_id,
        "title": title,
        "instructions": instructions,
        "due_at": data.due_at,
        "release_reviews": data.release_reviews.value,
        "continuing_client": bool(data.continuing_client),
    }
    twice = made_moments_ago(db, Assignment, **same) if once else None
    if twice is not None and (made := _read(db, twice)).client_ids == sorted(data.client_ids):
        return made  # a double click: the draft just made, every field alike
    assignment = Assignment(
        section_id=section_id,
        title=title,
        instructions=instructions,
        due_at=_checked_due(data.due_at),
        status=AssignmentStatus.draft,
        release_reviews=data.release_reviews.value,
        continuing_client=bool(data.continuing_client),
    )
    db.add(assignment)
    db.flush()
    _set_clients(db, actor, assignment, data.client_ids)
    return _read(db, assignment)


def update_assignment(
    db: Session, *, actor: UserRead | None, assignment_id: int, data: AssignmentInput
) -> AssignmentRead:
    assignment = _get_owned(db, actor, assignment_id)
    _keeps_a_client(db, assignment, data.client_ids)
    assignment.title, assignment.instructions = _typed_text(data, assignment)
    assignment.due_at = _checked_due(data.due_at, assignment.due_at)
    assignment.release_reviews = data.release_reviews.value
    if data.continuing_client is not None:
        assignment.continuing_client = data.continuing_client
    assignment.updated_at = utcnow()
    _set_clients(db, actor, assignment, data.client_ids)
    return _read(db, assignment)


def update_details(
    db: Session,
    *,
    actor: UserRead | None,
    assignment_id: int,
    title: str,
    instructions: str,
    due_at: datetime | None,
    started_from: tuple[str, str, datetime | None] | None = None,
) -> AssignmentRead:
    """Correct an assignment's title, instructions and due date (None: none), leaving its
    clients, status and settings as they are: a wrong due date had stayed for good, as nothing
    on the page could change one (an attack, 2026-12-07). `started_from`: the three as the form
    showed them; changed since (another tab), the save is refused rather than putting the old
    ones back unseen (an attack on the day's fixes)."""
    assignment = _get_owned(db, actor, assignment_id)
    if started_from is not None and started_from != details(assignment):
        raise DetailsChanged(_read(db, assignment))
    typed = AssignmentInput(title=title, instructions=instructions, due_at=due_at, client_ids=[])
    assignment.title, assignment.instructions = _typed_text(typed, assignment)
    assignment.due_at = _checked_due(due_at, assignment.due_at)
    assignment.updated_at = utcnow()
    db.flush()
    return _read(db, assignment)


def update_clients(
    db: Session,
    *,
    actor: UserRead | None,
    assignment_id: int,
    client_ids: list[int],
    started_from: list[int] | None = None,
) -> AssignmentRead:
    """Set the assignment's clients, leaving the rest as it is. `started_from`: the clients the
    card showed; changed since (another tab), the save is refused rather than taking a client
    another tab added away unseen (an attack, 2026-12-07)."""
    assignment = _get_owned(db, actor, assignment_id)
    current = _read(db, assignment)
    if started_from is not None and sorted(started_from) != current.client_ids:
        raise ClientsChanged(current)
    _keeps_a_client(db, assignment, client_ids)
    assignment.updated_at = utcnow()
    _set_clients(db, actor, assignment, client_ids)
    return _read(db, assignment)


def _keeps_a_client(db: Session, assignment: Assignment, client_ids: list[int]) -> None:
    """A published assignment keeps at least one client its students may meet."""
    if assignment.status != AssignmentStatus.published:
        return
    if not client_ids:
        raise ValidationError(
            f"“{assignment.title}” is published, so it needs at least one client: keep one, or "
            "unpublish it first."
        )
    _met_by_students(db, client_ids, then="keep one that is not, or unpublish it first")


class ClientsChanged(ConflictError):
    """`now`: the assignment as it is, for the card to show."""

    def __init__(self, now: AssignmentRead) -> None:
        self.now = now
        super().__init__(
            f"The clients of “{now.title}” were changed elsewhere since this card showed them: it "
            "now shows them as saved. Choose again."
        )


class DetailsChanged(ConflictError):
    """`now`: the assignment as it is, for the card to show."""

    def __init__(self, now: AssignmentRead) -> None:
        self.now = now
        super().__init__(
            "This assignment's title, instructions or due date were changed elsewhere since you "
            "opened them: the form now shows them as saved. Make your change again."
        )


def details(assignment: Assignment | AssignmentRead) -> tuple[str, str, datetime | None]:
    """What `update_details` changes, as a form started from it."""
    return assignment.title, assignment.instructions, assignment.due_at


def set_continuing_client(
    db: Session, *, actor: UserRead | None, assignment_id: int, continuing: bool
) -> AssignmentRead:
    """Make the assignment's clients continuing ones (each remembers a student's earlier
    sessions), or not: memories already written stay, and are used again if it is turned back
    on."""
    assignment = _get_owned(db, actor, assignment_id)
    assignment.continuing_client = continuing
    assignment.updated_at = utcnow()
    db.flush()
    return _read(db, assignment)


def set_release_reviews(
    db: Session, *, actor: UserRead | None, assignment_id: int, release_reviews: ReviewRelease | str
) -> AssignmentRead:
    """When students see their reviews: at once, or after their teacher released each one."""
    assignment = _get_owned(db, actor, assignment_id)
    try:
        assignment.release_reviews = ReviewRelease(release_reviews).value
    except ValueError:
        raise ValidationError("Choose when students see their reviews.") from None
    assignment.updated_at = utcnow()
    db.flush()
    return _read(db, assignment)


def set_published(
    db: Session,
    *,
    actor: UserRead | None,
    assignment_id: int,
    published: bool,
    confirm_unchecked: bool = False,
) -> AssignmentRead:
    """Publish (students see its clients) or unpublish (hidden for new conversations; history stays).

    Publishing with a client that has no current check (never checked, or edited since) or a
    failing one raises `UncheckedClients` unless `confirm_unchecked`."""
    assignment = _get_owned(db, actor, assignment_id)
    client_ids = _client_ids(db, assignment.id)
    if published and not client_ids:
        raise ValidationError("Attach at least one client before publishing.")
    if published and not confirm_unchecked:
        gaps = check_service.check_gaps(db, _met_by_students(db, client_ids))
        if gaps:
            raise UncheckedClients(gaps)
    elif published:
        _met_by_students(db, client_ids)
    assignment.status = AssignmentStatus.published if published else AssignmentStatus.draft
    assignment.published_at = utcnow() if published else None
    db.flush()
    return _read(db, assignment)


def _clients(db: Session, client_ids: list[int]) -> Sequence[ClientProfile]:
    return db.scalars(select(ClientProfile).where(ClientProfile.id.in_(client_ids))).all()


def _met_by_students(
    db: Session,
    client_ids: list[int],
    then: str = "restore a client or attach another, then publish",
) -> list[int]:
    """The clients students will meet: not archived (students never see an archived client,
    and one cannot be checked). None of them: refused (`then`: what to do instead), or it would
    be published with nothing to practise."""
    clients = _clients(db, client_ids)
    met = [client.id for client in clients if not client.archived]
    if clients and not met:
        names = ", ".join(sorted(client.name for client in clients))
        raise ValidationError(
            f"Every client left on this assignment is archived ({names}), so students would "
            f"have no one to practise with: {then}."
        )
    return met


def get_assignment(db: Session, *, actor: UserRead | None, assignment_id: int) -> AssignmentRead:
    return _read(db, _get_owned(db, actor, assignment_id))


def list_assignments(
    db: Session, *, actor: UserRead | None, section_id: int
) -> list[AssignmentRead]:
    section_service.get_owned_section(db, actor, section_id)
    assignments = db.scalars(
        select(Assignment)
        .where(Assignment.section_id == section_id)
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    )
    return [_read(db, assignment) for assignment in assignments]


def clients_needing_a_check(
    db: Session, *, actor: UserRead | None, assignment_id: int
) -> list[str]:
    """Names of the assignment's clients students will meet (not archived) with no current
    scorecard or a failing one."""
    assignment = _get_owned(db, actor, assignment_id)
    met = [c.id for c in _clients(db, _client_ids(db, assignment.id)) if not c.archived]
    return check_service.unchecked_client_names(db, met)
