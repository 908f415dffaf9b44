"""What the product says is what it does: the style hint names the cap a reply really gets, and a
demo-drafted drill item describes the chosen client (an attack, 2026-12-07)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from backend.clients import prompt_service
from backend.db import Database, unit_of_work
from backend.drills import drill_service, generation
from backend.models.enums import CommunicationStyle, DrillSkill, Role
from backend.practice import conversation_service
from tests.factories import make_client, make_user


def test_the_style_hint_names_the_word_cap_a_reply_really_gets(configure):
    """The client form's style choices and each client card say "replies of ..., at most about N
    words" (STYLE_HINTS: "the cap sent with every reply"); the cap really sent is never above
    ANTHROPIC_MAX_TOKENS. With that set to 100, a verbose client's replies are cut at ~75 words
    while the form promises about 195. (An attack, 2026-12-07.)"""
    configure(anthropic_max_tokens=100)
    for style in CommunicationStyle:
        hint = prompt_service.reply_length_hint(style)
        promised = int(re.search(r"at most about (\d+) words", hint).group(1))
        cap = conversation_service.reply_max_tokens(SimpleNamespace(communication_style=style))
        assert promised <= cap * 3 // 4, (
            f"{style.value}: the form says {hint!r}, but each reply is capped at {cap} tokens "
            f"(about {cap * 3 // 4} words)"
        )


def _demo_drafted_contexts(engine, username: str, **client_fields) -> list[str]:
    """The context lines of three reflect items drafted in demo mode from a new client."""
    with unit_of_work(engine) as db:
        teacher = make_user(db, role=Role.teacher, username=username)
        client = make_client(db, teacher=teacher, **client_fields)
        drill_set = drill_service.create_set(
            db, actor=teacher, title="Drafted", skill=DrillSkill.reflect
        )
    generation.draft_items(
        Database(engine), actor=teacher, set_id=drill_set.id, client_id=client.id, count=3
    )
    with unit_of_work(engine, write=False) as db:
        items = drill_service.get_set(db, actor=teacher, set_id=drill_set.id).items
    assert items
    return [item.context for item in items]


def test_demo_drafted_items_never_say_none_for_a_client_without_an_age(committed_engine):
    """Age is optional on a client ("Age: optional"); a demo-mode draft from such a client puts
    the Python word "None" in every item's context line, which the teacher reads and, once
    accepted, every student. (An attack, 2026-12-07.)"""
    contexts = _demo_drafted_contexts(
        committed_engine, "ageless.teacher", name="Robin Ash", age=None
    )
    assert not any("None" in context for context in contexts), contexts


def test_demo_drafted_items_describe_the_chosen_client_not_a_bank_person(committed_engine):
    """ "Draft items from one of your clients" (demo writer): each item's context line should be
    that client's. For bank items whose context has no colon, the bank's whole line is kept after
    the client's name: "Alex Rivera, 34: Jordan, 34, warehouse shift lead, second session about
    drinking." - two people, and the statement is then Alex's concern plus Jordan's words. (An attack, 2026-12-07.)"""
    from backend.drills.bank import bank_items

    contexts = _demo_drafted_contexts(committed_engine, "bank.teacher")  # Alex Rivera, 34
    bank_people = {item.context.split(",", 1)[0] for item in bank_items(DrillSkill.reflect)}
    named = [(context, p) for context in contexts for p in bank_people if f" {p}," in context]
    assert not named, named
