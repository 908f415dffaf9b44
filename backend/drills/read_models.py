"""What drill services return: plain read models, never ORM rows."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.models.enums import DrillItemStatus, DrillSkill

#: A set holds 5 to 10 items (drafts included in the upper bound, not in the lower).
MIN_ITEMS, MAX_ITEMS = 5, 10


class BankItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str = Field(max_length=40)
    skill: DrillSkill
    context: str = Field(min_length=1, max_length=300)
    statement: str = Field(min_length=1, max_length=500)
    model_answer: str = Field(min_length=1, max_length=500)


class DrillItemInput(BaseModel):
    """A teacher's own item (or a model's draft); the service checks its text (`clean_text`)."""

    skill: DrillSkill
    context: str
    statement: str
    model_answer: str


class DrillItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    skill: DrillSkill
    context: str
    statement: str
    model_answer: str
    source: str
    status: DrillItemStatus


class DrillSetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    title: str
    skill: DrillSkill | None
    created_at: datetime
    items: list[DrillItemRead] = []
    section_ids: list[int] = []  # where it is assigned

    @property
    def accepted(self) -> list[DrillItemRead]:
        return [item for item in self.items if item.status == DrillItemStatus.accepted]

    @property
    def drafts(self) -> list[DrillItemRead]:
        return [item for item in self.items if item.status == DrillItemStatus.draft]


class AssignedSet(BaseModel):
    """A set as a student's list shows it: how far they got."""

    id: int
    title: str
    skill: DrillSkill | None
    section_name: str
    items: int
    tried: int  # items with at least one attempt
    hit: int  # items whose latest attempt hit


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reply: str
    codes: list[str]
    hit: bool
    message: str
    model_answer: str
    created_at: datetime


class SkillResult(BaseModel):
    """One student's attempts at one skill (a cell of the teacher's results)."""

    student_id: int
    student_name: str
    skill: DrillSkill
    attempts: int
    hits: int
    items_tried: int
    items_hit: int  # items whose latest attempt hit

    @property
    def hit_rate(self) -> float:
        return self.hits / self.attempts if self.attempts else 0.0


class SkillDay(BaseModel):
    """A student's hit rate at one skill on one UTC day (their progress over time)."""

    day: date
    skill: DrillSkill
    attempts: int
    hits: int

    @property
    def hit_rate(self) -> float:
        return self.hits / self.attempts if self.attempts else 0.0
