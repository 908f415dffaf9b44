"""History, metrics and exports for teachers, with figures computed by hand, on both backends."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from backend.errors import NotFoundError, PermissionDeniedError
from backend.llm.usage import Usage
from backend.models.enums import Role, SessionStatus
from backend.practice import branch_service, history_service, session_service
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)


def _turn(db, actor, chat_id, text, reply, *, input_tokens, output_tokens, cost, latency_ms):
    add_message(db, actor=actor, session_id=chat_id, content=text)
    add_reply(
        db,
        session_id=chat_id,
        content=reply,
        usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens),
        model="claude-haiku-4-5",
        cost=cost,
        latency_ms=latency_ms,
    )


@pytest.fixture
def history(db):
    """Three conversations a teacher may read, and one of another teacher's."""
    teacher = make_user(db, role=Role.teacher, display_name="Tess Teacher")
    other = make_user(db, role=Role.teacher)
    admin = make_user(db, role=Role.admin)
    sam = make_user(db, role=Role.student, display_name="Sam Student")
    kim = make_user(db, role=Role.student, display_name="Kim Student")
    alex = make_client(db, teacher=teacher, name="Alex Rivera")
    blake = make_client(db, teacher=teacher, name="Blake Moss")
    foreign = make_client(db, teacher=other, name="Other Client")
    section = make_section(db, teacher=teacher, name="Counseling 101")
    enroll(db, section=section, student=sam)
    enroll(db, section=section, student=kim)
    assignment = make_assignment(db, teacher=teacher, section=section, clients=[alex, blake])

    # 1. Sam with Alex: two turns, ended. 4 messages, 100+20+120+30 = 270 tokens, $0.00047.
    first = session_service.create_session(db, actor=sam, client_id=alex.id)
    _turn(
        db,
        sam,
        first.id,
        "What brings you in?",
        "Work, mostly.",
        input_tokens=100,
        output_tokens=20,
        cost=Decimal("0.0002"),
        latency_ms=400,
    )
    _turn(
        db,
        sam,
        first.id,
        "Tell me more.",
        "I can't sleep.",
        input_tokens=120,
        output_tokens=30,
        cost=Decimal("0.00027"),
        latency_ms=600,
    )
    session_service.end_session(db, actor=sam, session_id=first.id)
    # 2. Kim with Blake: one turn, still active. 2 messages, 60 tokens, $0.0001.
    second = session_service.create_session(db, actor=kim, client_id=blake.id)
    _turn(
        db,
        kim,
        second.id,
        "Hello.",
        "Hi.",
        input_tokens=50,
        output_tokens=10,
        cost=Decimal("0.0001"),
        latency_ms=200,
    )
    # 3. The teacher tests Alex: one turn, ended. 2 messages, 15 tokens, $0.000035.
    third = session_service.create_session(db, actor=teacher, client_id=alex.id)
    _turn(
        db,
        teacher,
        third.id,
        "Testing.",
        "Okay.",
        input_tokens=10,
        output_tokens=5,
        cost=Decimal("0.000035"),
        latency_ms=1000,
    )
    session_service.end_session(db, actor=teacher, session_id=third.id)
    # 4. Another teacher's test: invisible to the first teacher.
    fourth = session_service.create_session(db, actor=other, client_id=foreign.id)
    _turn(
        db,
        other,
        fourth.id,
        "Hi.",
        "Hello.",
        input_tokens=1000,
        output_tokens=100,
        cost=Decimal("0.0015"),
        latency_ms=5000,
    )
    return dict(
        teacher=teacher,
        other=other,
        admin=admin,
        sam=sam,
        kim=kim,
        alex=alex,
        blake=blake,
        section=section,
        assignment=assignment,
        sessions=(first.id, second.id, third.id, fourth.id),
    )


