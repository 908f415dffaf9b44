"""Branches ("Practise this moment", issue 24): a new conversation from one student turn of
another, the original unchanged, hidden information as earned at that moment, practice for
budgets and costs, and the moment's new reply coded at once against the original turn."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from backend.clients import client_service, prompt_service
from backend.db import Database, unit_of_work
from backend.errors import NotFoundError, PermissionDeniedError
from backend.models import DailyUsage
from backend.models.enums import MessageRole, Role
from backend.monitoring import metrics_service
from backend.practice import branch_service, conversation_service, history_service, session_service
from backend.reviews import review_service, try_coding
from backend.usage import usage_service
from tests.factories import add_message, add_reply, make_classroom, make_user
from tests.integration.reads import stored_messages

TURNS = [
    ("Do you drink every day?", "Most days, yes. It helps me sleep."),
    ("Have you tried to stop?", "Once. It lasted a week."),
    ("Why don't you just stop?", "You sound like my wife."),
]
SECRET = "Lost their job at the bakery on Elm Street last March after 12 years."
SAFE = "I'd rather not talk about that yet."


def _conversation(db, room, turns=TURNS) -> int:
    """An ended conversation of the room's student: turns 1, 3, 5 are the student's."""
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    for said, answered in turns:
        add_message(db, actor=room.student, session_id=session.id, content=said)
        add_reply(db, session_id=session.id, content=answered)
    session_service.end_session(db, actor=room.student, session_id=session.id)
    return session.id


def _transcript(db, actor, session_id: int) -> list[tuple[int, str, str]]:
    return [
        (m.sequence_number, m.role, m.content)
        for m in session_service.get_messages(db, actor=actor, session_id=session_id)
    ]


@pytest.mark.both_backends
def test_a_branch_rewinds_to_the_turn_and_leaves_the_original_unchanged(db):
    room = make_classroom(db)
    original_id = _conversation(db, room)
    before = session_service.get_session(db, actor=room.student, session_id=original_id)
    said = _transcript(db, room.student, original_id)

    branch = branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=5)

    assert _transcript(db, room.student, branch.id) == said[:4]  # up to the client's turn 4
    assert (branch.client_id, branch.assignment_id) == (before.client_id, before.assignment_id)
    # It records the client as it is now, which its replies are played with.
    assert branch.prompt_version == prompt_service.prompt_version(room.client.version)
    assert (branch.branch_of_id, branch.branch_turn, branch.is_active) == (original_id, 5, True)
    assert branch.total_tokens == 0 and branch.estimated_cost == 0  # copies are not billed again
    assert _transcript(db, room.student, original_id) == said
    assert session_service.get_session(db, actor=room.student, session_id=original_id) == before
    # The next message of the branch is its turn 5; the original keeps its own turn 5.
    sent = add_message(db, actor=room.student, session_id=branch.id, content="You feel judged.")
    assert sent.sequence_number == 5
    # Trying the moment again, and the client's own conversation, are open beside the branch.
    again = branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=5)
    fresh = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    assert len({branch.id, again.id, fresh.id}) == 3
    assert session_service.get_active_session(
        db, actor=room.student, client_id=room.client.id
    ) == session_service.get_session(db, actor=room.student, session_id=fresh.id)


def test_only_ones_own_student_turn_can_be_practised(db):
    room = make_classroom(db)
    original_id = _conversation(db, room)
    with pytest.raises(branch_service.NotAStudentTurn, match="Turn 4 is not one of your turns"):
        branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=4)
    with pytest.raises(branch_service.NotAStudentTurn):
        branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=9)
    stranger = make_user(db)
    with pytest.raises(NotFoundError, match="is open to you"):
        branch_service.start_branch(db, actor=stranger, session_id=original_id, turn=1)


def test_the_history_marks_a_branch_with_its_original_and_turn(db):
    room = make_classroom(db)
    original_id = _conversation(db, room)
    branch = branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=3)
    own = {
        row.session_id: row
        for row in history_service.list_own_conversations(db, actor=room.student)
    }
    taught = {
        row.session_id: row for row in history_service.list_conversations(db, actor=room.teacher)
    }
    for rows in (own, taught):
        assert rows[original_id].branch_label is None
        label = rows[branch.id].branch_label
        assert label is not None and label.startswith("branch of the session of ")
        assert label.endswith(" at turn 3")
    # The teacher's CSV export says the same: which conversation a try rewinds, and to which turn.
    exported = {
        int(line["session_id"]): line
        for line in csv.DictReader(io.StringIO(history_service.sessions_csv(list(taught.values()))))
    }
    assert (exported[original_id]["branch_of"], exported[original_id]["branch_turn"]) == ("", "")
    assert (exported[branch.id]["branch_of"], exported[branch.id]["branch_turn"]) == (
        str(original_id),
        "3",
    )


def test_the_moments_new_reply_is_coded_against_the_original_and_the_suggestion(db):
    room = make_classroom(db)
    original_id = _conversation(db, room)
    review = review_service.create_demo_review(db, actor=room.student, session_id=original_id)
    assert review.content is not None
    branch = branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=1)
    coding = try_coding.read_branch_coding(db, actor=room.student, session_id=branch.id)
    assert coding is not None and coding.origin.original_reply == "Do you drink every day?"

    assert coding.suggestion is not None  # the demo review's "try instead" for turn 1
    feedback = try_coding.code_reply(
        coding, turn=1, text="How has drinking been affecting your sleep?", previous_client=""
    )
    assert feedback.message == (
        "Your reply is an open question (before: closed question). That is what the review "
        "suggested."
    )
    other = try_coding.code_reply(
        coding,
        turn=1,
        text="You feel worn out and the drinking helps you switch off.",
        previous_client="",
    )
    assert other.message == (
        "Your reply is a reflection of feeling (before: closed question). The review suggested "
        "an open question."
    )
    later = try_coding.code_reply(
        coding, turn=3, text="Have you tried to stop?", previous_client="Most days, yes."
    )
    assert later.before is None and later.message == "Your reply is advice."
    plain = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    assert try_coding.read_branch_coding(db, actor=room.student, session_id=plain.id) is None


def _hidden_after(engine, room, turns: int) -> None:
    with unit_of_work(engine) as db:
        data = client_service.get_client(db, actor=room.teacher, client_id=room.client.id)
        data = data.to_input()
        data.hidden_information, data.hidden_reveal_after_turns = SECRET, turns
        client_service.update_client(db, actor=room.teacher, client_id=room.client.id, data=data)


def _reply_in_branch(engine, room, original_id: int, turn: int) -> str:
    with unit_of_work(engine) as db:
        branch = branch_service.start_branch(
            db, actor=room.student, session_id=original_id, turn=turn
        )
    outcome = conversation_service.send_message(
        Database(engine), actor=room.student, session_id=branch.id, content="What happened?"
    )
    assert outcome.message is not None
    return outcome.message.content


def test_hidden_information_stays_as_earned_at_the_moment(committed_engine, api, classroom):
    """Revealed after 3 student turns: a branch at the original's 3rd student turn has earned
    it (two copied turns and the new one); a branch at its 2nd has not, and the leaking fake's
    reply is stopped there."""
    _hidden_after(committed_engine, classroom, 3)
    with unit_of_work(committed_engine) as db:
        original_id = _conversation(db, classroom)
    leak = "Fine. I lost my job at the bakery on Elm Street last March after 12 years."

    api.reply(leak, chunk_delay=0)
    assert _reply_in_branch(committed_engine, classroom, original_id, turn=5) == leak

    api.reply(leak, chunk_delay=0)
    api.reply(SAFE)
    assert _reply_in_branch(committed_engine, classroom, original_id, turn=3) == SAFE
    original = stored_messages(committed_engine, classroom.student, original_id)
    assert [m.content for m in original if m.role == MessageRole.assistant] == [
        answered for _said, answered in TURNS
    ]


def test_a_branch_is_practice_for_budgets_and_costs(committed_engine, api, classroom):
    with unit_of_work(committed_engine) as db:
        original_id = _conversation(db, classroom)
    api.reply("It's hard to say.", input_tokens=1000, output_tokens=100)
    _reply_in_branch(committed_engine, classroom, original_id, turn=3)
    with unit_of_work(committed_engine, write=False) as db:
        day = db.scalar(select(DailyUsage).where(DailyUsage.user_id == classroom.student.id))
        assert day is not None and day.tokens == 1100
        assert day.practice_cost > 0 and day.practice_cost == day.cost


def test_a_student_no_longer_assigned_cannot_open_a_branch(db):
    room = make_classroom(db)
    original_id = _conversation(db, room)
    client_service.set_archived(db, actor=room.teacher, client_id=room.client.id, archived=True)
    with pytest.raises(PermissionDeniedError, match="not assigned"):
        branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=1)


def _usage(engine) -> tuple[list, list]:
    """The budget rows and the per-client figures, as the dashboard sums them."""
    table = usage_service.client_usage()
    keys = [table.day, table.client_id, table.assignment_id, table.model]
    counts = [func.sum(getattr(table, name)) for name in ("sessions", "messages", "replies")]
    with unit_of_work(engine, write=False) as db:
        days = db.execute(
            select(DailyUsage.day, DailyUsage.tokens, DailyUsage.replies, DailyUsage.cost)
        ).all()
        clients = db.execute(select(*keys, *counts).group_by(*keys)).all()
    return sorted(days), sorted(clients)


def test_a_rebuild_of_the_usage_counts_no_copied_message(committed_engine, api, classroom):
    with unit_of_work(committed_engine) as db:
        original_id = _conversation(db, classroom)
    api.reply("It's hard to say.", input_tokens=1000, output_tokens=100)
    _reply_in_branch(committed_engine, classroom, original_id, turn=5)
    before = _usage(committed_engine)
    assert sum(row[-2] for row in before[1]) == 6 + 2  # messages: the original's and the try's
    with unit_of_work(committed_engine) as db:
        usage_service.rebuild(db)
    assert _usage(committed_engine) == before


def test_a_branchs_copied_messages_are_not_counted_as_sent_again(db):
    """The admin's messages per hour (Usage, last 24 hours) count what people wrote: the turns a
    branch copies from its original were counted when they were said, and the branch adds only
    the messages written in it."""
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    original_id = _conversation(db, room)

    def messages() -> int:
        return sum(bucket.messages for bucket in metrics_service.hourly_usage(db, actor=admin))

    before = messages()
    assert before == 2 * len(TURNS)
    branch = branch_service.start_branch(db, actor=room.student, session_id=original_id, turn=5)
    assert messages() == before  # its 4 copies are not new messages
    add_message(db, actor=room.student, session_id=branch.id, content="You feel judged.")
    assert messages() == before + 1


def test_a_branchs_markdown_says_which_turns_it_copied_and_from_when(db):
    """The History list marks a branch ("branch of the session of ... at turn 5"), but its
    Markdown read as a whole conversation: the copied turns dated to the try and their replies
    "cost unpriced", though they were priced and billed to the original. (An attack,
    2026-12-07.)"""
    from datetime import timedelta
    from decimal import Decimal

    from sqlalchemy import update

    from backend.llm.usage import Usage
    from backend.models import Message
    from backend.models.base import utcnow
    from backend.utils.formatting import format_time

    room = make_classroom(db)
    original = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    for said, answered in (
        ("Do you drink every day?", "Most days, yes."),
        ("Have you tried to stop?", "Once. It lasted a week."),
        ("Why don't you just stop?", "You sound like my wife."),
    ):
        add_message(db, actor=room.student, session_id=original.id, content=said)
        add_reply(
            db,
            session_id=original.id,
            content=answered,
            usage=Usage(input_tokens=400, output_tokens=30),
            cost=Decimal("0.000437"),
        )
    session_service.end_session(db, actor=room.student, session_id=original.id)
    yesterday = utcnow() - timedelta(days=1)
    db.execute(
        update(Message).where(Message.session_id == original.id).values(created_at=yesterday)
    )
    branch = branch_service.start_branch(db, actor=room.student, session_id=original.id, turn=5)
    add_message(db, actor=room.student, session_id=branch.id, content="You feel judged.")

    for reader in (room.teacher, room.student):
        text = history_service.transcript_markdown(db, actor=reader, session_id=branch.id)
        assert "- **Branch:** branch of the session of " in text and "at turn 5" in text, text
        first = next(line for line in text.splitlines() if line.startswith("### 1. "))
        assert format_time(yesterday) in first and "copied" in first, first
        last = next(line for line in text.splitlines() if line.startswith("### 5. "))
        assert "copied" not in last, last
    teachers = history_service.transcript_markdown(db, actor=room.teacher, session_id=branch.id)
    assert "unpriced" not in teachers, teachers
    assert teachers.count("counted in the session it was said in") == 2  # replies 2 and 4

    # A branch of that branch: its turns 1-4 were said yesterday too (branch 1 only copied them).
    add_reply(db, session_id=branch.id, content="Judged? Maybe.")
    again = branch_service.start_branch(db, actor=room.student, session_id=branch.id, turn=5)
    text = history_service.transcript_markdown(db, actor=room.teacher, session_id=again.id)
    first = next(line for line in text.splitlines() if line.startswith("### 1. "))
    assert format_time(yesterday) in first, first
