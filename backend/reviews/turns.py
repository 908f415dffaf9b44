"""A conversation as reviews read it: numbered turns, the student's and the client's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    number: int
    role: str  # "user" (the student) or "assistant" (the client)
    text: str

    @property
    def student(self) -> bool:
        return self.role == "user"