def test_teacher_lists_own_tests_and_students_conversations_newest_first(db, history):
    first, second, third, _fourth = history["sessions"]
    rows = history_service.list_conversations(db, actor=history["teacher"])
    assert [row.session_id for row in rows] == [third, second, first]
    sam_row = rows[2]
    assert (sam_row.client_name, sam_row.user_name, sam_row.section_name) == (
        "Alex Rivera",
        "Sam Student",
        "Counseling 101",
    )
    assert sam_row.assignment_title == history["assignment"].title
    assert (sam_row.message_count, sam_row.total_tokens, sam_row.cost) == (
        4,
        270,
        Decimal("0.00047"),
    )
    assert sam_row.status == SessionStatus.completed and sam_row.ended_at is not None
    assert rows[0].section_name is None  # a teacher's test belongs to no section


def test_filters_by_client_section_person_and_status(db, history):
    first, second, third, _fourth = history["sessions"]
    teacher = history["teacher"]

    def ids(**filters):
        return {
            row.session_id
            for row in history_service.list_conversations(db, actor=teacher, **filters)
        }

    assert ids(client_id=history["alex"].id) == {first, third}
    assert ids(section_id=history["section"].id) == {first, second}
    assert ids(student_id=history["sam"].id) == {first}
    assert ids(status=SessionStatus.active) == {second}
    assert ids(status="completed", client_id=history["alex"].id) == {first, third}
    assert ids(student_id=history["other"].id) == set()


@pytest.mark.both_backends  # metrics are sums in SQL
def test_metrics_are_summed_in_the_database_over_the_filtered_conversations(db, history):
    metrics = history_service.metrics_summary(db, actor=history["teacher"])
    assert (metrics.conversations, metrics.messages, metrics.total_tokens) == (3, 8, 345)
    assert metrics.total_cost == Decimal("0.000605")  # 0.00047 + 0.0001 + 0.000035
    assert metrics.avg_cost_per_conversation == Decimal("0.000605") / 3
    assert metrics.avg_response_ms == 550.0  # (400 + 600 + 200 + 1000) / 4 replies
    assert metrics.completed == 2 and metrics.completion_rate == pytest.approx(2 / 3)

    sams = history_service.metrics_summary(
        db, actor=history["teacher"], student_id=history["sam"].id
    )
    assert (sams.conversations, sams.messages, sams.total_tokens) == (1, 4, 270)
    assert sams.avg_response_ms == 500.0 and sams.completion_rate == 1.0


def test_a_branchs_copied_messages_are_not_counted_again(db, history):
    """A branch ("Practise this moment") copies the messages before its moment: the figures
    count the messages said, once (the copies made Sam's 4 messages read 7)."""
    sam = history["sam"]
    branch = branch_service.start_branch(db, actor=sam, session_id=history["sessions"][0], turn=3)
    add_message(db, actor=sam, session_id=branch.id, content="What else is going on?")
    sams = history_service.metrics_summary(db, actor=history["teacher"], student_id=sam.id)
    assert (sams.conversations, sams.messages) == (2, 5)  # 4, and 1 new in the branch


@pytest.mark.both_backends  # metrics are sums in SQL
def test_metrics_of_nothing_are_zero_and_undefined_averages_are_none(db, history):
    empty = history_service.metrics_summary(db, actor=history["teacher"], client_id=-1)
    assert (empty.conversations, empty.messages, empty.total_tokens, empty.total_cost) == (
        0,
        0,
        0,
        Decimal(0),
    )
    assert empty.avg_cost_per_conversation is None and empty.completion_rate is None
    assert empty.avg_response_ms is None


def test_other_teachers_see_only_theirs_admins_see_all_students_none(db, history):
    fourth = history["sessions"][3]
    others = history_service.list_conversations(db, actor=history["other"])
    assert [row.session_id for row in others] == [fourth]
    assert history_service.metrics_summary(db, actor=history["other"]).total_cost == Decimal(
        "0.0015"
    )
    assert len(history_service.list_conversations(db, actor=history["admin"])) >= 4
    with pytest.raises(PermissionDeniedError):
        history_service.list_conversations(db, actor=history["sam"])
    with pytest.raises(PermissionDeniedError):
        history_service.metrics_summary(db, actor=history["sam"])


def test_filter_options_come_from_readable_conversations(db, history):
    options = history_service.filter_options(db, actor=history["teacher"])
    assert options.clients == [
        (history["alex"].id, "Alex Rivera"),
        (history["blake"].id, "Blake Moss"),
    ]
    assert options.sections == [(history["section"].id, "Counseling 101")]
    assert [label for _id, label in options.people] == [
        "Kim Student",
        "Sam Student",
        "Tess Teacher",
    ]


