"""Client profiles: teachers author them, each teacher sees only their own (admins see all)."""

from __future__ import annotations

import json

from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.clients.read_models import NAME_CHARS, ClientBrief, ClientInput, ClientRead
from backend.db import count_by
from backend.errors import ConflictError, NotFoundError, ValidationError
from backend.models import ClientProfile, PracticeSession
from backend.models.base import utcnow
from backend.models.enums import SessionMode
from backend.utils.text import clean_text

FIELD_LABELS = {
    "name": "Name",
    "age": "Age",
    "personality_traits": "Personality traits",
    "presenting_concern": "Presenting concern",
    "hidden_information": "Hidden information",
    "hidden_reveal_after_turns": "The number of student turns before it may be said",
}


class ClientNotFound(NotFoundError):
    def __init__(self, client_id: int) -> None:
        super().__init__(f"No client with id {client_id}.")


def parse_client_input(data: dict) -> ClientInput:
    """Validate raw form or JSON data into a `ClientInput`, with one message per field."""
    try:
        return ClientInput.model_validate(data)
    except PydanticValidationError as error:
        field_errors: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "profile"
            field_errors.setdefault(field, _explain(field, problem))
        raise ValidationError("Please correct the highlighted fields.", field_errors) from None


def checked_client_input(data: ClientInput | dict) -> ClientInput:
    """The schema's rules, then no control characters in any text (PostgreSQL refuses NUL, and
    nothing else invisible belongs in a profile): one message per field either way."""
    data = data if isinstance(data, ClientInput) else parse_client_input(data)
    field_errors: dict[str, str] = {}
    for field, value in data.model_dump(mode="json").items():
        label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                try:
                    clean_text(text, field=field, label=label)
                except ValidationError as error:
                    field_errors.setdefault(field, error.field_errors[field])
    if field_errors:
        raise ValidationError("Please correct the highlighted fields.", field_errors)
    return data


def _explain(field: str, problem: ErrorDetails) -> str:
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
    kind = problem["type"]
    context = problem.get("ctx", {})
    if field == "personality_traits" and kind in {"too_short", "too_long"}:
        return "Choose between 2 and 5 personality traits."
    if field == "principles" and kind == "too_long":
        return f"A client has at most {context.get('max_length')} principles: take one out."
    if kind == "string_too_short":
        return f"{label} is required."
    if kind == "string_too_long":
        return f"{label} must be at most {context.get('max_length')} characters."
    if kind in {"greater_than_equal", "less_than_equal"}:
        lower, upper = _bounds(field)
        return f"{label} must be between {lower} and {upper}."
    if kind == "missing":
        return f"{label} is required."
    return f"{label}: {problem['msg'].removeprefix('Value error, ')}."


def _bounds(field: str) -> tuple[object, object]:
    """The smallest and largest value a number field of the profile takes (`ge`, `le`)."""
    limits = {
        name: getattr(rule, name)
        for rule in ClientInput.model_fields[field].metadata
        for name in ("ge", "le")
        if hasattr(rule, name)
    }
    return limits.get("ge"), limits.get("le")


def _conversation_counts(db: Session, client_ids: list[int]) -> dict[int, int]:
    """Students' and the teacher's conversations; a check's probes are not conversations."""
    return count_by(
        db, PracticeSession.client_id, client_ids, PracticeSession.mode != SessionMode.check
    )


def _read(db: Session, client: ClientProfile) -> ClientRead:
    read = ClientRead.model_validate(client)
    read.conversation_count = _conversation_counts(db, [client.id]).get(client.id, 0)
    return read


def get_owned(
    db: Session,
    actor: UserRead | None,
    client_id: int,
    resource: access.Resource = "client",
    action: access.Action = "edit",
) -> ClientProfile:
    """The client if the actor may `action` it (its author, or an admin); used by other services
    too."""
    access.require(db, actor, resource, action)
    client = db.get(ClientProfile, client_id)
    if client is None:
        raise ClientNotFound(client_id)
    refuse = "This client belongs to another teacher."
    access.require(db, actor, resource, action, client, refuse=refuse)
    return client


def create_client(db: Session, *, actor: UserRead | None, data: ClientInput | dict) -> ClientRead:
    teacher = access.require(db, actor, "client", "create")
    data = checked_client_input(data)
    client = ClientProfile(owner_id=teacher.id, **data.model_dump(mode="json"), archived=False)
    db.add(client)
    db.flush()
    return _read(db, client)


class ClientChanged(ConflictError):
    """Someone else saved the client after the form being saved was filled."""

    def __init__(self, version: int) -> None:
        super().__init__(
            "This client was changed by someone else since you opened it (in another tab, or by "
            "an admin). Yours was not saved, and your changes are still in the form: press Save "
            "client again to replace theirs, or Cancel and open it again to read theirs first."
        )
        self.version = version


