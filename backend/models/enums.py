"""Fixed vocabularies shared by models, schemas and pages."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    teacher = "teacher"
    student = "student"
    admin = "admin"


class CommunicationStyle(StrEnum):
    """Patient-Psi's six conversational styles."""

    plain = "plain"
    upset = "upset"
    verbose = "verbose"
    reserved = "reserved"
    tangent = "tangent"
    pleasing = "pleasing"


class Difficulty(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class AssignmentStatus(StrEnum):
    draft = "draft"
    published = "published"


class SessionMode(StrEnum):
    practice = "practice"
    teacher_test = "teacher_test"
    # A scripted probe of a client check (the teacher's; never practice, never in students' figures).
    check = "check"


class SessionStatus(StrEnum):
    active = "active"
    completed = "completed"


class MessageRole(StrEnum):
    user = "user"
    assistant = "assistant"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    error = "error"
    critical = "critical"


PERSONALITY_TRAITS: tuple[str, ...] = (
    "anxious",
    "guarded",
    "talkative",
    "withdrawn",
    "irritable",
    "defensive",
    "tearful",
    "skeptical",
    "people-pleasing",
    "ambivalent",
    "hopeless",
    "angry",
    "avoidant",
    "cooperative",
    "impulsive",
    "perfectionistic",
    "self-critical",
    "suspicious",
    "humorous",
    "overwhelmed",
)


class JobStatus(StrEnum):
    """Where a backend job is (backend/jobs): queued and running are active, the rest final."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class DrillSkill(StrEnum):
    """The one skill a drill item trains (its hit rule is `backend.drills.skills`)."""

    reflect = "reflect"
    open_question = "open_question"
    sustain_talk = "sustain_talk"
    ask_permission = "ask_permission"


class DrillItemStatus(StrEnum):
    """A drill set's item: drafts (written by the model) wait for the teacher to accept them."""

    draft = "draft"
    accepted = "accepted"
    # Taken out of its set after students answered it: kept for their attempts (and progress),
    # shown to nobody.
    removed = "removed"
