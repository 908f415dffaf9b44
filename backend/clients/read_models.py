from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.models.enums import PERSONALITY_TRAITS, CommunicationStyle, Difficulty
from backend.utils.formatting import Named, told_apart
from backend.utils.text import first_sentence, is_blank

NAME_CHARS = 100
SHORT_TEXT = 200
LONG_TEXT = 4000
MIN_TRAITS, MAX_TRAITS = 2, 5
MIN_AGE, MAX_AGE = 5, 110
MAX_PRINCIPLES, PRINCIPLE_CHARS = 10, 300


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class ClientInput(BaseModel):
    """What a teacher writes to create or edit a client (also the JSON export/import format)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    name: str = Field(min_length=1, max_length=NAME_CHARS)
    # Whole numbers as typed (strict): a file's `true` is no age and no number of turns.
    age: int | None = Field(default=None, ge=MIN_AGE, le=MAX_AGE, strict=True)
    gender: str | None = Field(default=None, max_length=60)
    occupation: str | None = Field(default=None, max_length=120)
    cultural_background: str | None = Field(default=None, max_length=SHORT_TEXT)
    background: str = Field(default="", max_length=LONG_TEXT)
    presenting_concern: str = Field(default="", max_length=LONG_TEXT)
    challenges: str = Field(default="", max_length=LONG_TEXT)
    personality_traits: list[str] = Field(min_length=MIN_TRAITS, max_length=MAX_TRAITS)
    communication_style: CommunicationStyle = CommunicationStyle.plain
    difficulty: Difficulty = Difficulty.beginner
    learning_goals: str = Field(default="", max_length=LONG_TEXT)
    hidden_information: str = Field(default="", max_length=LONG_TEXT)
    opening_line: str | None = Field(default=None, max_length=1000)
    # Student turns after which the hidden information may be said word for word (None: never).
    hidden_reveal_after_turns: int | None = Field(default=None, ge=0, le=100, strict=True)
    # Short rules for playing this client ("When praised, you doubt that it matters").
    principles: list[str] = Field(default_factory=list, max_length=MAX_PRINCIPLES)

    @field_validator("name")
    @classmethod
    def _visible_name(cls, name: str) -> str:
        if is_blank(name):
            raise ValueError("the name shows nothing on screen: type a name with letters")
        return name

    @field_validator("gender", "occupation", "cultural_background", "opening_line", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        value = _strip(value)
        return value or None

    @field_validator("personality_traits")
    @classmethod
    def _known_traits(cls, traits: list[str]) -> list[str]:
        cleaned = [trait.strip().lower() for trait in traits]
        unknown = [trait for trait in cleaned if trait not in PERSONALITY_TRAITS]
        if unknown:
            raise ValueError(f"unknown trait(s): {', '.join(unknown)}")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("each trait may be chosen once")
        return cleaned

    @field_validator("principles")
    @classmethod
    def _principles(cls, principles: list[str]) -> list[str]:
        cleaned = [principle.strip() for principle in principles]
        if any(is_blank(principle) for principle in cleaned):  # invisible characters too
            raise ValueError("a principle cannot be empty")
        if any(len(principle) > PRINCIPLE_CHARS for principle in cleaned):
            raise ValueError(f"each principle must be at most {PRINCIPLE_CHARS} characters")
        return cleaned


class ClientBrief(BaseModel):
    """What a student may see of a client: never the hidden information."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    age: int | None
    gender: str | None
    occupation: str | None
    cultural_background: str | None
    presenting_concern: str
    personality_traits: list[str]
    communication_style: CommunicationStyle
    difficulty: Difficulty
    learning_goals: str
    archived: bool

    @property
    def summary(self) -> str:
        """A one-line description for cards."""
        who = ", ".join(str(part) for part in (self.age, self.gender, self.occupation) if part)
        # Its first sentence whole ("Referred by Dr. Patel ..." had read "Referred by Dr.": an
        # attack, 2026-12-07).
        concern = first_sentence(self.presenting_concern)
        return f"{who}. {concern}" if who and concern else (who or concern)


class ClientRead(ClientBrief):
    """The whole profile, for its teacher (and admins)."""

    owner_id: int
    background: str
    challenges: str
    hidden_information: str
    opening_line: str | None
    hidden_reveal_after_turns: int | None = None
    principles: list[str] = []
    version: int
    created_at: datetime
    updated_at: datetime
    conversation_count: int = 0

    def to_input(self) -> ClientInput:
        return ClientInput.model_validate(self.model_dump())


def names_apart(clients: Sequence[ClientBrief]) -> dict[int, str]:
    """Each client's name as a picker shows it: with its difficulty where two share a name (a
    colleague's copy, a harder rewrite), and "#id" if they still do; they had read the same
    (an attack, 2026-12-07)."""
    rows = [Named(client.id, client.name, client.difficulty.value) for client in clients]
    return dict(zip((client.id for client in clients), told_apart(rows), strict=True))
