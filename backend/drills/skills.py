"""The four drill skills and their hit rules: what the offline coder must find in a reply (in the
built-in MITI rubric's codes) for it to count as the skill done.

| skill           | hits when the reply is coded                                                   |
|-----------------|--------------------------------------------------------------------------------|
| reflect         | a simple or complex reflection, without a closed question, advice or argument   |
| open_question   | an open question, without a closed one, advice or argument                      |
| sustain_talk    | a reflection or emphasizing autonomy, with no confront and no persuading at all |
| ask_permission  | persuade with permission, or a permission ask ("May I share...?") that is       |
|                 | seeking collaboration; never unasked advice or a confrontation                  |

Codes a turn may hold together (a reflection and an open question) are read together: "It
sounds hard. What would help?" hits reflect; "Is your weight a problem for you?" (a closed
question the coder also reads as a reflection) does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from backend.models.enums import DrillSkill
from backend.reviews.coding import PERMISSION, StudentTurn, code_turns
from backend.reviews.phrases import TurnText
from backend.reviews.rubric_schema import RubricDefinition
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.try_coding import describe_codes

#: The rubric whose codes the hit rules read (MITI 4.2.1 with MITI 3.1.1's open/closed split).
RUBRIC_KEY = "miti"
REFLECTIONS = frozenset({"simple_reflection", "complex_reflection"})
PUSHING = frozenset({"persuade", "confront"})  # advice nobody asked for, arguing


@dataclass(frozen=True)
class Skill:
    key: DrillSkill
    name: str  # "Reflect"
    instruction: str  # what each item asks: "Reflect this statement."
    target: str  # what hits, as feedback names it: "a reflection"


SKILLS: dict[DrillSkill, Skill] = {
    skill.key: skill
    for skill in (
        Skill(
            DrillSkill.reflect,
            "Reflect",
            "Reflect this statement: say back what the client means, as a statement.",
            "a reflection (simple or complex), not a question",
        ),
        Skill(
            DrillSkill.open_question,
            "Open question",
            "Turn the closed question into an open one: ask so the client answers in their "
            "own words.",
            "an open question",
        ),
        Skill(
            DrillSkill.sustain_talk,
            "Sustain talk",
            "Respond to this sustain talk without arguing: reflect it or stress the client's "
            "choice.",
            "a reflection or emphasizing autonomy, with no arguing or persuading",
        ),
        Skill(
            DrillSkill.ask_permission,
            "Ask permission",
            "Ask permission before giving information or advice.",
            "asking permission before information or advice",
        ),
    )
}


def skill_name(skill: DrillSkill | str | None) -> str:
    """ "Reflect"; "Mixed" for a set of several skills."""
    return SKILLS[DrillSkill(skill)].name if skill else "Mixed"


@cache
def rubric() -> RubricDefinition:
    return next(r for r in load_builtin_rubrics() if r.key == RUBRIC_KEY)


def hits(skill: DrillSkill, codes: list[str], reply: str) -> bool:
    """Whether a reply coded `codes` does the skill (the table in the module docstring)."""
    coded = set(codes)
    if skill == DrillSkill.reflect:
        return bool(coded & REFLECTIONS) and not coded & (PUSHING | {"closed_question"})
    if skill == DrillSkill.open_question:
        return "open_question" in coded and not coded & (PUSHING | {"closed_question"})
    if skill == DrillSkill.sustain_talk:
        allowed = REFLECTIONS | {"emphasizing_autonomy"}
        arguing = PUSHING | {"persuade_with_permission"}
        return bool(coded & allowed) and not coded & arguing
    asked = "persuade_with_permission" in coded or (
        "seeking_collaboration" in coded and TurnText(reply).has(PERMISSION)
    )
    return asked and not coded & PUSHING


@dataclass(frozen=True)
class CodedReply:
    """A drill reply as the offline coder read it, and whether it did the skill."""

    codes: list[str]
    hit: bool
    message: str  # "Your reply is an open question: that hits the skill."


def code_reply(skill: DrillSkill, reply: str, statement: str) -> CodedReply:
    """Code one reply to a client statement at once (no model, nothing billed)."""
    codes = code_turns([StudentTurn(reply, statement)], rubric())[0]
    return _coded(skill, reply, codes)


def code_replies(items: list[tuple[DrillSkill, str, str]]) -> list[CodedReply]:
    """`code_reply` for many (skill, reply, statement) at once (the coder reads them together)."""
    turns = [StudentTurn(reply, statement) for _skill, reply, statement in items]
    coded = code_turns(turns, rubric())
    return [_coded(s, reply, codes) for (s, reply, _), codes in zip(items, coded, strict=True)]


def feedback(skill: DrillSkill, codes: list[str], hit: bool) -> str:
    """What the student reads after a try (also for stored attempts, from their codes)."""
    said = describe_codes(codes, rubric())
    if hit:
        return f"Your reply is {said}: that hits the skill."
    return f"Your reply is {said}: not yet. The skill is {SKILLS[skill].target}."


def _coded(skill: DrillSkill, reply: str, codes: list[str]) -> CodedReply:
    hit = hits(skill, codes, reply)
    return CodedReply(codes, hit, feedback(skill, codes, hit))
