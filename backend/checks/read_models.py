"""A client check: a teacher's scorecard for one client, built from scripted probe conversations.

Every finding quotes the client's reply it rests on (verified verbatim before it is stored).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

DimensionKey = Literal[
    "facts", "in_character", "hidden_information", "pace", "style_and_difficulty"
]
Status = Literal["pass", "warn", "fail"]


class Finding(BaseModel):  # every finding quotes the client's reply it rests on (verified verbatim)
    probe: str  # probe key
    turn: int  # turn number in that probe's transcript (1-based, all messages)
    quote: str
    note: str
    source: Literal["rule", "judge", "guard"]


class DimensionResult(BaseModel):
    key: DimensionKey
    name: str
    status: Status
    findings: list[Finding] = []


class ProbeTurn(BaseModel):
    role: Literal["student", "client"]
    text: str
    withheld: bool = False  # a draft the output guard stopped (shown to the teacher only)


class ProbeTranscript(BaseModel):
    key: str
    name: str
    turns: list[ProbeTurn]


class ScorecardRead(BaseModel):
    id: int
    client_id: int
    client_version: int
    created_at: datetime
    demo: bool  # no key: deterministic checks only, labelled
    stale: bool  # the client was edited, in what the model reads, after this check
    overall: Status  # worst of the dimensions
    dimensions: list[DimensionResult]
    probes: list[ProbeTranscript]
    estimated_cost: Decimal | None
    cost: Decimal | None
