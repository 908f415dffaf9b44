"""The day's later fixes hold up: the page of an ended session says truly whether the client took
it in, a name with an invisible mark is a look-alike, and a huge amount formats (an attack on the
day's fixes, 2026-12-07)."""

from __future__ import annotations

import pytest

from backend.db import unit_of_work
from backend.errors import ValidationError
from backend.models.enums import Role
from backend.practice import practice_screen
from tests.factories import make_section, make_user
from tests.integration.test_client_memory import SAFE_REPLY, SUMMARY, _continuing, _session
from tests.integration.test_client_memory_takes_in_lost_sessions import WALK, _lost_session


def test_an_older_session_opened_again_is_not_said_to_be_untaken_when_a_later_one_was_lost(
    committed_engine, api, classroom, monkeypatch
):
    """1e3cdc5: the page of an ended session says whether the client took *this* session in,
    but it asks about the student's latest ended session. Session 1's memory was written;
    session 2's job was lost. The student opens session 1 again from My sessions ("Open (rate
    it)"): its page says the client "has not taken in this session", which is false (session 1
    is in the memory), and says nothing true about session 2. (An attack on the day's fixes, 2026-12-07.)"""
    _continuing(committed_engine, classroom)
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    first = _session(committed_engine, classroom, "How have you been sleeping?")
    api.reply(SAFE_REPLY)
    _lost_session(committed_engine, classroom, monkeypatch, WALK)
    with unit_of_work(committed_engine, write=False) as db:
        screen = practice_screen.read_practice_screen(db, actor=classroom.student, session_id=first)
    notice = screen.memory_notice or ""
    assert "has not taken in this session" not in notice, notice


def test_a_session_held_before_the_assignment_was_continuing_is_not_promised_to_the_next_end(
    committed_engine, api, classroom
):
    """1e3cdc5: the page of an ended session whose memory is "unwritten" promises "your next
    session's end will" write it. A session held before the teacher made the assignment
    continuing has no memory job, and `memory_writer._lost_before` leaves such a session out on
    purpose: the next session's end writes only its own. The student who opens that session
    (My sessions, "Open (rate it)") is told something that will not happen. (An attack on the day's fixes, 2026-12-07.)"""
    from tests.integration.test_client_memory_takes_in_lost_sessions import _summarised

    api.reply(SAFE_REPLY)
    first = _session(committed_engine, classroom, WALK)  # not continuing yet: no memory job
    _continuing(committed_engine, classroom)
    with unit_of_work(committed_engine, write=False) as db:
        screen = practice_screen.read_practice_screen(db, actor=classroom.student, session_id=first)
    notice = screen.memory_notice or ""
    promised = "your next session's end will" in notice
    api.reply(SAFE_REPLY)
    api.tool_reply(SUMMARY)
    _session(committed_engine, classroom, "Good to see you again.")
    kept = _summarised(api, "walk after each night shift")
    assert kept or not promised, (
        f"the page said: {notice!r}; the next session's end did not take session {first} in"
    )


# 8d10e25: names that read the same ------------------------------------------------------------
def _sign_up(db, section, username: str, name: str):
    from backend.accounts import account_service
    from tests.integration.test_accounts_hold_up import GOOD_PASSWORD

    return account_service.sign_up_student(
        db,
        join_code=section.join_code,
        username=username,
        display_name=name,
        password=GOOD_PASSWORD,
        browser=f"lab-{username}",
    )


@pytest.mark.parametrize(
    "mark",
    ["\ufe00", "\u034f", "\U0001d159", "\u17b4", "\u17b5"],
    ids=["variation selector", "grapheme joiner", "null notehead", "khmer aq", "khmer aa"],
)
def test_a_name_with_an_invisible_mark_is_a_look_alike(db, mark):
    """`name_key` reads a name "as a reader sees it", but a mark that draws nothing after a
    letter (a variation selector, the combining grapheme joiner, the null notehead, Khmer's
    inherent vowels) was neither removed by `as_shown` (only format characters, Cf) nor by
    `name_key`: "Dana Rivera" followed by one reads exactly as the teacher's name on every
    roster, and the sign-up was let through. (Two attacks on the day's fixes, 2026-12-07.)"""
    teacher = make_user(db, role=Role.teacher, username="d.rivera", display_name="Dana Rivera")
    section = make_section(db, teacher=teacher, name="Counseling 101")
    with pytest.raises(ValidationError) as refused:
        _sign_up(db, section, "not.the.teacher", f"Dana Rivera{mark}")
    assert "display_name" in refused.value.field_errors


# 6203d81: format_usd ----------------------------------------------------------------------------
def test_a_huge_amount_is_formatted_without_raising():
    """6203d81 says "huge amounts no longer raise", and tests 1e24; from about 1e26 up
    `quantize(Decimal("0.01"))` still needs more than the context's 28 digits and raises
    `decimal.InvalidOperation`. An admin who sets GLOBAL_DAILY_COST_BUDGET_USD=1e30 ("no
    practical limit"; the setting is only `ge=0`) gets the Figures page's budget panel
    (`mvp/admin/figures_budgets.py`: format_usd(budget.daily_cost_budget)), the budget alert
    and the daily cost summary raising instead of a figure. (An attack on the day's fixes, 2026-12-07.)"""
    from decimal import Decimal

    from backend.utils.formatting import format_usd

    assert format_usd(Decimal("1e30")).startswith("$1")
