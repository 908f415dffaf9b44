"""Attacks on the day's client and drill fixes, each fixed: the open drill item stays put
from the first, a client form open elsewhere is never replaced unseen, a repair's fixed item is
kept, a card's line is a first sentence in any language, a colleague's client of the same name
is told apart, and words under an item taken out are shown to copy. (An attack on the day's
fixes, 2026-12-07.)"""

from __future__ import annotations

import pytest

from backend.db import Database, unit_of_work
from backend.drills import drill_service, generation
from backend.models.enums import Role
from tests.factories import make_client, make_user
from tests.integration.test_drills import CLOSED, GOOD, _item, _teacher_set_and_client

FIXED_ANSWER = "How does drinking fit into your evenings?"


def _draft(engine, room, drill_set, count):
    drafted = generation.draft_items(
        Database(engine),
        actor=room.teacher,
        set_id=drill_set.id,
        client_id=room.client.id,
        count=count,
    )
    with unit_of_work(engine, write=False) as db:
        mine = drill_service.get_set(db, actor=room.teacher, set_id=drill_set.id)
    return drafted, [item.statement for item in mine.drafts]


def test_a_repair_that_resends_the_whole_list_keeps_the_fixed_item_and_no_near_duplicate(
    api, committed_engine
):
    """The repair message asks the model to "call record_drill_items again with the whole list
    of items", and it does: the four good items again (one lightly reworded, as models do) and
    the fixed one. `_held_up` keeps the first answer's four, then the repair's items whose exact
    statement is new, and cuts at five: the teacher gets "Work has been a lot" twice in other
    words, and the item the repair was paid for (the fixed one) is cut."""
    room, drill_set = _teacher_set_and_client(committed_engine)
    good = [_item(f"Work has been a lot, part {n}.", GOOD) for n in range(4)]
    api.tool_reply({"items": [*good, _item("I drink a bit in the evenings.", CLOSED)]})
    reworded = _item("Work has been a lot lately, part 0.", GOOD)
    fixed = _item("I drink a bit in the evenings.", FIXED_ANSWER)
    api.tool_reply({"items": [reworded, *good[1:], fixed]})  # the whole list, fixed

    drafted, statements = _draft(committed_engine, room, drill_set, count=5)

    assert len(api.messages_requests()) == 2
    assert fixed["statement"] in statements, (
        f"the repaired item is not among the drafts {statements!r} (added {drafted.added})"
    )
    assert not (reworded["statement"] in statements and good[0]["statement"] in statements), (
        f"one item twice in other words: {statements!r}"
    )


def test_an_item_that_failed_and_was_left_out_of_the_repair_is_counted_as_dropped(
    api, committed_engine
):
    """Five asked for: the first answer has three good items and two whose model answers miss
    the skill; the repair sends only the one it fixed. Four drafts are added, and the teacher is
    told "Drafted 4 items (...)" with no word of the fifth, which failed a check: `dropped` is
    counted from the last answer alone (`_held_up`), which never held it."""
    room, drill_set = _teacher_set_and_client(committed_engine)
    good = [_item(f"Work has been a lot, part {n}.", GOOD) for n in range(3)]
    bad = [_item("I drink a bit in the evenings.", CLOSED), _item("I smoke at work.", CLOSED)]
    api.tool_reply({"items": [*good, *bad]})
    api.tool_reply({"items": [_item("I drink a bit in the evenings.", FIXED_ANSWER)]})

    drafted, statements = _draft(committed_engine, room, drill_set, count=5)

    assert len(statements) == 4
    assert drafted.added + drafted.dropped == 5, (
        f"five asked, {drafted.added} drafted, {drafted.dropped} said dropped: one item "
        "vanished without a word"
    )


@pytest.mark.parametrize(
    ("concern", "first"),
    [
        (
            "Lost her job in Zürich last spring. Émilie, her partner, moved out in June and "
            "she has not told her parents. " + "She drinks alone most nights. " * 20,
            "Lost her job in Zürich last spring.",
        ),
        (
            "Perdió su trabajo en marzo. Él dice que no duerme y que bebe cada noche. "
            "¿Qué hago ahora? pregunta siempre. " + "Su familia no lo sabe. " * 20,
            "Perdió su trabajo en marzo.",
        ),
        (
            "anxious since the move. sleeps badly, drinks most nights. "
            + "mother calls daily. " * 20,
            "anxious since the move.",
        ),
    ],
    ids=["accented-capital", "spanish", "lowercase-notes"],
)
def test_a_card_summary_is_the_concerns_first_sentence_not_all_of_it(db, concern, first):
    """`first_sentence` ends a sentence only before an ASCII capital or a digit: a concern
    whose next sentence starts with "É", "Ü", "¿" or a lowercase letter (a teacher's notes)
    comes out whole, so the teacher's card and the students' Practice page print the whole
    concern (hundreds of words) as the one-line summary. It had been the first sentence
    (split at the first full stop) before the fix."""
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher, presenting_concern=concern, age=34)
    assert first in client.summary
    assert len(client.summary) < len(first) + 60, f"the card line is {client.summary!r}"
