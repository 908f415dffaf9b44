"""'Practise this moment' in a real browser (issue 24's first Done-when): from a review's "Try
instead" item to a branch, a better reply coded at once, the client's answer in character, the
original unchanged, and the branch in the student's history and progress."""

from __future__ import annotations

import pytest
from sqlalchemy import select

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) with the reason
    expect = None

from backend.db import unit_of_work
from backend.models import Message, PracticeSession
from backend.models.enums import SessionStatus
from tests.e2e.helpers import MESSAGES, click, go_to, say
from tests.e2e.test_review_browser import converse_and_end

pytestmark = pytest.mark.browser

BETTER = "It sounds like starting college has been a big change."
ANSWER = "It has. I miss home more than I expected."


def _transcripts(engine) -> dict[int, tuple[str, list[str]]]:
    with unit_of_work(engine, write=False) as db:
        sessions = db.scalars(select(PracticeSession).order_by(PracticeSession.id)).all()
        return {
            s.id: (
                s.status,
                list(
                    db.scalars(
                        select(Message.content)
                        .where(Message.session_id == s.id)
                        .order_by(Message.sequence_number)
                    )
                ),
            )
            for s in sessions
        }


def test_a_student_practises_a_moment_of_a_review(page, app_server, demo, fake_anthropic):
    engine, _seed = demo
    converse_and_end(page, app_server, fake_anthropic)
    before = _transcripts(engine)
    (original_id,) = before

    # The "Try instead" item of turn 3 opens a branch up to the client's turn 2.
    click(page, f"practise_{original_id}_3_0")
    moment = page.locator(".st-key-branch_moment")
    expect(moment).to_contain_text("Practising a moment")
    expect(moment).to_contain_text("at turn 3")
    expect(page.locator(MESSAGES)).to_have_count(2)

    fake_anthropic.reply(ANSWER)
    say(page, BETTER)
    coded = page.locator(".st-key-try_feedback_3")
    expect(coded).to_contain_text("Your reply is a")
    expect(coded).to_contain_text("(before: other)")
    expect(page.locator(MESSAGES).last).to_contain_text(ANSWER)

    after = _transcripts(engine)
    assert after[original_id] == before[original_id]  # the original is unchanged
    assert before[original_id][0] == SessionStatus.completed
    (branch_id,) = set(after) - {original_id}
    assert after[branch_id][1] == [*before[original_id][1][:2], BETTER, ANSWER]

    go_to(page, "My sessions")
    expect(page.get_by_text("branch of the session of")).to_be_visible()
    go_to(page, "My progress")
    expect(page.get_by_text("Practised moments")).to_be_visible()
    expect(page.get_by_text(f"This time: {BETTER}")).to_be_visible()