def test_transcript_markdown_has_people_times_every_message_usage_and_totals(db, history):
    first = history["sessions"][0]
    text = history_service.transcript_markdown(db, actor=history["teacher"], session_id=first)
    assert text.startswith("# Conversation with Alex Rivera\n")
    assert "- **Student:** Sam Student (" in text
    assert "- **Section:** Counseling 101" in text
    assert "- **Status:** completed" in text and "- **Ended:** " in text
    assert "### 1. Sam Student (student)" in text and "> What brings you in?" in text
    assert "### 2. Alex Rivera (client)" in text and "> Work, mostly." in text
    assert (
        "*Tokens: 100 input, 20 output, 0 cache write, 0 cache read · cost $0.000200 · 400 ms*"
        in text
    )
    assert (
        "*Tokens: 120 input, 30 output, 0 cache write, 0 cache read · cost $0.000270 · 600 ms*"
        in text
    )
    assert "- **Messages:** 4 (2 sent, 2 replies)" in text
    assert "- **Total tokens:** 270" in text and "- **Cost:** $0.000470" in text
    # The student may export their own, with no tokens, cost or model (a role-play shows none:
    # it had every figure of the teacher's); another teacher may not.
    own = history_service.transcript_markdown(db, actor=history["sam"], session_id=first)
    assert "> What brings you in?" in own and "> Work, mostly." in own
    assert "- **Messages:** 4 (2 sent, 2 replies)" in own and "- **Ended:** " in own
    assert not re.search(r"tokens?\b|cost|model|\$", own, re.IGNORECASE), own
    with pytest.raises(NotFoundError):  # someone else's conversation reads as missing
        history_service.transcript_markdown(db, actor=history["other"], session_id=first)


def test_transcript_quotes_multiline_messages_so_they_cannot_add_headings(db, history):
    other = history["other"]
    session = session_service.create_session(
        db, actor=other, client_id=make_client(db, teacher=other, name="Quoted").id
    )
    add_message(db, actor=other, session_id=session.id, content="line one\n# not a heading")
    text = history_service.transcript_markdown(db, actor=other, session_id=session.id)
    assert "> line one  \n> \\# not a heading" in text  # as typed: its line break, no heading
    assert "- **Teacher test:** " in text and "- **Ended:** —" in text


@pytest.mark.both_backends  # exact costs are numerics per dialect
def test_sessions_csv_lists_the_rows_with_exact_costs(db, history):
    rows = history_service.list_conversations(db, actor=history["teacher"])
    parsed = list(csv.DictReader(io.StringIO(history_service.sessions_csv(rows))))
    assert list(parsed[0].keys()) == list(history_service.CSV_COLUMNS)
    assert [row["client"] for row in parsed] == ["Alex Rivera", "Blake Moss", "Alex Rivera"]
    sams = parsed[2]
    assert (sams["person"], sams["section"], sams["status"]) == (
        "Sam Student",
        "Counseling 101",
        "completed",
    )
    assert (sams["messages"], sams["total_tokens"], sams["cost_usd"]) == ("4", "270", "0.00047")
    assert parsed[1]["ended_at"] == "" and parsed[0]["mode"] == "teacher_test"


def test_sessions_csv_keeps_names_from_becoming_spreadsheet_formulas(db, history):
    client = make_client(db, teacher=history["teacher"], name="=HYPERLINK(1)")
    session_service.create_session(db, actor=history["teacher"], client_id=client.id)
    rows = history_service.list_conversations(db, actor=history["teacher"], client_id=client.id)
    parsed = list(csv.DictReader(io.StringIO(history_service.sessions_csv(rows))))
    assert parsed[0]["client"] == "'=HYPERLINK(1)"


def test_a_student_lists_only_their_own_conversations(db, history):
    own = history_service.list_own_conversations(db, actor=history["sam"])
    assert own and {row.user_id for row in own} == {history["sam"].id}
    with pytest.raises(PermissionDeniedError):
        history_service.list_own_conversations(db, actor=None)
