"""The built-in drill bank (`bank.json`): items every teacher may pick for a set and every
student may practise alone. Loaded once and checked, so a broken file fails at start-up."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from backend.drills.read_models import BankItem
from backend.models.enums import DrillSkill

BANK_FILE = Path(__file__).resolve().parent / "bank.json"


@cache
def bank() -> tuple[BankItem, ...]:
    items = json.loads(BANK_FILE.read_text(encoding="utf-8"))["items"]
    return tuple(BankItem.model_validate(item) for item in items)


def bank_items(skill: DrillSkill | None = None) -> list[BankItem]:
    """The bank's items, of one skill or all, in the file's order."""
    return [item for item in bank() if skill is None or item.skill == skill]


def bank_item(key: str) -> BankItem | None:
    return next((item for item in bank() if item.key == key), None)
