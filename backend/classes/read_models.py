from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.models.base import utcnow
from backend.models.enums import AssignmentStatus
from backend.models.review import ReviewRelease


class SectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    teacher_id: int
    name: str
    join_code: str
    seat_limit: int | None = None
    join_code_expires_at: datetime | None = None
    created_at: datetime
    student_count: int = 0
    rubric_id: int | None = None  # the default rubric of its assignments (None: built-in)

    @property
    def join_code_expired(self) -> bool:
        return self.join_code_expires_at is not None and self.join_code_expires_at <= utcnow()

    @property
    def is_full(self) -> bool:
        return self.seat_limit is not None and self.student_count >= self.seat_limit


class RosterEntry(BaseModel):
    student_id: int
    username: str
    display_name: str
    enrolled_at: datetime


class AssignmentInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    instructions: str = Field(default="", max_length=4000)
    due_at: datetime | None = None
    client_ids: list[int] = Field(default_factory=list)
    # When students see their reviews: at once, or once their teacher released them.
    release_reviews: ReviewRelease = ReviewRelease.immediately
    # A continuing client (the client remembers earlier sessions). None: unchanged by an update,
    # off for a new assignment.
    continuing_client: bool | None = None


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    section_id: int
    title: str
    instructions: str
    due_at: datetime | None
    status: AssignmentStatus
    published_at: datetime | None
    client_ids: list[int] = Field(default_factory=list)
    #: Each client's name as its teacher reads it ("Rita (archived)"): a colleague's client an
    #: admin added is not in the teacher's own list.
    client_labels: dict[int, str] = Field(default_factory=dict)
    release_reviews: ReviewRelease = ReviewRelease.immediately
    rubric_id: int | None = None  # None: the section's default rubric
    continuing_client: bool = False
