"""(An attack, 2026-12-06.) A hit rate a teacher reads on *Results* (and the admin's completion rate) is a whole percent
rounded half up (`format_share` says ROUND_HALF_UP): 23 hits of 40 attempts is 57.5%, which
rounds to 58%. The share is multiplied as a float first, so 0.575 * 100 = 57.49999... and the
page says 57%."""

from __future__ import annotations

from backend.drills import attempt_service, results_service
from backend.utils.formatting import format_share
from tests.factories import make_classroom
from tests.integration.test_drill_results import CLOSED, OPEN, _assigned_set

OTHER_OPEN = "What is an evening like for you these days?"
OTHER_CLOSED = "Do you drink every night?"


def test_twenty_three_hits_of_forty_attempts_reads_58_percent(db):
    room = make_classroom(db)
    drill_set = _assigned_set(db, room)
    items = [item.id for item in drill_set.items]
    for number in range(40):
        # Each item's replies differ from its last: the same words again are no new attempt.
        again = number // len(items) % 2
        reply = (OPEN, OTHER_OPEN)[again] if number < 23 else (CLOSED, OTHER_CLOSED)[again]
        attempt_service.answer_item(
            db,
            actor=room.student,
            set_id=drill_set.id,
            item_id=items[number % len(items)],
            reply=reply,
        )
    (result,) = results_service.section_results(db, actor=room.teacher, section_id=room.section.id)
    assert (result.hits, result.attempts) == (23, 40)
    shown = format_share(result.hit_rate)  # the Results table's "Hit rate" cell
    assert shown == "58%", f"23 of 40 attempts (57.5%) is shown as {shown}"