def update_client(
    db: Session,
    *,
    actor: UserRead | None,
    client_id: int,
    data: ClientInput | dict,
    over_version: int | None = None,
) -> ClientRead:
    """Replace the profile's fields; the version goes up so new conversations use the new prompt.
    `over_version`: the version the form being saved was filled from; a version saved since by
    someone else is never overwritten unseen (`ClientChanged`)."""
    client = get_owned(db, actor, client_id)
    if over_version is not None and client.version != over_version:
        raise ClientChanged(client.version)
    data = checked_client_input(data)
    fields = data.model_dump(mode="json")
    if all(getattr(client, field) == value for field, value in fields.items()):
        # Saved as it was: the same version, so its check stays current (an attack,
        # 2026-12-07: an unchanged Save sent the teacher to pay for a check again).
        return _read(db, client)
    for field, value in fields.items():
        setattr(client, field, value)
    client.version += 1
    client.updated_at = utcnow()
    db.flush()
    return _read(db, client)


def set_archived(
    db: Session, *, actor: UserRead | None, client_id: int, archived: bool = True
) -> ClientRead:
    """Hide a client from new conversations, and stop the open ones (their next message is
    refused as the client is no longer assigned); or bring it back. Its history stays."""
    client = get_owned(db, actor, client_id)
    client.archived = archived
    db.flush()
    return _read(db, client)


def duplicate_client(db: Session, *, actor: UserRead | None, client_id: int) -> ClientRead:
    """A copy owned by the actor, as a starting point for a new client."""
    source = get_owned(db, actor, client_id, "client", "read")
    data = ClientRead.model_validate(source).to_input()
    suffix = " (copy)"  # kept whole: a long name is cut before it, so the copy is told apart
    data.name = data.name[: NAME_CHARS - len(suffix)].rstrip() + suffix
    return create_client(db, actor=actor, data=data)


def get_client(db: Session, *, actor: UserRead | None, client_id: int) -> ClientRead:
    """The whole profile, hidden information included: owner or admin only."""
    return _read(db, get_owned(db, actor, client_id, "client", "read"))


def get_client_brief(db: Session, *, actor: UserRead | None, client_id: int) -> ClientBrief:
    """What a user may see of a client: students only for clients assigned to them."""
    actor = access.signed_in(db, actor)
    if actor.is_student:
        access.require_assigned(db, actor, client_id)
        client = db.get(ClientProfile, client_id)
    else:
        client = get_owned(db, actor, client_id, "client", "brief")
    return ClientBrief.model_validate(client)


def list_clients(
    db: Session, *, actor: UserRead | None, include_archived: bool = False
) -> list[ClientRead]:
    """The teacher's own clients (an admin sees every teacher's), newest first."""
    teacher = access.require(db, actor, "teaching", "use")
    query = (
        select(ClientProfile)
        .where(access.where(teacher, "client", "read"))
        .order_by(ClientProfile.updated_at.desc(), ClientProfile.id.desc())
    )
    if not include_archived:
        query = query.where(ClientProfile.archived.is_(False))
    clients = list(db.scalars(query))
    counts = _conversation_counts(db, [client.id for client in clients])
    reads = [ClientRead.model_validate(client) for client in clients]
    for read in reads:
        read.conversation_count = counts.get(read.id, 0)
    return reads


def export_clients_json(db: Session, *, actor: UserRead | None, client_ids: list[int]) -> str:
    """Profiles as JSON a colleague can import (ids, owners and counts left out)."""
    profiles = [get_client(db, actor=actor, client_id=cid).to_input() for cid in client_ids]
    return json.dumps(
        {
            "format": "counseling-client-profiles",
            "version": 1,
            "clients": [profile.model_dump(mode="json") for profile in profiles],
        },
        indent=2,
        ensure_ascii=False,
    )


def import_clients_json(db: Session, *, actor: UserRead | None, raw: str) -> list[ClientRead]:
    """Create every profile in an export; nothing is created if any profile is invalid."""
    access.require(db, actor, "client", "create")
    try:
        # Notepad and PowerShell may save "UTF-8 with BOM": the mark is no part of the JSON.
        document = json.loads(raw.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise ValidationError(f"This file is not valid JSON (line {error.lineno}).") from None
    except RecursionError:
        raise ValidationError(
            "This file is nested too deeply: it is not a client export. "
            "Import a file made with Download JSON."
        ) from None
    items = document.get("clients") if isinstance(document, dict) else document
    if not isinstance(items, list) or not items:
        raise ValidationError("No client profiles found in this file.")
    parsed = []
    for index, item in enumerate(items, start=1):
        try:
            parsed.append(checked_client_input(item if isinstance(item, dict) else {}))
        except ValidationError as error:
            details = "; ".join(error.field_errors.values())
            raise ValidationError(f"Profile {index} in the file is not valid: {details}") from None
    return [create_client(db, actor=actor, data=data) for data in parsed]
