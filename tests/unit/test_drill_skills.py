"""Drill skills' hit rules on what the offline coder really outputs: every built-in model answer
hits its skill, good replies hit, and arguing, advice or closed questions miss."""

from __future__ import annotations

import pytest

from backend.drills.bank import bank_items
from backend.drills.skills import code_replies, code_reply
from backend.models.enums import DrillSkill

DRINKING = "I don't think my drinking is a problem, everyone at work drinks like this."
WEIGHT = "I want to lose weight but I have no idea where to start."

CASES = [
    # (skill, client statement, reply, hits)
    (DrillSkill.reflect, DRINKING, "It sounds like drinking is part of how things are at work.", True),
    (DrillSkill.reflect, DRINKING, "You're worried that if you cut down, you'd feel left out.", True),
    (DrillSkill.reflect, DRINKING, "Do you drink every day?", False),
    (DrillSkill.reflect, WEIGHT, "Is your weight a problem for you?", False),
    (DrillSkill.reflect, DRINKING, "You should cut down.", False),
    (DrillSkill.open_question, DRINKING, "What does a typical evening look like for you?", True),
    (DrillSkill.open_question, WEIGHT, "How would you like things to be different?", True),
    (DrillSkill.open_question, DRINKING, "Do you drink every day?", False),
    (DrillSkill.open_question, WEIGHT, "Have you tried going to the gym?", False),
    (DrillSkill.sustain_talk, DRINKING, "From where you stand, your drinking doesn't seem like a problem.", True),
    (DrillSkill.sustain_talk, DRINKING, "Whether you change anything is really up to you.", True),
    (DrillSkill.sustain_talk, DRINKING, "Come on, that's just an excuse.", False),
    (DrillSkill.sustain_talk, DRINKING, "You need to face the facts, you drink too much.", False),
    (DrillSkill.sustain_talk, DRINKING, "You should cut down.", False),
    (DrillSkill.ask_permission, WEIGHT, "Would it be okay if I shared some ideas that have helped others?", True),
    (DrillSkill.ask_permission, WEIGHT, "May I share some information about portion sizes?", True),
    (DrillSkill.ask_permission, WEIGHT, "You should try eating less sugar.", False),
    (DrillSkill.ask_permission, WEIGHT, "Eating breakfast helps many people.", False),
    (DrillSkill.ask_permission, WEIGHT, "How would you like things to be different?", False),
]  # fmt: skip


@pytest.mark.parametrize(("skill", "statement", "reply", "hit"), CASES)
def test_a_reply_hits_its_skill_only_when_it_does_the_skill(skill, statement, reply, hit):
    coded = code_reply(skill, reply, statement)
    assert coded.hit is hit, coded.codes
    assert coded.message.startswith("Your reply is ")
    assert ("that hits the skill" in coded.message) is hit


def test_every_model_answer_of_the_bank_hits_its_skill():
    items = bank_items()
    coded = code_replies([(item.skill, item.model_answer, item.statement) for item in items])
    misses = [(item.key, c.codes) for item, c in zip(items, coded, strict=True) if not c.hit]
    assert not misses


def test_the_bank_has_at_least_eight_items_of_every_skill():
    for skill in DrillSkill:
        assert len(bank_items(skill)) >= 8, skill
    keys = [item.key for item in bank_items()]
    assert len(keys) == len(set(keys))


def test_a_miss_names_what_the_reply_was_and_the_target():
    coded = code_reply(DrillSkill.open_question, "Do you drink every day?", DRINKING)
    assert coded.message == (
        "Your reply is a closed question: not yet. The skill is an open question."
    )
